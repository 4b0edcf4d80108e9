# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decommission dead nodes: find them, plan what of theirs is in Calico's datastore, purge it.

Which nodes are dead comes from any combination of sources: an explicit list, the complement of a
live set (``keep``), Kubernetes (a Calico node whose k8s orchRef node is gone), EC2 (the instance is
terminated or gone) and Felix's status reports in etcd (expired). A candidate that any selected
source still sees alive is kept, with the reason.

The purge follows libcalico-go's ``nodes.Delete`` (lib/clientv3/node.go), per node:
 1. release the node's addresses: its workload endpoints' IPs, its tunnel addresses (IPv4 and IPv6
    IPIP/VXLAN/WireGuard, by Node spec and by tunnel handle) and any allocation whose attributes
    name the node, in every block read (ipam.go ReleaseIPs; handles decremented in the same etcd
    transaction as the block, so no crash can leave a handle count out of step);
 2. delete its WorkloadEndpoints;
 3. for each affinity: mark it pendingDeletion, then delete the block when empty or clear its
    affinity, and delete the affinity in the same transaction (releaseBlockAffinity); an affinity
    whose block is gone or belongs to another node is deleted (calico leaves these behind);
 4. delete ``/calico/ipam/v2/host/<node>``, BGPPeers with spec.node == node, FelixConfiguration and
    BGPConfiguration ``node.<node>``, HostEndpoints with spec.node == node and Felix's status keys
    (``/calico/felix/v2/<region>/host/<node>/...``, which calico leaves behind);
 5. delete the Node.
Every write compares the key's mod revision with the one read. State is read once with range reads
and multi-key read transactions; writes of many nodes are packed into transactions of up to
``TXN_MAX_OPS`` operations, each carrying its own compare. A transaction that fails a compare returns
the current values (its failure branch), and each of its steps is planned again from them and
retried on its own. Steps are idempotent: a crash or a concurrent run leaves every object either
before or after a step, and a rerun finishes the job. Liveness is checked again right before each
batch of nodes; a node that came back (Node resource rewritten, Felix reporting, back in keep, k8s
node or instance back) is kept.

The Kubernetes datastore (KDD) runs the same plan and steps through the backend's etcd key view
(kdd/backend.py: the same keys and JSON, each object guarded by its resourceVersion; the writes of
one step go one by one, as libcalico-go makes them there, since the API has no multi-object
transaction). What differs, as Calico itself stores things there:
- the Calico Node is the Kubernetes Node (libcalico-go lib/backend/k8s/resources/node.go), so the
  Kubernetes Nodes are the liveness source, and a node whose Kubernetes Node is gone shows up only by
  its block affinities: those hosts are always candidates' universe, and ``liveness: kubernetes``
  judges them dead by name, as kube-controllers' IPAM garbage collector does
  (kube-controllers/pkg/controllers/node/ipam.go);
- "purging the node" releases its IPAM (addresses, handles, affinities, blocks) and deletes its
  per-node FelixConfiguration/BGPConfiguration, BGPPeers and HostEndpoints; the Kubernetes Node is
  deleted only with ``delete_kubernetes_node`` (libcalico-go refuses to delete a Node on KDD);
- WorkloadEndpoints are Pods: they are not deleted (Kubernetes' pod garbage collector removes the
  pods of a deleted Node, and kube-controllers does not delete pods either); their addresses are
  released, found by the ``node`` attribute the CNI plugin records on each allocation;
- there is no ``/calico/ipam/v2/host/<node>`` and no Felix status report: ``liveness: felix`` is
  refused;
- ``max_fraction`` counts every node Calico knows: the Kubernetes Nodes and the hosts that only have
  block affinities left.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
from dataclasses import dataclass, field
from typing import Any, Callable

from ansible_collections.netops.calico.plugins.module_utils._batching import chunks
from ansible_collections.netops.calico.plugins.module_utils._datastore import model
from ansible_collections.netops.calico.plugins.module_utils._datastore.etcd import Item
from ansible_collections.netops.calico.plugins.module_utils._datastore.errors import (
    DatastoreError,
    DatastoreUnavailable,
    ValidationError,
)
from ansible_collections.netops.calico.plugins.module_utils._node.options import check_node_name
from ansible_collections.netops.calico.plugins.module_utils._refused import Refused
from ansible_collections.netops.calico.plugins.module_utils._resource.changes import Changes
from ansible_collections.netops.calico.plugins.module_utils._decommission.liveness import (
    DEFAULT_FELIX_MAX_AGE,
    Verdict,
    aws_verdicts,
    felix_reports,
    felix_verdicts,
    kubernetes_verdicts,
    select,
)
from ansible_collections.netops.calico.plugins.module_utils._decommission.plan import (
    NodePlan,
    View,
    load_and_plan,
    load_cluster,
)
from ansible_collections.netops.calico.plugins.module_utils._decommission.steps import (
    Executor,
    phases,
)


