# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Applying the spec to a datastore, one safe stage at a time."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.netops.calico.plugins.module_utils._calico import felixconfig
from ansible_collections.netops.calico.plugins.module_utils._calico import ippool as _ippool
from ansible_collections.netops.calico.plugins.module_utils._calico import kinds as _kinds
from ansible_collections.netops.calico.plugins.module_utils._datastore import model
from ansible_collections.netops.calico.plugins.module_utils._datastore.dryrun import DryRun
from ansible_collections.netops.calico.plugins.module_utils._datastore.errors import ValidationError
from ansible_collections.netops.calico.plugins.module_utils._network.migration import (
    STAGES, classify, derive_stage, nodes_missing_tunnel, pool_encap,
)
from ansible_collections.netops.calico.plugins.module_utils._network.pools import PoolWant
from ansible_collections.netops.calico.plugins.module_utils._network.settings import (
    enabled_encapsulations, felix_spec, node_settings, pool_modes, scale_warnings, steady_flags,
)
from ansible_collections.netops.calico.plugins.module_utils._network.spec import Context, SpecResult
from ansible_collections.netops.calico.plugins.module_utils._network.validate import validate
from ansible_collections.netops.calico.plugins.module_utils._node import mtu as _mtu
from ansible_collections.netops.calico.plugins.module_utils._refused import Refused
from ansible_collections.netops.calico.plugins.module_utils._resource.changes import Changes
from ansible_collections.netops.calico.plugins.module_utils._resource.ensure import ensure_resource


@dataclass
class ApplyOptions:
    host_mtu: int | None = None
    host_mtu_nodes: list[str] | None = None                 # the nodes host_mtu was measured on
    bgp: dict[str, Any] = field(default_factory=dict)       # BGPConfiguration default fields
    migrate: bool = False
    force: bool = False
    nodes_converged: bool = False
    acknowledge_dataplane_switch: bool = False


def _spec_of(resource: dict | None) -> dict[str, Any] | None:
    return None if resource is None else (resource.get("spec") or {})


def preflight_pools(pools: list[PoolWant], current: dict[str, dict | None],
                    existing: dict[str, list] | None = None) -> list[str]:
    """Pool changes Calico refuses, found before anything is written. A new pool gets Calico's
    IPPool rules (``_calico.kinds``, the same function every IPPool write runs) against what is
    ``existing`` (``kinds.existing_for(ds, "IPPool", create=True)``) and the new pools before it in
    ``pools`` (so two overlapping ones are refused)."""
    errors = []
    existing = dict(existing or {})
    seen = list(existing.get("IPPool") or [])
    for p in pools:
        cur = _spec_of(current.get(p.name))
        if cur is None:
            if p.cidr:
                new = model.new_resource("IPPool", p.name, _ippool.default_pool_spec(p.spec()))
                errors += [f"IPPool {p.name}: {e}" for e in _kinds.validate(new, {**existing, "IPPool": seen})]
                seen.append(new)
            continue
        have = _ippool.pool_spec_from_storage(cur)
        if p.cidr and have.get("cidr") and ipaddress.ip_network(have["cidr"], strict=False) != ipaddress.ip_network(p.cidr):
            errors.append(f"IPPool {p.name}: cidr: cannot change from {have['cidr']} to {p.cidr}. "
                          + _ippool.IMMUTABLE["cidr"])
        elif p.cidr and have.get("cidr") and have["cidr"] != p.cidr:
            p.cidr = have["cidr"]                  # same network, other spelling: keep what is stored
        if p.block_size is not None and have.get("blockSize") != p.block_size:
            errors.append(f"IPPool {p.name}: blockSize: cannot change from {have.get('blockSize')} to "
                          f"{p.block_size}. " + _ippool.IMMUTABLE["blockSize"])
    return errors


def apply(ds, sr: SpecResult, ctx: Context, pools: list[PoolWant], opts: ApplyOptions) -> dict[str, Any]:
    """Make the datastore match the spec, one safe stage at a time. Returns the module result.
    Check mode: ``ds`` is a ``DryRun``, and every stage runs the same way against it."""
    run = _Apply(ds, sr, ctx, opts)
    run.read(pools)
    start = run.stage()
    run.refuse_unsafe(start)
    run.bgp_configuration()
    run.felix_first(start)
    run.pools()
    run.retire_old_encapsulation()
    return run.result(start, pools)


