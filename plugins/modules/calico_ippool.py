#!/usr/bin/python
# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: calico_ippool
short_description: Manage a Calico IPPool
version_added: 0.1.0
description:
  - Create, update or delete a Calico C(IPPool) (projectcalico.org/v3) in Calico's datastore, stored
    exactly as calico/calicoctl store it.
  - Only the options you set are compared with the pool; the others keep their current value.
  - A new pool gets Calico's defaults (block size 26 for IPv4, 122 for IPv6, node selector C(all()),
    allowed uses Workload and Tunnel, assignment mode Automatic, both encapsulation modes Never).
  - O(cidr) and O(block_size) cannot change on an existing pool; such a change is refused with the
    steps to migrate to a new pool.
  - As Calico, a new pool whose range overlaps an existing pool, and any pool overlapping the link-local
    ranges 169.254.0.0/16 or fe80::/10, is refused with nothing written. An IPv6 O(cidr) is stored in
    canonical form (lower case, zeros compressed) and compared in that form.
  - O(state=absent) removes the pool as Calico does; it is first disabled, the affinities of its blocks are
    released (empty blocks deleted, the others keep their addresses), then the pool is deleted.
author:
  - netops.calico contributors (@netops-calico)
extends_documentation_fragment:
  - netops.calico.datastore
  - netops.calico.resource
  - netops.calico.resource.labels
options:
  name:
    description: Name of the pool (metadata.name).
    type: str
    required: true
  cidr:
    description:
      - The pool's range (spec.cidr), with no host bits set. Required to create a pool. Immutable.
    type: str
  block_size:
    description:
      - Size of the blocks handed to nodes (spec.blockSize), 20-32 for IPv4 and 116-128 for IPv6.
        Immutable.
    type: int
  ipip_mode:
    description:
      - When to use IP-in-IP for traffic from workloads in this pool (spec.ipipMode). IPv4 only.
      - Cannot be enabled together with O(vxlan_mode).
    type: str
    choices: [Always, CrossSubnet, Never]
  vxlan_mode:
    description:
      - When to use VXLAN for traffic from workloads in this pool (spec.vxlanMode).
    type: str
    choices: [Always, CrossSubnet, Never]
  nat_outgoing:
    description: Masquerade traffic from this pool to destinations outside all pools (spec.natOutgoing).
    type: bool
  node_selector:
    description: Selector of the nodes that take blocks from this pool (spec.nodeSelector).
    type: str
  namespace_selector:
    description: Selector of the namespaces whose pods take addresses from this pool (spec.namespaceSelector).
    type: str
  disabled:
    description: Stop handing out addresses from this pool (spec.disabled).
    type: bool
  disable_bgp_export:
    description: Do not advertise this pool's routes over BGP (spec.disableBGPExport).
    type: bool
  allowed_uses:
    description: What the pool's addresses may be used for (spec.allowedUses).
    type: list
    elements: str
    choices: [Workload, Tunnel, LoadBalancer]
  assignment_mode:
    description: V(Automatic) pools serve any request; V(Manual) ones only explicit requests (spec.assignmentMode).
    type: str
    choices: [Automatic, Manual]
"""

EXAMPLES = r"""
- name: IPv4 pool with IP-in-IP across subnets, as kOps does by default
  netops.calico.calico_ippool:
    name: default-ipv4-ippool
    cidr: 100.96.0.0/11
    ipip_mode: CrossSubnet
    vxlan_mode: Never
    nat_outgoing: true
    etcd_endpoints: https://10.0.0.1:2379
    etcd_ca_cert_file: /etc/calico/pki/ca.pem

- name: Switch a pool from IP-in-IP to VXLAN (use calico_network for a staged cluster migration)
  netops.calico.calico_ippool:
    name: default-ipv4-ippool
    ipip_mode: Never
    vxlan_mode: Always

- name: Remove a pool
  netops.calico.calico_ippool:
    name: old-pool
    state: absent
"""

RETURN = r"""
ippool:
  description: The pool after the task (what would be written, in check mode); null when absent.
  returned: always
  type: dict
  sample:
    kind: IPPool
    apiVersion: projectcalico.org/v3
    metadata: {name: default-ipv4-ippool, resourceVersion: "12"}
    spec: {cidr: 100.96.0.0/11, vxlanMode: Never, ipipMode: CrossSubnet, natOutgoing: true, blockSize: 26,
           nodeSelector: all(), allowedUses: [Workload, Tunnel], assignmentMode: Automatic}
"""

from ansible_collections.netops.calico.plugins.module_utils._calico import ippool as _ippool
from ansible_collections.netops.calico.plugins.module_utils._module import datastore_module, run
from ansible_collections.netops.calico.plugins.module_utils._resource.ensure import RESOURCE_OPTIONS, ensure_resource

FIELDS = {
    "cidr": "cidr", "block_size": "blockSize", "ipip_mode": "ipipMode", "vxlan_mode": "vxlanMode",
    "nat_outgoing": "natOutgoing", "node_selector": "nodeSelector", "namespace_selector": "namespaceSelector",
    "disabled": "disabled", "disable_bgp_export": "disableBGPExport", "allowed_uses": "allowedUses",
    "assignment_mode": "assignmentMode",
}


def main() -> None:
    modes = list(_ippool.ENCAP_MODES)
    module = datastore_module({
        "name": {"type": "str", "required": True},
        **RESOURCE_OPTIONS,
        "cidr": {"type": "str"},
        "block_size": {"type": "int"},
        "ipip_mode": {"type": "str", "choices": modes},
        "vxlan_mode": {"type": "str", "choices": modes},
        "nat_outgoing": {"type": "bool"},
        "node_selector": {"type": "str"},
        "namespace_selector": {"type": "str"},
        "disabled": {"type": "bool"},
        "disable_bgp_export": {"type": "bool"},
        "allowed_uses": {"type": "list", "elements": "str", "choices": list(_ippool.ALLOWED_USES)},
        "assignment_mode": {"type": "str", "choices": list(_ippool.ASSIGNMENT_MODES)},
    })
    p = module.params
    spec = {camel: p[opt] for opt, camel in FIELDS.items() if p[opt] is not None}
    if p["state"] == "present":
        # what can be checked without the datastore is checked before connecting
        errors = _ippool.validate_pool_spec(spec)
        if errors:
            module.fail_json(msg=f"Invalid IPPool {p['name']!r}, nothing was written: " + "; ".join(errors),
                             errors=errors)

    def body(ds):
        # Calico's IPPool rules (overlap, link-local, update checks) and its Delete (disable, release
        # the blocks' affinities, delete) run inside ensure_resource (_calico.kinds, _calico.ippool).
        res = ensure_resource(ds, "IPPool", p["name"], p["state"], spec,
                              labels=p["labels"], defaults=_ippool.default_pool_spec,
                              immutable=_ippool.IMMUTABLE, purge_labels=p["purge_labels"])
        return {"changed": res["changed"], "diff": res["diff"], "ippool": res["resource"]}

    run(module, body)


if __name__ == "__main__":
    main()
