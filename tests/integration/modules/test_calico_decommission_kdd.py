"""calico_decommission on the Kubernetes datastore: the real ``kubernetes`` client against the local
stand-in for the Kubernetes API (``fake_kube_api``; no kube-apiserver can run on this machine),
holding Calico's CRDs and Kubernetes Nodes as Calico and the kubelet write them (calico_fixture's
``write_kdd``)."""

from __future__ import annotations

import json

import pytest

from calico_fixture import CalicoFixture
from fake_kube_api import GV, kube, kube_server  # noqa: F401  # pylint: disable=unused-import
from ansible_collections.netops.calico.plugins.module_utils._datastore import model
from ansible_collections.netops.calico.plugins.module_utils._datastore.connection import connect
from ansible_collections.netops.calico.plugins.module_utils._datastore.kdd import api as kdd_api
from ansible_collections.netops.calico.plugins.module_utils._decommission.purge import Options, decommission

pytestmark = pytest.mark.skipif(not kdd_api.HAS_KUBERNETES, reason="the kubernetes Python client is not installed")

LIVE = [f"live-{i}" for i in range(8)]
DEAD = ["dead-0", "dead-1"]


def conn(kube):
    return {"datastore_type": "kubernetes", "kubeconfig": kube.kubeconfig_path}


def backend(kube):
    return connect(conn(kube))


def writes(kube):
    return [(m, p) for m, p in kube.requests if m in ("POST", "PUT", "PATCH", "DELETE")]


def build(kube, dead=tuple(DEAD), live=tuple(LIVE), gone=tuple(DEAD)) -> CalicoFixture:
    """Nodes of every flavour (IPIP, VXLAN, WireGuard, IPv6 tunnels, dual-stack pods, per-node
    configs, BGP peers, host endpoints); the Kubernetes Nodes of ``gone`` were deleted, so only
    their Calico state is left."""
    f = CalicoFixture(v4="198.19.0.0/16", v6="fd00:10:244::/56", host_base="198.18.0.0",
                      peer_base="198.18.128.0")
    for i, name in enumerate(list(live) + list(dead)):
        f.add_node(name, i, vxlan=i % 2 == 0, wireguard=i % 3 == 0, vxlan_v6=i % 2 == 1, wireguard_v6=True,
                   bgp_config=i % 2 == 0, peers=1 + i % 2, heps=1, pods=2 + i % 3)
    f.write_kdd(backend(kube), kube, k8s_nodes=[n for n in list(live) + list(dead) if n not in gone])
    kube.requests.clear()
    return f


def state(kube) -> dict[str, tuple[bytes, str]]:
    """Every Calico object, by its etcd-equivalent key: (Calico's JSON, resourceVersion)."""
    return {k: (raw, rev) for k, raw, rev in backend(kube).snapshot()}


def ipam_check(kube, run_module) -> dict:
    r = run_module("calico_info", {**conn(kube), "gather_subset": ["ipam_check"]})
    assert not r.failed, r
    return r["ipam_check"]


def assert_purged(kube, f, before, dead, live):
    after = state(kube)
    for n in dead:
        left = [k for k in f.keys_of(n) if k in after]
        assert not left, f"{n} objects left: {left}"
        assert not [k for k in after if f"/{n}/" in k or k.endswith(f"/{n}") or k.endswith(f"node.{n}")
                    or f"-tunnel-addr-{n}" in k]
    for n in live:
        for k in f.keys_of(n):
            if k in before:
                assert after.get(k) == before[k], f"live object changed: {k}"
    shared = [k for k in before if not any(k in f.keys_of(n) for n in dead + live) and k in after]
    assert shared and all(after[k] == before[k] for k in shared)


