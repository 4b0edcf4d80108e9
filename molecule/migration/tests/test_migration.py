"""After migrate_encapsulation.yml reported the IP-in-IP -> VXLAN migration done: every host's
calico-node runs the vxlan backend (no BIRD), every Node has the VXLAN tunnel address calico-node
would have allocated (allocated by the test's stand-in), the pool is VXLAN only, and Felix has
IP-in-IP off and VXLAN on."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_shared"))

import labcheck  # noqa: E402


def test_hosts_run_the_vxlan_backend(host):
    env = labcheck.env_file(host)
    assert env["CALICO_NETWORKING_BACKEND"] == "vxlan"
    assert env["CALICO_IPV4POOL_VXLAN"] == "Always" and env["CALICO_IPV4POOL_IPIP"] == "Never"


def test_nodes_have_vxlan_tunnels(host):
    node = labcheck.resource("nodes", labcheck.hostname(host))
    assert node["spec"]["ipv4VXLANTunnelAddr"].startswith("198.19.")
    assert node["spec"]["bgp"]["ipv4Address"] == labcheck.eth0(host)


def test_pool_and_felix_after_the_migration(host):
    pool = labcheck.resource("ippools", "default-ipv4-ippool")["spec"]
    assert (pool["ipipMode"], pool["vxlanMode"]) == ("Never", "Always")
    felix = labcheck.resource("felixconfigurations", "default")["spec"]
    assert felix["ipipEnabled"] is False and felix["vxlanEnabled"] is True
