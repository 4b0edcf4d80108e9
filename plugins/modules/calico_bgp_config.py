#!/usr/bin/python
# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: calico_bgp_config
short_description: Manage a Calico BGPConfiguration
version_added: 0.1.0
description:
  - Create, update or delete a C(BGPConfiguration) (projectcalico.org/v3), either V(default) for the
    cluster (AS number, node-to-node mesh, service advertisement), C(node.<name>) for one node.
  - Every field of the resource is an option, in snake_case. Only the options you set are
    compared and written; the others keep their current value.
  - Turning O(node_to_node_mesh_enabled) off without route reflectors or peers cuts pod routes, so
    configure the route reflectors first.
  - As Calico, only V(default) may set the cluster-wide fields (node-to-node mesh, AS number, service
    IPs, mesh password and restart time); on any other name they are refused. Communities must be
    valid and used by a prefix advertisement; the mesh password and restart time need the mesh on.
author:
  - netops.calico contributors (@netops-calico)
extends_documentation_fragment:
  - netops.calico.datastore
  - netops.calico.resource
  - netops.calico.resource.labels
options:
  name:
    description: V(default), or C(node.<nodename>) for per-node settings.
    type: str
    default: default
  # BEGIN GENERATED OPTIONS (scripts/gen_module_docs.py)
  log_severity_screen:
    description:
      - "LogSeverityScreen is the log severity above which logs are sent to the stdout."
      - Sets C(spec.logSeverityScreen).
    type: str
    choices: [Trace, Debug, Info, Warning, Error, Fatal]
  node_to_node_mesh_enabled:
    description:
      - "NodeToNodeMeshEnabled sets whether full node to node BGP mesh is enabled."
      - Sets C(spec.nodeToNodeMeshEnabled).
    type: bool
  as_number:
    description:
      - "ASNumber is the default AS number used by a node."
      - Sets C(spec.asNumber).
    type: int
  service_load_balancer_ips:
    description:
      - "ServiceLoadBalancerIPs are the CIDR blocks for Kubernetes Service LoadBalancer IPs."
      - Sets C(spec.serviceLoadBalancerIPs).
      - The alias O(service_load_balancer_i_ps) is deprecated and will be removed in version 2.0.0.
    type: list
    elements: dict
    aliases: [service_load_balancer_i_ps]
  service_external_ips:
    description:
      - "ServiceExternalIPs are the CIDR blocks for Kubernetes Service External IPs."
      - Sets C(spec.serviceExternalIPs).
      - The alias O(service_external_i_ps) is deprecated and will be removed in version 2.0.0.
    type: list
    elements: dict
    aliases: [service_external_i_ps]
  service_cluster_ips:
    description:
      - "ServiceClusterIPs are the CIDR blocks from which service cluster IPs are allocated."
      - Sets C(spec.serviceClusterIPs).
      - The alias O(service_cluster_i_ps) is deprecated and will be removed in version 2.0.0.
    type: list
    elements: dict
    aliases: [service_cluster_i_ps]
  service_load_balancer_aggregation:
    description:
      - "ServiceLoadBalancerAggregation controls how LoadBalancer service IPs are advertised."
      - Sets C(spec.serviceLoadBalancerAggregation).
    type: str
    choices: [Enabled, Disabled]
  communities:
    description:
      - "Communities is a list of BGP community values and their arbitrary names for tagging routes."
      - Sets C(spec.communities).
    type: list
    elements: dict
  prefix_advertisements:
    description:
      - "PrefixAdvertisements contains per-prefix advertisement configuration."
      - Sets C(spec.prefixAdvertisements).
    type: list
    elements: dict
  listen_port:
    description:
      - "ListenPort is the port where BGP protocol should listen."
      - Sets C(spec.listenPort).
    type: int
  node_mesh_password:
    description:
      - "Optional BGP password for full node-to-mesh peerings."
      - Sets C(spec.nodeMeshPassword).
    type: dict
  node_mesh_max_restart_time:
    description:
      - "Time to allow for software restart for node-to-mesh peerings."
      - Sets C(spec.nodeMeshMaxRestartTime).
    type: str
  bind_mode:
    description:
      - "BindMode indicates whether to listen for BGP connections on all addresses (None) or only on the node's
        canonical IP address Node.Spec.BGP.IPvXAddress (NodeIP)."
      - Sets C(spec.bindMode).
    type: str
    choices: [None, NodeIP]
  ignored_interfaces:
    description:
      - "IgnoredInterfaces indicates the network interfaces that needs to be excluded when reading device routes."
      - Sets C(spec.ignoredInterfaces).
    type: list
    elements: str
  local_workload_peering_ipv4:
    description:
      - "The virtual IPv4 address of the node with which its local workload is expected to peer."
      - Sets C(spec.localWorkloadPeeringIPV4).
    type: str
  local_workload_peering_ipv6:
    description:
      - "The virtual IPv6 address of the node with which its local workload is expected to peer."
      - Sets C(spec.localWorkloadPeeringIPV6).
    type: str
  # END GENERATED OPTIONS
"""

EXAMPLES = r"""
- name: AS 64512 with the full node-to-node mesh
  netops.calico.calico_bgp_config:
    as_number: 64512
    node_to_node_mesh_enabled: true

- name: Advertise service cluster IPs
  netops.calico.calico_bgp_config:
    service_cluster_ips:
      - cidr: 198.18.96.0/20
"""

RETURN = r"""
bgp_configuration:
  description: The resource after the task (what would be written, in check mode); null when absent.
  returned: always
  type: dict
"""

from ansible_collections.netops.calico.plugins.module_utils._resource.specmodule import run_spec_module


def main() -> None:
    run_spec_module("BGPConfiguration", name_default="default", result_key="bgp_configuration")


if __name__ == "__main__":
    main()
