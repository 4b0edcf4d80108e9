"""Calico's per-kind rules (clientv3 ippool.go, bgpconfig.go, bgppeer.go, felixconfig.go and
validator.go) through the modules, on a real etcd: what Calico refuses is refused naming the field
with the store's revision unchanged; what Calico accepts is stored as the bytes written here by
hand from the Go structs (field order, omitempty) and clientv3's defaulting."""

from __future__ import annotations

import base64
import json

import pytest

from ansible_collections.netops.calico.plugins.module_utils._datastore.connection import connect
from ansible_collections.netops.calico.plugins.module_utils._datastore.kdd import api as kdd_api

from fake_kube_api import GV, kube, kube_server  # noqa: F401  # pylint: disable=unused-import

POOLS = "/calico/resources/v3/projectcalico.org/ippools/"
IPAM = "/calico/ipam/v2/"


def conn(etcd):
    return {"etcd_endpoints": etcd.endpoint}


def revision(raw) -> int:
    return raw.kv_client.revision()


def refused(r, field: str, *words: str) -> None:
    assert r.failed, r
    assert "nothing was written" in r["msg"], r["msg"]
    assert any(e.startswith(f"{field}") for e in r["errors"]), r["errors"]
    for w in words:
        assert w in r["msg"], r["msg"]


def meta_of(raw, key) -> tuple[str, str]:
    m = raw(key)["metadata"]
    return m["uid"], m["creationTimestamp"]


# -- IPPool ----------------------------------------------------------------------------------

def test_overlapping_pool_refused_both_ways(etcd, raw, run_module):
    r = run_module("calico_ippool", {**conn(etcd), "name": "pool-a", "cidr": "198.19.0.0/16"})
    assert r["changed"] and not r.failed
    rev = revision(raw)
    for name, cidr in (("inside", "198.19.4.0/24"), ("around", "198.18.0.0/15"), ("same", "198.19.0.0/16")):
        for check in (True, False):
            r = run_module("calico_ippool", {**conn(etcd), "name": name, "cidr": cidr}, check=check)
            refused(r, "cidr", f"IPPool({name}) CIDR overlaps with IPPool(pool-a) CIDR 198.19.0.0/16")
    assert revision(raw) == rev
    assert raw.keys(POOLS) == [POOLS + "pool-a"]
    # next to it is fine, and an update of the pool itself is no overlap with itself
    assert not run_module("calico_ippool", {**conn(etcd), "name": "pool-b", "cidr": "198.18.0.0/16"}).failed
    r = run_module("calico_ippool", {**conn(etcd), "name": "pool-a", "cidr": "198.19.0.0/16", "nat_outgoing": True})
    assert r["changed"] and not r.failed


def test_link_local_overlap_refused(etcd, raw, run_module):
    rev = revision(raw)
    for cidr in ("169.0.0.0/8", "169.254.8.0/24", "fe00::/8", "fe80::/64"):
        for check in (True, False):
            r = run_module("calico_ippool", {**conn(etcd), "name": "ll", "cidr": cidr}, check=check)
            refused(r, "cidr", "link-local")
    assert revision(raw) == rev and raw.keys() == []


def test_ipv6_cidr_stored_canonical_and_rerun_ok(etcd, raw, run_module):
    args = {**conn(etcd), "name": "pool-6", "cidr": "FD00:AB:0:0::/64"}
    r = run_module("calico_ippool", args)
    assert r["changed"] and not r.failed
    uid, ts = meta_of(raw, POOLS + "pool-6")
    # ippool.go:370 stores cidr.String(); 388-395 blockSize 122 for IPv6; IPPoolSpec field order
    golden = ('{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"pool-6","uid":"%s",'
              '"creationTimestamp":"%s"},"spec":{"cidr":"fd00:ab::/64","vxlanMode":"Never","ipipMode":"Never",'
              '"blockSize":122,"nodeSelector":"all()","allowedUses":["Workload","Tunnel"],'
              '"assignmentMode":"Automatic"}}') % (uid, ts)
    assert raw.bytes(POOLS + "pool-6").decode() == golden
    rev = revision(raw)
    for check in (True, False):
        r = run_module("calico_ippool", args, check=check)
        assert not r.failed and r["changed"] is False, r
    r = run_module("calico_ippool", {**args, "cidr": "fd00:ab::/64"})
    assert not r.failed and r["changed"] is False
    assert revision(raw) == rev


