# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The networking spec (calico_network): kOps input and defaults, one validate(), node settings,
the IPIP <-> VXLAN migration as a pure function of datastore state, and apply per stage."""
