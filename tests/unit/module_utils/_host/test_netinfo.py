"""_host/netinfo.py: calico-node's IP autodetection rules."""

from __future__ import annotations

import pytest

from ansible_collections.netops.calico.plugins.module_utils._host import netinfo
from fakes import IFACES


@pytest.mark.parametrize("method,version,want", [
    # first-found walks the interfaces in reverse index order, skipping Calico's default excludes
    ("first-found", 4, ("eth1", "198.18.20.5/24")),
    (None, 4, ("eth1", "198.18.20.5/24")),
    ("interface=eth0", 4, ("eth0", "198.18.10.5/24")),
    ("interface=eth.*", 4, ("eth1", "198.18.20.5/24")),
    ("interface=foo, eth0", 4, ("eth0", "198.18.10.5/24")),
    ("skip-interface=eth1", 4, ("eth0", "198.18.10.5/24")),
    ("cidr=198.18.10.0/24", 4, ("eth0", "198.18.10.5/24")),
    ("cidr=10.0.0.0/8,198.18.20.0/24", 4, ("eth1", "198.18.20.5/24")),
    ("first-found", 6, ("eth0", "fd00:10::5/64")),    # link-local fe80:: is skipped
    ("interface=docker0", 4, ("docker0", "198.19.0.1/16")),   # explicit include beats the default excludes
])
def test_autodetect(method, version, want):
    assert netinfo.autodetect(method, version, IFACES) == want


def test_can_reach_uses_the_source_address_the_kernel_picks():
    got = netinfo.autodetect("can-reach=198.18.10.1", 4, IFACES, reach=lambda dest, v: "198.18.10.5")
    assert got == ("eth0", "198.18.10.5/24")


def test_can_reach_source_not_on_an_interface():
    with pytest.raises(netinfo.AutodetectError, match="does not match any addresses found on local interfaces"):
        netinfo.autodetect("can-reach=8.8.8.8", 4, IFACES, reach=lambda dest, v: "203.0.113.9")


@pytest.mark.parametrize("method,err", [
    ("interface=wlan.*", "no valid host interfaces found"),
    ("cidr=10.0.0.0/8", "no valid IPv4 addresses found"),
    ("kubernetes-internal-ip", "only calico-node in the cluster can do"),
])
def test_autodetect_failures(method, err):
    with pytest.raises(netinfo.AutodetectError, match=err):
        netinfo.autodetect(method, 4, IFACES)


def test_reach_source_against_loopback():
    assert netinfo.reach_source("127.0.0.1", 4) == "127.0.0.1"


@pytest.mark.parametrize("addr,version,want", [
    ("198.18.10.5", 4, "198.18.10.5/24"),         # prefix from the interface, as GetLocalCIDR does
    ("198.18.77.7", 4, "198.18.77.7/32"),
    ("198.18.10.5/25", 4, "198.18.10.5/25"),      # a CIDR is kept, host bits included
    ("fd00:10::5", 6, "fd00:10::5/128"),          # IPv6: parseIPEnvironment, no lookup
])
def test_local_cidr(addr, version, want):
    assert netinfo.local_cidr(addr, version, IFACES) == want
