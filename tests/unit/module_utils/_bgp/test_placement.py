"""Route-reflector placement (odd count, zones, threshold, stability) and the session counts."""

from __future__ import annotations

import pytest

from ansible_collections.netops.calico.plugins.module_utils._bgp import placement
from ansible_collections.netops.calico.plugins.module_utils._bgp.placement import Candidate, choose


def nodes(n: int, zones: tuple[str | None, ...] = (None,), reflectors: tuple[str, ...] = ()) -> list[Candidate]:
    return [Candidate(f"n{i:03d}", f"198.18.{i // 250}.{i % 250 + 1}", zones[i % len(zones)], f"n{i:03d}" in reflectors)
            for i in range(n)]


@pytest.mark.parametrize("n, wanted", [(1, False), (49, False), (50, True), (51, True), (500, True)])
def test_threshold(n, wanted):
    p = choose(nodes(n))
    assert p.wanted is wanted and not p.errors
    assert len(p.reflectors) == (3 if wanted else 0)


@pytest.mark.parametrize("count", [1, 3, 5, 7])
def test_odd_counts_are_chosen(count):
    p = choose(nodes(60), count=count)
    assert len(p.reflectors) == count and len(set(p.reflectors)) == count and not p.errors


@pytest.mark.parametrize("count", [0, 2, 4, -1])
def test_even_or_zero_count_is_refused_naming_the_field(count):
    p = choose(nodes(60), count=count)
    assert not p.wanted and p.errors and p.errors[0].startswith("count:") and "odd" in p.errors[0]


@pytest.mark.parametrize("zones, count, per_zone", [
    (("a", "b", "c"), 3, {"a": 1, "b": 1, "c": 1}),
    (("a", "b"), 3, {"a": 2, "b": 1}),
    (("a", "b", "c"), 5, {"a": 2, "b": 2, "c": 1}),
    (("a", "b", "c", "d", "e"), 3, {"a": 1, "b": 1, "c": 1}),
    (("a",), 3, {"a": 3}),
])
def test_spread_across_zones(zones, count, per_zone):
    p = choose(nodes(90, zones), count=count)
    got: dict[str, int] = {}
    for z in p.zones.values():
        got[z] = got.get(z, 0) + 1
    assert got == per_zone
    assert "zones" in p.reason


def test_unlabelled_nodes_are_a_zone_of_their_own_chosen_last():
    cands = nodes(60, ("a", None))
    p = choose(cands, count=3)
    assert sorted((z or "") for z in p.zones.values()) == ["", "a", "a"]


def test_existing_reflectors_are_kept_so_reruns_do_not_move_them():
    p = choose(nodes(80, ("a", "b", "c"), reflectors=("n077", "n078")), count=3)
    assert {"n077", "n078"} < set(p.reflectors) and len(p.reflectors) == 3
    # zone of n077 is c (77 % 3 = 2), of n078 a: the third goes to b
    third = next(n for n in p.reflectors if n not in ("n077", "n078"))
    assert p.zones[third] == "b"
    again = choose([Candidate(c.name, c.ipv4, c.zone, c.name in p.reflectors) for c in nodes(80, ("a", "b", "c"))])
    assert again.reflectors == p.reflectors


def test_existing_reflectors_keep_reflectors_wanted_below_the_threshold():
    p = choose(nodes(10, reflectors=("n001",)), count=1)
    assert p.wanted and p.reflectors == ["n001"]


def test_more_existing_reflectors_than_count_is_an_error():
    p = choose(nodes(60, reflectors=("n001", "n002", "n003", "n004", "n005")), count=3)
    assert any(e.startswith("count:") and "target: mesh" in e for e in p.errors)


def test_nodes_without_ipv4_are_not_chosen():
    cands = [Candidate(f"x{i}", None, None) for i in range(60)] + nodes(3)
    p = choose(cands, count=3)
    assert sorted(p.reflectors) == ["n000", "n001", "n002"]
    assert choose(cands[:60] + nodes(2), count=3).errors[0].startswith("count:")


def test_explicit_group_wins_and_warns_on_even_or_single():
    p = choose(nodes(5), explicit=["n001", "n003"])
    assert p.wanted and p.reflectors == ["n001", "n003"] and "even" in p.warnings[0]
    assert "single point of failure" in choose(nodes(5), explicit=["n001"]).warnings[0]
    assert not choose(nodes(5), explicit=["n000", "n001", "n002"]).warnings


def test_explicit_group_errors_name_the_field_and_the_fix():
    cands = nodes(3) + [Candidate("noip", None)]
    p = choose(cands, explicit=["n001", "ghost", "noip"])
    assert p.errors[0].startswith("reflectors: ghost not found") and "calicoctl get nodes" in p.errors[0]
    assert p.errors[1].startswith("reflectors: noip have no spec.bgp.ipv4Address")


def test_candidate_from_node():
    node = {"metadata": {"name": "a", "labels": {"topology.kubernetes.io/zone": "z1"}},
            "spec": {"bgp": {"ipv4Address": "198.18.0.1/24", "routeReflectorClusterID": "244.0.0.1"}}}
    assert placement.candidate_from_node(node, "route-reflector") == Candidate("a", "198.18.0.1", "z1", True)
    node = {"metadata": {"name": "b", "labels": {"route-reflector": "true"}}, "spec": {}}
    assert placement.candidate_from_node(node, "route-reflector") == Candidate("b", None, None, True)


@pytest.mark.parametrize("n, r, mesh, rr, during", [
    (7, 2, 21, 11, 21),          # the real-BGP test: 5 clients + 2 reflectors
    (50, 3, 1225, 144, 1225),
    (100, 3, 4950, 294, 4950),
    (1000, 3, 499500, 2994, 499500),
    (3, 3, 3, 3, 3),
    (1, 1, 0, 0, 0),
])
def test_session_counts(n, r, mesh, rr, during):
    assert placement.mesh_sessions(n) == mesh == n * (n - 1) // 2
    assert placement.reflector_sessions(n, r) == rr == (n - r) * r + r * (r - 1) // 2
    assert placement.transition_sessions(n, r) == during == placement.mesh_sessions(n - r) + rr
    # every pair of nodes has exactly one session during the switch: never more than the mesh
    assert during == mesh


def test_session_counts_with_dedicated_reflectors():
    assert placement.reflector_sessions(100, 3, external=True) == 303
    assert placement.transition_sessions(100, 3, external=True) == 4950 + 303
