"""_node/prereqs.py: the kernel modules calico-node needs for the options given."""

from __future__ import annotations

import pytest

from ansible_collections.netops.calico.plugins.module_utils._node import prereqs as node_prereqs
from fakes import params


@pytest.mark.parametrize("kw,mods", [
    ({}, ["ipip", "ip_set", "xt_set"]),
    ({"encapsulation": "vxlan", "dataplane": "nftables"}, ["vxlan", "nf_tables"]),
    ({"encapsulation": "none", "dataplane": "bpf", "wireguard": True}, ["wireguard"]),
])
def test_required_modules(kw, mods):
    assert node_prereqs.required_modules(params(**kw)) == mods
