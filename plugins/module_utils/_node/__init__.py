# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host side: calico-node (service, kernel, the Node resource), WireGuard, MTU detection."""