WAVE = 100                 # nodes per liveness re-check when serial is not set


# ---------------------------------------------------------------------------------------------
# the whole run


@dataclass
class Options:
    nodes: list[str] = field(default_factory=list)
    keep: Callable[[], set[str]] | set[str] | list[str] | None = None
    liveness: list[str] = field(default_factory=list)
    k8s_lister: Callable[[], set[str]] | None = None
    aws_lister: Callable[[], list[dict]] | None = None
    felix_max_age: float = DEFAULT_FELIX_MAX_AGE
    max_fraction: float = 0.2
    force: bool = False
    serial: int = 0
    delete_kubernetes_node: bool = False          # KDD: also delete the dead nodes' Kubernetes Nodes
    k8s_by_name: bool = False                     # KDD: a node's name is its Kubernetes node's name (set by decommission)
    now: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.timezone.utc)
    log: Callable[[str], None] = lambda msg: None
    warn: Callable[[str], None] = lambda msg: None
    before_batch: Callable[[list[str]], None] | None = None   # test hook: between plan and purge
    after_commit: Callable[[int], None] | None = None         # test hook: after each transaction


def validate_options(opts: Options, keep: set[str] | None) -> None:
    """Refuse what would switch a guard off or cannot name a node: ``max_fraction`` outside
    [0, 1] (NaN compares false with everything, so ``fraction > nan`` would never refuse), and
    names in ``nodes``/``keep`` that no Calico node can have ('', '*', 'Worker_1', ...)."""
    errors = []
    frac = opts.max_fraction
    if not isinstance(frac, (int, float)) or isinstance(frac, bool) or not math.isfinite(frac) or not 0 <= frac <= 1:
        errors.append(f"max_fraction: {frac!r} is not a fraction between 0 and 1; set it to, for example, 0.2 "
                      "(force: true lifts the limit)")
    for option, names in (("nodes", opts.nodes), ("keep", sorted(keep or ()))):
        # a Node's name is a DNS-1123 subdomain (the libcalico-go validator's rule, check_node_name)
        bad = [n for n in names if not isinstance(n, str) or check_node_name(n) is not None]
        if bad:
            errors.append(f"{option}: {', '.join(repr(n) for n in bad)} cannot be a node name (a node name is a "
                          "DNS-1123 subdomain: lower-case letters, digits, '-' and '.'; no patterns); "
                          "list node names exactly as calicoctl get nodes shows them")
    if errors:
        raise ValidationError(errors)


def _keep_set(keep) -> set[str] | None:
    if keep is None:
        return None
    return set(keep() if callable(keep) else keep)


def _verdicts(opts: Options, names: list[str], nodes: dict[str, dict],
              reports: dict[str, dict[str, Item]]) -> dict[str, dict[str, Verdict]]:
    out: dict[str, dict[str, Verdict]] = {}
    keep = _keep_set(opts.keep)
    if keep is not None:
        out["keep"] = {n: Verdict(n in keep, "in keep" if n in keep else "not in keep") for n in names}
    if "kubernetes" in opts.liveness:
        if opts.k8s_lister is None:
            raise DatastoreError("liveness includes kubernetes but no Kubernetes client is configured.")
        out["kubernetes"] = kubernetes_verdicts(names, nodes, opts.k8s_lister(), by_name=opts.k8s_by_name)
    if "aws" in opts.liveness:
        if opts.aws_lister is None:
            raise DatastoreError("liveness includes aws but no EC2 client is configured.")
        out["aws"] = aws_verdicts(names, nodes, opts.aws_lister())
    if "felix" in opts.liveness:
        out["felix"] = felix_verdicts(names, reports, opts.now(), opts.felix_max_age)
    return out


def _summary(plan: NodePlan, report: dict[str, list]) -> dict[str, Any]:
    """What was (would be) removed for one node, from the steps' records."""
    out: dict[str, Any] = {"name": plan.name, "reasons": plan.reasons}
    for cat in ("ips", "handles", "blocks_deleted", "blocks_unaffined", "affinities", "workload_endpoints",
                "host_endpoints", "bgp_peers", "felix_configuration", "bgp_configuration", "ipam_host",
                "status_reports", "node"):
        items = list(dict.fromkeys(report.get(cat, [])))
        if cat in ("felix_configuration", "bgp_configuration", "ipam_host", "node"):
            out[cat] = bool(items)
        else:
            out[cat] = items
    return out


