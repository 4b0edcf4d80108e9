# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decommission dead nodes: find them, plan what of theirs is in Calico's etcd datastore, purge it.

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

Only the etcdv3 datastore: in Kubernetes datastore mode, calico-kube-controllers cleans up after a
deleted Kubernetes node.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

from ansible_collections.netops.calico.plugins.module_utils._datastore import ipam, model
from ansible_collections.netops.calico.plugins.module_utils._datastore.etcd import Item, _b64, prefix_end
from ansible_collections.netops.calico.plugins.module_utils._datastore.errors import (
    DatastoreError,
    DatastoreUnavailable,
)

TXN_MAX_OPS = 128          # etcd's --max-txn-ops default (compares and operations each)
TXN_MAX_BYTES = 600_000    # raw value bytes per write transaction; etcd's request limit is 1.5 MiB
WAVE = 100                 # nodes per liveness re-check when serial is not set
RETRIES = 5                # re-plans of one step after compare failures
DEFAULT_FELIX_MAX_AGE = 300
LIVENESS_SOURCES = ("kubernetes", "aws", "felix")

NODE_PREFIX = model.resource_prefix("Node")
WEP_PREFIX = model.resource_prefix("WorkloadEndpoint")
HEP_PREFIX = model.resource_prefix("HostEndpoint")
PEER_PREFIX = model.resource_prefix("BGPPeer")
POOL_PREFIX = model.resource_prefix("IPPool")
HOST_PREFIX = f"{model.IPAM_PREFIX}host/"
FELIX_PREFIX = model.FELIX_STATUS_PREFIX

AFFINITY_PENDING = model.go_json(ipam.affinity_value(ipam.AFFINITY_PENDING_DELETION)).encode()


class DecommissionRefused(DatastoreError):
    """The selection breaks a safety rule (max_fraction, keep); ``result`` holds the plan."""

    def __init__(self, msg: str, hint: str | None, result: dict) -> None:
        super().__init__(msg, hint)
        self.result = result


# ---------------------------------------------------------------------------------------------
# etcd access (gateway JSON through EtcdKV.call)


class Entry(Item):
    """A key as read, with its mod revision as an int (``rev``) for the txn compares."""

    __slots__ = ("rev",)

    def __init__(self, key: str, raw: bytes, rev: int) -> None:
        super().__init__(key, raw, str(rev))
        self.rev = rev

    @classmethod
    def from_kv(cls, kv: dict) -> Entry:
        item = Item.from_kv(kv)
        return cls(item.key, item.raw, int(item.revision))


def chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _range_op(key: str, prefix: bool = False, keys_only: bool = False) -> dict:
    op: dict[str, Any] = {"key": _b64(key)}
    if prefix:
        op["range_end"] = _b64(prefix_end(key))
    if keys_only:
        op["keys_only"] = True
    return {"request_range": op}


def read_prefix(kv, prefix: str, keys_only: bool = False) -> list[Entry]:
    """Every key under ``prefix`` at one revision (paged range reads)."""
    return [Entry.from_kv(item) for page in kv.range_pages(prefix, keys_only=keys_only) for item in page]


def read_keys(kv, keys: Iterable[str]) -> dict[str, Entry | None]:
    """Many exact keys, TXN_MAX_OPS per read-only transaction."""
    out: dict[str, Entry | None] = {}
    todo = list(dict.fromkeys(keys))
    for chunk in chunks(todo, TXN_MAX_OPS):
        resp = kv.call("/kv/txn", {"compare": [], "success": [_range_op(k) for k in chunk], "failure": []})
        for key, r in zip(chunk, resp.get("responses") or []):
            kvs = (r.get("response_range") or {}).get("kvs") or []
            out[key] = Entry.from_kv(kvs[0]) if kvs else None
    return out


def read_prefixes(kv, prefixes: Iterable[str]) -> dict[str, list[Entry]]:
    """Many small prefixes, TXN_MAX_OPS per read-only transaction."""
    out: dict[str, list[Entry]] = {}
    todo = list(dict.fromkeys(prefixes))
    for chunk in chunks(todo, TXN_MAX_OPS):
        resp = kv.call("/kv/txn", {"compare": [], "success": [_range_op(p, prefix=True) for p in chunk],
                                   "failure": []})
        for p, r in zip(chunk, resp.get("responses") or []):
            out[p] = [Entry.from_kv(i) for i in (r.get("response_range") or {}).get("kvs") or []]
    return out


