# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mesh <-> route-reflector switch, in two steps per direction, so that no client node is ever
without a path to every block:

to reflectors  prepare  BGPPeers (clients -> reflectors, reflector <-> reflector), then the
                        reflector nodes get the label and ``routeReflectorClusterID``; the mesh
                        stays on. [the role waits until every session confd now configures is
                        Established on every node]
               finish   ``nodeToNodeMeshEnabled: false`` -- refused unless prepare is complete.
to the mesh    prepare  ``nodeToNodeMeshEnabled: true``. [the role waits for the mesh sessions]
               finish   the reflector BGPPeers are deleted and the reflector nodes lose the label
                        and cluster ID -- refused unless the mesh is on.

Calico keeps a node with a cluster ID out of the mesh (confd processMeshPeers), so a node that
becomes (or stops being) a reflector re-peers during prepare (finish going back); clients never do.

``plan`` is pure: datastore state in, the changes of both steps, the sessions confd configures after
each and the session counts out. ``apply`` makes one step's changes through ``ensure_resource``
(check mode skips only the writes)."""

from __future__ import annotations

import copy
import ipaddress
from dataclasses import dataclass, field
from typing import Any, Mapping

from ansible_collections.netops.calico.plugins.module_utils._bgp import confd, placement

LABEL_VALUE = "true"


@dataclass
class Settings:
    target: str = "reflectors"              # reflectors | mesh
    reflectors: list[str] | None = None     # explicit (inventory group)
    external: list[dict] | None = None      # dedicated reflector hosts: [{"ip", "as_number"}]
    threshold: int = 50
    count: int = 3
    zone_label: str = placement.DEFAULT_ZONE_LABEL
    cluster_id: str = "244.0.0.1"
    label: str = "route-reflector"
    peer_prefix: str = "route-reflectors"

    def clients_peer(self) -> str:
        return f"{self.peer_prefix}-clients"

    def reflectors_peer(self) -> str:
        return f"{self.peer_prefix}-mesh"

    def external_peer(self, ip: str) -> str:
        return f"{self.peer_prefix}-{ip.replace('.', '-').replace(':', '-')}"


@dataclass
class Change:
    kind: str
    name: str
    state: str                  # present | absent
    spec: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, str] | None = None
    summary: str = ""


@dataclass
class State:
    nodes: list[dict]
    peers: list[dict]
    bgp_config: dict | None

    def copy(self) -> State:
        return State(copy.deepcopy(self.nodes), copy.deepcopy(self.peers), copy.deepcopy(self.bgp_config))


@dataclass
class Plan:
    target: str
    placement: placement.Placement | None
    prepare: list[Change]
    finish: list[Change]
    sessions: dict[str, Any]
    after_prepare: dict[str, list[str]]
    after_finish: dict[str, list[str]]
    errors: list[str] = field(default_factory=list)
    addresses: dict[str, str] = field(default_factory=dict)    # node -> IPv4 BGP address
    as_number: int = confd.DEFAULT_AS                            # the cluster's AS


def validate(settings: Settings) -> list[str]:
    errors = []
    if settings.target not in ("reflectors", "mesh"):
        errors.append(f"target: {settings.target!r} is not reflectors or mesh")
    try:
        ipaddress.IPv4Address(settings.cluster_id)
    except ValueError:
        errors.append(f"cluster_id: {settings.cluster_id!r} is not an IPv4 address; Calico's "
                      "routeReflectorClusterID is one (e.g. 244.0.0.1)")
    if not settings.label or any(c in settings.label for c in " '\"(){}!=&|,"):
        errors.append(f"label: {settings.label!r} is not a plain label key (e.g. route-reflector)")
    if settings.external and settings.reflectors:
        errors.append("reflectors/external_reflectors: set one of them: node reflectors or dedicated hosts")
    for i, ext in enumerate(settings.external or []):
        try:
            ipaddress.IPv4Address(str(ext.get("ip")))
        except ValueError:
            errors.append(f"external_reflectors[{i}].ip: {ext.get('ip')!r} is not an IPv4 address")
    if settings.threshold < 1:
        errors.append(f"threshold: {settings.threshold} must be >= 1")
    return errors


def _name(res: Mapping[str, Any]) -> str:
    return (res.get("metadata") or {}).get("name", "")


def _set_peer(state: State, changes: list[Change], name: str, spec: dict[str, Any], why: str) -> None:
    cur = next((p for p in state.peers if _name(p) == name), None)
    if cur is not None and all((cur.get("spec") or {}).get(k) == v for k, v in spec.items()):
        return
    if cur is None:
        cur = {"kind": "BGPPeer", "metadata": {"name": name}, "spec": {}}
        state.peers.append(cur)
    cur["spec"].update(spec)
    changes.append(Change("BGPPeer", name, "present", dict(spec), None, f"BGPPeer {name}: {why}"))


def _del_peer(state: State, changes: list[Change], name: str) -> None:
    if any(_name(p) == name for p in state.peers):
        state.peers = [p for p in state.peers if _name(p) != name]
        changes.append(Change("BGPPeer", name, "absent", summary=f"BGPPeer {name}: delete"))


def _set_node(state: State, changes: list[Change], name: str, cluster_id: str | None, label: str,
              reflector: bool) -> None:
    node = next(n for n in state.nodes if _name(n) == name)
    meta = node.setdefault("metadata", {})
    labels = dict(meta.get("labels") or {})
    bgp = dict((node.get("spec") or {}).get("bgp") or {})
    new_labels = dict(labels)
    new_bgp = dict(bgp)
    if reflector:
        new_labels[label] = LABEL_VALUE
        new_bgp["routeReflectorClusterID"] = cluster_id
    else:
        new_labels.pop(label, None)
        new_bgp.pop("routeReflectorClusterID", None)
    if new_labels == labels and new_bgp == bgp:
        return
    meta["labels"] = new_labels
    node.setdefault("spec", {})["bgp"] = new_bgp
    what = (f"label {label}={LABEL_VALUE}, routeReflectorClusterID {cluster_id}" if reflector
            else f"remove label {label} and routeReflectorClusterID")
    changes.append(Change("Node", name, "present", {"bgp": new_bgp}, new_labels, f"Node {name}: {what}"))


def _set_mesh(state: State, changes: list[Change], enabled: bool) -> None:
    if confd.mesh_enabled(state.bgp_config) == enabled:     # no BGPConfiguration: confd's mesh is on
        return
    if state.bgp_config is None:
        state.bgp_config = {"kind": "BGPConfiguration", "metadata": {"name": "default"}, "spec": {}}
    state.bgp_config.setdefault("spec", {})["nodeToNodeMeshEnabled"] = enabled
    changes.append(Change("BGPConfiguration", "default", "present", {"nodeToNodeMeshEnabled": enabled}, None,
                          f"BGPConfiguration default: nodeToNodeMeshEnabled {str(enabled).lower()}"))


def _sel(label: str, reflector: bool) -> str:
    return f"{label} == '{LABEL_VALUE}'" if reflector else f"{label} != '{LABEL_VALUE}'"


def current_reflectors(nodes: list[dict], label: str) -> list[str]:
    out = []
    for n in nodes:
        bgp = (n.get("spec") or {}).get("bgp") or {}
        if bgp.get("routeReflectorClusterID") or label in ((n.get("metadata") or {}).get("labels") or {}):
            out.append(_name(n))
    return sorted(out)


def plan(nodes: list[dict], peers: list[dict], bgp_config: dict | None, settings: Settings) -> Plan:
    state0 = State(copy.deepcopy(nodes), copy.deepcopy(peers), copy.deepcopy(bgp_config))
    errors = validate(settings)
    prep: list[Change] = []
    fin: list[Change] = []
    place = None
    state1 = state0.copy()
    if not errors and settings.target == "reflectors":
        if settings.external:
            place = placement.Placement(wanted=True, reflectors=[str(e["ip"]) for e in settings.external],
                                        reason=f"{len(settings.external)} dedicated reflector hosts")
            gas = confd.global_as(bgp_config)
            for ext in settings.external:
                ip = str(ext["ip"])
                _set_peer(state1, prep, settings.external_peer(ip),
                          {"peerIP": ip, "asNumber": int(ext.get("as_number") or gas)},
                          f"every node peers with the dedicated reflector {ip}")
        else:
            cands = [placement.candidate_from_node(n, settings.label, settings.zone_label) for n in nodes]
            place = placement.choose(cands, settings.reflectors, settings.threshold, settings.count)
            errors += place.errors
            existing = current_reflectors(nodes, settings.label)
            extra = [n for n in existing if n not in place.reflectors]
            if place.wanted and extra:
                errors.append(f"reflectors: {', '.join(extra)} are reflectors already but not chosen now "
                              f"({', '.join(place.reflectors)}); switch back to the mesh first (target: mesh), "
                              "or include them")
            if place.wanted and not errors:
                _set_peer(state1, prep, settings.clients_peer(),
                          {"nodeSelector": _sel(settings.label, False), "peerSelector": _sel(settings.label, True)},
                          "clients peer with every reflector")
                _set_peer(state1, prep, settings.reflectors_peer(),
                          {"nodeSelector": _sel(settings.label, True), "peerSelector": _sel(settings.label, True)},
                          "reflectors peer with each other")
                for name in place.reflectors:
                    _set_node(state1, prep, name, settings.cluster_id, settings.label, True)
        state2 = state1.copy()
        if place is not None and place.wanted and not errors:
            _set_mesh(state2, fin, False)
    elif not errors:
        _set_mesh(state1, prep, True)
        state2 = state1.copy()
        for name in current_reflectors(state2.nodes, settings.label):
            _set_node(state2, fin, name, None, settings.label, False)
        for p in list(state2.peers):
            pname = _name(p)
            if pname in (settings.clients_peer(), settings.reflectors_peer()) or (
                    pname.startswith(settings.peer_prefix + "-") and (p.get("spec") or {}).get("peerIP")
                    and not (p.get("spec") or {}).get("nodeSelector")):
                _del_peer(state2, fin, pname)
    else:
        state2 = state1.copy()

    sessions: dict[str, Any] = {}
    after1: dict[str, list[str]] = {}
    after2: dict[str, list[str]] = {}
    if not errors:
        sessions, after1, after2 = _sessions(nodes, settings, place, (state0, state1, state2))
    addresses = {confd.node_bgp(n).name: confd.node_bgp(n).ipv4 for n in nodes if confd.node_bgp(n).ipv4}
    return Plan(settings.target, place, prep, fin, sessions, after1, after2, errors, addresses,
                confd.global_as(bgp_config))


def _sessions(nodes: list[dict], settings: Settings, place: placement.Placement | None,
              states: tuple[State, State, State]) -> tuple[dict[str, Any], dict[str, list[str]], dict[str, list[str]]]:
    """Session counts now, after prepare and after finish, and the design's numbers."""
    state0, state1, state2 = states
    ips = {confd.node_bgp(n).name: confd.node_bgp(n).ipv4 for n in nodes if confd.node_bgp(n).ipv4}
    for ext in settings.external or []:
        ips[str(ext["ip"])] = str(ext["ip"])
    now = confd.sessions_by_node(state0.nodes, state0.peers, state0.bgp_config)
    after1 = confd.sessions_by_node(state1.nodes, state1.peers, state1.bgp_config)
    after2 = confd.sessions_by_node(state2.nodes, state2.peers, state2.bgp_config)
    n = len(ips) - len(settings.external or [])
    if settings.target == "reflectors":
        r = len(place.reflectors) if place and place.wanted else 0
    else:
        r = len(current_reflectors(nodes, settings.label))
    external = bool(settings.external)
    sessions = {
        "nodes": n, "reflectors": r,
        "full_mesh": placement.mesh_sessions(n),
        "reflector_design": placement.reflector_sessions(n, r, external) if r else None,
        "during_switch": placement.transition_sessions(n, r, external) if r else None,
        "now": confd.count_sessions(now, ips),
        "after_prepare": confd.count_sessions(after1, ips),
        "after_finish": confd.count_sessions(after2, ips),
    }
    return sessions, after1, after2


