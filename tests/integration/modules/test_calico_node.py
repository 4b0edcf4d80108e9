"""calico_node's datastore part (scope=datastore) against a real etcd: the Node merged into what
calico-node wrote (tunnel addresses, WireGuard key kept), the raw JSON checked, per-node
FelixConfiguration, check mode and idempotence. The host part is covered by the unit tests on
fake trees and by molecule/calico_node on podman hosts (it must not touch this machine)."""

from __future__ import annotations

import json

NODE = "/calico/resources/v3/projectcalico.org/nodes/node-7"
FELIX = "/calico/resources/v3/projectcalico.org/felixconfigurations/node.node-7"
# as calico-node writes it (etcd-layout.md, Node VXLAN + WireGuard), key order of the Go struct
CALICO_WRITTEN = {
    "kind": "Node", "apiVersion": "projectcalico.org/v3",
    "metadata": {"name": "node-7", "uid": "1d0e7a54-93b3-4f7e-8d0c-5f3b0a2c6d42",
                 "creationTimestamp": "2025-05-01T10:00:00Z", "labels": {"kubernetes.io/os": "linux"}},
    "spec": {"bgp": {"ipv4Address": "198.18.7.7/24", "ipv4IPIPTunnelAddr": "198.19.7.1"},
             "ipv4VXLANTunnelAddr": "198.19.7.2", "vxlanTunnelMACAddr": "66:3a:0f:7c:11:9d",
             "orchRefs": [{"nodeName": "node-7", "orchestrator": "k8s"}],
             "wireguard": {"interfaceIPv4Address": "198.19.7.3"},
             "interfaces": [{"name": "eth0", "addresses": ["198.18.7.7"]}]},
    "status": {"wireguardPublicKey": "BwoNEBMWGRwfIiUoKy4xNDc6PUBDRklMT1JVWFteYWQ="},
}


def args(etcd, **kw):
    a = {"etcd_endpoints": etcd.endpoint, "scope": "datastore", "name": "node-7", "ipv4_address": "198.18.7.8/24"}
    a.update(kw)
    return a


def test_node_rhythm_new_node(etcd, raw, run_module):
    a = args(etcd, as_number=64600, labels={"rack": "r7"})
    r = run_module("calico_node", a, check=True)
    assert r["changed"] and raw.keys() == []
    assert r["diff"][0]["after"]["spec"]["bgp"] == {"asNumber": 64600, "ipv4Address": "198.18.7.8/24"}

    r = run_module("calico_node", a)
    assert r["changed"] and not r.get("failed")
    stored = raw(NODE)
    assert list(stored) == ["kind", "apiVersion", "metadata", "spec", "status"]
    assert stored["spec"] == {"bgp": {"asNumber": 64600, "ipv4Address": "198.18.7.8/24"}}
    assert stored["status"] == {} and stored["metadata"]["labels"] == {"rack": "r7"}
    assert "resourceVersion" not in stored["metadata"]
    rev = raw.item(NODE).revision
    assert r["node"]["metadata"]["resourceVersion"] == rev
    assert r["kernel"] is None and r["service"] is None      # host part not run

    for check in (True, False):
        r = run_module("calico_node", a, check=check)
        assert r["changed"] is False and r["diff"] == []
    assert raw.item(NODE).revision == rev


def test_node_merge_keeps_calico_node_fields(etcd, raw, run_module):
    raw.put(NODE, json.dumps(CALICO_WRITTEN, separators=(",", ":")))
    a = args(etcd, route_reflector_cluster_id="244.0.0.1", labels={"route-reflector": "true"})
    r = run_module("calico_node", a)
    assert r["changed"]
    stored = raw(NODE)
    assert stored["spec"]["bgp"] == {"ipv4Address": "198.18.7.8/24", "ipv4IPIPTunnelAddr": "198.19.7.1",
                                     "routeReflectorClusterID": "244.0.0.1"}
    for k in ("ipv4VXLANTunnelAddr", "vxlanTunnelMACAddr", "orchRefs", "wireguard", "interfaces"):
        assert stored["spec"][k] == CALICO_WRITTEN["spec"][k]
    assert stored["status"] == CALICO_WRITTEN["status"]
    assert stored["metadata"]["uid"] == CALICO_WRITTEN["metadata"]["uid"]
    assert stored["metadata"]["labels"] == {"kubernetes.io/os": "linux", "route-reflector": "true"}
    d = r["diff"][0]
    assert d["before"]["spec"]["bgp"]["ipv4Address"] == "198.18.7.7/24"
    assert d["after"]["spec"]["bgp"]["routeReflectorClusterID"] == "244.0.0.1"

    # remove: empty cluster ID, null label
    r = run_module("calico_node", args(etcd, route_reflector_cluster_id="", labels={"route-reflector": None}))
    assert r["changed"]
    stored = raw(NODE)
    assert "routeReflectorClusterID" not in stored["spec"]["bgp"]
    assert stored["metadata"]["labels"] == {"kubernetes.io/os": "linux"}


def test_ipv4_none_leaves_the_address(etcd, raw, run_module):
    raw.put(NODE, json.dumps(CALICO_WRITTEN, separators=(",", ":")))
    r = run_module("calico_node", args(etcd, ipv4_address="none", as_number=64601))
    assert r["changed"] and raw(NODE)["spec"]["bgp"]["ipv4Address"] == "198.18.7.7/24"


def test_felix_overrides(etcd, raw, run_module):
    a = args(etcd, felix_overrides={"log_severity_screen": "Debug", "routeRefreshInterval": "90s"})
    r = run_module("calico_node", a)
    assert r["changed"]
    fc = raw(FELIX)
    assert fc["spec"]["logSeverityScreen"] == "Debug" and fc["spec"]["routeRefreshInterval"] == "1m30s"
    assert "bpfLogLevel" in fc["spec"]                  # Go writes it without omitempty
    assert r["felix_configuration"]["metadata"]["name"] == "node.node-7"
    assert [d["after_header"] for d in r["diff"]] == ["Node node-7", "FelixConfiguration node.node-7"]
    r = run_module("calico_node", a)
    assert r["changed"] is False


def test_bad_options_write_nothing(etcd, raw, run_module):
    r = run_module("calico_node", args(etcd, ipv4_address="not-an-ip", felix_overrides={"bogus": 1}))
    assert r.failed and "ipv4_address" in r["msg"] and "bogus" in r["msg"]
    assert raw.keys() == []
    r = run_module("calico_node", {"etcd_endpoints": etcd.endpoint, "scope": "datastore"})
    assert r.failed and "name: required with scope=datastore" in r["msg"]


def test_unreachable_etcd_is_a_clear_failure(run_module):
    r = run_module("calico_node", {"etcd_endpoints": "http://127.0.0.1:9", "scope": "datastore", "name": "n",
                                   "ipv4_address": "198.18.0.1/24", "datastore_timeout": 0.5})
    assert r.failed and "etcd" in r["msg"]
