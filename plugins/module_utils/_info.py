# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-only summary of a Calico datastore: nodes, pools, IPAM usage per node and pool, BGP and
Felix configuration. On etcd it reads ``/calico/`` once, in pages at one revision, so the report
is a consistent snapshot and costs little more than a bare range read."""

from __future__ import annotations

import json
import socket
from typing import Any, Callable, Iterable

from ansible_collections.netops.calico.plugins.module_utils._datastore import model

SUBSETS = ("nodes", "ippools", "ipam", "bgp", "felix")
_RES = model.RESOURCE_PREFIX
_WANTED_RES = {"nodes": "Node", "ippools": "IPPool", "bgpconfigurations": "BGPConfiguration",
               "bgppeers": "BGPPeer", "felixconfigurations": "FelixConfiguration",
               "clusterinformations": "ClusterInformation"}
_BLOCKS = model.IPAM_PREFIX + "assignment/"


def _loads(key: str, raw: bytes, resource: bool, warn: Callable[[str], None] | None) -> dict | None:
    """The stored object, or None (with a warning) when it cannot be what Calico stores there:
    like libcalico-go's list, which skips a value it cannot convert and logs it."""
    try:
        obj = json.loads(raw)
    except ValueError as exc:
        problem = f"does not hold JSON ({exc})"
    else:
        if not isinstance(obj, dict):
            problem = "does not hold a JSON object"
        elif resource and not (isinstance(obj.get("metadata"), dict) and isinstance(obj["metadata"].get("name"), str)
                               and isinstance(obj.get("spec"), (dict, type(None)))):
            problem = "does not hold a Calico resource (metadata.name and an object spec)"
        else:
            return obj
    if warn:
        warn(f"Skipped {key}: it {problem}; calico-node cannot read it either. "
             f"Fix or remove it (etcdctl del {key}).")
    return None


def _collect_etcd(ds, want_ipam: bool,
                  warn: Callable[[str], None] | None = None) -> tuple[dict[str, list[dict]], list[dict]]:
    resources: dict[str, list[dict]] = {k: [] for k in _WANTED_RES.values()}
    blocks: list[dict] = []
    for key, raw, rev in ds.snapshot("/calico/"):
        if key.startswith(_BLOCKS):
            if want_ipam:
                blk = _loads(key, raw, False, warn)
                if blk is not None:
                    blocks.append(blk)
            continue
        if key.startswith(_RES):
            plural, _x, rest = key[len(_RES):].partition("/")
            kind = _WANTED_RES.get(plural)
            if kind and "/" not in rest:
                obj = _loads(key, raw, True, warn)
                if obj is not None:
                    obj["metadata"]["resourceVersion"] = rev
                    resources[kind].append(obj)
    return resources, blocks


def _collect_generic(ds, want_ipam: bool) -> tuple[dict[str, list[dict]], list[dict]]:
    resources = {kind: ds.list(kind) for kind in _WANTED_RES.values()}
    blocks = [b["value"] for b in ds.ipam_list("IPAMBlock")] if want_ipam else []
    return resources, blocks


def node_summary(node: dict) -> dict[str, Any]:
    spec = node.get("spec") or {}
    bgp = spec.get("bgp") or {}
    wg = spec.get("wireguard") or {}
    out = {
        "name": node["metadata"]["name"],
        "labels": node["metadata"].get("labels") or {},
        "ipv4_address": bgp.get("ipv4Address"),
        "ipv6_address": bgp.get("ipv6Address"),
        "as_number": bgp.get("asNumber"),
        "route_reflector_cluster_id": bgp.get("routeReflectorClusterID"),
        "ipv4_ipip_tunnel_addr": bgp.get("ipv4IPIPTunnelAddr"),
        "ipv4_vxlan_tunnel_addr": spec.get("ipv4VXLANTunnelAddr"),
        "ipv6_vxlan_tunnel_addr": spec.get("ipv6VXLANTunnelAddr"),
        "wireguard_ipv4_address": wg.get("interfaceIPv4Address"),
        "wireguard_ipv6_address": wg.get("interfaceIPv6Address"),
        "orch_refs": spec.get("orchRefs") or [],
    }
    return out