class View:
    """The keys this run has read, kept current with its own writes."""

    def __init__(self) -> None:
        self.items: dict[str, Entry] = {}
        self._fake_rev = 1 << 62   # revisions of simulated writes (check mode)

    def get(self, key: str) -> Entry | None:
        return self.items.get(key)

    def add(self, entry: Entry | None, key: str | None = None) -> None:
        if entry is None:
            self.items.pop(key, None)
        else:
            self.items[entry.key] = entry

    def apply(self, ops: list["Op"], revision: int | None) -> None:
        if revision is None:
            self._fake_rev += 1
            revision = self._fake_rev
        for op in ops:
            if op.value is None:
                self.items.pop(op.key, None)
            else:
                self.items[op.key] = Entry(op.key, op.value, revision)


# ---------------------------------------------------------------------------------------------
# liveness sources


@dataclass(frozen=True)
class Verdict:
    alive: bool
    reason: str


def _k8s_node_name(node: dict | None) -> str | None:
    for ref in ((node or {}).get("spec") or {}).get("orchRefs") or []:
        if ref.get("orchestrator") == "k8s" and ref.get("nodeName"):
            return ref["nodeName"]
    return None


def kubernetes_verdicts(names: Iterable[str], nodes: dict[str, dict], k8s_nodes: set[str]) -> dict[str, Verdict]:
    """Calico nodes with a k8s orchRef: alive while that Kubernetes node exists
    (kube-controllers node_deleter.go uses the same reference). Others: no opinion."""
    out = {}
    for name in names:
        k8s = _k8s_node_name(nodes.get(name))
        if k8s is None:
            continue
        if k8s in k8s_nodes:
            out[name] = Verdict(True, f"Kubernetes node {k8s} exists")
        else:
            out[name] = Verdict(False, f"Kubernetes node {k8s} no longer exists")
    return out


def _node_addresses(node: dict | None) -> set[str]:
    spec = (node or {}).get("spec") or {}
    bgp = spec.get("bgp") or {}
    raw = [bgp.get("ipv4Address"), bgp.get("ipv6Address")]
    raw += [a.get("address") for a in spec.get("addresses") or [] if isinstance(a, dict)]
    for iface in spec.get("interfaces") or []:
        raw += list((iface or {}).get("addresses") or [])
    return {ip for ip in (ipam.normalise_ip(r) for r in raw) if ip}


AWS_LIVE_STATES = ("pending", "running", "stopping", "stopped")


def aws_verdicts(names: Iterable[str], nodes: dict[str, dict], instances: list[dict]) -> dict[str, Verdict]:
    """A node is matched to EC2 instances by instance ID (node named i-...), private DNS name (full
    or first label, as kOps and kubeadm name nodes) and private addresses. Alive when a matched
    instance is pending/running/stopping/stopped; dead when every match is terminated or
    shutting-down, or nothing matches."""
    by_key: dict[str, list[dict]] = {}

    def index(key: str | None, inst: dict) -> None:
        if key:
            by_key.setdefault(key.lower(), []).append(inst)

    for inst in instances:
        index(inst.get("InstanceId"), inst)
        dns = inst.get("PrivateDnsName")
        if dns:
            index(dns, inst)
            index(dns.split(".")[0], inst)
        index(inst.get("PrivateIpAddress"), inst)
        for eni in inst.get("NetworkInterfaces") or []:
            for a in eni.get("PrivateIpAddresses") or []:
                index(a.get("PrivateIpAddress"), inst)
            for a in eni.get("Ipv6Addresses") or []:
                index(a.get("Ipv6Address"), inst)
    out = {}
    for name in names:
        keys = {name.lower(), name.split(".")[0].lower()} | _node_addresses(nodes.get(name))
        matched = {id(i): i for k in keys for i in by_key.get(k, [])}.values()
        live = [i for i in matched if (i.get("State") or {}).get("Name") in AWS_LIVE_STATES]
        if live:
            i = live[0]
            out[name] = Verdict(True, f"EC2 instance {i.get('InstanceId')} is {(i.get('State') or {}).get('Name')}")
        elif matched:
            i = next(iter(matched))
            out[name] = Verdict(False, f"EC2 instance {i.get('InstanceId')} is {(i.get('State') or {}).get('Name')}")
        else:
            out[name] = Verdict(False, "no EC2 instance has this node's name or addresses")
    return out


def _parse_time(text: Any) -> datetime.datetime | None:
    if not isinstance(text, str):
        return None
    try:
        t = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=datetime.timezone.utc)


