"""calico_decommission against a real etcd holding a datastore built as libcalico-go writes it."""

from __future__ import annotations

import datetime
import threading

import pytest

from calico_fixture import CalicoFixture, check_leaks, snapshot
from conftest_moto import CREDS, aws_env, moto, moto_server  # noqa: F401  # pylint: disable=unused-import
from ansible_collections.netops.calico.plugins.module_utils._decommission.purge import Options, decommission
from ansible_collections.netops.calico.plugins.module_utils._datastore import model
from ansible_collections.netops.calico.plugins.module_utils._datastore.errors import DatastoreUnavailable
from ansible_collections.netops.calico.plugins.module_utils._datastore.dryrun import DryRun
from ansible_collections.netops.calico.plugins.module_utils._datastore.etcd import EtcdBackend, EtcdKV

LIVE = [f"live-{i}" for i in range(8)]
DEAD = ["dead-0", "dead-1"]


def _b64(text: str) -> str:
    import base64
    return base64.b64encode(text.encode()).decode()


def build(kv, dead=tuple(DEAD), live=tuple(LIVE), **kw) -> CalicoFixture:
    """Nodes of every flavour: IPIP, VXLAN, WireGuard, IPv6 tunnels, dual-stack pods, per-node
    configs, BGP peers, host endpoints; dead nodes' Felix reports expired, live ones fresh."""
    f = CalicoFixture()
    for i, name in enumerate(list(live) + list(dead)):
        f.add_node(name, i, vxlan=i % 2 == 0, wireguard=i % 3 == 0, vxlan_v6=i % 2 == 1, wireguard_v6=True,
                   bgp_config=i % 2 == 0, peers=1 + i % 2, heps=1, pods=2 + i % 3,
                   felix_status="expired" if name in dead else "fresh", **kw)
    f.write(kv)
    return f


def args(etcd, **kw):
    out = {"etcd_endpoints": etcd.endpoint}
    out.update(kw)
    return out


def assert_purged(kv, f, before, dead, live):
    after = snapshot(kv)
    for n in dead:
        left = [k for k in f.keys_of(n) if k in after]
        assert not left, f"{n} keys left: {left}"
        assert not [k for k in after if f"/{n}/" in k or k.endswith(f"/{n}") or k.endswith(f"node.{n}")]
    for n in live:
        for k in f.keys_of(n):
            assert after.get(k) == before[k], f"live key changed: {k}"
    shared = [k for k in before if not any(k in f.keys_of(n) for n in dead + live) and k in after]
    assert all(after[k] == before[k] for k in shared)
    report = check_leaks(kv)
    assert report["ok"], report


def test_check_mode_plans_then_purge_then_idempotent(etcd, run_module):
    kv = EtcdKV(etcd.endpoint)
    f = build(kv)
    before = snapshot(kv)
    assert check_leaks(kv)["ok"]

    plan = run_module("calico_decommission", args(etcd, nodes=DEAD), check=True)
    assert plan["changed"] and not plan.failed
    assert snapshot(kv) == before                                     # check mode writes nothing
    by = {n["name"]: n for n in plan["nodes"]}
    assert sorted(by) == DEAD
    d0 = by["dead-0"]
    assert "wireguard-v6-tunnel-addr-dead-0" in d0["handles"] and d0["node"] and d0["felix_configuration"]
    assert any(":" in ip for ip in d0["ips"]) and len(d0["blocks_deleted"]) == 3
    assert len(d0["workload_endpoints"]) == f.nodes["dead-0"].pods and d0["bgp_peers"] and d0["host_endpoints"]
    assert sorted(plan.diffs) == [f"Node {n}" for n in DEAD]
    assert all(d["after"] == {} for d in plan["diff"]) and plan.diffs["Node dead-0"]["before"]["name"] == "dead-0"

    res = run_module("calico_decommission", args(etcd, nodes=DEAD))
    assert res["changed"] and not res.failed, res
    assert [n["name"] for n in res["nodes"]] == DEAD
    assert res["nodes"][0] == d0          # check mode planned exactly this
    assert_purged(kv, f, before, DEAD, LIVE)

    again = run_module("calico_decommission", args(etcd, nodes=DEAD))
    assert not again["changed"] and again["nodes"] == []
    again = run_module("calico_decommission", args(etcd, nodes=DEAD), check=True)
    assert not again["changed"]


