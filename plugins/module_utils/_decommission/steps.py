# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The purge's steps as plan functions over the view, and the executor that packs them into guarded
etcd transactions (re-planning a step after a failed compare)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator

from ansible_collections.netops.calico.plugins.module_utils._batching import chunks
from ansible_collections.netops.calico.plugins.module_utils._datastore import ipam, model
from ansible_collections.netops.calico.plugins.module_utils._datastore.etcd import TXN_MAX_OPS, Item, Write
from ansible_collections.netops.calico.plugins.module_utils._decommission.plan import (
    NodePlan,
    View,
)


TXN_MAX_BYTES = 600_000    # raw value bytes per write transaction; etcd's request limit is 1.5 MiB


RETRIES = 5                # re-plans of one step after compare failures


AFFINITY_PENDING = model.go_json(ipam.affinity_value(ipam.AFFINITY_PENDING_DELETION)).encode()


Info = list[tuple[str, str, Any]]  # (node, category, item)
PlanFn = Callable[[View], tuple[list[Write], Info]]


@dataclass
class Unit:
    nodes: tuple[str, ...]
    plan: PlanFn


class Executor:
    """Runs units (plan functions over the view) as guarded etcd transactions, several units per
    transaction; on a failed compare, refreshes from the failure branch and re-plans each unit alone."""

    def __init__(self, ds, view: View, log: Callable[[str], None],
                 after_commit: Callable[[int], None] | None = None) -> None:
        self.ds = ds
        self.view = view
        self.log = log
        self.after_commit = after_commit
        self.commits = 0
        self.failed: dict[str, str] = {}
        self.report: dict[str, dict[str, list]] = {}
        self.writes = 0

    # -- bookkeeping ------------------------------------------------------------------------
    def _record(self, info: Info) -> None:
        for node, cat, item in info:
            self.report.setdefault(node, {}).setdefault(cat, []).append(item)

    def _live(self, unit: Unit) -> bool:
        return not any(n in self.failed for n in unit.nodes)

    # -- transactions -------------------------------------------------------------------------
    def _commit(self, ops: list[Write]) -> bool:
        """One guarded transaction; False (view refreshed) when a compare failed."""
        done = self.ds.commit(ops)
        self.commits += 1
        if self.after_commit:
            self.after_commit(self.commits)
        if done.ok:
            self.view.apply(ops, done.revision, done.revisions)
            self.writes += len(ops)
            return True
        self.writes += len(done.revisions)    # KDD: the writes made before the one that failed stand
        for key, item in done.current.items():
            self.view.add(item, key)
        return False

    def _alone(self, unit: Unit) -> None:
        """Plan and commit one unit, re-planning after each failed compare."""
        for _x in range(RETRIES):
            ops, info = unit.plan(self.view)
            if not ops:
                self._record(info)
                return
            ok = True
            for part in _split(ops):
                if not self._commit(part):
                    ok = False
                    break
            if ok:
                self._record(info)
                return
        msg = f"gave up after {RETRIES} conflicting writes (another writer keeps changing the same keys)"
        for n in unit.nodes:
            self.failed.setdefault(n, msg)

    def run(self, units: list[Unit]) -> None:
        """One phase: every unit planned against the current view, packed into transactions."""
        batch: list[tuple[Unit, list[Write], Info]] = []
        keys: set[str] = set()
        size = 0

        def flush() -> None:
            nonlocal batch, keys, size
            if not batch:
                return
            todo, batch, keys, size = batch, [], set(), 0
            ops = [op for _x, o, _x in todo for op in o]
            if self._commit(ops):
                for _x, _x, info in todo:
                    self._record(info)
                return
            self.log(f"calico_decommission: a key of a {len(ops)}-operation transaction changed since it was "
                     "read; planning its steps again one by one")
            for unit, _ops, _info in todo:
                if self._live(unit):
                    self._alone(unit)

        for unit in units:
            if not self._live(unit):
                continue
            ops, info = unit.plan(self.view)
            if not ops:
                self._record(info)
                continue
            if len(ops) > TXN_MAX_OPS:
                flush()
                self._alone(unit)
                continue
            ukeys = {op.key for op in ops}
            usize = sum(len(op.value or b"") for op in ops)
            if ukeys & keys or len(keys) + len(ops) > TXN_MAX_OPS or size + usize > TXN_MAX_BYTES:
                overlap = bool(ukeys & keys)
                flush()
                if overlap:   # planned against a view the flushed batch has changed
                    ops, info = unit.plan(self.view)
                    if not ops:
                        self._record(info)
                        continue
                    ukeys = {op.key for op in ops}
                    usize = sum(len(op.value or b"") for op in ops)
            batch.append((unit, ops, info))
            keys |= ukeys
            size += usize
        flush()


