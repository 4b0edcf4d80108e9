"""Real BGP: the mesh -> route reflectors -> mesh switch with bird2, route counts at every step.

Five speakers stand in for calico-node's BIRD (s1..s5, each announcing its /26 block from the
datastore's block affinity), two nodes are the reflectors (r1, r2). Every speaker is configured
from the datastore's Node, BGPPeer, BGPConfiguration and IPPool resources the way calico-node's
confd would (bgp_lab.Lab.reconcile: _bgp.confd renders, BIRD reloads through its control socket).
The switch itself is made by the calico_route_reflector module against a real etcd, and the waits
use the calico_bgp_status module on each speaker's control socket.

Between steps, a route-count probe (netlink) checks that every speaker has the other four blocks;
during the whole switch a netlink monitor in every speaker's namespace records any deletion of a
block route, so a route lost between two probes would be seen too. Waits are bounded; nothing is
timed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import jinja2
import pytest

from bgp_lab import BLOCKS, BOUND, REFLECTORS, SPEAKERS, Lab, RouteWatch, seed, stop_watches, wait_routes

from ansible_collections.netops.calico.plugins.module_utils._datastore import ipam, model
from ansible_collections.netops.calico.plugins.module_utils._datastore.etcd import EtcdBackend, EtcdKV

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("bird") or not shutil.which("ip"),
                                reason="needs root, bird2 and iproute2 (network namespaces)")


def test_mesh_to_reflectors_and_back_keeps_every_route(etcd, run_module):
    ds = EtcdBackend(EtcdKV(etcd.endpoint))
    seed(ds)
    conn = {"etcd_endpoints": etcd.endpoint}
    rr = {**conn, "target": "reflectors", "reflectors": ["r1", "r2"]}
    lab = Lab({**SPEAKERS, **REFLECTORS})
    table: list[tuple[str, dict[str, int]]] = []
    watches: dict[str, RouteWatch] = {}

    def probe(step: str) -> dict[str, int]:
        counts = {n: len(lab.routes(n)) for n in sorted(lab.speakers)}
        table.append((step, counts))     # printed at the end: run_module's capsys eats earlier output
        for s in SPEAKERS:
            assert counts[s] == 4, f"{step}: {s} has {counts[s]} of the other 4 blocks: {lab.routes(s)}"
        return counts

    def wait_sessions(expected: dict[str, list[str]], step: str) -> None:
        for name in sorted(lab.speakers):
            res = run_module("calico_bgp_status", {"socket": str(lab.speakers[name].ctl),
                                                   "established": expected.get(name, []), "timeout": BOUND,
                                                   "interval": 0.2})
            assert not res.failed, f"{step}: {name}: {res['msg']}"

    def protocols(name: str) -> list[str]:
        with lab.control(name) as ctl:
            return sorted(p.name for p in ctl.protocols() if p.proto == "BGP")

    try:
        lab.up()
        watches = {sp: RouteWatch(lab.speakers[sp].ns) for sp in lab.speakers}
        # 0. the full mesh, as calico-node starts it (no BGPConfiguration: confd's mesh is on)
        lab.reconcile(ds)
        for name in lab.speakers:
            lab.wait_socket(name)
        mesh = run_module("calico_route_reflector", {**conn, "target": "mesh"}, check=True)
        assert not mesh.failed, mesh
        assert mesh["changed"] is False
        wait_sessions(mesh["expected_sessions"], "mesh")
        assert len(mesh["expected_sessions"]["s1"]) == 6
        counts = wait_routes(lab, {**{s: 4 for s in SPEAKERS}, **{r: 5 for r in REFLECTORS}})
        assert counts == {**{s: 4 for s in SPEAKERS}, **{r: 5 for r in REFLECTORS}}, counts
        probe("mesh (21 sessions)")

        # 1. the plan, in check mode: nothing is written
        before = ds.list("BGPPeer"), ds.list("Node")
        plan = run_module("calico_route_reflector", rr, check=True)
        assert not plan.failed, plan
        s = plan["plan"]["sessions"]
        assert (s["nodes"], s["reflectors"], s["full_mesh"], s["reflector_design"], s["during_switch"]) == (
            7, 2, 21, 11, 21)
        assert (s["now"], s["after_prepare"], s["after_finish"]) == (21, 21, 11)
        assert plan["changed"] is True
        assert (ds.list("BGPPeer"), ds.list("Node")) == before
        # finish before prepare is refused
        early = run_module("calico_route_reflector", {**rr, "step": "finish"})
        assert early.failed and "run step prepare" in early["msg"]

        # 2. prepare: reflector peerings while the mesh stays on
        prep = run_module("calico_route_reflector", {**rr, "step": "prepare"})
        assert prep["changed"] is True
        assert set(prep.diffs) == {"BGPPeer route-reflectors-clients", "BGPPeer route-reflectors-mesh",
                                   "Node r1", "Node r2"}
        lab.reconcile(ds)
        probe("prepare: reconfigured")
        wait_sessions(prep["expected_sessions"], "prepare")
        probe("prepare: sessions Established")
        assert protocols("s1") == ["Mesh_198_18_0_2", "Mesh_198_18_0_3", "Mesh_198_18_0_4", "Mesh_198_18_0_5",
                                   "Node_198_18_0_11", "Node_198_18_0_12"]
        again = run_module("calico_route_reflector", {**rr, "step": "prepare"})
        assert again["changed"] is False and not again["diff"]
        assert wait_routes(lab, {r: 5 for r in REFLECTORS}) == {r: 5 for r in REFLECTORS}

        # 3. finish: the mesh goes off; every speaker keeps its routes through the reflectors
        fin = run_module("calico_route_reflector", {**rr, "step": "finish"})
        assert fin["changed"] is True
        assert fin.diffs["BGPConfiguration default"]["after"]["spec"]["nodeToNodeMeshEnabled"] is False
        lab.reconcile(ds)
        probe("finish (mesh off): reconfigured")
        wait_sessions(fin["expected_sessions"], "finish")
        probe("finish: 11 sessions Established")
        for sp in SPEAKERS:
            assert protocols(sp) == ["Node_198_18_0_11", "Node_198_18_0_12"], sp
        assert run_module("calico_route_reflector", {**rr, "step": "finish"})["changed"] is False

        # one reflector down: the other still carries every route
        lab.speakers["r1"].proc.terminate()
        lab.speakers["r1"].proc.wait(10)
        lab.speakers["r1"].proc = None
        probe("reflector r1 stopped")
        lab.reconcile(ds, ["r1"])
        lab.wait_socket("r1")
        wait_sessions(fin["expected_sessions"], "r1 restarted")
        probe("reflector r1 back")

        # 4. back to the mesh: mesh on first, reflector peers last
        back = {**conn, "target": "mesh"}
        early = run_module("calico_route_reflector", {**back, "step": "finish"})
        assert early.failed and "the mesh is not on" in early["msg"]
        on = run_module("calico_route_reflector", {**back, "step": "prepare"})
        assert on["changed"] is True
        lab.reconcile(ds)
        probe("back: mesh on, reconfigured")
        wait_sessions(on["expected_sessions"], "mesh on")
        probe("back: mesh sessions Established")
        off = run_module("calico_route_reflector", {**back, "step": "finish"})
        assert off["changed"] is True
        assert set(off.diffs) == {"BGPPeer route-reflectors-clients", "BGPPeer route-reflectors-mesh",
                                  "Node r1", "Node r2"}
        assert ds.list("BGPPeer") == []
        lab.reconcile(ds)
        probe("back: reflector peers removed")
        wait_sessions(off["expected_sessions"], "mesh")
        probe("back: full mesh Established")
        assert run_module("calico_route_reflector", {**back, "step": "finish"})["changed"] is False
        assert protocols("s1") == [f"Mesh_198_18_0_{i}" for i in (11, 12, 2, 3, 4, 5)]
        assert wait_routes(lab, {r: 5 for r in REFLECTORS}) == {r: 5 for r in REFLECTORS}

        deleted, added = stop_watches(watches, table, "routes in the kernel (netlink dump, proto bird, /26), per step:")
        watches = {}
        # the monitor works: it saw each speaker learn the other four blocks at start ...
        assert {sp: added[sp] for sp in SPEAKERS} == {
            sp: sorted(b for o, b in BLOCKS.items() if o != sp) for sp in SPEAKERS}, added
        # ... and it sees deletions: a node that becomes (or stops being) a reflector re-peers, because
        # Calico keeps reflectors out of the mesh (confd processMeshPeers); the reflectors lose routes
        # for a moment, twice (prepare, and the final step back), and the clients never do
        assert all(sorted(set(deleted[r])) == sorted(BLOCKS.values()) for r in REFLECTORS), deleted
        assert {sp: deleted[sp] for sp in SPEAKERS} == {sp: [] for sp in SPEAKERS}
    finally:
        for w in watches.values():
            w.stop()
        lab.close()


DEDICATED = {"d1": "198.18.0.21", "d2": "198.18.0.22"}
TEMPLATE = Path(__file__).resolve().parents[3] / "roles/calico_route_reflector/templates/bird-reflector.conf.j2"


def _render_role_template(me: str, plan: dict) -> str:
    """The role's template, rendered like Ansible's template module (Jinja2, trim_blocks)."""
    env = jinja2.Environment(trim_blocks=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    dedicated = [{"host": h, "ip": ip} for h, ip in sorted(DEDICATED.items())]
    text = env.from_string(TEMPLATE.read_text()).render(
        ansible_managed="test", calico_route_reflector_reflector=next(d for d in dedicated if d["host"] == me),
        calico_route_reflector_as=plan["as_number"], calico_route_reflector_clients=plan["addresses"], calico_route_reflector_dedicated=dedicated,
        calico_route_reflector_dedicated_direct=True, calico_route_reflector_cluster_id="244.0.0.1")
    # the test's short timers (the role keeps confd's 2/5/5,30)
    return text.replace("connect retry time 5;", "connect retry time 1;").replace(
        "connect delay time 2;", "connect delay time 1;").replace("error wait time 5,30;", "error wait time 1,5;")


def test_dedicated_bird2_reflectors_keep_every_route(etcd, run_module):
    """The optional topology: reflectors on dedicated hosts running the distribution's BIRD 2 with
    the role's template; every node gets global BGPPeers to them."""
    ds = EtcdBackend(EtcdKV(etcd.endpoint))
    ds.create(model.new_resource("IPPool", "default-ipv4-ippool", {
        "cidr": "198.19.0.0/16", "blockSize": 26, "ipipMode": "Never", "vxlanMode": "Never",
        "natOutgoing": True, "nodeSelector": "all()"}))
    for name, addr in SPEAKERS.items():
        ds.create(model.new_resource("Node", name, {"bgp": {"ipv4Address": f"{addr}/24"}}))
        ds.ipam_create("BlockAffinity", f"{name}/{BLOCKS[name]}", ipam.affinity_value("confirmed"))
    conn = {"etcd_endpoints": etcd.endpoint}
    ext = {**conn, "target": "reflectors", "external_reflectors": [{"ip": ip} for ip in DEDICATED.values()]}
    lab = Lab({**SPEAKERS, **DEDICATED}, static=tuple(DEDICATED))
    table: list[tuple[str, dict[str, int]]] = []
    watches: dict[str, RouteWatch] = {}

    def probe(step: str) -> None:
        counts = {n: len(lab.routes(n)) for n in sorted(SPEAKERS)}
        table.append((step, counts))
        assert counts == {s: 4 for s in SPEAKERS}, f"{step}: {counts}"

    def wait(expected: dict[str, list[str]], step: str) -> None:
        for name, protos in sorted(expected.items()):
            res = run_module("calico_bgp_status", {"socket": str(lab.speakers[name].ctl), "established": protos,
                                                   "timeout": BOUND, "interval": 0.2})
            assert not res.failed, f"{step}: {name}: {res['msg']}"

    try:
        lab.up()
        watches = {sp: RouteWatch(lab.speakers[sp].ns) for sp in SPEAKERS}
        lab.reconcile(ds)
        for name in SPEAKERS:
            lab.wait_socket(name)
        plan = run_module("calico_route_reflector", ext, check=True)
        assert not plan.failed, plan
        s = plan["plan"]["sessions"]
        assert (s["full_mesh"], s["reflector_design"], s["after_finish"]) == (10, 11, 10)
        wait(run_module("calico_route_reflector", {**conn, "target": "mesh"}, check=True)["expected_sessions"],
             "mesh")
        wait_routes(lab, {sp: 4 for sp in SPEAKERS})
        probe("mesh (10 sessions)")

        # the role's dedicated.yml: BIRD 2 with the role's template, validated like the template task
        for name in DEDICATED:
            lab.start_static(name, _render_role_template(name, plan["plan"]))
            lab.wait_socket(name)
        prep = run_module("calico_route_reflector", {**ext, "step": "prepare"})
        assert set(prep.diffs) == {"BGPPeer route-reflectors-198-18-0-21",
                                   "BGPPeer route-reflectors-198-18-0-22"}
        lab.reconcile(ds)
        probe("prepare: global peers, reconfigured")
        wait(prep["expected_sessions"], "prepare")
        wait({d: [f"node_{ip.replace('.', '_')}" for ip in SPEAKERS.values()] for d in DEDICATED}, "dedicated")
        probe("prepare: sessions Established")

        fin = run_module("calico_route_reflector", {**ext, "step": "finish"})
        assert fin["changed"] is True
        lab.reconcile(ds)
        probe("finish (mesh off): reconfigured")
        wait(fin["expected_sessions"], "finish")
        probe("finish: sessions Established")
        with lab.control("s1") as ctl:
            assert sorted(p.name for p in ctl.protocols() if p.proto == "BGP") == [
                "Global_198_18_0_21", "Global_198_18_0_22"]

        back = {**conn, "target": "mesh"}
        on = run_module("calico_route_reflector", {**back, "step": "prepare"})
        lab.reconcile(ds)
        probe("back: mesh on, reconfigured")
        wait(on["expected_sessions"], "mesh on")
        off = run_module("calico_route_reflector", {**back, "step": "finish"})
        assert set(off.diffs) == set(prep.diffs)
        lab.reconcile(ds)
        probe("back: global peers removed")
        wait(off["expected_sessions"], "mesh")
        probe("back: full mesh Established")

        deleted, added = stop_watches(watches, table, "dedicated reflectors: routes in the kernel per step:")
        watches = {}
        assert added == {sp: sorted(b for o, b in BLOCKS.items() if o != sp) for sp in SPEAKERS}, added
        assert deleted == {sp: [] for sp in SPEAKERS}
    finally:
        for w in watches.values():
            w.stop()
        lab.close()