def test_keep_mode_max_fraction_and_force(etcd, run_module):
    kv = EtcdKV(etcd.endpoint)
    f = build(kv)
    before = snapshot(kv)
    res = run_module("calico_decommission", args(etcd, keep=LIVE[:5]))
    assert res.failed and "max_fraction" in res["msg"] and "force" in res["msg"]
    assert sorted(n["name"] for n in res["nodes"]) == sorted(LIVE[5:] + DEAD)
    assert snapshot(kv) == before

    res = run_module("calico_decommission", args(etcd, nodes=["live-0"], keep=LIVE))
    assert res.failed and res["refused"] == ["live-0"] and "in keep" in res["msg"]

    res = run_module("calico_decommission", args(etcd, keep=LIVE))
    assert res["changed"] and sorted(n["name"] for n in res["nodes"]) == DEAD
    assert_purged(kv, f, before, DEAD, LIVE)

    res = run_module("calico_decommission", args(etcd, keep=LIVE[:7], max_fraction=0.1))
    assert res.failed
    res = run_module("calico_decommission", args(etcd, keep=LIVE[:7], max_fraction=0.1, force=True))
    assert res["changed"] and [n["name"] for n in res["nodes"]] == ["live-7"]


def test_keep_mode_finds_orphaned_affinities(etcd, run_module):
    kv = EtcdKV(etcd.endpoint)
    f = build(kv)
    # calico leaves an affinity behind when its block is gone: a node name with only that left
    cidr = f.pools[4].claim()
    orphan = model.affinity_key("ghost", cidr)
    kv.call("/kv/put", {"key": _b64(orphan), "value": _b64('{"state":"confirmed","deleted":false}')})
    res = run_module("calico_decommission", args(etcd, keep=LIVE + DEAD))
    assert res["changed"] and res["nodes"][0]["name"] == "ghost" and res["nodes"][0]["affinities"] == [cidr]
    assert kv.get(orphan) is None


def test_felix_liveness(etcd, run_module):
    kv = EtcdKV(etcd.endpoint)
    f = build(kv)
    before = snapshot(kv)
    res = run_module("calico_decommission", args(etcd, liveness=["felix"], max_fraction=0.5))
    assert sorted(n["name"] for n in res["nodes"]) == DEAD, res
    assert all("expired" in n["reasons"][0] for n in res["nodes"])
    assert_purged(kv, f, before, DEAD, LIVE)
    # a named node that Felix still sees alive is kept, with the reason
    res = run_module("calico_decommission", args(etcd, nodes=["live-1"], liveness=["felix"]))
    assert not res["changed"] and res["kept"][0]["name"] == "live-1"
    assert res["kept"][0]["reasons"][0].startswith("felix: Felix reported")


def test_kubernetes_liveness(etcd, run_module, tmp_path):
    from fake_kube_api import FakeKubeAPI
    kv = EtcdKV(etcd.endpoint)
    f = build(kv)
    before = snapshot(kv)
    api = FakeKubeAPI().start()
    try:
        for n in LIVE:
            api.put_object("v1", "nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": n}})
        cfg = api.kubeconfig(tmp_path / "kubeconfig")
        res = run_module("calico_decommission", args(etcd, liveness=["kubernetes"], kubernetes_kubeconfig=cfg),
                         check=True)
        assert sorted(n["name"] for n in res["nodes"]) == DEAD
        assert res["nodes"][0]["reasons"] == ["kubernetes: Kubernetes node dead-0 no longer exists"]
        res = run_module("calico_decommission", args(etcd, liveness=["kubernetes"], kubernetes_kubeconfig=cfg,
                                                     nodes=["live-2"]))
        assert res["kept"] == [{"name": "live-2", "reasons": ["kubernetes: Kubernetes node live-2 exists"]}]
        assert sorted(n["name"] for n in res["nodes"]) == DEAD
        assert_purged(kv, f, before, DEAD, LIVE)
    finally:
        api.stop()


def test_aws_liveness(etcd, run_module, moto, aws_env):
    kv = EtcdKV(etcd.endpoint)
    insts = moto.launch(4)
    names = [i["PrivateDnsName"].split(".")[0] for i in insts]
    f = CalicoFixture()
    for i, n in enumerate(names):
        f.add_node(n, i, pods=1)
    f.write(kv)
    before = snapshot(kv)
    moto.ec2.terminate_instances(InstanceIds=[insts[3]["InstanceId"]])
    aws = dict(CREDS, endpoint_url=moto.endpoint)
    res = run_module("calico_decommission", args(etcd, liveness=["aws"], aws=aws, max_fraction=0.25))
    assert [n["name"] for n in res["nodes"]] == [names[3]], res
    assert "is terminated" in res["nodes"][0]["reasons"][0]
    assert_purged(kv, f, before, [names[3]], names[:3])