def felix_verdicts(names: Iterable[str], reports: dict[str, dict[str, Entry]], now: datetime.datetime,
                   max_age: float) -> dict[str, Verdict]:
    """Felix writes ``.../host/<node>/status`` with a TTL (ReportingTTLSecs, 90 s) and
    ``last_reported_status`` without one (felix/daemon/daemon.go, model/statusreports.go). Alive:
    a status report younger than ``max_age``; dead: the status report expired (only the last one
    is left) or is older; no reports at all (reporting is off by default): no opinion."""
    out = {}
    for name in names:
        rep = reports.get(name) or {}
        status, last = rep.get("status"), rep.get("last_reported_status")
        if status is not None:
            t = _parse_time((status.value or {}).get("time"))
            if t is None:
                out[name] = Verdict(False, "Felix's status report has no readable time")
                continue
            age = (now - t).total_seconds()
            if age <= max_age:
                out[name] = Verdict(True, f"Felix reported {int(age)}s ago")
            else:
                out[name] = Verdict(False, f"Felix's last status report is {int(age)}s old (more than {int(max_age)}s)")
        elif last is not None:
            t = (last.value or {}).get("time")
            out[name] = Verdict(False, f"Felix's status report expired (last report at {t})")
    return out


def felix_reports(entries: Iterable[Entry]) -> tuple[dict[str, dict[str, Entry]], dict[str, list[Entry]]]:
    """From keys under /calico/felix/v2/: per node, its status/last_reported_status entries, and
    every key under ``.../host/<node>/`` (all regions)."""
    reports: dict[str, dict[str, Entry]] = {}
    keys: dict[str, list[Entry]] = {}
    for e in entries:
        parts = e.key[len(FELIX_PREFIX):].split("/")
        if len(parts) < 4 or parts[1] != "host":
            continue
        node = parts[2]
        keys.setdefault(node, []).append(e)
        if len(parts) == 4 and parts[3] in ("status", "last_reported_status"):
            reports.setdefault(node, {})[parts[3]] = e
    return reports, keys


@dataclass
class Selection:
    dead: dict[str, list[str]]        # name -> reasons it is a candidate
    kept: dict[str, list[str]]        # name -> reasons a source sees it alive
    refused: list[str]                # explicitly named nodes that are in keep (without force)


def select(universe: Iterable[str], explicit: Iterable[str], verdicts: dict[str, dict[str, Verdict]],
           force: bool = False) -> Selection:
    """Candidates: named in ``explicit`` or judged dead by any source. Kept: a candidate any source
    judges alive. The ``keep`` source is special: a node named in ``explicit`` and in keep is refused
    (unless force), and with force keep protects nothing."""
    explicit = list(dict.fromkeys(explicit))
    names = list(dict.fromkeys(list(universe) + explicit))
    dead: dict[str, list[str]] = {}
    kept: dict[str, list[str]] = {}
    refused: list[str] = []
    for name in explicit:
        dead.setdefault(name, []).append("listed in nodes")
    for name in names:
        for src, table in verdicts.items():
            v = table.get(name)
            if v is not None and not v.alive:
                dead.setdefault(name, []).append(f"{src}: {v.reason}")
    for name in list(dead):
        alive = []
        for src, table in verdicts.items():
            v = table.get(name)
            if v is None or not v.alive:
                continue
            if src == "keep":
                if force:
                    continue
                if name in explicit:
                    refused.append(name)
                    continue
            alive.append(f"{src}: {v.reason}")
        if alive:
            kept[name] = alive
            del dead[name]
    for name in refused:
        dead.pop(name, None)
    return Selection(dead, kept, refused)


# ---------------------------------------------------------------------------------------------
# planning


@dataclass
class Cluster:
    """What was read for the whole cluster before choosing the dead nodes."""
    nodes: dict[str, Entry]                       # Node resources by name
    pools: list[dict]
    wep_keys: list[Entry]                         # keys only
    heps: list[Entry]
    peers: list[Entry]
    felix: list[Entry]                            # keys (values when the felix source is on)
    affinity_hosts: set[str] = field(default_factory=set)

    def node_values(self) -> dict[str, dict]:
        return {n: e.value or {} for n, e in self.nodes.items()}


@dataclass
class NodePlan:
    name: str
    reasons: list[str]
    node_rev: int | None                          # Node resource revision when planned
    releases: list[tuple[str, ipam.Release]] = field(default_factory=list)   # (block key, target)
    weps: list[str] = field(default_factory=list)
    affinities: list[tuple[str, str]] = field(default_factory=list)           # (affinity key, block key)
    host_key: str | None = None
    peers: list[str] = field(default_factory=list)
    felix_config: str | None = None
    bgp_config: str | None = None
    heps: list[str] = field(default_factory=list)
    status_keys: list[str] = field(default_factory=list)
    status_report_keys: list[str] = field(default_factory=list)   # status / last_reported_status

    def keys(self) -> list[str]:
        out = [k for k, _x in self.affinities] + self.weps + self.peers + self.heps + self.status_keys
        out += [k for k in (self.host_key, self.felix_config, self.bgp_config) if k]
        if self.node_rev is not None:
            out.append(model.resource_key("Node", self.name))
        return out


