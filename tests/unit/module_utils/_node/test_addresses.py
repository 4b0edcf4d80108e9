"""_node/addresses.py: the node's addresses from the options and the host's interfaces."""

from __future__ import annotations

import pytest

from ansible_collections.netops.calico.plugins.module_utils._node import addresses as node_addresses
from ansible_collections.netops.calico.plugins.module_utils._node import options as node_options
from fakes import IFACES, params


def test_resolve_addresses_ipv6_only_when_asked():
    p = params()
    got = node_addresses.resolve_addresses(p, IFACES)
    assert got["ipv4"] == "198.18.20.5/24" and got["ipv6"] is None
    got = node_addresses.resolve_addresses(params(ipv6_autodetection_method="interface=eth0", ipv4_address="none"), IFACES)
    assert got["ipv4"] == "none" and got["ipv6"] == "fd00:10::5/64" and got["ipv6_interface"] == "eth0"


def test_resolve_addresses_failure_says_what_to_do():
    with pytest.raises(node_options.NodeError, match="Choose another ipv4_autodetection_method"):
        node_addresses.resolve_addresses(params(ipv4_autodetection_method="interface=nothere"), IFACES)