def test_plan_check_mode_purge_rerun(kube, run_module):
    f = build(kube)
    before = state(kube)
    assert ipam_check(kube, run_module)["ok"] is False       # the dead nodes' IPAM is what a purge is for
    dead_blocks = [k for k in before if k.startswith("/calico/ipam/v2/assignment/") and k in f.keys_of("dead-0")]
    assert len(dead_blocks) == 3

    # check mode: the whole plan, nothing written (DryRun)
    args = {**conn(kube), "liveness": ["kubernetes"]}
    plan = run_module("calico_decommission", args, check=True)
    assert plan["changed"] and not plan.failed, plan
    assert writes(kube) == [] and state(kube) == before
    assert plan["total_nodes"] == len(LIVE)
    by = {n["name"]: n for n in plan["nodes"]}
    assert sorted(by) == DEAD
    d0 = by["dead-0"]
    assert d0["reasons"] == ["kubernetes: Kubernetes node dead-0 no longer exists"]
    assert "wireguard-v6-tunnel-addr-dead-0" in d0["handles"] and "ipip-tunnel-addr-dead-0" in d0["handles"]
    pod_handles = [h for h in d0["handles"] if h.startswith("k8s-pod-network.")]
    assert len(pod_handles) == f.nodes["dead-0"].pods
    assert any(":" in ip for ip in d0["ips"]) and len(d0["blocks_deleted"]) == 3 and len(d0["affinities"]) == 3
    assert d0["felix_configuration"] and d0["bgp_configuration"] and d0["bgp_peers"] and d0["host_endpoints"]
    # pods are Kubernetes' own; the Kubernetes Node is already gone; no /calico/ipam/v2/host in KDD
    assert d0["workload_endpoints"] == [] and d0["node"] is False and d0["ipam_host"] is False
    assert sorted(plan.diffs) == [f"Node {n}" for n in DEAD]
    assert all(d["after"] == {} for d in plan["diff"]) and plan.diffs["Node dead-0"]["before"]["name"] == "dead-0"

    # the purge does exactly what check mode planned
    res = run_module("calico_decommission", args)
    assert res["changed"] and not res.failed, res
    assert res["nodes"] == plan["nodes"] and res["writes"] == plan["writes"]
    assert_purged(kube, f, before, DEAD, LIVE)
    assert sorted(kube.names("v1", "nodes")) == LIVE                  # Kubernetes Nodes untouched
    report = ipam_check(kube, run_module)
    assert report["ok"], report
    # every object written is Calico's CRD (no Kubernetes Node, no pod)
    assert {p.split("?")[0].split("/")[4] for _m, p in writes(kube)} <= {
        "ipamblocks", "ipamhandles", "blockaffinities", "felixconfigurations", "bgpconfigurations", "bgppeers",
        "hostendpoints"}

    # rerun: nothing left, nothing written
    n = len(writes(kube))
    for check in (True, False):
        again = run_module("calico_decommission", args, check=check)
        assert not again["changed"] and again["nodes"] == [] and not again.failed, again
    assert len(writes(kube)) == n


def test_blocks_shared_with_live_nodes_lose_only_the_dead_nodes_addresses(kube, run_module):
    """A live node's pod borrowed an address from a dead node's block: the block stays, without
    affinity, holding the live pod's address (releaseBlockAffinity on a non-empty block)."""
    f = CalicoFixture(v4="198.19.0.0/16", v6="fd00:10:244::/56", host_base="198.18.0.0")
    f.add_node("live-0", 0, pods=1)
    f.add_node("live-1", 1, pods=1)
    f.add_node("dead-0", 2, pods=2)
    f.add_pod("live-0", "borrower", borrow_from="dead-0")
    f.write_kdd(backend(kube), kube, k8s_nodes=["live-0", "live-1"])
    shared = f.nodes["dead-0"].blocks[4][0]
    res = run_module("calico_decommission", {**conn(kube), "keep": ["live-0", "live-1"], "max_fraction": 0.5})
    assert res["changed"] and [n["name"] for n in res["nodes"]] == ["dead-0"], res
    assert res["nodes"][0]["blocks_unaffined"] == [shared]
    block = backend(kube).ipam_get("IPAMBlock", shared)["value"]
    assert block["affinity"] is None
    assert [a for a in block["allocations"] if a is not None] == [0]
    assert block["attributes"][0]["secondary"]["pod"] == "borrower"
    assert ipam_check(kube, run_module)["ok"]


def test_safety_rails(kube, run_module):
    build(kube)
    before = state(kube)
    # keep covers 5 of the 8 live Kubernetes Nodes: 5 of 10 known nodes would go
    res = run_module("calico_decommission", {**conn(kube), "keep": LIVE[:5]})
    assert res.failed and "max_fraction" in res["msg"] and "5 of 10 nodes" in res["msg"], res
    assert sorted(n["name"] for n in res["nodes"]) == sorted(LIVE[5:] + DEAD)
    # a named node that is in keep
    res = run_module("calico_decommission", {**conn(kube), "nodes": ["live-0"], "keep": LIVE})
    assert res.failed and res["refused"] == ["live-0"] and "in keep" in res["msg"]
    # the two dead ones are 20% of 10: refused under 0.1
    res = run_module("calico_decommission", {**conn(kube), "liveness": ["kubernetes"], "max_fraction": 0.1})
    assert res.failed and "2 of 10 nodes (20%)" in res["msg"]
    # Felix writes no status reports on KDD
    res = run_module("calico_decommission", {**conn(kube), "liveness": ["felix"]})
    assert res.failed and "liveness felix" in res["msg"] and "Kubernetes datastore" in res["msg"]
    assert writes(kube) == [] and state(kube) == before
    # a named node whose Kubernetes Node exists is kept by the kubernetes source (the dead ones go)
    res = run_module("calico_decommission", {**conn(kube), "nodes": ["live-1"], "liveness": ["kubernetes"]})
    assert not res.failed and sorted(n["name"] for n in res["nodes"]) == DEAD, res
    assert res["kept"] == [{"name": "live-1", "reasons": ["kubernetes: Kubernetes node live-1 exists"]}]


