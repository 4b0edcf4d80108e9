"""calico_decommission's guards on a real etcd: a max_fraction that is not a fraction, force with a
node also in keep, and node names that are not nodes (a typo, '', '*')."""

from __future__ import annotations

import pytest

from calico_fixture import snapshot
from ansible_collections.netops.calico.plugins.module_utils._datastore.etcd import EtcdKV
from test_calico_decommission import DEAD, LIVE, args, assert_purged, build


def warnings(r):
    return [w["event"]["msg"] if isinstance(w, dict) else w for w in r.get("warnings", [])]


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", -0.5, 1.5])
def test_max_fraction_that_is_not_a_fraction_is_refused(etcd, run_module, value):
    kv = EtcdKV(etcd.endpoint)
    build(kv)
    before, rev = snapshot(kv), kv.revision()
    # keep only 2 of the 10 nodes: without a working guard all ten (live ones too) would go
    res = run_module("calico_decommission", args(etcd, keep=LIVE[:2], max_fraction=value))
    assert res.failed and "max_fraction" in res["msg"], res
    assert kv.revision() == rev and snapshot(kv) == before


def test_max_fraction_bounds_still_work(etcd, run_module):
    kv = EtcdKV(etcd.endpoint)
    build(kv)
    rev = kv.revision()
    res = run_module("calico_decommission", args(etcd, keep=LIVE, max_fraction=0))
    assert res.failed and "more than max_fraction 0" in res["msg"] and kv.revision() == rev
    res = run_module("calico_decommission", args(etcd, keep=LIVE[:2], max_fraction=1), check=True)
    assert not res.failed and len(res["nodes"]) == 8


def test_force_purges_a_node_named_in_nodes_and_in_keep(etcd, run_module):
    """Documented: naming a node of keep in nodes is refused, and with force it is purged."""
    kv = EtcdKV(etcd.endpoint)
    f = build(kv)
    before, rev = snapshot(kv), kv.revision()
    res = run_module("calico_decommission", args(etcd, nodes=["live-0"], keep=LIVE + DEAD))
    assert res.failed and res["refused"] == ["live-0"] and kv.revision() == rev
    plan = run_module("calico_decommission", args(etcd, nodes=["live-0"], keep=LIVE + DEAD, force=True), check=True)
    assert [n["name"] for n in plan["nodes"]] == ["live-0"] and kv.revision() == rev
    res = run_module("calico_decommission", args(etcd, nodes=["live-0"], keep=LIVE + DEAD, force=True))
    assert not res.failed and res["changed"] and [n["name"] for n in res["nodes"]] == ["live-0"], res
    assert res["nodes"] == plan["nodes"] and res["kept"] == []
    assert_purged(kv, f, before, ["live-0"], LIVE[1:] + DEAD)


@pytest.mark.parametrize("option, value", [("nodes", [""]), ("nodes", ["*"]), ("nodes", ["live-*"]),
                                           ("nodes", ["Live-0"]), ("keep", LIVE + ["*"]), ("keep", LIVE + [""])])
def test_names_that_cannot_be_nodes_are_refused(etcd, run_module, option, value):
    kv = EtcdKV(etcd.endpoint)
    build(kv)
    rev = kv.revision()
    res = run_module("calico_decommission", args(etcd, **{option: value}))
    assert res.failed and f"{option}:" in res["msg"] and "node name" in res["msg"], res
    assert kv.revision() == rev


def test_unknown_names_warn(etcd, run_module):
    kv = EtcdKV(etcd.endpoint)
    build(kv)
    rev = kv.revision()
    res = run_module("calico_decommission", args(etcd, nodes=["dead-00"]))       # a typo
    assert not res.failed and not res["changed"] and kv.revision() == rev
    assert any("nodes: nothing of dead-00" in w for w in warnings(res)), res
    res = run_module("calico_decommission", args(etcd, keep=LIVE[:7] + ["live-77"]), check=True)
    assert any("keep: live-77 is not a Calico node" in w for w in warnings(res)), res
    assert sorted(n["name"] for n in res["nodes"]) == sorted(["live-7"] + DEAD)
    # known names: no warning
    res = run_module("calico_decommission", args(etcd, nodes=DEAD, keep=LIVE))
    assert res["changed"] and not warnings(res)