class _Apply:
    """One run of ``apply``: what was read, what was written (``changes``), and the migration's
    progress. The stage is derived again from the datastore state after every step."""

    def __init__(self, ds, sr: SpecResult, ctx: Context, opts: ApplyOptions) -> None:
        self.ds, self.sr, self.ctx, self.opts = ds, sr, ctx, opts
        self.eff = sr.effective
        self.target = self.eff["encapsulationMode"]
        self.changes = Changes()
        self.warnings = list(sr.warnings)
        self.managed: list[PoolWant] = []
        self.pool_state: dict[str, dict | None] = {}
        self.felix_state: dict | None = None
        self.nodes: list[dict] = []
        self.existing = False
        self.host_mtu: int | None = None
        self.tunnels: dict[str, int | None] = {}
        self.done_now: list[int] = []
        self.waiting: str | None = None
        self.missing: list[str] = []
        self.flipped_now = False

    # -- reading ---------------------------------------------------------------------------
    def read(self, pools: list[PoolWant]) -> None:
        """Current state, what cannot be managed, preflight errors, scale warnings, the MTU."""
        ds, opts = self.ds, self.opts
        felix = ds.get("FelixConfiguration", "default")
        bgpconf = ds.get("BGPConfiguration", "default")
        current = {p.name: ds.get("IPPool", p.name) for p in pools}
        self.nodes = nodes = ds.list("Node")
        for p in pools:
            if current[p.name] is None and not p.cidr:
                opt = "ipv4_pool_cidr" if p.version == 4 else "ipv6_pool_cidr"
                self.warnings.append(f"IPPool {p.name} does not exist and {opt} is not set: nothing to create")
                continue
            self.managed.append(p)
        errors = preflight_pools(self.managed, current, _kinds.existing_for(ds, "IPPool", create=True))
        if errors:
            raise ValidationError(errors)
        mesh = opts.bgp.get("nodeToNodeMeshEnabled")
        if mesh is None:
            mesh = (_spec_of(bgpconf) or {}).get("nodeToNodeMeshEnabled")
        mesh = True if mesh is None else mesh
        rrs = sum(1 for n in nodes if ((n.get("spec") or {}).get("bgp") or {}).get("routeReflectorClusterID"))
        node_count = self.ctx.node_count if self.ctx.node_count is not None else len(nodes)
        self.warnings += scale_warnings(self.eff, self.ctx, node_count, mesh, rrs)
        if self.sr.backend == "bird" and not mesh and not rrs and len(nodes) > 1 and not ds.list("BGPPeer"):
            self.warnings.append("BIRD will have no BGP peers: nodeToNodeMeshEnabled is false and there are no "
                                 "route reflectors or BGPPeers, so no pod routes are exchanged; set bgp_mesh: true "
                                 "or add peers")
        self.pool_state = {p.name: _spec_of(current[p.name]) for p in self.managed}
        self.felix_state = _spec_of(felix)
        self.existing = bool(nodes) or any(current.values())
        self.host_mtu, clamped = _mtu.clamp_host_mtu(opts.host_mtu, self.felix_state or {}, opts.host_mtu_nodes,
                                                     [(n.get("metadata") or {}).get("name", "") for n in nodes])
        if clamped:
            self.warnings.append(clamped)
        self.tunnels = _mtu.tunnel_mtus(self.host_mtu, self.eff["mtu"] or None)

    def stage(self) -> tuple[str | None, int | None]:
        """(direction, next stage) from the pools' modes and Felix's flags as they are now."""
        v4 = [s for p in self.managed if p.version == 4 and (s := self.pool_state[p.name]) is not None]
        return derive_stage(self.target, classify(v4), self.felix_state)

    def refuse_unsafe(self, start: tuple[str | None, int | None]) -> None:
        """A one-shot encapsulation switch or a dataplane switch needs an explicit option."""
        (direction, stage), opts, eff = start, self.opts, self.eff
        refusals = []
        if direction and not (opts.migrate or opts.force):
            frm = "IP-in-IP (BIRD)" if direction == "ipip->vxlan" else "VXLAN"
            steps = "; ".join(f"{i}. {n}" for i, (n, _d) in enumerate(STAGES[direction], 1))
            where = "starting" if stage == 1 else f"at stage {stage} ({STAGES[direction][stage - 1][0]})"
            refusals.append(f"The cluster's pools use {frm} and the spec asks for {self.target}: switching in one "
                            f"shot drops traffic between nodes that have not yet picked up the new configuration. "
                            f"Set migrate: true to run the staged migration ({steps}; {where}) and rerun until "
                            f"migration.complete, or force: true to switch at once.")
        cur_bpf = bool((self.felix_state or {}).get("bpfEnabled"))
        if self.existing and cur_bpf != eff["bpfEnabled"] and not opts.acknowledge_dataplane_switch:
            refusals.append(f"Switching the eBPF dataplane {'on' if eff['bpfEnabled'] else 'off'} in a running "
                            "cluster replaces every node's dataplane and resets existing connections (and needs "
                            "kube-proxy removed before / restored after). Set acknowledge_dataplane_switch: true "
                            "to do it.")
        if refusals:
            raise Refused(" ".join(refusals) + " Nothing was written.")

    # -- the stages ------------------------------------------------------------------------
    def _ensure(self, kind_name: str, name: str, spec: dict[str, Any], **kw: Any) -> dict | None:
        res = ensure_resource(self.ds, kind_name, name, "present", spec, changes=self.changes, **kw)
        return _spec_of(res["resource"])

    def _felix(self, flags: dict[str, bool]) -> None:
        self.felix_state = self._ensure("FelixConfiguration", "default",
                                        {**felix_spec(self.eff, self.ctx, self.tunnels), **flags},
                                        defaults=felixconfig.default_felixconfiguration_spec)

    def bgp_configuration(self) -> None:
        """BGPConfiguration first, so BIRD has the right mesh before pools change."""
        if self.opts.bgp:
            self._ensure("BGPConfiguration", "default", self.opts.bgp)

    def felix_first(self, start: tuple[str | None, int | None]) -> None:
        """FelixConfiguration: everything we own; during a migration both encapsulations on."""
        direction, stage = start
        self._felix({"ipipEnabled": True, "vxlanEnabled": True} if direction else steady_flags(self.eff))
        if direction and stage == 1:
            self.done_now.append(1)

    def pools(self) -> None:
        """Pools: other fields always converge; modes flip only when the stage allows."""
        direction, stage = self.stage()
        flip = direction is None or stage == 3
        if direction and stage == 2:
            if direction == "ipip->vxlan" or self.opts.force:
                flip = True
            elif self.opts.nodes_converged and 1 not in self.done_now:
                flip = True
            else:
                self.waiting = ("every host to run BIRD: apply node_settings (CALICO_NETWORKING_BACKEND=bird) on "
                                "every host, then rerun with nodes_converged: true")
        from_modes = {v: next(({"ipipMode": s.get("ipipMode") or "Never", "vxlanMode": s.get("vxlanMode") or "Never"}
                               for p in self.managed if p.version == v and (s := self.pool_state[p.name]) is not None),
                              None) for v in (4, 6)}
        for p in self.managed:
            want = p.spec()
            if flip:
                want.update(pool_modes(self.eff, p.version))
            elif self.pool_state[p.name] is None:
                want.update(from_modes[p.version] or pool_modes(self.eff, p.version))
            before = self.pool_state[p.name]
            # Calico's IPPool rules run inside ensure_resource (_calico.kinds), as for calico_ippool
            self.pool_state[p.name] = self._ensure("IPPool", p.name, want, defaults=_ippool.default_pool_spec,
                                                   immutable=_ippool.IMMUTABLE)
            if before is not None and pool_encap(before) != pool_encap(self.pool_state[p.name]):
                self.flipped_now = True
        if direction and stage == 2 and flip:
            self.done_now.append(2)

    def retire_old_encapsulation(self) -> None:
        """The old encapsulation goes once every node has the new tunnel."""
        direction, stage = self.stage()
        if not (direction and stage == 3):
            return
        if self._nodes_ready(direction):
            self._felix(steady_flags(self.eff))
            self.done_now.append(3)
            self.missing = []

    def _nodes_ready(self, direction: str) -> bool:
        managed, opts = self.managed, self.opts
        v6_vxlan = any(p.version == 6 and pool_encap(self.pool_state[p.name]) == "vxlan" for p in managed)
        v4_new = any(p.version == 4 for p in managed)
        self.missing = missing = nodes_missing_tunnel(self.nodes, direction, v4_new,
                                                      v6_vxlan if direction == "ipip->vxlan" else False)
        selective = any((self.pool_state[p.name] or {}).get("nodeSelector", "all()") not in ("all()", "")
                        for p in managed)
        tunnel = "VXLAN" if direction == "ipip->vxlan" else "IP-in-IP"
        if opts.force:
            return True
        if self.flipped_now and self.nodes:
            self.waiting = (f"calico-node on every node to allocate its {tunnel} tunnel address after the pools "
                            "changed in this run: rerun")
            return False
        if selective:
            if not opts.nodes_converged:
                self.waiting = (f"a pool selects only some nodes, so {tunnel} tunnel addresses cannot prove every "
                                "node is ready: rerun with nodes_converged: true once the nodes carry the new tunnels")
            return opts.nodes_converged
        if missing:
            self.waiting = (f"calico-node on {len(missing)} node(s) to allocate a {tunnel} tunnel address: "
                            f"{', '.join(missing[:20])}{' ...' if len(missing) > 20 else ''} (rerun; a node that "
                            "no longer exists must be decommissioned first)")
        return not missing

    # -- the result ------------------------------------------------------------------------
    def result(self, start: tuple[str | None, int | None], pools: list[PoolWant]) -> dict[str, Any]:
        eff, ctx, managed = self.eff, self.ctx, self.managed
        direction, stage = self.stage()
        backend = self.sr.backend if direction is None else "bird"
        v6_vxlan = any(p.version == 6 and pool_encap(self.pool_state[p.name]) == "vxlan" for p in managed)
        if not managed:
            v6_vxlan = ctx.has_ipv6 and pool_modes(eff, 6)["vxlanMode"] != "Never"
        enabled = enabled_encapsulations(self.felix_state or {}, v6_vxlan, eff, ctx)
        mtu = _mtu.compute(self.host_mtu, eff["mtu"] or None, enabled)
        self.warnings += _mtu.mtu_warnings(self.host_mtu, eff["mtu"] or None, enabled)
        migration = migration_report(start[0], start[1], direction, stage, self.done_now, self.waiting,
                                     self.missing, self.target, isinstance(self.ds, DryRun))
        return {
            "changed": self.changes.changed,
            "diff": self.changes.diff(),
            "effective": eff,
            "backend": backend,
            "mtu": mtu,
            "node_settings": node_settings(eff, ctx, backend, managed or pools, mtu),
            "migration": migration,
            "warnings": self.warnings,
            "errors": [],
            "resources": self.changes.resources,
        }