def wep_name_prefix(node: str) -> str:
    """WorkloadEndpoint names start with the node name, each '-' doubled, then '-'
    (libcalico-go lib/names/workloadendpoint.go)."""
    return node.replace("-", "--") + "-"


def load_cluster(kv, keep_mode: bool, felix_values: bool) -> Cluster:
    nodes = {e.key[len(NODE_PREFIX):]: e for e in read_prefix(kv, NODE_PREFIX) if "/" not in e.key[len(NODE_PREFIX):]}
    pools = [e.value for e in read_prefix(kv, POOL_PREFIX) if isinstance(e.value, dict)]
    cluster = Cluster(nodes=nodes, pools=pools, wep_keys=read_prefix(kv, WEP_PREFIX, keys_only=True),
                      heps=read_prefix(kv, HEP_PREFIX), peers=read_prefix(kv, PEER_PREFIX),
                      felix=read_prefix(kv, FELIX_PREFIX, keys_only=not felix_values))
    if keep_mode:
        for e in read_prefix(kv, HOST_PREFIX, keys_only=True):
            host = e.key[len(HOST_PREFIX):].split("/")[0]
            if host:
                cluster.affinity_hosts.add(host)
    return cluster


def _pool_block(pools: list[dict], ip: str) -> str | None:
    """The block CIDR of ``ip`` in its pool (ipam_block.go getBlockCIDRForAddress)."""
    addr = ipaddress.ip_address(ip)
    for p in pools:
        spec = p.get("spec") or {}
        try:
            net = ipam.network(spec.get("cidr", ""))
        except ValueError:
            continue
        if addr.version == net.version and addr in net:
            size = spec.get("blockSize") or (26 if addr.version == 4 else 122)
            return str(ipaddress.ip_network(f"{ip}/{size}", strict=False))
    return None


def load_and_plan(kv, cluster: Cluster, dead: dict[str, list[str]], view: View) -> list[NodePlan]:
    """Read what belongs to the dead nodes into ``view`` and plan each node's purge from it."""
    names = list(dead)
    if not names:
        return []
    node_key = {n: model.resource_key("Node", n) for n in names}
    for n in names:
        e = cluster.nodes.get(n)
        if e is not None:
            view.add(e)
    # Round 1: per-node exact keys and prefixes.
    exact = []
    for n in names:
        exact += [model.resource_key("FelixConfiguration", f"node.{n}"),
                  model.resource_key("BGPConfiguration", f"node.{n}"), model.ipam_host_key(n)]
        exact += [model.handle_key(h) for h in ipam.tunnel_handles(n)]
    prefixes = {f"{model.ipam_host_key(n)}/": n for n in names}
    wanted_wep_prefixes = {wep_name_prefix(n): n for n in names}
    wep_keys = []
    for e in cluster.wep_keys:
        wname = e.key.rsplit("/", 1)[-1]
        for pre in _prefixes_of(wname, wanted_wep_prefixes):
            wep_keys.append(e.key)
            break
    for k, e in read_keys(kv, exact + wep_keys).items():
        view.add(e, k)
    aff_by_node: dict[str, list[tuple[str, str]]] = {}
    for pre, entries in read_prefixes(kv, list(prefixes)).items():
        node = prefixes[pre]
        for e in entries:
            parsed = model.parse_key(e.key)
            if parsed and parsed[0] == "BlockAffinity":
                view.add(e)
                cidr = parsed[1].split("/", 1)[1]
                aff_by_node.setdefault(node, []).append((e.key, model.block_key(cidr)))

    weps_by_node: dict[str, list[Entry]] = {}
    for k in wep_keys:
        e = view.get(k)
        node = ((e.value or {}).get("spec") or {}).get("node") if e else None
        if node in dead:
            weps_by_node.setdefault(node, []).append(e)

    # Round 2: blocks holding the nodes' addresses and affinities.
    ip_owner: dict[str, str] = {}
    block_keys: set[str] = set()
    for n in names:
        node_val = cluster.nodes[n].value if n in cluster.nodes else None
        ips = ipam.node_tunnel_ips(node_val or {})
        for w in weps_by_node.get(n, []):
            ips += ipam.workload_ips(w.value or {})
        for ip in ips:
            ip_owner.setdefault(ip, n)
            cidr = _pool_block(cluster.pools, ip)
            if cidr:
                block_keys.add(model.block_key(cidr))
        for h in ipam.tunnel_handles(n):
            he = view.get(model.handle_key(h))
            for cidr in ((he.value or {}).get("block") or {}) if he else {}:
                block_keys.add(model.block_key(cidr))
        for _x, bkey in aff_by_node.get(n, []):
            block_keys.add(bkey)
    for k, e in read_keys(kv, sorted(block_keys - set(view.items))).items():
        view.add(e, k)

    tunnel_owner = {h: n for n in names for h in ipam.tunnel_handles(n)}
    releases: dict[str, list[tuple[str, ipam.Release]]] = {}
    handles_needed: set[str] = set()
    for bkey in sorted(block_keys):
        be = view.get(bkey)
        if be is None or not isinstance(be.value, dict) or not be.value.get("cidr"):
            continue
        for a in ipam.allocations(be.value):
            owner = a.attrs.get("node") if a.attrs.get("node") in dead else None
            owner = owner or tunnel_owner.get(a.handle or "") or ip_owner.get(a.ip)
            if owner is None:
                continue
            releases.setdefault(owner, []).append((bkey, ipam.Release(a.ip, a.handle, a.seq)))
            if a.handle:
                handles_needed.add(model.handle_key(a.handle))
    # Round 3: the pod handles of those allocations.
    for k, e in read_keys(kv, sorted(handles_needed - set(view.items))).items():
        view.add(e, k)

    # Per-node resources found in the cluster-wide reads.
    peers_by_node = _by_spec_node(cluster.peers, dead)
    heps_by_node = _by_spec_node(cluster.heps, dead)
    felix_keys = felix_reports(cluster.felix)[1]
    # Felix's region segment (model.RegionString): "no-region" unless OpenStack regions are in use.
    regions = {e.key[len(FELIX_PREFIX):].split("/")[0] for e in cluster.felix} | {"no-region"}
    plans = []
    for n in names:
        for e in peers_by_node.get(n, []) + heps_by_node.get(n, []) + felix_keys.get(n, []):
            view.add(e)
        plan = NodePlan(name=n, reasons=dead[n], node_rev=cluster.nodes[n].rev if n in cluster.nodes else None)
        plan.releases = releases.get(n, [])
        plan.weps = [e.key for e in weps_by_node.get(n, [])]
        plan.affinities = aff_by_node.get(n, [])
        host = model.ipam_host_key(n)
        plan.host_key = host if view.get(host) else None
        plan.peers = [e.key for e in peers_by_node.get(n, [])]
        fk = model.resource_key("FelixConfiguration", f"node.{n}")
        bk = model.resource_key("BGPConfiguration", f"node.{n}")
        plan.felix_config = fk if view.get(fk) else None
        plan.bgp_config = bk if view.get(bk) else None
        plan.heps = [e.key for e in heps_by_node.get(n, [])]
        plan.status_keys = [e.key for e in felix_keys.get(n, [])]
        plan.status_report_keys = [f"{FELIX_PREFIX}{r}/host/{n}/{leaf}" for r in sorted(regions)
                                   for leaf in ("status", "last_reported_status")]
        plans.append(plan)
    return plans


