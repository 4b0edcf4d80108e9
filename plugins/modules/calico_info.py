#!/usr/bin/python
# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: calico_info
short_description: Report what a Calico datastore holds
version_added: 0.1.0
description:
  - Reads Calico's datastore and returns its nodes, IP pools, IPAM usage per node and per pool,
    BGP configuration and peers, and Felix configuration.
  - On etcd the whole C(/calico/) tree is read once, in pages at a single revision, so the report
    is a consistent snapshot.
  - With O(gather_subset) containing V(ipam_check) it also reports IPAM leaks the way
    C(calicoctl ipam check) does.
author:
  - netops.calico contributors (@netops-calico)
extends_documentation_fragment:
  - netops.calico.datastore
attributes:
  check_mode:
    support: full
    description: Read-only; runs the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing, so there is no diff.
  idempotent:
    support: full
    description: Read-only.
options:
  gather_subset:
    description:
      - What to report. V(all) means every subset except V(ipam_check).
    type: list
    elements: str
    choices: [all, nodes, ippools, ipam, bgp, felix, ipam_check]
    default: [all]
"""

EXAMPLES = r"""
- name: What does the datastore hold?
  netops.calico.calico_info:
    etcd_endpoints: https://10.0.0.1:2379
  register: calico
  run_once: true
  delegate_to: localhost

- name: Show IPAM usage per node
  ansible.builtin.debug:
    var: calico.ipam.per_node

- name: Look for leaked addresses and blocks
  netops.calico.calico_info:
    gather_subset: [ipam_check]
  register: leaks
"""

RETURN = r"""
nodes:
  description: One entry per Calico Node with its BGP addresses, AS number, route-reflector cluster ID and tunnel addresses.
  returned: when nodes are gathered
  type: list
  elements: dict
ippools:
  description: Every IPPool's name and spec.
  returned: when ippools are gathered
  type: list
  elements: dict
ipam:
  description:
    - C(per_node) and C(per_pool) dicts of blocks, allocated addresses and capacity.
    - C(outside_pools) counts blocks that belong to no current pool.
  returned: when ipam is gathered
  type: dict
bgp:
  description: C(configurations) (BGPConfiguration specs by name) and C(peers) (BGPPeers).
  returned: when bgp is gathered
  type: dict
felix:
  description: FelixConfiguration specs by name (C(default), C(node.<name>)).
  returned: when felix is gathered
  type: dict
cluster_information:
  description: The ClusterInformation spec (cluster GUID, Calico version, datastore ready).
  returned: when present in the datastore
  type: dict
ipam_check:
  description: IPAM problems found, as C(calicoctl ipam check) reports them.
  returned: when ipam_check is gathered
  type: dict
"""

from ansible_collections.netops.calico.plugins.module_utils import _info
from ansible_collections.netops.calico.plugins.module_utils._module import datastore_module, run


def main() -> None:
    module = datastore_module({
        "gather_subset": {"type": "list", "elements": "str", "default": ["all"],
                          "choices": ["all", *_info.SUBSETS, "ipam_check"]},
    })
    subsets = set(module.params["gather_subset"])
    if "all" in subsets:
        subsets |= set(_info.SUBSETS)
    subsets.discard("all")

    def body(ds):
        result = {"changed": False, **_info.gather(ds, subsets - {"ipam_check"}, warn=module.warn)}
        if "ipam_check" in subsets:
            result["ipam_check"] = _info.ipam_check(ds)
        return result

    run(module, body)


if __name__ == "__main__":
    main()