def diff(result: dict[str, Any]) -> list[dict[str, Any]]:
    """--diff (the change tracker's shape): each purged node, before what was removed for it, after absent."""
    changes = Changes()
    for node in result.get("nodes", []):
        changes.record_view(f"Node/{node['name']}", {k: v for k, v in node.items() if k != "reasons"}, {})
    return changes.diff()


def decommission(ds, opts: Options) -> dict[str, Any]:
    """Plan and run the purge on ``ds`` (an ``EtcdBackend``; in check mode a ``DryRun`` of one). Returns the module result (without
    ``failed``); raises Refused (with the plan as its result) for a safety refusal and DatastoreError on errors."""
    keep = _keep_set(opts.keep)
    validate_options(opts, keep)
    if not opts.nodes and keep is None and not opts.liveness:
        raise DatastoreError("Nothing selects dead nodes.", "Set nodes, keep or liveness.")
    kdd = getattr(ds, "datastore_type", "etcdv3") == "kubernetes"
    opts = _for_datastore(ds, opts, kdd)
    delete_node = not kdd or opts.delete_kubernetes_node
    cluster = load_cluster(ds, keep_mode=keep is not None, felix_values="felix" in opts.liveness, affinity_hosts=kdd)
    node_values = cluster.node_values()
    reports = felix_reports(cluster.felix)[0]
    universe = sorted(set(cluster.nodes) | cluster.affinity_hosts)
    _warn_unknown_keep(opts, keep, cluster)
    sel = select(universe, opts.nodes, _verdicts(opts, universe, node_values, reports), opts.force)

    view = View()
    plans = load_and_plan(ds, cluster, sel.dead, view)
    total = len(cluster.nodes)
    existing_dead = [p.name for p in plans if p.node_rev is not None]
    plans = _left(opts, plans, delete_node)
    if kdd:     # every node Calico knows: the Kubernetes Nodes and the hosts with only IPAM left
        existing_dead, total = [p.name for p in plans], len(universe)
    result: dict[str, Any] = {
        "changed": False,
        "total_nodes": len(cluster.nodes),
        "kept": [{"name": n, "reasons": r} for n, r in sorted(sel.kept.items())],
        "refused": sorted(sel.refused),
        "batches": [],
        "failed_nodes": [],
    }
    _refuse_unsafe(opts, sel.refused, len(existing_dead), total, plans, result)

    size = opts.serial if opts.serial and opts.serial > 0 else WAVE
    ex = Executor(ds, view, opts.log, opts.after_commit)
    done: list[NodePlan] = []
    kept_now: list[dict] = []
    try:
        for batch in chunks(plans, size):
            if opts.before_batch:
                opts.before_batch([p.name for p in batch])
            batch, back = _recheck(ds, opts, batch, view)
            kept_now += back
            if not batch:
                continue
            result["batches"].append([p.name for p in batch])
            opts.log(f"calico_decommission: purging {len(batch)} node(s): {', '.join(p.name for p in batch[:10])}"
                     f"{' ...' if len(batch) > 10 else ''}")
            # One stream in phase order: transactions commit in that order, and a step that touches
            # a key still pending in the transaction being filled flushes it and is planned again.
            ex.run([u for _phase, units in phases(batch, delete_node) for u in units])
            done += batch
            if ex.failed:
                break
    except DatastoreUnavailable as exc:
        purged = [p.name for p in done if p.name not in ex.failed]
        store = "The Kubernetes API" if kdd else "etcd"
        guard = ("Every write is guarded by the resourceVersion it read" if kdd else
                 "Every step is a guarded transaction, so the datastore is consistent")
        raise DatastoreUnavailable(
            f"{store} became unreachable during the purge ({exc.msg}). Purged so far: {len(purged)} node(s)"
            f"{': ' + ', '.join(purged[:20]) if purged else ''}{' ...' if len(purged) > 20 else ''}. {guard}.",
            f"Run the task again once {'the API server' if kdd else 'etcd'} is back to finish the purge.") from None

    result["kept"] += kept_now
    result["nodes"] = [_summary(p, ex.report.get(p.name, {})) for p in done if p.name not in ex.failed]
    result["failed_nodes"] = [{"name": n, "error": e} for n, e in sorted(ex.failed.items())]
    result["changed"] = ex.writes > 0
    result["writes"] = ex.writes
    return result