def test_cidr_change_still_refused(etcd, raw, run_module):
    run_module("calico_ippool", {**conn(etcd), "name": "pool-6", "cidr": "fd00:ab::/64"})
    rev = revision(raw)
    r = run_module("calico_ippool", {**conn(etcd), "name": "pool-6", "cidr": "fd00:ac::/64"})
    refused(r, "cidr", "cannot change")
    assert revision(raw) == rev


def _block(cidr: str, affinity: str | None, used: bool) -> dict:
    """A /26 block as model/block.go AllocationBlock marshals it (field order of the struct)."""
    allocations = [0] + [None] * 63 if used else [None] * 64
    return {"cidr": cidr, "affinity": affinity, "allocations": allocations,
            "unallocated": list(range(1, 64)) if used else list(range(64)),
            "attributes": [{"handle_id": "k8s-pod-network.abc", "secondary": {"node": "node-a"}}] if used else [],
            "sequenceNumber": 7, "sequenceNumberForAllocation": {"0": 6} if used else {}, "deleted": False}


def _history(raw, key: str, start: int, end: int) -> list[dict | None]:
    """The values ``key`` had at each store revision in (start, end]."""
    from ansible_collections.netops.calico.plugins.module_utils._datastore.etcd import _b64
    out = []
    for rev in range(start + 1, end + 1):
        resp = raw.kv_client.call("/kv/range", {"key": _b64(key), "revision": rev})
        kvs = resp.get("kvs") or []
        out.append(json.loads(base64.b64decode(kvs[0]["value"])) if kvs else None)
    return out


def test_pool_delete_disables_releases_affinities_then_deletes(etcd, raw, run_module):
    run_module("calico_ippool", {**conn(etcd), "name": "pool-a", "cidr": "198.19.0.0/16"})
    run_module("calico_ippool", {**conn(etcd), "name": "pool-b", "cidr": "198.18.0.0/16"})
    used_key = IPAM + "assignment/ipv4/block/198.19.0.0-26"
    empty_key = IPAM + "assignment/ipv4/block/198.19.0.64-26"
    other_key = IPAM + "assignment/ipv4/block/198.18.0.0-26"
    aff_a = IPAM + "host/node-a/ipv4/block/198.19.0.0-26"
    aff_b = IPAM + "host/node-b/ipv4/block/198.19.0.64-26"
    aff_other = IPAM + "host/node-a/ipv4/block/198.18.0.0-26"
    raw.put(used_key, _block("198.19.0.0/26", "host:node-a", True))
    raw.put(empty_key, _block("198.19.0.64/26", "host:node-b", False))
    raw.put(other_key, _block("198.18.0.0/26", "host:node-a", False))
    for key in (aff_a, aff_b, aff_other):
        raw.put(key, {"state": "confirmed", "deleted": False})
    absent = {**conn(etcd), "name": "pool-a", "state": "absent"}

    rev = revision(raw)
    r = run_module("calico_ippool", absent, check=True)
    assert r["changed"] is True and not r.failed
    assert r["diff"][0]["before"]["spec"]["cidr"] == "198.19.0.0/16" and r["diff"][0]["after"] == {}
    assert revision(raw) == rev, "check mode wrote something"

    r = run_module("calico_ippool", absent)
    assert r["changed"] is True and r["diff"][0]["after"] == {}
    end = revision(raw)
    assert raw(POOLS + "pool-a") is None
    # the pool was disabled before anything else happened to it (ippool.go:170-188)
    states = _history(raw, POOLS + "pool-a", rev, end)
    assert states[0] is not None and states[0]["spec"]["disabled"] is True and states[-1] is None
    # releaseBlockAffinity: the empty block and both affinities go; the used block keeps its
    # addresses with affinity null and sequenceNumber incremented (updateBlock)
    assert raw(aff_a) is None and raw(aff_b) is None and raw(empty_key) is None
    assert raw.bytes(used_key).decode() == (
        '{"cidr":"198.19.0.0/26","affinity":null,"allocations":[0' + ",null" * 63 + '],"unallocated":['
        + ",".join(str(i) for i in range(1, 64)) + '],"attributes":[{"handle_id":"k8s-pod-network.abc",'
        '"secondary":{"node":"node-a"}}],"sequenceNumber":8,"sequenceNumberForAllocation":{"0":6},"deleted":false}')
    # another pool's block and affinity are untouched
    assert raw(other_key)["affinity"] == "host:node-a" and raw(aff_other) is not None
    r = run_module("calico_ippool", absent)
    assert r["changed"] is False