def migration_report(start_direction: str | None, start_stage: int | None, direction: str | None,
                     stage: int | None, done_now: list[int], waiting: str | None, missing: list[str],
                     target: str, writes_recorded: bool) -> dict[str, Any]:
    """The plan: every stage of the migration under way with its status (``writes_recorded``: the
    datastore was a DryRun, so a stage run now "would run now")."""
    if start_direction is None:
        return {"needed": False, "direction": None, "from": None, "to": target, "stages": [], "complete": True,
                "waiting_for": None, "nodes_pending": []}
    frm, to = start_direction.split("->")
    stages = []
    for i, (name, desc) in enumerate(STAGES[start_direction], 1):
        if i < start_stage:
            status = "done"
        elif i in done_now:
            status = "would run now" if writes_recorded else "done now"
        elif i == 4:                               # the hosts' stage of ipip->vxlan
            status = "apply node_settings on every host" if direction is None else "pending"
        elif direction is not None and i == stage and waiting:
            status = "waiting"
        else:
            status = "pending"
        stages.append({"stage": i, "name": name, "description": desc, "status": status})
    return {"needed": True, "direction": start_direction, "from": frm, "to": to, "stages": stages,
            "complete": direction is None, "waiting_for": None if direction is None else waiting,
            "nodes_pending": missing}