def _split(ops: list[Write]) -> Iterator[list[Write]]:
    """A unit too large for one transaction runs in order: its first op (the block) first, as
    libcalico-go writes the block before the handles."""
    if len(ops) <= TXN_MAX_OPS:
        yield ops
        return
    yield ops[:1]
    yield from chunks(ops[1:], TXN_MAX_OPS)


# -- the steps, as plan functions over the view ------------------------------------------------


def _delete_unit(node: str, key: str, category: str, item: Any = None,
                 still: Callable[[Item], bool] | None = None) -> Unit:
    def plan(view: View) -> tuple[list[Write], Info]:
        e = view.get(key)
        if e is None or (still is not None and not still(e)):
            return [], []
        return [Write(key, e.rev, None)], [(node, category, item if item is not None else key)]
    return Unit((node,), plan)


def _spec_node_is(node: str) -> Callable[[Item], bool]:
    return lambda e: isinstance(e.value, dict) and (e.value.get("spec") or {}).get("node") == node


def _release_unit(blocks: dict[str, list[tuple[str, ipam.Release]]]) -> Unit:
    """Release addresses in a group of blocks that share handles (a dual-stack pod's handle counts
    an IPv4 and an IPv6 block): the blocks and every handle they touch change in one transaction."""
    owner = {t.ip: n for ts in blocks.values() for n, t in ts}
    handle_owner = {t.handle: n for ts in blocks.values() for n, t in ts if t.handle}
    nodes = tuple(dict.fromkeys(n for ts in blocks.values() for n, _t in ts))

    def plan(view: View) -> tuple[list[Write], Info]:
        ops: list[Write] = []
        info: Info = []
        released: list[tuple[str, dict[str, int]]] = []
        for bkey, targets in blocks.items():
            be = view.get(bkey)
            if be is None or not isinstance(be.value, dict):
                continue
            new, counts, ips = ipam.release(be.value, [t for _n, t in targets])
            if new is None:
                continue
            info += [(owner[ip], "ips", ip) for ip in ips]
            cidr = be.value["cidr"]
            if ipam.is_empty(new) and new.get("affinity") is None:
                ops.append(Write(bkey, be.rev, None))
                info.append((owner[ips[0]], "blocks_deleted", cidr))
            else:
                ops.append(Write(bkey, be.rev, model.serialise("IPAMBlock", new).encode()))
            released.append((cidr, counts))
        handles: dict[str, Any] = {}
        for cidr, counts in released:
            for h, n in counts.items():
                if h not in handles:
                    he = view.get(model.handle_key(h))
                    if he is None or not isinstance(he.value, dict):
                        continue
                    handles[h] = (he, he.value)
                he, value = handles[h]
                handles[h] = (he, value if value is None else ipam.decrement_handle(value, cidr, n))
        for h in sorted(handles):
            he, value = handles[h]
            ops.append(Write(he.key, he.rev, None if value is None else model.go_json(value).encode()))
            info.append((handle_owner.get(h, nodes[0]), "handles", h))
        return ops, info
    return Unit(nodes, plan)


def _release_groups(by_block: dict[str, list[tuple[str, ipam.Release]]]) -> list[dict[str, list]]:
    """Blocks grouped by shared handles (union-find), so that a handle changes once per group."""
    parent: dict[str, str] = {b: b for b in by_block}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x
    first: dict[str, str] = {}
    for bkey, targets in by_block.items():
        for _n, t in targets:
            if t.handle:
                other = first.setdefault(t.handle, bkey)
                parent[find(bkey)] = find(other)
    groups: dict[str, dict[str, list]] = {}
    for bkey, targets in by_block.items():
        groups.setdefault(find(bkey), {})[bkey] = targets
    return list(groups.values())