def _net_int(cidr: str) -> tuple[int, int, int] | None:
    """``"10.0.0.0/26"`` -> (version, network as int, prefix length), without ipaddress objects
    (this runs once per block: 40,000 times on a large cluster)."""
    addr, _x, plen = cidr.partition("/")
    try:
        if ":" in addr:
            return 6, int.from_bytes(socket.inet_pton(socket.AF_INET6, addr), "big"), int(plen)
        return 4, int.from_bytes(socket.inet_aton(addr), "big"), int(plen)
    except (OSError, ValueError):
        return None


def ipam_usage(blocks: Iterable[dict], pools: list[dict]) -> dict[str, Any]:
    """Blocks, allocated and capacity per node (the block's affinity) and per pool."""
    nets = []
    for p in pools:
        parsed = _net_int(str((p.get("spec") or {}).get("cidr", "")))
        if parsed:
            version, net, plen = parsed
            bits = 32 if version == 4 else 128
            nets.append((version, net >> (bits - plen), bits - plen, p["metadata"]["name"]))
    per_node: dict[str, dict[str, int]] = {}
    per_pool: dict[str, dict[str, int]] = {n[3]: {"blocks": 0, "allocated": 0, "capacity": 0} for n in nets}
    orphans = {"blocks": 0, "allocated": 0, "capacity": 0}
    for blk in blocks:
        allocs = blk.get("allocations") or []
        cap = len(allocs)
        used = cap - allocs.count(None)
        aff = blk.get("affinity") or ""
        if aff.startswith("host:"):
            n = per_node.get(aff[5:])
            if n is None:
                n = per_node[aff[5:]] = {"blocks": 0, "allocated": 0, "capacity": 0}
            n["blocks"] += 1
            n["allocated"] += used
            n["capacity"] += cap
        target = orphans
        parsed = _net_int(blk.get("cidr", ""))
        if parsed:
            version, addr, _x = parsed
            for pv, prefix, shift, name in nets:
                if pv == version and addr >> shift == prefix:
                    target = per_pool[name]
                    break
        target["blocks"] += 1
        target["allocated"] += used
        target["capacity"] += cap
    out: dict[str, Any] = {"per_node": per_node, "per_pool": per_pool}
    if orphans["blocks"]:
        out["outside_pools"] = orphans
    return out


def gather(ds, subsets: Iterable[str] = SUBSETS, warn: Callable[[str], None] | None = None) -> dict[str, Any]:
    """``warn`` is told about each stored value skipped because it cannot be read."""
    subsets = set(subsets)
    want_ipam = "ipam" in subsets
    if hasattr(ds, "snapshot"):
        resources, blocks = _collect_etcd(ds, want_ipam, warn)
    else:
        resources, blocks = _collect_generic(ds, want_ipam)
    out: dict[str, Any] = {}
    if "nodes" in subsets:
        out["nodes"] = [node_summary(n) for n in resources["Node"]]
    if "ippools" in subsets or want_ipam:
        pools = resources["IPPool"]
        if "ippools" in subsets:
            out["ippools"] = [{"name": p["metadata"]["name"], **(p.get("spec") or {})} for p in pools]
    if want_ipam:
        out["ipam"] = ipam_usage(blocks, resources["IPPool"])
    if "bgp" in subsets:
        out["bgp"] = {
            "configurations": {c["metadata"]["name"]: c.get("spec") or {} for c in resources["BGPConfiguration"]},
            "peers": [{"name": p["metadata"]["name"], **(p.get("spec") or {})} for p in resources["BGPPeer"]],
        }
    if "felix" in subsets:
        out["felix"] = {c["metadata"]["name"]: c.get("spec") or {} for c in resources["FelixConfiguration"]}
    info = resources.get("ClusterInformation") or []
    if info:
        out["cluster_information"] = info[0].get("spec") or {}
    return out


def ipam_check(ds) -> dict[str, Any]:
    """IPAM leaks the way ``calicoctl ipam check`` reports them (see ipam.ipam_check).

    Workload endpoints are read only on etcd: in the Kubernetes datastore they are pods, which
    this client does not list, so "allocated but not in use" is not judged there (an empty list
    would report every pod address as leaked)."""
    from ansible_collections.netops.calico.plugins.module_utils._datastore import ipam
    weps = ds.list("WorkloadEndpoint") if ds.datastore_type == "etcdv3" else None
    return ipam.ipam_check(ds.ipam_list("IPAMBlock"), ds.ipam_list("IPAMHandle"), ds.list("Node"),
                           workload_endpoints=weps, pools=ds.list("IPPool"),
                           affinities=ds.ipam_list("BlockAffinity"))