def _prefixes_of(name: str, wanted: dict[str, str]) -> Iterator[str]:
    """The node part of a WorkloadEndpoint name: up to the first '-' that is not half of an
    escaped '--' (lib/names/workloadendpoint.go), if it is one of ``wanted``."""
    i = 0
    while i < len(name):
        if name[i] == "-":
            if name[i + 1:i + 2] == "-":
                i += 2
                continue
            pre = name[:i + 1]
            if pre in wanted:
                yield pre
            return
        i += 1


def _by_spec_node(entries: list[Entry], dead: dict[str, Any]) -> dict[str, list[Entry]]:
    out: dict[str, list[Entry]] = {}
    for e in entries:
        node = ((e.value or {}).get("spec") or {}).get("node") if isinstance(e.value, dict) else None
        if node in dead:
            out.setdefault(node, []).append(e)
    return out


# ---------------------------------------------------------------------------------------------
# execution


@dataclass
class Op:
    key: str
    rev: int
    value: bytes | None            # None: delete


Info = list[tuple[str, str, Any]]  # (node, category, item)
PlanFn = Callable[[View], tuple[list[Op], Info]]


@dataclass
class Unit:
    nodes: tuple[str, ...]
    plan: PlanFn


class Executor:
    """Runs units (plan functions over the view) as guarded etcd transactions, several units per
    transaction; on a failed compare, refreshes from the failure branch and re-plans each unit alone."""

    def __init__(self, kv, view: View, dry_run: bool, log: Callable[[str], None],
                 after_commit: Callable[[int], None] | None = None) -> None:
        self.kv = kv
        self.view = view
        self.dry_run = dry_run
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
    def _commit(self, ops: list[Op]) -> bool:
        """One guarded transaction; False (view refreshed) when a compare failed."""
        if self.dry_run:
            self.view.apply(ops, None)
            self.writes += len(ops)
            return True
        compare = [{"key": _b64(op.key), "result": "EQUAL", "target": "MOD", "mod_revision": op.rev} for op in ops]
        success = []
        for op in ops:
            if op.value is None:
                success.append({"request_delete_range": {"key": _b64(op.key)}})
            else:
                success.append({"request_put": {"key": _b64(op.key), "value": _b64(op.value)}})
        failure = [_range_op(op.key) for op in ops]
        resp = self.kv.call("/kv/txn", {"compare": compare, "success": success, "failure": failure})
        self.commits += 1
        if self.after_commit:
            self.after_commit(self.commits)
        if resp.get("succeeded"):
            self.view.apply(ops, int((resp.get("header") or {}).get("revision", 0)))
            self.writes += len(ops)
            return True
        for op, r in zip(ops, resp.get("responses") or []):
            kvs = (r.get("response_range") or {}).get("kvs") or []
            self.view.add(Entry.from_kv(kvs[0]) if kvs else None, op.key)
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
        batch: list[tuple[Unit, list[Op], Info]] = []
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


