# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""BGP topology: route-reflector placement, the mesh <-> reflector switch plan and its session
counts, the peerings calico-node's confd derives from Node/BGPPeer resources (and a BIRD 2
rendering of them), and a client for BIRD's control socket."""