def validate_only(sr: SpecResult, ctx: Context, pools: list[PoolWant], host_mtu: int | None,
                  bgp_mesh: bool | None, pool_errors: list[str], as_number: int | None = None) -> dict[str, Any]:
    """The result without any datastore: the spec's steady state, and the errors of
    ``validate.validate``, the same checks a real run makes before connecting."""
    eff = sr.effective
    errors = validate(sr, pool_errors, host_mtu, as_number)
    out: dict[str, Any] = {"changed": False, "valid": not errors, "errors": errors, "warnings": list(sr.warnings),
                           "effective": eff}
    if not eff:
        return out
    flags = steady_flags(eff)
    v6_vxlan = ctx.has_ipv6 and pool_modes(eff, 6)["vxlanMode"] != "Never"
    enabled = enabled_encapsulations(flags, v6_vxlan, eff, ctx)
    mtu = _mtu.compute(host_mtu, eff["mtu"] or None, enabled)
    out["warnings"] += scale_warnings(eff, ctx, ctx.node_count, True if bgp_mesh is None else bgp_mesh)
    out["warnings"] += _mtu.mtu_warnings(host_mtu, eff["mtu"] or None, enabled)
    out.update(backend=sr.backend, mtu=mtu, node_settings=node_settings(eff, ctx, sr.backend, pools, mtu))
    return out