def _split(ops: list[Op]) -> Iterator[list[Op]]:
    """A unit too large for one transaction runs in order: its first op (the block) first, as
    libcalico-go writes the block before the handles."""
    if len(ops) <= TXN_MAX_OPS:
        yield ops
        return
    yield ops[:1]
    yield from chunks(ops[1:], TXN_MAX_OPS)


# -- the steps, as plan functions over the view ------------------------------------------------


def _delete_unit(node: str, key: str, category: str, item: Any = None,
                 still: Callable[[Entry], bool] | None = None) -> Unit:
    def plan(view: View) -> tuple[list[Op], Info]:
        e = view.get(key)
        if e is None or (still is not None and not still(e)):
            return [], []
        return [Op(key, e.rev, None)], [(node, category, item if item is not None else key)]
    return Unit((node,), plan)


def _spec_node_is(node: str) -> Callable[[Entry], bool]:
    return lambda e: isinstance(e.value, dict) and (e.value.get("spec") or {}).get("node") == node


def _release_unit(blocks: dict[str, list[tuple[str, ipam.Release]]]) -> Unit:
    """Release addresses in a group of blocks that share handles (a dual-stack pod's handle counts
    an IPv4 and an IPv6 block): the blocks and every handle they touch change in one transaction."""
    owner = {t.ip: n for ts in blocks.values() for n, t in ts}
    handle_owner = {t.handle: n for ts in blocks.values() for n, t in ts if t.handle}
    nodes = tuple(dict.fromkeys(n for ts in blocks.values() for n, _t in ts))

    def plan(view: View) -> tuple[list[Op], Info]:
        ops: list[Op] = []
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
                ops.append(Op(bkey, be.rev, None))
                info.append((owner[ips[0]], "blocks_deleted", cidr))
            else:
                ops.append(Op(bkey, be.rev, model.serialise("IPAMBlock", new).encode()))
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
            ops.append(Op(he.key, he.rev, None if value is None else model.go_json(value).encode()))
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


def _affinity_matches(view: View, bkey: str, node: str) -> Entry | None:
    be = view.get(bkey)
    if be is None or not isinstance(be.value, dict) or be.value.get("affinity") != f"host:{node}":
        return None
    return be


def _mark_unit(node: str, akey: str, bkey: str) -> Unit:
    def plan(view: View) -> tuple[list[Op], Info]:
        ae = view.get(akey)
        if ae is None or _affinity_matches(view, bkey, node) is None:
            return [], []
        if ipam.affinity_state(ae.value) == ipam.AFFINITY_PENDING_DELETION:
            return [], []
        return [Op(akey, ae.rev, AFFINITY_PENDING)], []
    return Unit((node,), plan)


def _release_affinity_unit(node: str, akey: str, bkey: str) -> Unit:
    def plan(view: View) -> tuple[list[Op], Info]:
        ae = view.get(akey)
        if ae is None:
            return [], []
        cidr = model.parse_key(bkey)[1]
        be = _affinity_matches(view, bkey, node)
        info: Info = [(node, "affinities", cidr)]
        if be is None:   # block gone or claimed by another node: only the stale affinity goes
            return [Op(akey, ae.rev, None)], info
        if ipam.is_empty(be.value):
            info.append((node, "blocks_deleted", cidr))
            return [Op(bkey, be.rev, None), Op(akey, ae.rev, None)], info
        info.append((node, "blocks_unaffined", cidr))
        new = ipam.clear_affinity(be.value)
        return [Op(bkey, be.rev, model.serialise("IPAMBlock", new).encode()), Op(akey, ae.rev, None)], info
    return Unit((node,), plan)


