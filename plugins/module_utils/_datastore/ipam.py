# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Calico IPAM objects as pure data: blocks, handles and affinities, and the checks
``calicoctl ipam check`` makes. No I/O: callers read and write the JSON values.

Semantics are copied from libcalico-go v3.31 (projectcalico/calico):
- releasing addresses: lib/ipam/ipam_block.go ``allocationBlock.release`` (free the ordinal, append it
  to ``unallocated``, drop its ``sequenceNumberForAllocation`` entry, delete attributes no longer
  referenced and renumber the rest) and ``blockReaderWriter.updateBlock`` (every block write
  increments ``sequenceNumber``); an empty block without affinity is deleted (ipam.go
  ``releaseIPsFromBlock``);
- handles: lib/ipam/ipam_handle.go ``decrementBlock`` (a count reaching 0 drops the block entry; a
  handle without blocks is deleted, ipam.go ``decrementHandle``);
- releasing an affinity: lib/ipam/ipam_block_reader_writer.go ``releaseBlockAffinity`` (affinity
  marked ``pendingDeletion``; the block deleted when empty, else its ``affinity`` set to null; the
  affinity deleted);
- empty means "only Windows-reserved addresses" (ipam_block.go ``containsOnlyReservedIPs``);
- the check: calicoctl/calicoctl/commands/ipam/check.go;
- releasing a pool's affinities before the pool is deleted: lib/ipam/ipam.go ``ReleasePoolAffinities``
  and ``affinityConfigsByBlocks`` (every affinity whose block starts inside the pool, one per block)
  with ``releaseBlockAffinity`` per block. ``release_pool_affinities`` is the one function here that
  reads and writes, and only through the datastore client's IPAM methods (a DryRun in check mode).
"""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping

from ansible_collections.netops.calico.plugins.module_utils._datastore.errors import ConflictError, NotFoundError

WINDOWS_RESERVED_HANDLE = "windows-reserved-ipam-handle"   # lib/ipam/ipam.go WindowsReservedHandle

# Tunnel address handles (node/pkg/allocateip/allocateip.go) and the attribute "type" values
# (lib/backend/model/block.go IPAMBlockAttributeType*).
TUNNEL_HANDLE_PREFIXES = {
    "ipip-tunnel-addr-": "ipipTunnelAddress",
    "vxlan-tunnel-addr-": "vxlanTunnelAddress",
    "vxlan-v6-tunnel-addr-": "vxlanV6TunnelAddress",
    "wireguard-tunnel-addr-": "wireguardTunnelAddress",
    "wireguard-v6-tunnel-addr-": "wireguardV6TunnelAddress",
}

AFFINITY_PENDING_DELETION = "pendingDeletion"


def tunnel_handles(node: str) -> list[str]:
    """The IPAM handles of a node's tunnel addresses (IPv4 and IPv6 IPIP/VXLAN/WireGuard)."""
    return [f"{prefix}{node}" for prefix in TUNNEL_HANDLE_PREFIXES]


def node_tunnel_ips(node: Mapping[str, Any]) -> list[str]:
    """Tunnel addresses in a Node resource's spec, IPv4 and IPv6, normalised (bare IPs).

    libcalico-go's nodes.Delete releases the three IPv4 ones (bgp.ipv4IPIPTunnelAddr,
    ipv4VXLANTunnelAddr, wireguard.interfaceIPv4Address); the IPv6 ones (ipv6VXLANTunnelAddr,
    wireguard.interfaceIPv6Address) are held the same way by calico-node and released here too."""
    spec = node.get("spec") or {}
    bgp = spec.get("bgp") or {}
    wg = spec.get("wireguard") or {}
    out = []
    for raw in (bgp.get("ipv4IPIPTunnelAddr"), spec.get("ipv4VXLANTunnelAddr"), wg.get("interfaceIPv4Address"),
                spec.get("ipv6VXLANTunnelAddr"), wg.get("interfaceIPv6Address")):
        ip = normalise_ip(raw)
        if ip:
            out.append(ip)
    return out


def normalise_ip(raw: Any) -> str | None:
    """``10.0.0.1/32`` or ``10.0.0.1`` -> ``10.0.0.1`` (cnet.ParseCIDROrIP); None when unparsable."""
    if not raw or not isinstance(raw, str):
        return None
    try:
        return str(ipaddress.ip_interface(raw.strip()).ip)
    except ValueError:
        return None


