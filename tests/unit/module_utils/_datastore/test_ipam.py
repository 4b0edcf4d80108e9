"""IPAM block/handle semantics (libcalico-go v3.31 lib/ipam) and the ipam check."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.netops.calico.plugins.module_utils._datastore import ipam, model

SEQ = 1746093600000000000


def block(cidr="10.0.0.0/30", affinity="host:n1", allocs=(), attributes=None):
    """allocs: list of (ordinal, attribute index); attributes: list of (handle, secondary)."""
    size = 4 if cidr.endswith("/30") else 64
    allocations = [None] * size
    seqs = {}
    for o, idx in allocs:
        allocations[o] = idx
        seqs[str(o)] = SEQ + o
    return {"cidr": cidr, "affinity": affinity, "allocations": allocations,
            "unallocated": [o for o in range(size) if allocations[o] is None],
            "attributes": None if attributes is None else [{"handle_id": h, "secondary": s} for h, s in attributes],
            "sequenceNumber": SEQ + 10, "sequenceNumberForAllocation": {k: seqs[k] for k in sorted(seqs)},
            "deleted": False}


TWO = block(allocs=[(0, 0), (1, 1), (2, 1)],
            attributes=[("ipip-tunnel-addr-n1", {"node": "n1", "type": "ipipTunnelAddress"}),
                        ("k8s-pod-network.a", {"node": "n1", "pod": "p"})])


def test_release_frees_ordinal_renumbers_attributes_and_bumps_sequence():
    new, counts, ips = ipam.release(TWO, [ipam.Release("10.0.0.0")])
    assert ips == ["10.0.0.0"] and counts == {"ipip-tunnel-addr-n1": 1}
    assert new["allocations"] == [None, 0, 0, None]          # attribute 0 deleted, 1 -> 0
    assert new["attributes"] == [TWO["attributes"][1]]
    assert new["unallocated"] == [3, 0]                        # appended, as release() does
    assert new["sequenceNumberForAllocation"] == {"1": SEQ + 1, "2": SEQ + 2}
    assert new["sequenceNumber"] == TWO["sequenceNumber"] + 1
    assert TWO["allocations"] == [0, 1, 1, None]               # input untouched


def test_release_keeps_attribute_still_referenced():
    new, counts, ips = ipam.release(TWO, [ipam.Release("10.0.0.1")])
    assert new["allocations"] == [0, None, 1, None] and len(new["attributes"]) == 2
    assert counts == {"k8s-pod-network.a": 1}


def test_release_all_then_empty_gives_empty_attribute_list():
    new, counts, _x = ipam.release(TWO, [ipam.Release(ip) for ip in ("10.0.0.0", "10.0.0.1", "10.0.0.2")])
    assert new["attributes"] == [] and ipam.is_empty(new)
    assert counts == {"ipip-tunnel-addr-n1": 1, "k8s-pod-network.a": 2}
    text = model.serialise("IPAMBlock", new)
    assert text.startswith('{"cidr":"10.0.0.0/30","affinity":"host:n1","allocations":[null,null,null,null],')
    assert '"attributes":[],"sequenceNumber":' in text


@pytest.mark.parametrize("target", [
    ipam.Release("10.0.0.3"),                                      # not allocated
    ipam.Release("10.0.0.1", handle="k8s-pod-network.other"),      # handed to another pod since
    ipam.Release("10.0.0.1", handle="k8s-pod-network.a", seq=1),   # reallocated (sequence differs)
    ipam.Release("10.9.9.9"),                                      # outside the block
])
def test_release_skips_what_is_not_ours(target):
    assert ipam.release(TWO, [target]) == (None, {}, [])


def test_release_matching_handle_and_sequence():
    new, _x, ips = ipam.release(TWO, [ipam.Release("10.0.0.1", "k8s-pod-network.a", SEQ + 1)])
    assert ips == ["10.0.0.1"] and new is not None


def test_is_empty_ignores_windows_reserved():
    b = block(allocs=[(0, 0), (3, 0)], attributes=[(ipam.WINDOWS_RESERVED_HANDLE, {"note": "windows"})])
    assert ipam.is_empty(b)
    assert not ipam.is_empty(TWO)


def test_clear_affinity():
    b = dict(TWO, affinity_claim_time="2025-05-01T10:00:00Z")
    new = ipam.clear_affinity(b)
    assert new["affinity"] is None and "affinity_claim_time" not in new
    assert new["sequenceNumber"] == TWO["sequenceNumber"] + 1
    assert '"affinity":null' in model.serialise("IPAMBlock", new)


@pytest.mark.parametrize("handle,cidr,n,expected", [
    ({"block": {"10.0.0.0/30": 2}, "deleted": False}, "10.0.0.0/30", 1, {"block": {"10.0.0.0/30": 1}, "deleted": False}),
    ({"block": {"10.0.0.0/30": 1}, "deleted": False}, "10.0.0.0/30", 1, None),
    ({"block": {"10.0.0.0/30": 1, "fd00::/122": 1}, "deleted": False}, "10.0.0.0/30", 1,
     {"block": {"fd00::/122": 1}, "deleted": False}),
    ({"block": {"10.0.0.0/30": 1}, "deleted": False}, "10.0.0.0/30", 5, None),     # clamped
])
def test_decrement_handle(handle, cidr, n, expected):
    assert ipam.decrement_handle(handle, cidr, n) == expected


def test_tunnel_handles_and_ips():
    assert ipam.tunnel_handles("n1") == ["ipip-tunnel-addr-n1", "vxlan-tunnel-addr-n1", "vxlan-v6-tunnel-addr-n1",
                                         "wireguard-tunnel-addr-n1", "wireguard-v6-tunnel-addr-n1"]
    node = {"spec": {"bgp": {"ipv4Address": "10.0.0.1/24", "ipv4IPIPTunnelAddr": "192.168.0.1"},
                     "ipv4VXLANTunnelAddr": "192.168.0.2", "ipv6VXLANTunnelAddr": "fd00::2",
                     "wireguard": {"interfaceIPv4Address": "192.168.0.3", "interfaceIPv6Address": "fd00::3/128"}}}
    assert ipam.node_tunnel_ips(node) == ["192.168.0.1", "192.168.0.2", "192.168.0.3", "fd00::2", "fd00::3"]


@pytest.mark.parametrize("mutate,error", [
    (lambda b: b["allocations"].__setitem__(3, 7), "nonexistent attribute"),
    (lambda b: b["attributes"].append({"handle_id": "x", "secondary": {}}), "not indexed"),
    (lambda b: b["unallocated"].append(0), "allocated but appears in Unallocated"),
    (lambda b: b["unallocated"].append(3), "more than once"),
    (lambda b: b["unallocated"].pop(), "expected 4 addresses"),
])
def test_validate_block(mutate, error):
    assert ipam.validate_block(TWO) is None
    b = copy.deepcopy(TWO)
    mutate(b)
    assert error in ipam.validate_block(b)


HANDLES = {"ipip-tunnel-addr-n1": {"block": {"10.0.0.0/30": 1}, "deleted": False},
           "k8s-pod-network.a": {"block": {"10.0.0.0/30": 2}, "deleted": False}}
NODE = {"metadata": {"name": "n1"}, "spec": {"bgp": {"ipv4IPIPTunnelAddr": "10.0.0.0"}}}
WEP = {"metadata": {"name": "n1-k8s-p-eth0", "namespace": "default"},
       "spec": {"node": "n1", "ipNetworks": ["10.0.0.1/32", "10.0.0.2/32"]}}
POOL = {"spec": {"cidr": "10.0.0.0/16"}}


def test_ipam_check_clean():
    out = ipam.ipam_check([TWO], HANDLES, [NODE], workload_endpoints=[WEP], pools=[POOL],
                          affinities=[{"name": "n1/10.0.0.0/30", "value": {"state": "confirmed", "deleted": False}}])
    assert out["ok"] and out["problems"] == 0 and out["allocations"] == 3


def test_ipam_check_finds_each_kind_of_leak():
    handles = dict(HANDLES)
    del handles["ipip-tunnel-addr-n1"]                                   # allocation whose handle is gone
    handles["k8s-pod-network.gone"] = {"block": {"10.0.0.0/30": 1}, "deleted": False}   # handle, no address
    handles["k8s-pod-network.a"] = {"block": {"10.0.0.0/30": 1}, "deleted": False}      # count mismatch
    orphan = block("10.0.1.0/30", "host:dead", [(0, 0)], [("k8s-pod-network.z", {"node": "dead"})])
    handles["k8s-pod-network.z"] = {"block": {"10.0.1.0/30": 1}, "deleted": False}
    wep = copy.deepcopy(WEP)
    wep["spec"]["ipNetworks"] = ["10.0.0.1/32", "10.0.5.5/32", "172.16.0.1/32"]
    out = ipam.ipam_check([TWO, orphan], handles, ["n1"], workload_endpoints=[wep], pools=[POOL],
                          affinities=[{"name": "dead/10.0.1.0/30", "value": {"state": "confirmed"}},
                                      {"name": "n1/10.0.2.0/30", "value": ""}])
    assert [m["handle"] for m in out["missing_handles"]] == ["ipip-tunnel-addr-n1"]
    assert out["leaked_handles"] == ["k8s-pod-network.gone"]
    assert out["handle_count_mismatches"] == [{"handle": "k8s-pod-network.a", "block": "10.0.0.0/30",
                                               "handle_count": 1, "allocations": 2}]
    assert out["orphan_blocks"] == [{"block": "10.0.1.0/30", "affinity": "host:dead", "node": "dead"}]
    assert [a["ip"] for a in out["orphan_allocations"]] == ["10.0.1.0"]
    # node names given as strings: no tunnel addresses known, so 10.0.0.0 is not in use either
    assert sorted(a["ip"] for a in out["allocated_not_in_use"]) == ["10.0.0.0", "10.0.0.2", "10.0.1.0"]
    assert [a["ip"] for a in out["in_use_not_allocated"]] == ["10.0.5.5"]
    assert [a["ip"] for a in out["in_use_not_in_pool"]] == ["172.16.0.1"]
    assert [(a["node"], a["reason"]) for a in out["orphan_affinities"]] == [
        ("dead", "node does not exist"), ("n1", "block does not exist")]
    assert not out["ok"] and out["problems"] == 12


def test_ipam_check_counts_ipv6_tunnel_addresses_as_in_use():
    b = block("fd00::/122", "host:n1", [(0, 0)], [("vxlan-v6-tunnel-addr-n1", {"node": "n1", "type": "vxlanV6TunnelAddress"})])
    node = {"metadata": {"name": "n1"}, "spec": {"ipv6VXLANTunnelAddr": "fd00::"}}
    out = ipam.ipam_check([{"value": b}], [{"name": "vxlan-v6-tunnel-addr-n1", "value": {"block": {"fd00::/122": 1}}}],
                          [node], workload_endpoints=[])
    assert out["ok"], out


def test_ipam_check_without_workloads_skips_in_use_checks():
    out = ipam.ipam_check([TWO], HANDLES, ["n1"])
    assert "allocated_not_in_use" not in out and out["ok"]


def test_released_block_serialises_as_go_does():
    """The reference block (etcd-examples.json "block") after releasing its pod address: fields in
    struct order, the freed attribute gone, the ordinal appended to unallocated."""
    import json
    from pathlib import Path
    ref = Path(__file__).resolve().parents[5] / "shared" / "reference" / "etcd-examples.json"
    if not ref.exists():
        pytest.skip("shared/reference is not beside the repository")
    example = json.loads(ref.read_text())["block"]["value"]
    compact = json.dumps(example, separators=(",", ":"))
    assert model.serialise("IPAMBlock", example) == compact
    new, counts, ips = ipam.release(example, [ipam.Release("192.168.84.129")])
    assert ips == ["192.168.84.129"] and list(counts.values()) == [1]
    text = model.serialise("IPAMBlock", new)
    assert text.startswith('{"cidr":"192.168.84.128/26","affinity":"host:node-1","allocations":[0,null,')
    assert '"unallocated":[2,3,' in text and '61,62,63,1],"attributes":[{"handle_id":"ipip-tunnel-addr-node-1"' in text
    assert '"sequenceNumber":1746093600000000003,"sequenceNumberForAllocation":{"0":1746093600000000000},' in text