def phases(plans: list[NodePlan]) -> list[tuple[str, list[Unit]]]:
    """The purge of a batch of nodes, phase by phase in nodes.Delete's order; each phase is
    committed before the next starts."""
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
            if p.node_rev is not None]
    return [("release", release), ("workload_endpoints", weps), ("mark_affinities", mark),
            ("release_affinities", affin), ("node_config", rest), ("node", node)]


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
    check_mode: bool = False
    now: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.timezone.utc)
    log: Callable[[str], None] = lambda msg: None
    before_batch: Callable[[list[str]], None] | None = None   # test hook: between plan and purge
    after_commit: Callable[[int], None] | None = None         # test hook: after each transaction


def _keep_set(keep) -> set[str] | None:
    if keep is None:
        return None
    return set(keep() if callable(keep) else keep)


def _verdicts(opts: Options, names: list[str], nodes: dict[str, dict],
              reports: dict[str, dict[str, Entry]]) -> dict[str, dict[str, Verdict]]:
    out: dict[str, dict[str, Verdict]] = {}
    keep = _keep_set(opts.keep)
    if keep is not None:
        out["keep"] = {n: Verdict(n in keep, "in keep" if n in keep else "not in keep") for n in names}
    if "kubernetes" in opts.liveness:
        if opts.k8s_lister is None:
            raise DatastoreError("liveness includes kubernetes but no Kubernetes client is configured.")
        out["kubernetes"] = kubernetes_verdicts(names, nodes, opts.k8s_lister())
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


def decommission(kv, opts: Options) -> dict[str, Any]:
    """Plan (and unless check_mode, run) the purge. Returns the module result (without
    ``failed``); raises DecommissionRefused for a safety refusal and DatastoreError on errors."""
    keep = _keep_set(opts.keep)
    if not opts.nodes and keep is None and not opts.liveness:
        raise DatastoreError("Nothing selects dead nodes.", "Set nodes, keep or liveness.")
    cluster = load_cluster(kv, keep_mode=keep is not None, felix_values="felix" in opts.liveness)
    node_values = cluster.node_values()
    reports = felix_reports(cluster.felix)[0]
    universe = sorted(set(cluster.nodes) | cluster.affinity_hosts)
    sel = select(universe, opts.nodes, _verdicts(opts, universe, node_values, reports), opts.force)

    view = View()
    plans = load_and_plan(kv, cluster, sel.dead, view)
    total = len(cluster.nodes)
    existing_dead = [p.name for p in plans if p.node_rev is not None]
    plans = [p for p in plans if p.keys() or p.releases]          # nothing left of these nodes
    result: dict[str, Any] = {
        "changed": False,
        "total_nodes": total,
        "kept": [{"name": n, "reasons": r} for n, r in sorted(sel.kept.items())],
        "refused": sorted(sel.refused),
        "batches": [],
        "failed_nodes": [],
    }
    problems = []
    if sel.refused:
        problems.append(f"{', '.join(sorted(sel.refused))} {'is' if len(sel.refused) == 1 else 'are'} in keep")
    if total and len(existing_dead) / total > opts.max_fraction and not opts.force:
        problems.append(f"{len(existing_dead)} of {total} nodes ({100 * len(existing_dead) / total:.0f}%) is more "
                        f"than max_fraction {opts.max_fraction:g}")
    if problems:
        result["nodes"] = [{"name": p.name, "reasons": p.reasons} for p in plans]
        raise DecommissionRefused("Refusing to decommission: " + "; ".join(problems) + ".",
                                  "Check the selection (nodes, keep, liveness); set force: true to go ahead anyway.",
                                  result)

    size = opts.serial if opts.serial and opts.serial > 0 else WAVE
    ex = Executor(kv, view, opts.check_mode, opts.log, opts.after_commit)
    done: list[NodePlan] = []
    kept_now: list[dict] = []
    try:
        for batch in chunks(plans, size):
            if opts.before_batch:
                opts.before_batch([p.name for p in batch])
            batch, back = _recheck(kv, opts, batch, view)
            kept_now += back
            if not batch:
                continue
            result["batches"].append([p.name for p in batch])
            opts.log(f"calico_decommission: purging {len(batch)} node(s): {', '.join(p.name for p in batch[:10])}"
                     f"{' ...' if len(batch) > 10 else ''}")
            # One stream in phase order: transactions commit in that order, and a step that touches
            # a key still pending in the transaction being filled flushes it and is planned again.
            ex.run([u for _phase, units in phases(batch) for u in units])
            done += batch
            if ex.failed:
                break
    except DatastoreUnavailable as exc:
        purged = [p.name for p in done if p.name not in ex.failed]
        raise DatastoreUnavailable(
            f"etcd became unreachable during the purge ({exc.msg}). Purged so far: {len(purged)} node(s)"
            f"{': ' + ', '.join(purged[:20]) if purged else ''}{' ...' if len(purged) > 20 else ''}. Every step "
            "is a guarded transaction, so the datastore is consistent.",
            "Run the task again once etcd is back to finish the purge.") from None

    result["kept"] += kept_now
    result["nodes"] = [_summary(p, ex.report.get(p.name, {})) for p in done if p.name not in ex.failed]
    result["failed_nodes"] = [{"name": n, "error": e} for n, e in sorted(ex.failed.items())]
    result["changed"] = ex.writes > 0
    result["writes"] = ex.writes
    return result