def workload_ips(wep: Mapping[str, Any]) -> list[str]:
    """A WorkloadEndpoint's addresses (spec.ipNetworks, CIDRs), as bare IPs."""
    out = []
    for raw in (wep.get("spec") or {}).get("ipNetworks") or []:
        ip = normalise_ip(raw)
        if ip:
            out.append(ip)
    return out


# ---------------------------------------------------------------------------------------------
# blocks


@functools.lru_cache(maxsize=65536)
def network(cidr: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """ip_network(cidr, strict=False), cached: a purge looks at the same few thousand CIDRs often."""
    return ipaddress.ip_network(cidr, strict=False)


def block_network(block: Mapping[str, Any]) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return network(block["cidr"])


def ordinal(block: Mapping[str, Any], ip: str) -> int | None:
    """Position of ``ip`` in the block (AllocationBlock.IPToOrdinal); None when outside it."""
    net = block_network(block)
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if addr.version != net.version or addr not in net:
        return None
    return int(addr) - int(net.network_address)


def ip_at(block: Mapping[str, Any], ord_: int) -> str:
    net = block_network(block)
    return str(net.network_address + ord_)


def affinity_of(block: Mapping[str, Any]) -> tuple[str, str] | None:
    """("host", node) / ("virtual", name) from ``affinity`` (AllocationBlock.Host/AffinityType)."""
    aff = block.get("affinity")
    if not isinstance(aff, str):
        return None
    kind, sep, name = aff.partition(":")
    if not sep or kind not in ("host", "virtual"):
        return None
    return kind, name


@dataclass(frozen=True)
class Allocation:
    ip: str
    ordinal: int
    handle: str | None
    attrs: Mapping[str, str]
    seq: int | None


def allocations(block: Mapping[str, Any]) -> Iterator[Allocation]:
    """Every allocated address of a block with its handle and attributes."""
    attrs = block.get("attributes") or []
    seqs = block.get("sequenceNumberForAllocation") or {}
    net = block_network(block)
    for ord_, idx in enumerate(block.get("allocations") or []):
        if idx is None:
            continue
        attr = attrs[idx] if isinstance(idx, int) and 0 <= idx < len(attrs) else {}
        yield Allocation(ip=str(net.network_address + ord_), ordinal=ord_, handle=attr.get("handle_id"),
                         attrs=attr.get("secondary") or {}, seq=seqs.get(str(ord_)))


def is_empty(block: Mapping[str, Any]) -> bool:
    """True when only Windows-reserved addresses are allocated (containsOnlyReservedIPs)."""
    for a in allocations(block):
        if a.handle is None or a.handle.lower() != WINDOWS_RESERVED_HANDLE:
            return False
    return True


def _sorted_seq(seqs: Mapping[str, Any]) -> dict[str, Any]:
    return {k: seqs[k] for k in sorted(seqs)}   # Go's encoding/json sorts map keys


@dataclass(frozen=True)
class Release:
    """One address to release, with what it was allocated to when planned: the release is skipped
    when the address was freed and handed out again since (ReleaseOptions Handle/SequenceNumber)."""
    ip: str
    handle: str | None = None
    seq: int | None = None


def release(block: Mapping[str, Any], targets: Iterable[Release]) -> tuple[dict | None, dict[str, int], list[str]]:
    """Release ``targets`` from ``block``.

    Returns (new block or None when nothing changed, {handle: addresses released}, released IPs).
    The new block has its sequence number incremented, as updateBlock does; whether to delete it
    instead is the caller's (``is_empty`` and no affinity)."""
    by_ord: dict[int, Release] = {}
    for t in targets:
        o = ordinal(block, t.ip)
        if o is not None:
            by_ord[o] = t
    allocs = block.get("allocations") or []
    attrs = block.get("attributes") or []
    seqs = block.get("sequenceNumberForAllocation") or {}
    freed: list[int] = []
    counts: dict[str, int] = {}
    for o in sorted(by_ord):
        t = by_ord[o]
        idx = allocs[o] if o < len(allocs) else None
        if idx is None:
            continue
        attr = attrs[idx] if 0 <= idx < len(attrs) else {}
        handle = attr.get("handle_id")
        if t.handle is not None and handle != t.handle:
            continue
        if t.seq is not None and seqs.get(str(o)) != t.seq:
            continue
        freed.append(o)
        if handle:
            counts[handle] = counts.get(handle, 0) + 1
    if not freed:
        return None, {}, []

    new = dict(block)                      # shallow: only the lists below are changed, as copies
    new["allocations"] = allocs = list(allocs)
    # Attributes whose every reference is released are deleted, the others renumbered
    # (allocationBlock.deleteAttributes).
    refs: dict[int, int] = {}
    for idx in allocs:
        if idx is not None:
            refs[idx] = refs.get(idx, 0) + 1
    dropped: dict[int, int] = {}
    for o in freed:
        dropped[allocs[o]] = dropped.get(allocs[o], 0) + 1
    delete = {idx for idx, n in dropped.items() if refs.get(idx) == n}
    if delete:
        remap: dict[int, int] = {}
        kept = []
        for i, a in enumerate(new.get("attributes") or []):
            if i not in delete:
                remap[i] = len(kept)
                kept.append(a)
        new["attributes"] = kept
    else:
        remap = {}
    new_seqs = dict(new.get("sequenceNumberForAllocation") or {})
    freed_set = set(freed)
    for o, idx in enumerate(allocs):
        if o in freed_set:
            allocs[o] = None
        elif idx is not None and delete:
            allocs[o] = remap.get(idx)
    unallocated = list(new.get("unallocated") or [])
    for o in freed:
        unallocated.append(o)
        new_seqs.pop(str(o), None)
    new["unallocated"] = unallocated
    new["sequenceNumberForAllocation"] = _sorted_seq(new_seqs)
    new["sequenceNumber"] = int(new.get("sequenceNumber") or 0) + 1
    return new, counts, [ip_at(block, o) for o in freed]


def clear_affinity(block: Mapping[str, Any]) -> dict:
    """The block with its affinity removed (releaseBlockAffinity on a non-empty block): affinity
    null, no claim time, sequence number incremented (updateBlock)."""
    new = dict(block)
    new["affinity"] = None
    new.pop("affinity_claim_time", None)
    new["sequenceNumber"] = int(new.get("sequenceNumber") or 0) + 1
    return new


def decrement_handle(handle: Mapping[str, Any], cidr: str, count: int) -> dict | None:
    """The handle after releasing ``count`` addresses of block ``cidr``; None when it becomes empty
    (and is deleted). A count going below zero is clamped, as a leak is no reason to stop."""
    blocks = dict(handle.get("block") or {})
    key = str(network(cidr))
    if key in blocks:
        left = int(blocks[key]) - count
        if left > 0:
            blocks[key] = left
        else:
            del blocks[key]
    if not blocks:
        return None
    new = dict(handle)
    new["block"] = {k: blocks[k] for k in sorted(blocks)}
    return new


def affinity_value(state: str) -> dict:
    """BlockAffinity JSON (model/block_affinity.go: state, deleted)."""
    return {"state": state, "deleted": False}


def affinity_state(value: Any) -> str:
    """State of an affinity value; legacy "" or {} mean confirmed."""
    if isinstance(value, dict) and value.get("state"):
        return str(value["state"])
    return "confirmed"


# ---------------------------------------------------------------------------------------------
# calicoctl ipam check


def validate_block(block: Mapping[str, Any]) -> str | None:
    """check.go validateBlock: allocation/attribute/unallocated consistency; None when valid."""
    allocs = block.get("allocations") or []
    attrs = block.get("attributes") or []
    size = block_network(block).num_addresses
    if len(allocs) != size:
        return f"expected {size} allocation slots, found {len(allocs)}"
    seen_attrs: set[int] = set()
    seen_ords: set[int] = set()
    for o, idx in enumerate(allocs):
        if idx is None:
            continue
        if not isinstance(idx, int) or idx < 0 or idx >= len(attrs):
            return f"allocation {o} indexes a nonexistent attribute {idx}"
        seen_attrs.add(idx)
        seen_ords.add(o)
    for i in range(len(attrs)):
        if i not in seen_attrs:
            return f"attribute index {i} exists but is not indexed by an allocation"
    unalloc = block.get("unallocated") or []
    seen_un: set[int] = set()
    for o in unalloc:
        if not isinstance(o, int) or o < 0 or o >= len(allocs):
            return f"ordinal {o} appears in the Unallocated array but is out of the block"
        if o in seen_un:
            return f"ordinal {o} appears more than once in Unallocated array"
        if o in seen_ords:
            return f"ordinal {o} is allocated but appears in Unallocated"
        seen_un.add(o)
    if len(unalloc) + len(seen_ords) != size:
        return (f"expected {size} addresses in this block, but Unallocated ({len(unalloc)}) + Allocated "
                f"({len(seen_ords)}) = {len(unalloc) + len(seen_ords)}")
    return None


def _values(items: Iterable[Any], id_field: str | None = None) -> Iterator[tuple[str | None, Any]]:
    """Accept raw values, backend entries ({"name", "value", ...}) or a mapping name -> value."""
    if isinstance(items, Mapping):
        yield from items.items()
        return
    for item in items or []:
        if isinstance(item, Mapping) and "value" in item and (id_field is None or id_field not in item):
            yield item.get("name"), item["value"]
        else:
            yield None, item


def _node_names(nodes: Iterable[Any]) -> set[str]:
    out = set()
    for n in nodes or []:
        if isinstance(n, str):
            out.add(n)
        elif isinstance(n, Mapping):
            name = (n.get("metadata") or {}).get("name") or n.get("name")
            if name:
                out.add(name)
    return out


def ipam_check(blocks: Iterable[Any], handles: Iterable[Any] | Mapping[str, Any], nodes: Iterable[Any],
               workload_endpoints: Iterable[Mapping[str, Any]] | None = None,
               pools: Iterable[Mapping[str, Any]] | None = None,
               affinities: Iterable[Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """IPAM leaks and inconsistencies, as ``calicoctl ipam check`` reports them, plus the
    node-level ones a decommission leaves behind when it goes wrong.

    - ``blocks``: block values (or backend entries ``{"value": block}``);
    - ``handles``: entries ``{"name": handle id, "value": {...}}`` or a mapping id -> value;
    - ``nodes``: Node resources or node names (the nodes that exist);
    - ``workload_endpoints`` (optional): WorkloadEndpoint resources; with them, addresses allocated
      but used by no workload or node are reported (check.go "allocated but not in use");
    - ``pools`` (optional): IPPool resources, to tell in-use addresses outside every enabled pool;
    - ``affinities`` (optional): BlockAffinity entries (name ``<node>/<cidr>``), to report
      affinities of missing nodes or pointing at missing/other-node blocks.

    Node tunnel addresses count as in use for IPv4 and IPv6 (calicoctl counts only IPv4 ones, so it
    reports IPv6 tunnel addresses as leaks).
    """
    existing = _node_names(nodes)
    block_list = [v for _name, v in _values(blocks, id_field="cidr") if isinstance(v, Mapping) and v.get("cidr")]
    handle_map = {name: value for name, value in _values(handles) if name is not None}
    scan = _scan_blocks(block_list, existing)
    allocs_by_ip = scan["allocs_by_ip"]
    out: dict[str, Any] = {
        "blocks": len(block_list),
        "allocations": sum(len(v) for v in allocs_by_ip.values()),
        "handles": len(handle_map),
        **_handle_problems(handle_map, scan["handle_counts"], allocs_by_ip),
        "orphan_blocks": scan["orphan_blocks"],
        "orphan_allocations": scan["orphan_allocations"],
        "invalid_blocks": scan["invalid_blocks"],
    }
    if workload_endpoints is not None:
        node_objs = [n for n in nodes or [] if isinstance(n, Mapping)]
        out.update(_usage_problems(node_objs, workload_endpoints, scan["reserved_in_use"], allocs_by_ip, pools))
    if affinities is not None:
        out["orphan_affinities"] = _orphan_affinities(affinities, block_list, existing)

    problem_keys = ("missing_handles", "leaked_handles", "handle_count_mismatches", "orphan_blocks",
                    "orphan_allocations", "invalid_blocks", "allocated_not_in_use", "in_use_not_allocated",
                    "in_use_not_in_pool", "orphan_affinities")
    out["problems"] = sum(len(out[k]) for k in problem_keys if k in out)
    out["ok"] = out["problems"] == 0
    return out


def _scan_blocks(block_list: list[Mapping[str, Any]], existing: set[str]) -> dict[str, Any]:
    """Every allocation by IP, allocations per handle and block, and the blocks' own problems."""
    allocs_by_ip: dict[str, list[dict]] = {}
    handle_counts: dict[str, dict[str, int]] = {}
    out: dict[str, Any] = {"allocs_by_ip": allocs_by_ip, "handle_counts": handle_counts, "invalid_blocks": [],
                           "orphan_blocks": [], "orphan_allocations": [], "reserved_in_use": set()}
    for b in block_list:
        cidr = str(block_network(b))
        err = validate_block(b)
        if err:
            out["invalid_blocks"].append({"block": cidr, "error": err})
        aff = affinity_of(b)
        if aff and aff[0] == "host" and aff[1] not in existing:
            out["orphan_blocks"].append({"block": cidr, "affinity": b.get("affinity"), "node": aff[1]})
        for a in allocations(b):
            rec = {"ip": a.ip, "block": cidr, "handle": a.handle, "node": a.attrs.get("node") or (aff[1] if aff else None)}
            for k in ("pod", "namespace", "type"):
                if a.attrs.get(k):
                    rec[k] = a.attrs[k]
            if a.handle and a.handle.lower() == WINDOWS_RESERVED_HANDLE:
                out["reserved_in_use"].add(a.ip)
            elif a.handle:
                handle_counts.setdefault(a.handle, {})
                handle_counts[a.handle][cidr] = handle_counts[a.handle].get(cidr, 0) + 1
            allocs_by_ip.setdefault(a.ip, []).append(rec)
            owner = a.attrs.get("node")
            if owner and owner not in existing:
                out["orphan_allocations"].append(rec)
    return out


def _handle_problems(handle_map: dict[str, Any], handle_counts: dict[str, dict[str, int]],
                     allocs_by_ip: dict[str, list[dict]]) -> dict[str, Any]:
    """Handles missing, leaked (no allocation) and counting other than their allocations."""
    mismatches = []
    for h, value in sorted(handle_map.items()):
        if h not in handle_counts:
            continue
        recorded = {str(ipaddress.ip_network(k, strict=False)): int(v)
                    for k, v in ((value or {}).get("block") or {}).items()}
        actual = handle_counts[h]
        for cidr in sorted(set(recorded) | set(actual)):
            if recorded.get(cidr, 0) != actual.get(cidr, 0):
                mismatches.append({"handle": h, "block": cidr, "handle_count": recorded.get(cidr, 0),
                                   "allocations": actual.get(cidr, 0)})
    missing = sorted(h for h in handle_counts if h not in handle_map)
    return {
        "missing_handles": [{"handle": h, "ips": sorted(r["ip"] for rs in allocs_by_ip.values()
                                                        for r in rs if r["handle"] == h)} for h in missing],
        "leaked_handles": sorted(h for h in handle_map if h not in handle_counts),
        "handle_count_mismatches": mismatches,
    }


def _usage_problems(node_objs: list[Mapping[str, Any]], workload_endpoints: Iterable[Mapping[str, Any]],
                    reserved_in_use: set[str], allocs_by_ip: dict[str, list[dict]],
                    pools: Iterable[Mapping[str, Any]] | None) -> dict[str, Any]:
    """Addresses allocated but used by no workload or node, and used but not allocated."""
    in_use: dict[str, list[str]] = {}
    for n in node_objs:
        name = (n.get("metadata") or {}).get("name")
        for ip in node_tunnel_ips(n):
            in_use.setdefault(ip, []).append(f"Node({name})")
    for w in workload_endpoints:
        meta = w.get("metadata") or {}
        for ip in workload_ips(w):
            in_use.setdefault(ip, []).append(f"Workload({meta.get('namespace')}/{meta.get('name')})")
    for ip in reserved_in_use:
        in_use.setdefault(ip, []).append("Reserved for Windows")
    out: dict[str, Any] = {
        "allocated_not_in_use": [r for ip in sorted(allocs_by_ip) if ip not in in_use for r in allocs_by_ip[ip]]}
    pool_nets = [ipaddress.ip_network((p.get("spec") or {})["cidr"], strict=False) for p in pools or []
                 if not (p.get("spec") or {}).get("disabled") and (p.get("spec") or {}).get("cidr")]
    not_alloc, not_in_pool = [], []
    for ip in sorted(in_use):
        if ip in allocs_by_ip:
            continue
        entry = {"ip": ip, "owners": in_use[ip]}
        if pools is not None and not any(ipaddress.ip_address(ip) in net for net in pool_nets):
            not_in_pool.append(entry)
        else:
            not_alloc.append(entry)
    out["in_use_not_allocated"] = not_alloc
    if pools is not None:
        out["in_use_not_in_pool"] = not_in_pool
    return out


def _orphan_affinities(affinities: Iterable[Mapping[str, Any]], block_list: list[Mapping[str, Any]],
                       existing: set[str]) -> list[dict]:
    """Affinities of missing nodes, or pointing at missing or other nodes' blocks."""
    by_cidr = {str(block_network(b)): b for b in block_list}
    out = []
    for name, value in _values(affinities):
        if not name or "/" not in name:
            continue
        node, _sep, cidr = name.partition("/")
        cidr = str(ipaddress.ip_network(cidr, strict=False))
        reason = None
        if node not in existing:
            reason = "node does not exist"
        elif cidr not in by_cidr:
            reason = "block does not exist"
        elif by_cidr[cidr].get("affinity") != f"host:{node}":
            reason = f"block is affine to {by_cidr[cidr].get('affinity')!r}"
        if reason:
            out.append({"node": node, "block": cidr, "state": affinity_state(value), "reason": reason})
    return out


# ---------------------------------------------------------------------------------------------
# releasing a pool's affinities (clientv3 IPPools.Delete)

POOL_RELEASE_RETRIES = 5     # rescans after a block claimed by another host; CAS retries per block


def pool_affinities(affinities: Iterable[Mapping[str, Any]],
                    pool: ipaddress.IPv4Network | ipaddress.IPv6Network) -> dict[str, str]:
    """affinityConfigsByBlocks: block CIDR -> host for every affinity (``ipam_list("BlockAffinity")``
    entries, named ``<node>/<cidr>``) whose block's first address is inside ``pool``; one host per
    block, the last listed wins as in upstream's map."""
    out: dict[str, str] = {}
    for entry in affinities:
        host, _x, cidr = str(entry.get("name") or "").partition("/")
        try:
            block = network(cidr)
        except ValueError:
            continue
        if block.version == pool.version and block.network_address in pool:
            out[str(block)] = host
    return out


def _release_block_affinity(ds, host: str, cidr: str) -> str:
    """releaseBlockAffinity (ipam_block_reader_writer.go 304-394) for one block: "released", "gone"
    (affinity or block missing: nothing to do), or "claimed" (the block belongs to another host; the
    stale affinity was deleted and the pool is scanned again)."""
    for _x in range(POOL_RELEASE_RETRIES):
        aff = ds.ipam_get("BlockAffinity", f"{host}/{cidr}")
        blk = ds.ipam_get("IPAMBlock", cidr)
        if aff is None or blk is None:
            return "gone"
        block = blk["value"] if isinstance(blk.get("value"), dict) else {}
        owner = block.get("affinity")
        try:
            if owner is not None and owner != f"host:{host}":
                try:
                    ds.ipam_delete("BlockAffinity", f"{host}/{cidr}", aff["revision"])
                except (ConflictError, NotFoundError):
                    pass
                return "claimed"
            marked = ds.ipam_update("BlockAffinity", f"{host}/{cidr}", affinity_value(AFFINITY_PENDING_DELETION),
                                    aff["revision"])
            if is_empty(block):
                try:
                    ds.ipam_delete("IPAMBlock", cidr, blk["revision"])
                except NotFoundError:
                    pass
            else:
                ds.ipam_update("IPAMBlock", cidr, clear_affinity(block), blk["revision"])
            try:
                ds.ipam_delete("BlockAffinity", f"{host}/{cidr}", marked["revision"])
            except NotFoundError:
                pass
            return "released"
        except ConflictError:
            continue                      # another writer moved first: read both again
    raise ConflictError(f"releasing the affinity of block {cidr} (host {host}) kept conflicting with another "
                        f"writer after {POOL_RELEASE_RETRIES} attempts; nothing more was changed.",
                        "Run again once IPAM activity on this pool has settled.")


def release_pool_affinities(ds, pool: ipaddress.IPv4Network | ipaddress.IPv6Network) -> list[str]:
    """ReleasePoolAffinities (ipam.go 1515-1557): release every block affinity inside ``pool``
    through ``ds`` (EtcdBackend, KubernetesBackend or DryRun). Empty blocks are deleted, the others
    keep their addresses without an affinity. Returns the block CIDRs released, sorted."""
    released: set[str] = set()
    for _x in range(POOL_RELEASE_RETRIES):
        pairs = pool_affinities(ds.ipam_list("BlockAffinity"), pool)
        rescan = False
        for cidr, host in pairs.items():
            outcome = _release_block_affinity(ds, host, cidr)
            if outcome == "released":
                released.add(cidr)
            rescan = rescan or outcome == "claimed"
        if not rescan:
            return sorted(released, key=network)
    raise ConflictError(f"releasing the affinities of pool {pool} kept finding blocks claimed by other hosts.",
                        "Run again once IPAM activity on this pool has settled.")
