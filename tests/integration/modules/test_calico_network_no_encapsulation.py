"""calico_network on a real etcd when every pool's IP-in-IP and VXLAN modes are Never: nothing
encapsulates, so Felix keeps IP-in-IP and VXLAN off and the pod MTU is the host's (no tunnel
overhead subtracted); and the calico-node settings carry kOps' FELIX_HEALTHENABLED and
FELIX_DEFAULTENDPOINTTOHOSTACTION."""

from __future__ import annotations

import pytest

from test_calico_network import CIDR, POOL, conn, flags, modes


@pytest.mark.parametrize("spec", [{"ipip_mode": "Never"},
                                  {"encapsulation_mode": "vxlan", "vxlan_mode": "Never"}],
                         ids=["ipip-never", "vxlan-never"])
def test_no_encapsulation_uses_the_host_mtu(etcd, raw, run_module, spec):
    base = {**conn(etcd), "ipv4_pool_cidr": CIDR, "host_mtu": 1500, **spec}
    plan = run_module("calico_network", {"validate_only": True, "ipv4_pool_cidr": CIDR, "host_mtu": 1500, **spec})
    assert plan["valid"] and plan["node_settings"]["cni"]["mtu"] == 1500, plan
    r = run_module("calico_network", base)
    assert not r.failed and r["changed"], r
    assert modes(raw) == ("Never", "Never")
    assert flags(raw) == (False, False)
    assert r["node_settings"]["cni"]["mtu"] == 1500 and r["mtu"]["veth"] == 1500
    again = run_module("calico_network", base)
    assert not again["changed"], again["diff"]
    assert raw(POOL)["spec"]["cidr"] == CIDR


def test_ipip_still_subtracts_its_overhead(etcd, raw, run_module):
    r = run_module("calico_network", {**conn(etcd), "ipv4_pool_cidr": CIDR, "host_mtu": 1500})
    assert flags(raw)[0] is True and r["node_settings"]["cni"]["mtu"] == 1480


def test_node_settings_enable_felix_health_as_kops_does(run_module):
    r = run_module("calico_network", {"validate_only": True, "ipv4_pool_cidr": CIDR})
    env = r["node_settings"]["env"]
    assert env["FELIX_HEALTHENABLED"] == "true" and env["FELIX_DEFAULTENDPOINTTOHOSTACTION"] == "ACCEPT"
    assert "-felix-live" in r["node_settings"]["probes"]["liveness"]