def describe(p: Plan) -> dict[str, Any]:
    """The plan as module output."""
    place = p.placement
    return {
        "target": p.target,
        "reflectors": place.reflectors if place and place.wanted else [],
        "zones": place.zones if place else {},
        "reason": place.reason if place else "",
        "warnings": place.warnings if place else [],
        "sessions": p.sessions,
        "addresses": p.addresses,
        "as_number": p.as_number,
        "steps": [
            {"step": "prepare", "changes": [c.summary for c in p.prepare]},
            {"step": "wait", "sessions": p.sessions.get("after_prepare"),
             "what": "every session confd configures after prepare is Established on every node"},
            {"step": "finish", "changes": [c.summary for c in p.finish]},
        ],
    }


def preconditions(p: Plan, step: str) -> list[str]:
    """Why ``step`` may not run now (finish before prepare is complete)."""
    if step == "finish" and p.prepare:
        first = "the reflector peerings are not in place" if p.target == "reflectors" else "the mesh is not on"
        return [f"step: finish refused, {first} ({'; '.join(c.summary for c in p.prepare)}); run step prepare, "
                "wait until its sessions are Established (netops.calico.calico_bgp_status), then finish"]
    return []


def apply(ds, changes: list[Change], ensure, tracker) -> None:
    """Make ``changes`` in order with ``ensure`` (_resource.ensure.ensure_resource; in check mode
    ``ds`` is a DryRun), recording each in ``tracker`` (a _resource.changes.Changes). A Node's labels
    are the exact set planned from the Node read (the write is guarded by its revision)."""
    for c in changes:
        ensure(ds, c.kind, c.name, c.state, c.spec, labels=c.labels, changes=tracker, purge_labels=c.labels is not None)
