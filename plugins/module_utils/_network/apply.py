# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Applying the spec to a datastore, one safe stage at a time."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.netops.calico.plugins.module_utils._calico import felixconfig
from ansible_collections.netops.calico.plugins.module_utils._calico import ippool as _ippool
from ansible_collections.netops.calico.plugins.module_utils._datastore.dryrun import DryRun
from ansible_collections.netops.calico.plugins.module_utils._datastore.errors import DatastoreError, ValidationError
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
from ansible_collections.netops.calico.plugins.module_utils._resource.ensure import ensure_resource


class Refused(DatastoreError):
    """A change this module will not make without an explicit option; nothing was written."""


@dataclass
class ApplyOptions:
    host_mtu: int | None = None
    host_mtu_nodes: list[str] | None = None                 # the nodes host_mtu was measured on
    bgp: dict[str, Any] = field(default_factory=dict)       # BGPConfiguration default fields
    migrate: bool = False
    force: bool = False
    nodes_converged: bool = False
    acknowledge_dataplane_switch: bool = False


class _Tracker:
    """changed and before/after for --diff over several resources and several writes."""

    def __init__(self) -> None:
        self.changed = False
        self.before: dict[str, Any] = {}
        self.after: dict[str, Any] = {}
        self.resources: dict[str, Any] = {}

    def add(self, key: str, res: dict[str, Any]) -> dict | None:
        self.changed = self.changed or res["changed"]
        self.before.setdefault(key, res["diff"]["before"])
        self.after[key] = res["diff"]["after"]
        self.resources[key] = res["resource"]
        return res["resource"]


def _spec_of(resource: dict | None) -> dict[str, Any] | None:
    return None if resource is None else (resource.get("spec") or {})


