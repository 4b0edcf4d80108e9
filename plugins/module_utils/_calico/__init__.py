# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Calico's own rules for v3 resources (validation, create/update defaulting), ported from
libcalico-go with the upstream file cited."""