# -- BGPConfiguration -----------------------------------------------------------------------

def test_node_bgp_configuration_refuses_default_only_fields(etcd, raw, run_module):
    rev = revision(raw)
    for opt, camel, value in (("node_to_node_mesh_enabled", "nodeToNodeMeshEnabled", False),
                              ("as_number", "asNumber", 64512),
                              ("node_mesh_max_restart_time", "nodeMeshMaxRestartTime", "2m")):
        r = run_module("calico_bgp_config", {**conn(etcd), "name": "node.node-a", opt: value})
        refused(r, camel, "named default")
    assert revision(raw) == rev and raw.keys() == []
    r = run_module("calico_bgp_config", {**conn(etcd), "name": "node.node-a", "log_severity_screen": "Debug"})
    assert r["changed"] and not r.failed
    r = run_module("calico_bgp_config", {**conn(etcd), "name": "default", "as_number": 64512})
    assert r["changed"] and not r.failed


def test_mesh_password_needs_the_mesh(etcd, raw, run_module):
    rev = revision(raw)
    r = run_module("calico_bgp_config", {**conn(etcd), "node_to_node_mesh_enabled": False,
                                         "node_mesh_max_restart_time": "90s"})
    refused(r, "nodeMeshMaxRestartTime", "nodeToNodeMeshEnabled is false")
    assert revision(raw) == rev


# -- BGPPeer ---------------------------------------------------------------------------------

PEERS = "/calico/resources/v3/projectcalico.org/bgppeers/"


def test_peer_filters_must_exist(etcd, raw, run_module):
    args = {**conn(etcd), "name": "peer-a", "peer_ip": "198.18.0.10", "as_number": 64513,
            "filters": ["only-pods"]}
    rev = revision(raw)
    for check in (True, False):
        refused(run_module("calico_bgp_peer", args, check=check), "filters", "BGPFilter(s) not found: only-pods")
    assert revision(raw) == rev and raw.keys() == []
    raw.put("/calico/resources/v3/projectcalico.org/bgpfilters/only-pods",
            {"kind": "BGPFilter", "apiVersion": "projectcalico.org/v3", "metadata": {"name": "only-pods"},
             "spec": {}})
    r = run_module("calico_bgp_peer", args)
    assert r["changed"] and not r.failed
    assert raw(PEERS + "peer-a")["spec"]["filters"] == ["only-pods"]


def test_peer_ipv6_with_port_accepted(etcd, raw, run_module):
    args = {**conn(etcd), "name": "peer-6", "peer_ip": "[fd00::1]:179", "as_number": 64513}
    r = run_module("calico_bgp_peer", args)
    assert r["changed"] and not r.failed, r
    uid, ts = meta_of(raw, PEERS + "peer-6")
    # BGPPeerSpec field order: peerIP before asNumber
    assert raw.bytes(PEERS + "peer-6").decode() == (
        '{"kind":"BGPPeer","apiVersion":"projectcalico.org/v3","metadata":{"name":"peer-6","uid":"%s",'
        '"creationTimestamp":"%s"},"spec":{"peerIP":"[fd00::1]:179","asNumber":64513}}' % (uid, ts))
    assert run_module("calico_bgp_peer", args)["changed"] is False


