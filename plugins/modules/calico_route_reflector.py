#!/usr/bin/python
# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: calico_route_reflector
short_description: Switch Calico between the node-to-node BGP mesh and route reflectors, one safe step at a time
version_added: 0.1.0
description:
  - Plans and makes one step of the switch between Calico's full node-to-node BGP mesh and route
    reflectors, so that no node loses a route. The switch to reflectors is O(step=prepare) (BGPPeers from
    clients to reflectors and between reflectors, then the reflector nodes get the label O(label) and
    C(spec.bgp.routeReflectorClusterID)), then, once every new session is Established, O(step=finish)
    (C(nodeToNodeMeshEnabled=false)). Going back, O(target=mesh) prepare turns the mesh on and finish
    removes the reflector peers, labels and cluster IDs.
  - Wait between the two steps with M(netops.calico.calico_bgp_status) on every node, using the
    RV(expected_sessions) of the prepare step. A finish whose prepare is not complete is refused.
  - Reflectors are O(reflectors) when given (an inventory group), else chosen automatically when there
    are at least O(threshold) nodes, an odd O(count) of them spread across the zones in O(zone_label);
    nodes that are reflectors already are kept. Or O(external_reflectors), dedicated hosts; every node
    gets a global BGPPeer to each.
  - Every step can be run again; it changes only what is not yet as planned. The plan (both steps and
    the session counts, full mesh n(n-1)/2 against the reflector design) is returned in check mode too.
author:
  - netops.calico contributors (@netops-calico)
extends_documentation_fragment:
  - netops.calico.datastore
attributes:
  check_mode:
    support: full
    description: Plans both steps the same way and returns the plan and the changes of the requested step without
      writing; a finish whose prepare is pending is shown with a warning instead of refused.
  diff_mode:
    support: full
    description: Before and after of every Node, BGPPeer and BGPConfiguration the step changes.
  idempotent:
    support: full
    description: A step that is complete changes nothing when run again.
options:
  target:
    description: Where the switch goes, V(reflectors) or back to the V(mesh).
    type: str
    required: true
    choices: [reflectors, mesh]
  step:
    description:
      - V(prepare) adds what the target needs while the current design keeps running; V(finish) removes the
        old design and is refused until prepare is complete.
    type: str
    default: prepare
    choices: [prepare, finish]
  reflectors:
    description:
      - Calico node names to make reflectors (typically an inventory group). Overrides automatic choice.
    type: list
    elements: str
  external_reflectors:
    description:
      - Dedicated reflector hosts (BIRD outside the cluster); every node peers with each through a global
        BGPPeer named C(<peer_prefix>-<ip with dashes>).
    type: list
    elements: dict
    suboptions:
      ip:
        description: IPv4 address of the reflector host.
        type: str
        required: true
      as_number:
        description: Its AS number; the cluster's (BGPConfiguration C(asNumber), default 64512) when unset.
        type: int
  threshold:
    description: Node count from which reflectors are chosen automatically (when O(reflectors) is not set).
    type: int
    default: 50
  count:
    description: How many reflectors to choose automatically; must be odd.
    type: int
    default: 3
  zone_label:
    description: Node label holding the zone; automatic reflectors are spread across its values.
    type: str
    default: topology.kubernetes.io/zone
  cluster_id:
    description: C(routeReflectorClusterID) of the reflectors (an IPv4 address, as Calico requires).
    type: str
    default: 244.0.0.1
  label:
    description: Label key set to V(true) on reflector nodes and used by the BGPPeer selectors.
    type: str
    default: route-reflector
  peer_prefix:
    description: Prefix of the BGPPeers this module manages (C(<prefix>-clients), C(<prefix>-mesh)).
    type: str
    default: route-reflectors
notes:
  - Calico keeps a node with a cluster ID out of the mesh, so a node that becomes a reflector re-peers
    during prepare; clients keep their mesh sessions until finish. Prefer reflectors without workloads.
seealso:
  - module: netops.calico.calico_bgp_status
  - module: netops.calico.calico_bgp_peer
"""

EXAMPLES = r"""
- name: Show the plan (nothing is written)
  netops.calico.calico_route_reflector:
    target: reflectors
    reflectors: "{{ groups['calico_rr'] }}"
  check_mode: true
  register: rr_plan

- name: Reflector peerings while the mesh stays on
  netops.calico.calico_route_reflector:
    target: reflectors
    reflectors: "{{ groups['calico_rr'] }}"
    step: prepare
  register: rr_prepare

- name: Every new session is Established on every node
  netops.calico.calico_bgp_status:
    established: "{{ rr_prepare.expected_sessions[inventory_hostname] | default([]) }}"
    timeout: 120

- name: Mesh off
  netops.calico.calico_route_reflector:
    target: reflectors
    reflectors: "{{ groups['calico_rr'] }}"
    step: finish
"""

RETURN = r"""
plan:
  description:
    - The switch for this target, from the datastore as read. C(reflectors), C(zones) (reflector to zone),
      C(reason), C(warnings), C(sessions) (C(nodes), C(reflectors), C(full_mesh), C(reflector_design),
      C(during_switch), and the sessions confd configures C(now), C(after_prepare) and C(after_finish)),
      and C(steps) (prepare, wait, finish, each with its changes).
  returned: always
  type: dict
expected_sessions:
  description: Per Calico node, the BIRD protocol names (C(Mesh_<ip>), C(Node_<ip>), C(Global_<ip>)) that calico-node
    configures after the requested step; pass them to M(netops.calico.calico_bgp_status).
  returned: always
  type: dict
"""

from ansible_collections.netops.calico.plugins.module_utils._bgp.modules import run_route_reflector


def main() -> None:
    run_route_reflector()


if __name__ == "__main__":
    main()