def test_named_node_keeps_its_kubernetes_node_unless_asked(kube, run_module):
    """dead-0's Kubernetes Node still exists (NotReady, say): its Calico state is purged and the
    Kubernetes Node stays; with delete_kubernetes_node the Node goes too, guarded by its revision."""
    f = build(kube, gone=())
    before = state(kube)
    base = {**conn(kube), "nodes": ["dead-0"], "max_fraction": 0.5}
    res = run_module("calico_decommission", base)
    assert res["changed"] and res["nodes"][0]["node"] is False, res
    assert "dead-0" in kube.names("v1", "nodes")
    left = [k for k in f.keys_of("dead-0") if k in state(kube)]
    assert left == [model.resource_key("Node", "dead-0")]
    again = run_module("calico_decommission", base)
    assert not again["changed"] and again["nodes"] == []

    plan = run_module("calico_decommission", {**base, "delete_kubernetes_node": True}, check=True)
    assert plan["changed"] and plan["nodes"][0]["node"] is True and "dead-0" in kube.names("v1", "nodes")
    res = run_module("calico_decommission", {**base, "delete_kubernetes_node": True})
    assert res["changed"] and res["nodes"][0]["node"] is True
    assert sorted(kube.names("v1", "nodes")) == sorted(LIVE + ["dead-1"])
    assert_purged(kube, f, before, ["dead-0"], LIVE + ["dead-1"])


def test_delete_kubernetes_node_is_refused_on_etcd(etcd, run_module):
    res = run_module("calico_decommission", {"etcd_endpoints": etcd.endpoint, "nodes": ["x"],
                                             "delete_kubernetes_node": True})
    assert res.failed and "delete_kubernetes_node" in res["msg"] and "etcdv3" in res["msg"]


def test_another_writer_between_plan_and_purge(kube):
    """A block of a dead node changes after the plan (kube-controllers releasing an address, say):
    the guarded write is refused, the step is planned again from what is there now, and the purge
    still ends consistent."""
    f = build(kube)
    ds = backend(kube)
    cidr = f.nodes["dead-0"].blocks[4][0]

    def meddle(_names):
        entry = ds.ipam_get("IPAMBlock", cidr)
        value = dict(entry["value"], sequenceNumber=entry["value"]["sequenceNumber"] + 1)
        ds.ipam_update("IPAMBlock", cidr, value, entry["revision"])

    logs: list[str] = []
    ds.api.log = logs.append
    res = decommission(ds, Options(liveness=["kubernetes"], before_batch=meddle, log=logs.append))
    assert res["changed"] and sorted(n["name"] for n in res["nodes"]) == DEAD and not res["failed_nodes"], res
    assert any("changed since it was read" in m for m in logs), logs
    assert ds.ipam_get("IPAMBlock", cidr) is None
    left = [k for k in f.keys_of("dead-0") if k in dict((k, 1) for k, _r, _v in ds.snapshot())]
    assert left == []


def test_crs_as_calico_stores_them(kube):
    """What the purge leaves of a shared block is the CR libcalico-go would write: the same spec
    fields, names from names.CIDRToName, affinity labels kept on the remaining affinities."""
    f = build(kube)
    decommission(backend(kube), Options(liveness=["kubernetes"]))
    aff = kube.get_object(GV, "blockaffinities", f"live-0-{f.nodes['live-0'].blocks[4][0].replace('.', '-').replace('/', '-')}")
    assert aff["spec"]["node"] == "live-0" and aff["spec"]["deleted"] == "false"
    assert aff["metadata"]["labels"]["projectcalico.org/ip-version"] == "4"
    assert json.loads(aff["metadata"]["annotations"]["projectcalico.org/metadata"])["creationTimestamp"] is None
    assert not [n for n in kube.names(GV, "blockaffinities") if n.startswith("dead-")]
    assert not [n for n in kube.names(GV, "ipamhandles") if n.endswith("dead-0") or n.endswith("dead-1")]