def _recheck(kv, opts: Options, batch: list[NodePlan], view: View) -> tuple[list[NodePlan], list[dict]]:
    """Right before purging a batch: is any of its nodes alive again? Node resource rewritten,
    Felix reporting again, back in keep, its Kubernetes node or EC2 instance back."""
    keys = [model.resource_key("Node", p.name) for p in batch]
    keys += [k for p in batch for k in p.status_report_keys]
    fresh = read_keys(kv, keys)
    reports = felix_reports([e for e in fresh.values() if e is not None])[0]
    nodes = {p.name: (fresh.get(model.resource_key("Node", p.name)).value or {})
             for p in batch if fresh.get(model.resource_key("Node", p.name)) is not None}
    names = [p.name for p in batch]
    verdicts = _verdicts(opts, names, nodes, reports)
    keep_now = None
    if "keep" in verdicts and not opts.force:
        keep_now = verdicts.pop("keep")
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


# ---------------------------------------------------------------------------------------------
# listers for the Kubernetes and EC2 sources


def kubernetes_lister(kubeconfig: str | None = None, context: str | None = None,
                      timeout: float = 30.0) -> Callable[[], set[str]]:
    """A function returning the names of the Kubernetes nodes (paged list_node), through the
    kubernetes client: ``kubeconfig`` (else KUBECONFIG / in-cluster / ~/.kube/config)."""
    try:
        from kubernetes import client, config
        from kubernetes.client.rest import ApiException
        from kubernetes.config.config_exception import ConfigException
    except ImportError as exc:
        raise DatastoreError(f"the kubernetes Python library is required for liveness kubernetes ({exc}).",
                             "Install it with: pip install kubernetes") from None
    state: dict[str, Any] = {}

    def api():
        if "api" not in state:
            try:
                if kubeconfig or not _in_cluster():
                    api_client = config.new_client_from_config(config_file=kubeconfig, context=context)
                else:
                    config.load_incluster_config()
                    api_client = client.ApiClient()
            except (ConfigException, OSError, TypeError) as exc:
                raise DatastoreError(f"Cannot load the kubeconfig for the Kubernetes liveness source: {exc}",
                                     "Set kubernetes_kubeconfig (or KUBECONFIG) to a readable kubeconfig.") from None
            state["api"] = client.CoreV1Api(api_client)
        return state["api"]

    def names() -> set[str]:
        out: set[str] = set()
        token = None
        while True:
            try:
                kw: dict[str, Any] = {"limit": 500, "_request_timeout": timeout}
                if token:
                    kw["_continue"] = token
                resp = api().list_node(**kw)
            except ApiException as exc:
                raise DatastoreError(f"Listing Kubernetes nodes failed: {exc.status} {exc.reason}",
                                     "The kubeconfig's user needs list on nodes.") from None
            except Exception as exc:  # urllib3 connection errors and the like
                raise DatastoreError(f"Listing Kubernetes nodes failed: {exc}",
                                     "Check that the API server in the kubeconfig is reachable.") from None
            out.update(item.metadata.name for item in resp.items or [])
            token = resp.metadata._continue if resp.metadata else None
            if not token:
                return out
    return names


def _in_cluster() -> bool:
    import os
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and not os.environ.get("KUBECONFIG") and \
        not os.path.exists(os.path.expanduser("~/.kube/config"))


def aws_lister(params: dict[str, Any], log: Callable[[str], None] = lambda msg: None) -> Callable[[], list[dict]]:
    """A function returning EC2 instances (DescribeInstances, all pages) through _aws's client;
    ``params`` are _aws.aws_argspec() options plus ``filters`` (name -> value or list)."""
    from ansible_collections.netops.calico.plugins.module_utils import _aws
    if not _aws.HAS_BOTO3:
        raise DatastoreError("boto3 is required for liveness aws.", "Install it with: pip install boto3")
    filters = [{"Name": k, "Values": [str(x) for x in (v if isinstance(v, list) else [v])]}
               for k, v in sorted((params.get("filters") or {}).items())]
    state: dict[str, Any] = {}

    def instances() -> list[dict]:
        try:
            if "ec2" not in state:
                state["ec2"] = _aws.connect(params, log=log)
            return list(state["ec2"].describe_instances(filters, 1000))
        except _aws.AwsError as exc:
            raise DatastoreError(f"EC2 liveness source: {exc}") from None
    return instances