def test_peer_rules_of_the_validator(etcd, raw, run_module):
    rev = revision(raw)
    cases = (
        ({"peer_ip": "[fd00::1]"}, "peerIP"),
        ({"peer_ip": "198.18.0.10:0"}, "peerIP"),
        ({"peer_ip": "[fd00::1]:65536"}, "peerIP"),
        ({"peer_selector": "all()", "as_number": 64513}, "asNumber"),
        ({"node": "node-a", "node_selector": "all()", "peer_ip": "198.18.0.10"}, "node"),
        ({"peer_ip": "198.18.0.10", "reachable_by": "fd00::1"}, "reachableBy"),
    )
    for extra, field in cases:
        refused(run_module("calico_bgp_peer", {**conn(etcd), "name": "p", **extra}), field)
    assert revision(raw) == rev and raw.keys() == []


# -- FelixConfiguration ------------------------------------------------------------------------

FELIX = "/calico/resources/v3/projectcalico.org/felixconfigurations/default"


def test_failsafe_protocol_must_be_upper_case(etcd, raw, run_module):
    rev = revision(raw)
    r = run_module("calico_felix_config", {**conn(etcd), "failsafe_inbound_host_ports": [{"protocol": "tcp", "port": 22}]})
    refused(r, "failsafeInboundHostPorts[0].protocol", "'tcp'", "TCP, UDP, SCTP")
    r = run_module("calico_felix_config", {**conn(etcd), "failsafe_outbound_host_ports": [{"port": 53}]})
    refused(r, "failsafeOutboundHostPorts[0].protocol")
    assert revision(raw) == rev and raw.keys() == []
    r = run_module("calico_felix_config", {**conn(etcd), "failsafe_inbound_host_ports": [{"protocol": "SCTP", "port": 22}]})
    assert r["changed"] and not r.failed


def test_ctlb_enabled_rewrites_the_pair_on_update(etcd, raw, run_module):
    r = run_module("calico_felix_config", {**conn(etcd), "log_severity_screen": "Info"})
    assert r["changed"] and not r.failed
    uid, ts = meta_of(raw, FELIX)
    head = ('{"kind":"FelixConfiguration","apiVersion":"projectcalico.org/v3","metadata":{"name":"default",'
            '"uid":"%s","creationTimestamp":"%s"},"spec":{"logSeverityScreen":"Info","bpfLogLevel":"",' % (uid, ts))
    # felixconfig.go setDefaults on Create
    assert raw.bytes(FELIX).decode() == head + (
        '"bpfConnectTimeLoadBalancing":"TCP","bpfHostNetworkedNATWithoutCTLB":"Enabled","floatingIPs":"Disabled"}}')

    args = {**conn(etcd), "bpf_connect_time_load_balancing_enabled": False}
    r = run_module("calico_felix_config", args, check=True)
    assert r["changed"] is True
    assert r["diff"][0]["after"]["spec"]["bpfConnectTimeLoadBalancing"] == "Disabled"
    r = run_module("calico_felix_config", args)
    assert r["changed"] is True
    # setDefaults on Update: the deprecated boolean, when set, rewrites both newer fields
    assert raw.bytes(FELIX).decode() == head + (
        '"bpfConnectTimeLoadBalancingEnabled":false,"bpfConnectTimeLoadBalancing":"Disabled",'
        '"bpfHostNetworkedNATWithoutCTLB":"Disabled","floatingIPs":"Disabled"}}')
    rev = revision(raw)
    assert run_module("calico_felix_config", args)["changed"] is False
    r = run_module("calico_felix_config", {**conn(etcd), "bpf_connect_time_load_balancing_enabled": True})
    assert r["changed"] is True
    assert raw(FELIX)["spec"]["bpfConnectTimeLoadBalancing"] == "Enabled"
    rev = revision(raw)
    # a newer field the deprecated one would overwrite on the write is refused, not silently lost
    r = run_module("calico_felix_config", {**conn(etcd), "bpf_connect_time_load_balancing": "TCP"})
    refused(r, "bpfConnectTimeLoadBalancing", "bpf_connect_time_load_balancing_enabled")
    assert revision(raw) == rev


# -- calico_network writes pools and Felix through the same rules --------------------------------