def _refuse_unsafe(opts: Options, refused, dead: int, total: int, plans: list[NodePlan], result: dict) -> None:
    """The safety rails: raise Refused (with the plan) for a node in keep or too many dead nodes."""
    problems = []
    if refused:
        problems.append(f"{', '.join(sorted(refused))} {'is' if len(refused) == 1 else 'are'} in keep")
    if total and dead / total > opts.max_fraction and not opts.force:
        problems.append(f"{dead} of {total} nodes ({100 * dead / total:.0f}%) is more "
                        f"than max_fraction {opts.max_fraction:g}")
    if problems:
        result["nodes"] = [{"name": p.name, "reasons": p.reasons} for p in plans]
        raise Refused("Refusing to decommission: " + "; ".join(problems) + ".",
                      "Check the selection (nodes, keep, liveness); set force: true to go ahead anyway.",
                      result)


def _for_datastore(ds, opts: Options, kdd: bool) -> Options:
    """The options as the datastore allows them: on the Kubernetes datastore the Kubernetes Nodes
    (read through the datastore's own client) are the liveness source and felix is refused; on
    etcd delete_kubernetes_node is refused."""
    if kdd:
        if "felix" in opts.liveness:
            raise DatastoreError("liveness felix reads Felix's status reports in etcd; with the Kubernetes datastore "
                                 "Felix writes none, so it cannot judge any node.",
                                 "Use liveness kubernetes (the Kubernetes Nodes), keep or nodes instead.")
        # One Kubernetes client: the datastore's own (the Kubernetes Nodes are the Calico Nodes).
        return dataclasses.replace(opts, k8s_by_name=True, k8s_lister=opts.k8s_lister or ds.kubernetes_node_names)
    if opts.delete_kubernetes_node:
        raise DatastoreError("delete_kubernetes_node is for the Kubernetes datastore; with etcdv3 the Calico Node "
                             "is deleted and the Kubernetes Node is not Calico's.",
                             "Remove delete_kubernetes_node, or set datastore_type: kubernetes.")
    return opts


def _warn_unknown_keep(opts: Options, keep: set[str] | None, cluster) -> None:
    unknown = sorted((keep or set()) - set(cluster.nodes))
    if unknown:
        opts.warn(f"keep: {_names(unknown)} {'is' if len(unknown) == 1 else 'are'} not a Calico node in the "
                  "datastore, so keep protects nothing by that name; check the spelling against "
                  "calicoctl get nodes.")


def _left(opts: Options, plans: list[NodePlan], delete_node: bool) -> list[NodePlan]:
    """The plans with something left to purge; a node named in ``nodes`` with nothing left is
    warned about (not an error: a rerun after a finished purge finds nothing of the same names)."""
    unknown = [p.name for p in plans if p.name in opts.nodes and not (p.keys(with_node=delete_node) or p.releases)]
    if unknown:
        opts.warn(f"nodes: nothing of {_names(unknown)} is in the datastore (no Node, no addresses, no keys), "
                  "so nothing was purged for "
                  f"{'it' if len(unknown) == 1 else 'them'}; check the spelling if this is the first run.")
    return [p for p in plans if p.keys(with_node=delete_node) or p.releases]


def _names(names: list[str], most: int = 20) -> str:
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")


def _recheck(ds, opts: Options, batch: list[NodePlan], view: View) -> tuple[list[NodePlan], list[dict]]:
    """Right before purging a batch: is any of its nodes alive again? Node resource rewritten,
    Felix reporting again, back in keep, its Kubernetes node or EC2 instance back."""
    keys = [model.resource_key("Node", p.name) for p in batch]
    keys += [k for p in batch for k in p.status_report_keys]
    fresh = ds.read_keys(keys)
    reports = felix_reports([e for e in fresh.values() if e is not None])[0]
    nodes = {p.name: (fresh.get(model.resource_key("Node", p.name)).value or {})
             for p in batch if fresh.get(model.resource_key("Node", p.name)) is not None}
    names = [p.name for p in batch]
    verdicts = _verdicts(opts, names, nodes, reports)
    # keep is judged apart: with force it protects nothing (the documented meaning of force).
    keep_now = verdicts.pop("keep", None)
    if opts.force:
        keep_now = None
    go, back = [], []
    for p in batch:
        reasons = []
        cur = fresh.get(model.resource_key("Node", p.name))
        if (cur.rev if cur else None) != p.node_rev and cur is not None:
            reasons.append("Node resource changed since the plan (calico-node may be running again)")
        if keep_now and keep_now.get(p.name) and keep_now[p.name].alive:
            reasons.append("keep: in keep")
        for src, table in verdicts.items():
            v = table.get(p.name)
            if v is not None and v.alive:
                reasons.append(f"{src}: {v.reason}")
        if reasons:
            back.append({"name": p.name, "reasons": reasons})
        else:
            go.append(p)
    return go, back
