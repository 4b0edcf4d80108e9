"""After site.yml with encapsulationMode vxlan: every host's calico-node runs the vxlan backend
(no BIRD), the pool is VXLAN CrossSubnet and never IP-in-IP, Felix has VXLAN on, IP-in-IP off and
the VXLAN MTU from the hosts' 1500-byte links."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_shared"))

import labcheck  # noqa: E402


def test_hosts_run_the_vxlan_backend(host):
    env = labcheck.env_file(host)
    assert env["CALICO_NETWORKING_BACKEND"] == "vxlan"
    assert env["CALICO_IPV4POOL_VXLAN"] == "CrossSubnet" and env["CALICO_IPV4POOL_IPIP"] == "Never"
    assert env["CALICO_IP"] == labcheck.eth0(host)


def test_node_with_its_address(host):
    node = labcheck.resource("nodes", labcheck.hostname(host))
    assert node["spec"]["bgp"]["ipv4Address"] == labcheck.eth0(host)


def test_pool_and_felix(host):
    pool = labcheck.resource("ippools", "default-ipv4-ippool")["spec"]
    assert (pool["ipipMode"], pool["vxlanMode"]) == ("Never", "CrossSubnet")
    felix = labcheck.resource("felixconfigurations", "default")["spec"]
    assert felix["vxlanEnabled"] is True and felix["ipipEnabled"] is False
    assert felix["vxlanMTU"] == 1450