def preflight_pools(pools: list[PoolWant], current: dict[str, dict | None]) -> list[str]:
    """Pool changes Calico refuses, found before anything is written."""
    errors = []
    for p in pools:
        cur = _spec_of(current.get(p.name))
        if cur is None:
            if p.cidr:
                spec = _ippool.default_pool_spec(p.spec())
                errors += [f"IPPool {p.name}: {e}" for e in _ippool.validate_pool_spec(spec)]
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
    """Make the datastore match the spec, one safe stage at a time. Returns the module result."""
    eff = sr.effective
    target = eff["encapsulationMode"]
    t = _Tracker()
    warnings = list(sr.warnings)

    felix = ds.get("FelixConfiguration", "default")
    bgpconf = ds.get("BGPConfiguration", "default")
    current = {p.name: ds.get("IPPool", p.name) for p in pools}
    nodes = ds.list("Node")

    # what we cannot manage, and scale
    managed = []
    for p in pools:
        if current[p.name] is None and not p.cidr:
            opt = "ipv4_pool_cidr" if p.version == 4 else "ipv6_pool_cidr"
            warnings.append(f"IPPool {p.name} does not exist and {opt} is not set: nothing to create")
            continue
        managed.append(p)
    errors = preflight_pools(managed, current)
    if errors:
        raise ValidationError(errors)
    mesh = opts.bgp.get("nodeToNodeMeshEnabled")
    if mesh is None:
        mesh = (_spec_of(bgpconf) or {}).get("nodeToNodeMeshEnabled")
    mesh = True if mesh is None else mesh
    rrs = sum(1 for n in nodes if ((n.get("spec") or {}).get("bgp") or {}).get("routeReflectorClusterID"))
    node_count = ctx.node_count if ctx.node_count is not None else len(nodes)
    warnings += scale_warnings(eff, ctx, node_count, mesh, rrs)
    if sr.backend == "bird" and not mesh and not rrs and len(nodes) > 1 and not ds.list("BGPPeer"):
        warnings.append("BIRD will have no BGP peers: nodeToNodeMeshEnabled is false and there are no route "
                        "reflectors or BGPPeers, so no pod routes are exchanged; set bgp_mesh: true or add peers")

    pool_state = {p.name: _spec_of(current[p.name]) for p in managed}
    felix_state = _spec_of(felix)

    def v4_specs() -> list[dict]:
        return [s for p in managed if p.version == 4 and (s := pool_state[p.name]) is not None]

    direction, stage = derive_stage(target, classify(v4_specs()), felix_state)
    start_direction, start_stage = direction, stage

    refusals = []
    if direction and not (opts.migrate or opts.force):
        frm = "IP-in-IP (BIRD)" if direction == "ipip->vxlan" else "VXLAN"
        steps = "; ".join(f"{i}. {n}" for i, (n, _d) in enumerate(STAGES[direction], 1))
        where = "starting" if stage == 1 else f"at stage {stage} ({STAGES[direction][stage - 1][0]})"
        refusals.append(f"The cluster's pools use {frm} and the spec asks for {target}: switching in one shot "
                        f"drops traffic between nodes that have not yet picked up the new configuration. Set "
                        f"migrate: true to run the staged migration ({steps}; {where}) and rerun until "
                        f"migration.complete, or force: true to switch at once.")
    cur_bpf = bool((felix_state or {}).get("bpfEnabled"))
    existing = bool(nodes) or any(current.values())
    if existing and cur_bpf != eff["bpfEnabled"] and not opts.acknowledge_dataplane_switch:
        refusals.append(f"Switching the eBPF dataplane {'on' if eff['bpfEnabled'] else 'off'} in a running cluster "
                        "replaces every node's dataplane and resets existing connections (and needs kube-proxy "
                        "removed before / restored after). Set acknowledge_dataplane_switch: true to do it.")
    if refusals:
        raise Refused(" ".join(refusals) + " Nothing was written.")

    host_mtu, clamped = _mtu.clamp_host_mtu(opts.host_mtu, felix_state or {}, opts.host_mtu_nodes,
                                            [(n.get("metadata") or {}).get("name", "") for n in nodes])
    if clamped:
        warnings.append(clamped)
    tunnels = _mtu.tunnel_mtus(host_mtu, eff["mtu"] or None)
    done_now: list[int] = []
    waiting: str | None = None
    missing: list[str] = []

    # 1. BGPConfiguration first, so BIRD has the right mesh before pools change
    if opts.bgp:
        t.add("BGPConfiguration/default",
              ensure_resource(ds, "BGPConfiguration", "default", "present", opts.bgp))

    # 2. FelixConfiguration: everything we own; during a migration both encapsulations on
    flags = {"ipipEnabled": True, "vxlanEnabled": True} if direction else steady_flags(eff)
    res = t.add("FelixConfiguration/default",
                ensure_resource(ds, "FelixConfiguration", "default", "present",
                                {**felix_spec(eff, ctx, tunnels), **flags},
                                defaults=felixconfig.default_felixconfiguration_spec))
    felix_state = _spec_of(res)
    if direction and stage == 1:
        done_now.append(1)
    direction, stage = derive_stage(target, classify(v4_specs()), felix_state)

    # 3. pools: other fields always converge; modes flip only when the stage allows
    flip = direction is None or stage == 3
    if direction and stage == 2:
        if direction == "ipip->vxlan" or opts.force:
            flip = True
        elif opts.nodes_converged and 1 not in done_now:
            flip = True
        else:
            waiting = ("every host to run BIRD: apply node_settings (CALICO_NETWORKING_BACKEND=bird) on every "
                       "host, then rerun with nodes_converged: true")
    from_modes = {v: next(({"ipipMode": s.get("ipipMode") or "Never", "vxlanMode": s.get("vxlanMode") or "Never"}
                           for p in managed if p.version == v and (s := pool_state[p.name]) is not None), None)
                  for v in (4, 6)}
    flipped_now = False
    for p in managed:
        want = p.spec()
        if flip:
            want.update(pool_modes(eff, p.version))
        elif pool_state[p.name] is None:
            want.update(from_modes[p.version] or pool_modes(eff, p.version))
        before_encap = pool_encap(pool_state[p.name]) if pool_state[p.name] is not None else None
        res = t.add(f"IPPool/{p.name}",
                    ensure_resource(ds, "IPPool", p.name, "present", want,
                                    defaults=_ippool.default_pool_spec, immutable=_ippool.IMMUTABLE,
                                    validate=_ippool.validate_pool_spec))
        pool_state[p.name] = _spec_of(res)
        if before_encap is not None and before_encap != pool_encap(pool_state[p.name]):
            flipped_now = True
    if direction and stage == 2 and flip:
        done_now.append(2)
    direction, stage = derive_stage(target, classify(v4_specs()), felix_state)

    # 4. the old encapsulation goes once every node has the new tunnel
    if direction and stage == 3:
        v6_vxlan = any(p.version == 6 and pool_encap(pool_state[p.name]) == "vxlan" for p in managed)
        v4_new = any(p.version == 4 for p in managed)
        missing = nodes_missing_tunnel(nodes, direction, v4_new, v6_vxlan if direction == "ipip->vxlan" else False)
        selective = any((pool_state[p.name] or {}).get("nodeSelector", "all()") not in ("all()", "")
                        for p in managed)
        tunnel = "VXLAN" if direction == "ipip->vxlan" else "IP-in-IP"
        if opts.force:
            ok = True
        elif flipped_now and nodes:
            ok, waiting = False, (f"calico-node on every node to allocate its {tunnel} tunnel address after the "
                                  "pools changed in this run: rerun")
        elif selective:
            ok = opts.nodes_converged
            if not ok:
                waiting = (f"a pool selects only some nodes, so {tunnel} tunnel addresses cannot prove every node "
                           "is ready: rerun with nodes_converged: true once the nodes carry the new tunnels")
        else:
            ok = not missing
            if not ok:
                waiting = (f"calico-node on {len(missing)} node(s) to allocate a {tunnel} tunnel address: "
                           f"{', '.join(missing[:20])}{' ...' if len(missing) > 20 else ''} (rerun; a node that "
                           "no longer exists must be decommissioned first)")
        if ok:
            res = t.add("FelixConfiguration/default",
                        ensure_resource(ds, "FelixConfiguration", "default", "present",
                                        {**felix_spec(eff, ctx, tunnels), **steady_flags(eff)},
                                        defaults=felixconfig.default_felixconfiguration_spec))
            felix_state = _spec_of(res)
            done_now.append(3)
            missing = []
        direction, stage = derive_stage(target, classify(v4_specs()), felix_state)

    backend = sr.backend if direction is None else "bird"
    v6_vxlan = any(p.version == 6 and pool_encap(pool_state[p.name]) == "vxlan" for p in managed)
    if not managed:
        v6_vxlan = ctx.has_ipv6 and pool_modes(eff, 6)["vxlanMode"] != "Never"
    enabled = enabled_encapsulations(felix_state or {}, v6_vxlan, eff, ctx)
    mtu = _mtu.compute(host_mtu, eff["mtu"] or None, enabled)
    warnings += _mtu.mtu_warnings(host_mtu, eff["mtu"] or None, enabled)

    migration = migration_report(start_direction, start_stage, direction, stage, done_now, waiting, missing,
                                 target, isinstance(ds, DryRun))
    return {
        "changed": t.changed,
        "diff": {"before": t.before, "after": t.after},
        "effective": eff,
        "backend": backend,
        "mtu": mtu,
        "node_settings": node_settings(eff, ctx, backend, managed or pools, mtu),
        "migration": migration,
        "warnings": warnings,
        "errors": [],
        "resources": t.resources,
    }


def migration_report(start_direction: str | None, start_stage: int | None, direction: str | None,
                     stage: int | None, done_now: list[int], waiting: str | None, missing: list[str],
                     target: str, check_mode: bool) -> dict[str, Any]:
    """The plan: every stage of the migration under way with its status."""
    if start_direction is None:
        return {"needed": False, "direction": None, "from": None, "to": target, "stages": [], "complete": True,
                "waiting_for": None, "nodes_pending": []}
    frm, to = start_direction.split("->")
    stages = []
    for i, (name, desc) in enumerate(STAGES[start_direction], 1):
        if i < start_stage:
            status = "done"
        elif i in done_now:
            status = "would run now" if check_mode else "done now"
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
