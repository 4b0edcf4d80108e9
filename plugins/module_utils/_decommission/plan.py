# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What of the dead nodes is in the datastore: read once with prefix reads and multi-key read
transactions into a view, and planned per node."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Iterator

from ansible_collections.netops.calico.plugins.module_utils._datastore import ipam, model
from ansible_collections.netops.calico.plugins.module_utils._datastore.etcd import Item, Write
from ansible_collections.netops.calico.plugins.module_utils._decommission.liveness import (
    FELIX_PREFIX,
    felix_reports,
)


NODE_PREFIX = model.resource_prefix("Node")
WEP_PREFIX = model.resource_prefix("WorkloadEndpoint")
HEP_PREFIX = model.resource_prefix("HostEndpoint")
PEER_PREFIX = model.resource_prefix("BGPPeer")
POOL_PREFIX = model.resource_prefix("IPPool")
HOST_PREFIX = f"{model.IPAM_PREFIX}host/"


class View:
    """The keys this run has read, kept current with its own writes."""

    def __init__(self) -> None:
        self.items: dict[str, Item] = {}

    def get(self, key: str) -> Item | None:
        return self.items.get(key)

    def add(self, entry: Item | None, key: str | None = None) -> None:
        if entry is None:
            self.items.pop(key, None)
        else:
            self.items[entry.key] = entry

    def apply(self, ops: list[Write], revision: int, revisions: dict[str, str] | None = None) -> None:
        """After a committed write: etcd gives every key the store ``revision``; the Kubernetes
        datastore gives each object its own resourceVersion (``revisions``)."""
        for op in ops:
            if op.value is None:
                self.items.pop(op.key, None)
            else:
                self.items[op.key] = Item(op.key, op.value, (revisions or {}).get(op.key) or str(revision))


@dataclass
class Cluster:
    """What was read for the whole cluster before choosing the dead nodes."""
    nodes: dict[str, Item]                       # Node resources by name
    pools: list[dict]
    wep_keys: list[Item]                         # keys only
    heps: list[Item]
    peers: list[Item]
    felix: list[Item]                            # keys (values when the felix source is on)
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

    def keys(self, with_node: bool = True) -> list[str]:
        out = [k for k, _x in self.affinities] + self.weps + self.peers + self.heps + self.status_keys
        out += [k for k in (self.host_key, self.felix_config, self.bgp_config) if k]
        if self.node_rev is not None and with_node:
            out.append(model.resource_key("Node", self.name))
        return out


def wep_name_prefix(node: str) -> str:
    """WorkloadEndpoint names start with the node name, each '-' doubled, then '-'
    (libcalico-go lib/names/workloadendpoint.go)."""
    return node.replace("-", "--") + "-"


def load_cluster(ds, keep_mode: bool, felix_values: bool, affinity_hosts: bool = False) -> Cluster:
    """The cluster-wide reads. Hosts that only have block affinities left join the universe in keep
    mode, and with ``affinity_hosts`` (the Kubernetes datastore, where a node whose Kubernetes Node is
    gone has nothing else left)."""
    nodes = {e.key[len(NODE_PREFIX):]: e for e in ds.read_prefix(NODE_PREFIX) if "/" not in e.key[len(NODE_PREFIX):]}
    pools = [e.value for e in ds.read_prefix(POOL_PREFIX) if isinstance(e.value, dict)]
    cluster = Cluster(nodes=nodes, pools=pools, wep_keys=ds.read_prefix(WEP_PREFIX, keys_only=True),
                      heps=ds.read_prefix(HEP_PREFIX), peers=ds.read_prefix(PEER_PREFIX),
                      felix=ds.read_prefix(FELIX_PREFIX, keys_only=not felix_values))
    if keep_mode or affinity_hosts:
        for e in ds.read_prefix(HOST_PREFIX, keys_only=True):
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


def load_and_plan(ds, cluster: Cluster, dead: dict[str, list[str]], view: View) -> list[NodePlan]:
    """Read what belongs to the dead nodes into ``view`` and plan each node's purge from it."""
    names = list(dead)
    if not names:
        return []
    for n in names:
        e = cluster.nodes.get(n)
        if e is not None:
            view.add(e)
    weps_by_node, aff_by_node = _read_node_keys(ds, cluster, dead, view)
    releases = _read_blocks_and_handles(ds, cluster, dead, view, weps_by_node, aff_by_node)
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


def _read_node_keys(ds, cluster: Cluster, dead: dict[str, list[str]],
                    view: View) -> tuple[dict[str, list[Item]], dict[str, list[tuple[str, str]]]]:
    """Round 1: per-node exact keys and prefixes. Returns the WorkloadEndpoints and the
    (affinity key, block key) pairs of each node."""
    names = list(dead)
    exact = []
    for n in names:
        exact += [model.resource_key("FelixConfiguration", f"node.{n}"),
                  model.resource_key("BGPConfiguration", f"node.{n}"), model.ipam_host_key(n)]
        exact += [model.handle_key(h) for h in ipam.tunnel_handles(n)]
    prefixes = {f"{model.ipam_host_key(n)}/": n for n in names}
    wanted_wep_prefixes = {wep_name_prefix(n): n for n in names}
    wep_keys = [e.key for e in cluster.wep_keys
                if any(True for _pre in _prefixes_of(e.key.rsplit("/", 1)[-1], wanted_wep_prefixes))]
    for k, e in ds.read_keys(exact + wep_keys).items():
        view.add(e, k)
    aff_by_node: dict[str, list[tuple[str, str]]] = {}
    for pre, entries in ds.read_prefixes(list(prefixes)).items():
        node = prefixes[pre]
        for e in entries:
            parsed = model.parse_key(e.key)
            if parsed and parsed[0] == "BlockAffinity":
                view.add(e)
                cidr = parsed[1].split("/", 1)[1]
                aff_by_node.setdefault(node, []).append((e.key, model.block_key(cidr)))
    weps_by_node: dict[str, list[Item]] = {}
    for k in wep_keys:
        e = view.get(k)
        node = ((e.value or {}).get("spec") or {}).get("node") if e else None
        if node in dead:
            weps_by_node.setdefault(node, []).append(e)
    return weps_by_node, aff_by_node


def _read_blocks_and_handles(ds, cluster: Cluster, dead: dict[str, list[str]], view: View,
                             weps_by_node: dict[str, list[Item]],
                             aff_by_node: dict[str, list[tuple[str, str]]]) -> dict[str, list[tuple[str, ipam.Release]]]:
    """Round 2: the blocks holding the nodes' addresses and affinities; round 3: the pod handles
    of their allocations. Returns each node's releases (block key, target)."""
    names = list(dead)
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
    for k, e in ds.read_keys(sorted(block_keys - set(view.items))).items():
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
    for k, e in ds.read_keys(sorted(handles_needed - set(view.items))).items():
        view.add(e, k)
    return releases


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


def _by_spec_node(entries: list[Item], dead: dict[str, Any]) -> dict[str, list[Item]]:
    out: dict[str, list[Item]] = {}
    for e in entries:
        node = ((e.value or {}).get("spec") or {}).get("node") if isinstance(e.value, dict) else None
        if node in dead:
            out.setdefault(node, []).append(e)
    return out
