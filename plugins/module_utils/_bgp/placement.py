# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which nodes become route reflectors, and how many BGP sessions each design needs.

Rule (issue 12): reflectors come from an explicit list (an inventory group) or, past a node-count
threshold (default 50, where Calico's docs and kOps PR #6047 recommend leaving the full mesh), are
chosen automatically: an odd number (3 by default) spread across zones when nodes carry a zone
label. Nodes that are reflectors already are kept first, so reruns do not move reflectors.
Pure functions: no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

DEFAULT_ZONE_LABEL = "topology.kubernetes.io/zone"


@dataclass(frozen=True)
class Candidate:
    name: str
    ipv4: str | None = None
    zone: str | None = None
    reflector: bool = False          # a reflector already (routeReflectorClusterID or the label set)


@dataclass
class Placement:
    wanted: bool                     # are reflectors wanted at all
    reflectors: list[str] = field(default_factory=list)
    zones: dict[str, str | None] = field(default_factory=dict)    # reflector -> its zone
    reason: str = ""
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def candidate_from_node(node: Mapping[str, Any], label: str, zone_label: str = DEFAULT_ZONE_LABEL) -> Candidate:
    """A Candidate from a v3 Node resource."""
    meta = node.get("metadata") or {}
    labels = meta.get("labels") or {}
    bgp = (node.get("spec") or {}).get("bgp") or {}
    ipv4 = (bgp.get("ipv4Address") or "").split("/")[0] or None
    return Candidate(name=meta.get("name", ""), ipv4=ipv4, zone=labels.get(zone_label) or None,
                     reflector=bool(bgp.get("routeReflectorClusterID")) or label in labels)


def choose(nodes: Iterable[Candidate], explicit: list[str] | None = None, threshold: int = 50,
           count: int = 3) -> Placement:
    """The reflectors for ``nodes``.

    ``explicit`` (the inventory group) wins when given and non-empty: every name must be a node with
    an IPv4 BGP address; any count is accepted, with a warning for one (no redundancy) or an even
    number (no majority, see the issue's odd-count rule). Otherwise reflectors are wanted only when
    there are at least ``threshold`` nodes (or reflectors exist already); ``count`` must be odd.
    """
    nodes = sorted(nodes, key=lambda c: c.name)
    by_name = {c.name: c for c in nodes}
    out = Placement(wanted=False)
    if explicit:
        missing = [n for n in explicit if n not in by_name]
        no_ip = [n for n in explicit if n in by_name and not by_name[n].ipv4]
        if missing:
            out.errors.append(f"reflectors: {', '.join(missing)} not found among the Calico nodes "
                              f"({len(nodes)} nodes); use Calico node names (calicoctl get nodes), or fix the group")
        if no_ip:
            out.errors.append(f"reflectors: {', '.join(no_ip)} have no spec.bgp.ipv4Address; a reflector needs "
                              "an IPv4 BGP address (calico-node sets it at start: IP=autodetect)")
        chosen = list(dict.fromkeys(explicit))
        if len(chosen) == 1:
            out.warnings.append("reflectors: a single reflector is a single point of failure; use 3")
        elif len(chosen) % 2 == 0:
            out.warnings.append(f"reflectors: {len(chosen)} reflectors (even); an odd number (3) is recommended")
        out.wanted = True
        out.reflectors = chosen
        out.zones = {n: by_name[n].zone if n in by_name else None for n in chosen}
        out.reason = f"{len(chosen)} reflectors from the inventory group"
        return out

    if count < 1 or count % 2 == 0:
        out.errors.append(f"count: {count} is not an odd number >= 1; set count to 1, 3 or 5 (3 by default)")
        return out
    eligible = [c for c in nodes if c.ipv4]
    existing = [c for c in eligible if c.reflector]
    if len(nodes) < threshold and not existing:
        out.reason = f"{len(nodes)} nodes, below the threshold of {threshold}: the full mesh stays"
        return out
    if len(eligible) < count:
        out.errors.append(f"count: {count} reflectors wanted but only {len(eligible)} nodes have an IPv4 BGP "
                          "address; lower count or add nodes")
        return out
    out.wanted = True
    chosen: list[Candidate] = existing[:count]
    per_zone: dict[str | None, int] = {}
    for c in chosen:
        per_zone[c.zone] = per_zone.get(c.zone, 0) + 1
    pool = [c for c in eligible if c not in chosen]
    zones = sorted({c.zone for c in pool}, key=lambda z: (z is None, z or ""))
    while len(chosen) < count:
        # the zone with the fewest reflectors so far that still has a candidate; ties by zone name
        zone = min((z for z in zones if any(c.zone == z for c in pool)),
                   key=lambda z: (per_zone.get(z, 0), z is None, z or ""))
        pick = next(c for c in pool if c.zone == zone)
        pool.remove(pick)
        chosen.append(pick)
        per_zone[zone] = per_zone.get(zone, 0) + 1
    chosen.sort(key=lambda c: c.name)
    out.reflectors = [c.name for c in chosen]
    out.zones = {c.name: c.zone for c in chosen}
    zones_used = {c.zone for c in chosen if c.zone}
    out.reason = (f"{len(nodes)} nodes (threshold {threshold}): {count} reflectors"
                  + (f" across {len(zones_used)} zones" if zones_used else " (no zone labels)"))
    if len(existing) > count:
        out.errors.append(f"count: {len(existing)} nodes are reflectors already ("
                          f"{', '.join(c.name for c in existing)}) but count is {count}; raise count, or switch "
                          "back to the mesh first (target: mesh) to demote them")
    return out


def mesh_sessions(n: int) -> int:
    """Sessions of Calico's node-to-node mesh: n(n-1)/2."""
    return n * (n - 1) // 2


def reflector_sessions(n: int, r: int, external: bool = False) -> int:
    """Sessions of the reflector design: every client to every reflector, reflectors meshed among
    themselves. ``external``: the r reflectors are dedicated hosts, so all n nodes are clients."""
    clients = n if external else n - r
    return clients * r + r * (r - 1) // 2


def transition_sessions(n: int, r: int, external: bool = False) -> int:
    """Sessions while both run (reflectors prepared, mesh still on): Calico keeps reflector nodes
    out of the mesh (confd processMeshPeers), so the mesh is among the clients only."""
    clients = n if external else n - r
    return mesh_sessions(clients) + reflector_sessions(n, r, external)
