# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Present/absent for one Calico v3 resource, and modules generated from the Go field tables."""
