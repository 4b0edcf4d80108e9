"""_node/resource.py: the Node merge keeps what calico-node owns; a new Node is stored as clientv3 creates it."""

from __future__ import annotations

from ansible_collections.netops.calico.plugins.module_utils._datastore import model
from ansible_collections.netops.calico.plugins.module_utils._node import addresses as node_addresses
from ansible_collections.netops.calico.plugins.module_utils._node import resource as node_resource
from fakes import params


# -- the Node resource ----------------------------------------------------------------------------

def calico_written_node():
    """A Node as calico-node leaves it (tunnel address, wireguard, interfaces, public key)."""
    return model.with_revision(model.normalise_resource({
        "kind": "Node", "metadata": {"name": "node-1", "uid": "u1", "creationTimestamp": "2025-05-01T10:00:00Z",
                                     "labels": {"keep": "me", "drop": "me"}},
        "spec": {"bgp": {"ipv4Address": "198.18.10.5/24", "ipv4IPIPTunnelAddr": "100.96.1.1"},
                 "ipv4VXLANTunnelAddr": "100.96.1.2", "wireguard": {"interfaceIPv4Address": "100.96.1.3"},
                 "orchRefs": [{"nodeName": "node-1", "orchestrator": "k8s"}],
                 "interfaces": [{"name": "eth0", "addresses": ["198.18.10.5"]}]},
        "status": {"wireguardPublicKey": "BwoNEBMWGRwfIiUoKy4xNDc6PUBDRklMT1JVWFteYWQ="}}), "42")


def test_merge_keeps_what_calico_node_owns():
    cur = calico_written_node()
    bgp = node_addresses.desired_bgp(params(as_number=64512, route_reflector_cluster_id="244.0.0.1"),
                                     {"ipv4": "198.18.20.5/24", "ipv6": None})
    new, changed = node_resource.merge_node(cur, "node-1", bgp, {"rack": "r1", "drop": None})
    assert changed
    assert new["spec"]["bgp"] == {"asNumber": 64512, "ipv4Address": "198.18.20.5/24",
                                  "ipv4IPIPTunnelAddr": "100.96.1.1", "routeReflectorClusterID": "244.0.0.1"}
    for k in ("ipv4VXLANTunnelAddr", "wireguard", "orchRefs", "interfaces"):
        assert new["spec"][k] == cur["spec"][k]
    assert new["status"] == cur["status"]
    assert new["metadata"]["labels"] == {"keep": "me", "rack": "r1"}
    assert new["metadata"]["uid"] == "u1" and new["metadata"]["resourceVersion"] == "42"
    assert list(new["spec"]["bgp"]) == ["asNumber", "ipv4Address", "ipv4IPIPTunnelAddr", "routeReflectorClusterID"]


def test_merge_unchanged_returns_current():
    cur = calico_written_node()
    new, changed = node_resource.merge_node(cur, "node-1", {"ipv4Address": "198.18.10.5/24"}, {"keep": "me"})
    assert not changed and new is cur


def test_merge_removes_with_zero_and_empty():
    cur = calico_written_node()
    cur["spec"]["bgp"].update({"asNumber": 65000, "routeReflectorClusterID": "244.0.0.1"})
    bgp = node_addresses.desired_bgp(params(as_number=0, route_reflector_cluster_id=""), {"ipv4": "none"})
    assert bgp == {"asNumber": None, "routeReflectorClusterID": None}
    new, changed = node_resource.merge_node(cur, "node-1", bgp, None)
    assert changed and new["spec"]["bgp"] == {"ipv4Address": "198.18.10.5/24", "ipv4IPIPTunnelAddr": "100.96.1.1"}


def test_new_node_is_stored_like_clientv3_creates_it():
    new, changed = node_resource.merge_node(None, "node-2", {"ipv4Address": "198.18.20.6/24", "asNumber": None},
                                            {"a": "b", "gone": None})
    assert changed
    assert list(new) == ["kind", "apiVersion", "metadata", "spec", "status"]
    assert new["metadata"]["labels"] == {"a": "b"} and new["metadata"]["uid"]
    assert new["spec"] == {"bgp": {"ipv4Address": "198.18.20.6/24"}} and new["status"] == {}
