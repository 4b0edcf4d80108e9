"""calico_felix_config, calico_bgp_config and calico_bgp_peer against a real etcd: the rhythm
check -> apply -> check -> apply -> modify -> delete -> delete, with the raw key and JSON
checked after each write."""

from __future__ import annotations

import pytest

P = "/calico/resources/v3/projectcalico.org/"

CASES = {
    "calico_felix_config": dict(
        key=P + "felixconfigurations/default", kind="FelixConfiguration", name="default",
        apply={"log_severity_screen": "Warning", "iptables_refresh_interval": "90s", "ipip_enabled": True},
        # durations are stored as Go formats them; clientv3's create defaults are written too
        stored={"ipipEnabled": True, "iptablesRefreshInterval": "1m30s", "logSeverityScreen": "Warning",
                "bpfLogLevel": "", "floatingIPs": "Disabled", "bpfConnectTimeLoadBalancing": "TCP",
                "bpfHostNetworkedNATWithoutCTLB": "Enabled"},
        modify={"log_severity_screen": "Debug"}, field="logSeverityScreen", new="Debug"),
    "calico_bgp_config": dict(
        key=P + "bgpconfigurations/default", kind="BGPConfiguration", name="default",
        apply={"as_number": 64512, "node_to_node_mesh_enabled": True},
        stored={"nodeToNodeMeshEnabled": True, "asNumber": 64512},
        modify={"node_to_node_mesh_enabled": False}, field="nodeToNodeMeshEnabled", new=False),
    "calico_bgp_peer": dict(
        key=P + "bgppeers/tor", kind="BGPPeer", name="tor",
        apply={"peer_ip": "198.18.0.254", "as_number": 64513},
        stored={"peerIP": "198.18.0.254", "asNumber": 64513},
        modify={"as_number": 64514}, field="asNumber", new=64514),
}


@pytest.mark.parametrize("module", sorted(CASES))
def test_rhythm(module, etcd, raw, run_module):
    c = CASES[module]
    base = {"etcd_endpoints": etcd.endpoint, "name": c["name"]}
    args = {**base, **c["apply"]}

    r = run_module(module, args, check=True)
    assert r["changed"] and r["diff"][0]["before"] == {} and raw.keys() == []

    r = run_module(module, args)
    assert r["changed"]
    stored = raw(c["key"])
    assert stored["kind"] == c["kind"] and stored["apiVersion"] == "projectcalico.org/v3"
    assert stored["metadata"]["name"] == c["name"] and stored["metadata"]["uid"]
    for k, v in c["stored"].items():
        assert stored["spec"][k] == v, (k, stored["spec"])
    assert set(stored["spec"]) == set(c["stored"]), stored["spec"]
    before = raw.bytes(c["key"])

    assert run_module(module, args, check=True)["changed"] is False
    assert run_module(module, args)["changed"] is False
    assert raw.bytes(c["key"]) == before

    mod = {**args, **c["modify"]}
    r = run_module(module, mod, check=True)
    assert r["changed"] and raw.bytes(c["key"]) == before
    assert r["diff"][0]["before"]["spec"].get(c["field"]) != c["new"]
    assert r["diff"][0]["after"]["spec"][c["field"]] == c["new"]
    r = run_module(module, mod)
    assert r["changed"] and raw(c["key"])["spec"][c["field"]] == c["new"]
    assert raw(c["key"])["metadata"]["uid"] == stored["metadata"]["uid"]

    gone = {**base, "state": "absent"}
    assert run_module(module, gone, check=True)["changed"] and raw(c["key"]) is not None
    r = run_module(module, gone)
    assert r["changed"] and raw(c["key"]) is None
    assert run_module(module, gone)["changed"] is False


def test_felix_unknown_field_refused(etcd, raw, run_module):
    r = run_module("calico_felix_config", {"etcd_endpoints": etcd.endpoint, "ipipEnabledd": True})
    assert r.failed and "Unsupported parameters" in r["msg"] and "ipipEnabledd" in r["msg"]
    assert raw.keys() == []


def test_felix_bad_enum_refused(etcd, raw, run_module):
    r = run_module("calico_felix_config", {"etcd_endpoints": etcd.endpoint, "bpf_log_level": "Loud"})
    assert r.failed and "bpf_log_level" in r["msg"]
    assert raw.keys() == []


def test_bgp_peer_bad_ip_refused(etcd, raw, run_module):
    r = run_module("calico_bgp_peer", {"etcd_endpoints": etcd.endpoint, "name": "x", "peer_ip": "300.1.1.1"})
    assert r.failed and "peerIP" in r["msg"]
    assert raw.keys() == []


def test_calico_info_reports(etcd, raw, run_module):
    from ansible_collections.netops.calico.plugins.module_utils._datastore import model
    ep = {"etcd_endpoints": etcd.endpoint}
    run_module("calico_ippool", {**ep, "name": "pool-a", "cidr": "198.19.0.0/16"})
    run_module("calico_bgp_config", {**ep, "as_number": 64512})
    run_module("calico_felix_config", {**ep, "log_severity_screen": "Info"})
    for i, name in enumerate(("n1", "n2")):
        raw.put(model.resource_key("Node", name), model.serialise("Node", model.new_resource(
            "Node", name, {"bgp": {"ipv4Address": f"198.18.0.{i + 1}/24", "ipv4IPIPTunnelAddr": f"198.19.{i}.1"}})))
        blk = {"cidr": f"198.19.{i}.0/26", "affinity": f"host:{name}", "allocations": [0, 0] + [None] * 62,
               "unallocated": list(range(2, 64)), "attributes": [{"handle_id": f"h{i}", "secondary": None}],
               "sequenceNumber": 0, "sequenceNumberForAllocation": {}, "deleted": False}
        raw.put(model.block_key(blk["cidr"]), model.serialise("IPAMBlock", blk))
    r = run_module("calico_info", ep)
    assert not r.failed, r
    assert r["changed"] is False
    assert sorted(n["name"] for n in r["nodes"]) == ["n1", "n2"]
    assert {n["name"]: n["ipv4_address"] for n in r["nodes"]} == {"n1": "198.18.0.1/24", "n2": "198.18.0.2/24"}
    assert r["ippools"][0]["cidr"] == "198.19.0.0/16"
    assert r["ipam"]["per_node"]["n1"] == {"blocks": 1, "allocated": 2, "capacity": 64}
    assert r["ipam"]["per_pool"]["pool-a"] == {"blocks": 2, "allocated": 4, "capacity": 128}
    assert r["bgp"]["configurations"]["default"]["asNumber"] == 64512
    assert r["felix"]["default"]["logSeverityScreen"] == "Info"


def test_calico_info_ipam_check_finds_leaks(etcd, raw, run_module):
    """A block affine to a node that no longer exists, and an allocation whose handle is gone."""
    from ansible_collections.netops.calico.plugins.module_utils._datastore import model
    blk = {"cidr": "198.19.5.0/26", "affinity": "host:ghost", "allocations": [0] + [None] * 63,
           "unallocated": list(range(1, 64)), "attributes": [{"handle_id": "k8s-pod-network.gone", "secondary": None}],
           "sequenceNumber": 0, "sequenceNumberForAllocation": {}, "deleted": False}
    raw.put(model.block_key(blk["cidr"]), model.serialise("IPAMBlock", blk))
    r = run_module("calico_info", {"etcd_endpoints": etcd.endpoint, "gather_subset": ["ipam_check"]})
    assert not r.failed, r
    text = str(r["ipam_check"])
    assert "ghost" in text and "k8s-pod-network.gone" in text
