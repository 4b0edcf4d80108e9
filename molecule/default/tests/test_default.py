"""What an operator checks after site.yml with kOps' default spec (IP-in-IP, CrossSubnet): on each
host (testinfra, podman backend) calico-node configured for BIRD with its own address, and in the
datastore (read from the controller) one Node per host, the pool and Felix as the spec says."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_shared"))

import labcheck  # noqa: E402


def test_calico_node_configured_for_bird(host):
    env = labcheck.env_file(host)
    assert env["CALICO_NETWORKING_BACKEND"] == "bird"
    assert env["CALICO_NODENAME"] == labcheck.hostname(host)
    assert env["CALICO_IP"] == labcheck.eth0(host)
    assert env["ETCD_ENDPOINTS"] == "http://198.18.201.2:2379"
    assert env["NO_DEFAULT_POOLS"] == "true"
    assert env["CALICO_IPV4POOL_IPIP"] == "CrossSubnet"
    unit = host.file("/etc/systemd/system/calico-node.service")
    assert unit.exists and "EnvironmentFile=/etc/calico/calico.env" in unit.content_string


def test_kernel_settings_written(host):
    sysctl = host.file("/etc/sysctl.d/90-calico.conf").content_string
    assert "net.ipv4.ip_forward = 1" in sysctl.splitlines()
    assert host.sysctl("net.ipv4.ip_forward") == 1


def test_one_node_per_host_with_its_address(host):
    name = labcheck.hostname(host)
    node = labcheck.resource("nodes", name)
    assert node is not None, f"no Node {name}"
    assert node["spec"]["bgp"]["ipv4Address"] == labcheck.eth0(host)
    assert node["metadata"]["labels"] == {"scenario": "default"}
    assert labcheck.names("nodes") == ["default-node1", "default-node2", "default-node3"]


def test_pool_and_felix_as_the_spec_says(host):
    pool = labcheck.resource("ippools", "default-ipv4-ippool")["spec"]
    assert (pool["cidr"], pool["ipipMode"], pool["vxlanMode"], pool["natOutgoing"]) == \
        ("198.19.0.0/16", "CrossSubnet", "Never", True)
    felix = labcheck.resource("felixconfigurations", "default")["spec"]
    assert felix["ipipEnabled"] is True and felix["vxlanEnabled"] is False
    assert felix["logSeverityScreen"] == "Warning"
    # the hosts' links are 1500 bytes: every tunnel MTU is 1500 minus its overhead
    assert (felix["ipipMTU"], felix["vxlanMTU"], felix["wireguardMTU"]) == (1480, 1450, 1440)