def _affinity_matches(view: View, bkey: str, node: str) -> Item | None:
    be = view.get(bkey)
    if be is None or not isinstance(be.value, dict) or be.value.get("affinity") != f"host:{node}":
        return None
    return be


def _mark_unit(node: str, akey: str, bkey: str) -> Unit:
    def plan(view: View) -> tuple[list[Write], Info]:
        ae = view.get(akey)
        if ae is None or _affinity_matches(view, bkey, node) is None:
            return [], []
        if ipam.affinity_state(ae.value) == ipam.AFFINITY_PENDING_DELETION:
            return [], []
        return [Write(akey, ae.rev, AFFINITY_PENDING)], []
    return Unit((node,), plan)


def _release_affinity_unit(node: str, akey: str, bkey: str) -> Unit:
    def plan(view: View) -> tuple[list[Write], Info]:
        ae = view.get(akey)
        if ae is None:
            return [], []
        cidr = model.parse_key(bkey)[1]
        be = _affinity_matches(view, bkey, node)
        info: Info = [(node, "affinities", cidr)]
        if be is None:   # block gone or claimed by another node: only the stale affinity goes
            return [Write(akey, ae.rev, None)], info
        if ipam.is_empty(be.value):
            info.append((node, "blocks_deleted", cidr))
            return [Write(bkey, be.rev, None), Write(akey, ae.rev, None)], info
        info.append((node, "blocks_unaffined", cidr))
        new = ipam.clear_affinity(be.value)
        return [Write(bkey, be.rev, model.serialise("IPAMBlock", new).encode()), Write(akey, ae.rev, None)], info
    return Unit((node,), plan)


def phases(plans: list[NodePlan], delete_node: bool = True) -> list[tuple[str, list[Unit]]]:
    """The purge of a batch of nodes, phase by phase in nodes.Delete's order; each phase is
    committed before the next starts. ``delete_node`` False leaves the Node itself (the
    Kubernetes Node, on the Kubernetes datastore)."""
    by_block: dict[str, list[tuple[str, ipam.Release]]] = {}
    for p in plans:
        for bkey, t in p.releases:
            by_block.setdefault(bkey, []).append((p.name, t))
    release = [_release_unit(group) for group in _release_groups(by_block)]
    weps = [_delete_unit(p.name, k, "workload_endpoints", k.split("/", 6)[-1], _spec_node_is(p.name))
            for p in plans for k in p.weps]
    mark = [_mark_unit(p.name, a, b) for p in plans for a, b in p.affinities]
    affin = [_release_affinity_unit(p.name, a, b) for p in plans for a, b in p.affinities]
    rest: list[Unit] = []
    for p in plans:
        if p.host_key:
            rest.append(_delete_unit(p.name, p.host_key, "ipam_host"))
        rest += [_delete_unit(p.name, k, "bgp_peers", k.rsplit("/", 1)[-1], _spec_node_is(p.name)) for k in p.peers]
        if p.felix_config:
            rest.append(_delete_unit(p.name, p.felix_config, "felix_configuration", f"node.{p.name}"))
        if p.bgp_config:
            rest.append(_delete_unit(p.name, p.bgp_config, "bgp_configuration", f"node.{p.name}"))
        rest += [_delete_unit(p.name, k, "host_endpoints", k.rsplit("/", 1)[-1], _spec_node_is(p.name))
                 for k in p.heps]
        rest += [_delete_unit(p.name, k, "status_reports") for k in p.status_keys]
    node = [_delete_unit(p.name, model.resource_key("Node", p.name), "node", p.name) for p in plans
            if p.node_rev is not None and delete_node]
    return [("release", release), ("workload_endpoints", weps), ("mark_affinities", mark),
            ("release_affinities", affin), ("node_config", rest), ("node", node)]