def test_calico_network_refuses_an_overlapping_pool_before_writing(etcd, raw, run_module):
    run_module("calico_ippool", {**conn(etcd), "name": "legacy", "cidr": "198.19.128.0/17"})
    rev = revision(raw)
    for check in (True, False):
        r = run_module("calico_network", {**conn(etcd), "ipv4_pool_cidr": "198.19.0.0/16", "host_mtu": 9001},
                       check=check)
        assert r.failed, r
        assert any("IPPool default-ipv4-ippool: cidr: IPPool(default-ipv4-ippool) CIDR overlaps with "
                   "IPPool(legacy)" in e for e in r["errors"]), r["errors"]
    assert revision(raw) == rev, "calico_network wrote something before refusing"


def test_calico_network_refuses_two_overlapping_pools(etcd, raw, run_module):
    r = run_module("calico_network", {**conn(etcd), "host_mtu": 9001, "pools": [
        {"name": "a", "cidr": "198.19.0.0/16"}, {"name": "b", "cidr": "198.19.64.0/18"}]})
    assert r.failed and any("IPPool(b) CIDR overlaps with IPPool(a)" in e for e in r["errors"]), r
    assert raw.keys() == []


# -- the same Delete on the Kubernetes datastore (local stand-in for the API; no kube-apiserver here)

@pytest.mark.skipif(not kdd_api.HAS_KUBERNETES, reason="the kubernetes Python client is not installed")
def test_pool_delete_releases_affinities_kdd(kube, run_module):  # noqa: F811
    kconn = {"datastore_type": "kubernetes", "kubeconfig": kube.kubeconfig_path}
    assert not run_module("calico_ippool", {**kconn, "name": "pool-a", "cidr": "198.19.0.0/16"}).failed
    ds = connect({**kconn, "datastore_timeout": 5.0})
    ds.ipam_create("IPAMBlock", "198.19.0.0/26", _block("198.19.0.0/26", "host:node-a", True))
    ds.ipam_create("IPAMBlock", "198.19.0.64/26", _block("198.19.0.64/26", "host:node-b", False))
    ds.ipam_create("BlockAffinity", "node-a/198.19.0.0/26", {"state": "confirmed", "deleted": False})
    ds.ipam_create("BlockAffinity", "node-b/198.19.0.64/26", {"state": "confirmed", "deleted": False})
    before = len(kube.requests)
    r = run_module("calico_ippool", {**kconn, "name": "pool-a", "state": "absent"}, check=True)
    assert r["changed"] and not r.failed
    assert not [m for m, _p in kube.requests[before:] if m in ("POST", "PUT", "PATCH", "DELETE")]
    r = run_module("calico_ippool", {**kconn, "name": "pool-a", "state": "absent"})
    assert r["changed"] and not r.failed
    assert kube.names(GV, "ippools") == [] and kube.names(GV, "blockaffinities") == []
    assert kube.names(GV, "ipamblocks") == ["198-19-0-0-26"]
    assert kube.get_object(GV, "ipamblocks", "198-19-0-0-26")["spec"].get("affinity") is None
    assert ds.ipam_get("IPAMBlock", "198.19.0.0/26")["value"]["sequenceNumber"] == 8


def test_new_pool_over_blocks_of_another_size_refused(etcd, raw, run_module):
    # blocks left by an earlier pool with /28 blocks (ippool.go Create 70-107)
    small = {**_block("198.19.0.0/26", None, True), "cidr": "198.19.0.0/28"}
    raw.put(IPAM + "assignment/ipv4/block/198.19.0.0-28", small)
    rev = revision(raw)
    r = run_module("calico_ippool", {**conn(etcd), "name": "pool-a", "cidr": "198.19.0.0/16"})
    refused(r, "blockSize", "198.19.0.0/28", "conflicts with existing allocations")
    r = run_module("calico_network", {**conn(etcd), "ipv4_pool_cidr": "198.19.0.0/16", "host_mtu": 9001})
    assert r.failed and any("blockSize: 26 conflicts" in e for e in r["errors"]), r
    assert revision(raw) == rev
    r = run_module("calico_ippool", {**conn(etcd), "name": "pool-a", "cidr": "198.19.0.0/16", "block_size": 28})
    assert r["changed"] and not r.failed
