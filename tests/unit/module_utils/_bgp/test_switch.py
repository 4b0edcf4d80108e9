"""The switch plan as a pure function: the two steps each way, their order, idempotence (the state
after a step plans no change for it), the refusals, and the session counts of the plan."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.netops.calico.plugins.module_utils._bgp import switch


def node(name, ip, labels=None, rr=None):
    bgp = {"ipv4Address": f"{ip}/24"}
    if rr:
        bgp["routeReflectorClusterID"] = rr
    return {"kind": "Node", "metadata": {"name": name, "labels": dict(labels or {})}, "spec": {"bgp": bgp}}


NODES = [node(f"s{i}", f"198.18.0.{i}") for i in range(1, 6)] + [node("r1", "198.18.0.11"), node("r2", "198.18.0.12")]


def apply_changes(nodes, peers, cfg, changes):
    """What ensure_resource would leave in the datastore (for chaining plans)."""
    nodes, peers, cfg = copy.deepcopy(nodes), copy.deepcopy(peers), copy.deepcopy(cfg)
    for c in changes:
        if c.kind == "Node":
            n = next(x for x in nodes if x["metadata"]["name"] == c.name)
            n["spec"].update(c.spec)
            n["metadata"]["labels"] = c.labels
        elif c.kind == "BGPPeer":
            peers = [p for p in peers if p["metadata"]["name"] != c.name]
            if c.state == "present":
                peers.append({"kind": "BGPPeer", "metadata": {"name": c.name}, "spec": dict(c.spec)})
        else:
            cfg = cfg or {"kind": "BGPConfiguration", "metadata": {"name": "default"}, "spec": {}}
            cfg["spec"].update(c.spec)
    return nodes, peers, cfg


def test_to_reflectors_then_back():
    s = switch.Settings(reflectors=["r1", "r2"])
    p = switch.plan(NODES, [], None, s)
    assert [c.summary for c in p.prepare] == [
        "BGPPeer route-reflectors-clients: clients peer with every reflector",
        "BGPPeer route-reflectors-mesh: reflectors peer with each other",
        "Node r1: label route-reflector=true, routeReflectorClusterID 244.0.0.1",
        "Node r2: label route-reflector=true, routeReflectorClusterID 244.0.0.1",
    ]
    assert p.prepare[0].spec == {"nodeSelector": "route-reflector != 'true'",
                                 "peerSelector": "route-reflector == 'true'"}
    assert [c.summary for c in p.finish] == ["BGPConfiguration default: nodeToNodeMeshEnabled false"]
    assert p.sessions == {"nodes": 7, "reflectors": 2, "full_mesh": 21, "reflector_design": 11,
                          "during_switch": 21, "now": 21, "after_prepare": 21, "after_finish": 11}
    assert p.after_prepare["s1"] == ["Mesh_198_18_0_2", "Mesh_198_18_0_3", "Mesh_198_18_0_4", "Mesh_198_18_0_5",
                                     "Node_198_18_0_11", "Node_198_18_0_12"]
    assert p.after_finish["s1"] == ["Node_198_18_0_11", "Node_198_18_0_12"]
    assert p.after_finish["r1"] == ["Node_198_18_0_1", "Node_198_18_0_12", "Node_198_18_0_2", "Node_198_18_0_3",
                                    "Node_198_18_0_4", "Node_198_18_0_5"]
    assert switch.preconditions(p, "finish") and not switch.preconditions(p, "prepare")

    nodes, peers, cfg = apply_changes(NODES, [], None, p.prepare)
    p2 = switch.plan(nodes, peers, cfg, s)
    assert p2.prepare == [] and switch.preconditions(p2, "finish") == []
    nodes, peers, cfg = apply_changes(nodes, peers, cfg, p2.finish)
    p3 = switch.plan(nodes, peers, cfg, s)
    assert p3.prepare == [] and p3.finish == [] and p3.sessions["now"] == 11

    back = switch.Settings(target="mesh")
    b = switch.plan(nodes, peers, cfg, back)
    assert [c.summary for c in b.prepare] == ["BGPConfiguration default: nodeToNodeMeshEnabled true"]
    assert [c.summary for c in b.finish] == [
        "Node r1: remove label route-reflector and routeReflectorClusterID",
        "Node r2: remove label route-reflector and routeReflectorClusterID",
        "BGPPeer route-reflectors-clients: delete", "BGPPeer route-reflectors-mesh: delete"]
    assert (b.sessions["now"], b.sessions["after_prepare"], b.sessions["after_finish"]) == (11, 21, 21)
    assert switch.preconditions(b, "finish")
    nodes, peers, cfg = apply_changes(nodes, peers, cfg, b.prepare)
    nodes, peers, cfg = apply_changes(nodes, peers, cfg, switch.plan(nodes, peers, cfg, back).finish)
    done = switch.plan(nodes, peers, cfg, back)
    assert done.prepare == [] and done.finish == [] and peers == []
    assert all("route-reflector" not in n["metadata"]["labels"] for n in nodes)


def test_below_threshold_nothing_is_planned():
    p = switch.plan(NODES, [], None, switch.Settings())
    assert p.prepare == [] and p.finish == [] and "below the threshold" in p.placement.reason
    assert p.sessions["reflectors"] == 0 and p.sessions["reflector_design"] is None


def test_automatic_choice_past_the_threshold_in_zones():
    nodes = [node(f"n{i:02d}", f"198.18.{i // 200}.{i % 200 + 1}", {"topology.kubernetes.io/zone": "abc"[i % 3]})
             for i in range(60)]
    p = switch.plan(nodes, [], None, switch.Settings())
    assert sorted(p.placement.zones.values()) == ["a", "b", "c"]
    assert p.sessions["full_mesh"] == 1770 and p.sessions["reflector_design"] == 174
    assert p.sessions["after_finish"] == 174 and p.sessions["after_prepare"] == 1770


def test_dedicated_reflectors():
    s = switch.Settings(external=[{"ip": "198.18.0.101", "as_number": None}, {"ip": "198.18.0.102"}])
    p = switch.plan(NODES, [], {"spec": {"asNumber": 64600}}, s)
    assert [(c.name, c.spec) for c in p.prepare] == [
        ("route-reflectors-198-18-0-101", {"peerIP": "198.18.0.101", "asNumber": 64600}),
        ("route-reflectors-198-18-0-102", {"peerIP": "198.18.0.102", "asNumber": 64600})]
    assert p.after_prepare["s1"][:2] == ["Global_198_18_0_101", "Global_198_18_0_102"]
    assert p.sessions["reflector_design"] == 7 * 2 + 1
    nodes, peers, cfg = apply_changes(NODES, [], {"spec": {"asNumber": 64600}}, p.prepare + p.finish)
    b = switch.plan(nodes, peers, cfg, switch.Settings(target="mesh"))
    assert [c.summary for c in b.finish] == ["BGPPeer route-reflectors-198-18-0-101: delete",
                                             "BGPPeer route-reflectors-198-18-0-102: delete"]


def test_other_peers_are_left_alone_going_back():
    peers = [{"kind": "BGPPeer", "metadata": {"name": "tor"}, "spec": {"peerIP": "198.18.0.254", "asNumber": 64513}}]
    b = switch.plan(NODES, peers, None, switch.Settings(target="mesh"))
    assert b.prepare == [] and b.finish == []


@pytest.mark.parametrize("settings, field", [
    (switch.Settings(cluster_id="not-an-ip"), "cluster_id:"),
    (switch.Settings(label="bad label"), "label:"),
    (switch.Settings(threshold=0), "threshold:"),
    (switch.Settings(reflectors=["r1"], external=[{"ip": "198.18.0.9"}]), "reflectors/external_reflectors:"),
    (switch.Settings(external=[{"ip": "nope"}]), "external_reflectors[0].ip:"),
    (switch.Settings(reflectors=["ghost"]), "reflectors: ghost not found"),
])
def test_errors_name_the_field(settings, field):
    p = switch.plan(NODES, [], None, settings)
    assert any(e.startswith(field) for e in p.errors), p.errors
    assert p.prepare == [] and p.finish == []


def test_a_reflector_outside_the_new_set_is_refused():
    nodes = copy.deepcopy(NODES)
    nodes[0]["spec"]["bgp"]["routeReflectorClusterID"] = "244.0.0.1"
    p = switch.plan(nodes, [], None, switch.Settings(reflectors=["r1", "r2"]))
    assert any(e.startswith("reflectors: s1 are reflectors already") for e in p.errors)


def test_describe_has_the_three_steps():
    d = switch.describe(switch.plan(NODES, [], None, switch.Settings(reflectors=["r1", "r2"])))
    assert [s["step"] for s in d["steps"]] == ["prepare", "wait", "finish"]
    assert d["steps"][1]["sessions"] == 21 and d["reflectors"] == ["r1", "r2"]