def test_borrowed_addresses(etcd, run_module):
    """A dead node's pod in a live node's block is released there; a live node's pod in a dead
    node's block keeps that block alive, without affinity."""
    kv = EtcdKV(etcd.endpoint)
    f = CalicoFixture()
    for i, n in enumerate(["a", "b", "c", "gone"]):
        f.add_node(n, i, pods=1)
    f.add_pod("gone", "borrower", borrow_from="a")
    f.add_pod("b", "guest", borrow_from="gone")
    f.write(kv)
    before = snapshot(kv)
    res = run_module("calico_decommission", args(etcd, nodes=["gone"], max_fraction=0.25))
    node = res["nodes"][0]
    guest_block = f.nodes["gone"].blocks[4][0]
    assert node["blocks_unaffined"] == [guest_block]
    block = kv.get(model.block_key(guest_block))
    assert '"affinity":null' in block.raw.decode()
    borrowed = f.nodes["a"].blocks[4][0]
    assert borrowed not in node["blocks_deleted"]
    report = check_leaks(kv)
    assert report["ok"], report
    after = snapshot(kv)
    assert after[model.resource_key("Node", "a")] == before[model.resource_key("Node", "a")]


def test_etcd_stopped_mid_purge_then_rerun(etcd, run_module):
    kv = EtcdKV(etcd.endpoint)
    kv.BACKOFF = 0.05
    f = build(kv, dead=[f"dead-{i}" for i in range(4)], live=LIVE[:6])
    dead = [f"dead-{i}" for i in range(4)]
    before = snapshot(kv)

    def stop_after(n):
        if n == 3:
            etcd.stop()
    with pytest.raises(DatastoreUnavailable) as err:
        decommission(EtcdBackend(kv), Options(nodes=dead, max_fraction=0.5, serial=2, after_commit=stop_after))
    assert "Run the task again" in str(err.value) and "consistent" in str(err.value)

    res = run_module("calico_decommission", args(etcd, nodes=dead, max_fraction=0.5))
    assert res.failed and "No etcd endpoint answered" in res["msg"]

    etcd.start(fresh=False)
    mid = check_leaks(kv)
    assert not mid["missing_handles"] and not mid["handle_count_mismatches"] and not mid["invalid_blocks"], mid
    res = run_module("calico_decommission", args(etcd, nodes=dead, max_fraction=0.5))
    assert res["changed"] and not res.failed, res
    assert_purged(kv, f, before, dead, LIVE[:6])


@pytest.mark.parametrize("run", range(2))
def test_two_purges_at_once(etcd, run):
    kv = EtcdKV(etcd.endpoint)
    dead = [f"dead-{i}" for i in range(6)]
    f = build(kv, dead=dead, live=LIVE[:6])
    before = snapshot(kv)
    results, errors = [], []

    def purge():
        try:
            results.append(decommission(EtcdBackend(EtcdKV(etcd.endpoint)), Options(nodes=dead, force=True, serial=2)))
        except Exception as exc:   # noqa: BLE001 - collected and asserted on
            errors.append(exc)
    threads = [threading.Thread(target=purge) for _x in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert all(not r["failed_nodes"] for r in results)
    assert_purged(kv, f, before, dead, LIVE[:6])


def test_node_back_alive_between_plan_and_purge(etcd):
    kv = EtcdKV(etcd.endpoint)
    dead = ["dead-0", "dead-1", "dead-2", "dead-3"]
    f = build(kv, dead=dead, live=LIVE[:6])
    keep = set(LIVE[:6])

    def revive(names):
        if "dead-0" in names:        # Felix on dead-0 reports again
            for k, v in f.felix_report("dead-0", "fresh").items():
                kv.call("/kv/put", {"key": _b64(k), "value": _b64(v)})
        if "dead-1" in names:        # dead-1 is put back in the inventory
            keep.add("dead-1")
        if "dead-2" in names:        # calico-node on dead-2 rewrites its Node at start-up
            item = kv.get(model.resource_key("Node", "dead-2"))
            kv.update(item.key, item.raw.decode(), item.revision)
    res = decommission(EtcdBackend(kv), Options(keep=lambda: keep, liveness=["felix"], max_fraction=0.5, serial=1,
                                                before_batch=revive))
    assert [n["name"] for n in res["nodes"]] == ["dead-3"]
    kept = {k["name"]: k["reasons"] for k in res["kept"]}
    assert kept["dead-0"][0].startswith("felix: Felix reported")
    assert kept["dead-1"] == ["keep: in keep"]
    assert "Node resource changed" in kept["dead-2"][0]
    for n in ("dead-0", "dead-1", "dead-2"):
        assert kv.get(model.resource_key("Node", n)) is not None
        assert kv.get(model.affinity_key(n, f.nodes[n].blocks[4][0])) is not None
    assert check_leaks(kv)["ok"]


def test_felix_status_time_window(etcd):
    kv = EtcdKV(etcd.endpoint)
    f = CalicoFixture()
    now = datetime.datetime.now(datetime.timezone.utc)
    f.add_node("old", 0, felix_status="fresh", now=now - datetime.timedelta(seconds=400))
    f.add_node("new", 1, felix_status="fresh", now=now)
    f.write(kv)
    res = decommission(DryRun(EtcdBackend(kv)), Options(liveness=["felix"], felix_max_age=300, force=True))
    assert [n["name"] for n in res["nodes"]] == ["old"]
