# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IPPool rules Calico enforces (api/pkg/apis/projectcalico/v3/ippool.go CEL rules,
libcalico-go/lib/clientv3/ippool.go validation and defaulting), as pure functions.

IPPool defaulting and validation: libcalico-go/lib/clientv3/ippool.go (v3.31.7)
  Create (54-115) and Update (119-147) call validateAndSetDefaults (344-571) and then
  validator.Validate (validator.go validateIPPoolSpec, 1127-1282). Defaults applied:
    370      cidr normalised to the masked network, cidr.String()
    372-375  nodeSelector "" -> "all()"
    388-395  blockSize 0 -> 26 (IPv4) / 122 (IPv6)
    397-400  allowedUses empty -> ["Workload", "Tunnel"]
    421-424  assignmentMode nil -> "Automatic"
    497-505  ipipMode "" -> "Never", vxlanMode "" -> "Never"
  Reads (Get/List) apply the same defaults except the cidr normalisation
  (convertIpPoolFromStorage, 244-292), so old pools stored without them read back defaulted.
  Block size bounds: 435-452 (moved to CRD CEL rules on main, same numbers).
  Create only (470-495): the CIDR must not overlap any other pool's CIDR; and (70-107) no existing
  IPAM block overlapping it may have another size than its blockSize.
  Update only: cidr unchanged up to canonical spelling (cidrChangeOK, 310-339), blockSize unchanged
  (426-433), a LoadBalancer pool stays LoadBalancer (402-419).
  Both: any overlap with link-local 169.254.0.0/16 or fe80::/10 (535-561); pool at least one block
  only while enabled (454-466). validator.go validateIPPoolSpec adds no global() in the selectors.
  Delete (150-214): disable the pool, release its blocks' affinities (IPAM ReleasePoolAffinities), delete.
"""

from __future__ import annotations

import ipaddress
import time
from typing import Any, Mapping

from ansible_collections.netops.calico.plugins.module_utils._datastore import fields as _fields
from ansible_collections.netops.calico.plugins.module_utils._datastore import ipam as _ipam

ENCAPSULATIONS = ("ipip", "vxlan", "none")            # an encapsulation as a whole (kOps encapsulationMode)
ENCAP_MODES = ("Always", "CrossSubnet", "Never")      # a pool's ipipMode / vxlanMode
ALLOWED_USES = ("Workload", "Tunnel", "LoadBalancer")
ASSIGNMENT_MODES = ("Automatic", "Manual")

IMMUTABLE = {
    "cidr": ("To move workloads to another range: create a new pool with the new cidr, set disabled: true "
             "on the old pool, recreate the workloads (they take addresses from the new pool), then delete "
             "the old pool (Calico docs: 'Migrate from one IP pool to another')."),
    "blockSize": ("blockSize cannot change while blocks exist: create a new pool with the new block_size, set "
                  "disabled: true on the old pool, recreate the workloads, then delete the old pool."),
}


LINK_LOCAL = {4: ipaddress.ip_network("169.254.0.0/16"), 6: ipaddress.ip_network("fe80::/10")}


def parse_cidr(cidr: str, field: str = "cidr") -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network | None, list[str]]:
    try:
        net = ipaddress.ip_network(cidr, strict=True)
    except ValueError as exc:
        try:
            masked = ipaddress.ip_network(cidr, strict=False)
            return None, [f"{field}: {cidr!r} has host bits set; use {masked}"]
        except ValueError:
            return None, [f"{field}: {cidr!r} is not a valid CIDR ({exc})"]
    link_local = link_local_error(net, field)
    if link_local:
        return None, [link_local]
    return net, []


def link_local_error(net: ipaddress.IPv4Network | ipaddress.IPv6Network, field: str = "cidr") -> str | None:
    """clientv3/ippool.go 535-561: a pool may not overlap the link-local range at all (169.0.0.0/8 too)."""
    ll = LINK_LOCAL[net.version]
    if not net.overlaps(ll):
        return None
    return (f"{field}: {net} overlaps the IPv{net.version} link-local range {ll} (Calico: \"IPPool CIDR overlaps "
            f"with IPv{net.version} Link Local range {ll}\"); choose a range outside {ll}")


def canonical_cidr(cidr: Any) -> Any:
    """The CIDR as clientv3 stores it (Go IPNet.String(): masked, lower-case, RFC 5952 zero
    compression, ippool.go:370), or the input unchanged when it does not parse."""
    try:
        return str(parse_go_cidr(cidr)[1])
    except ValueError:
        return cidr


def validate_pool_spec(spec: dict) -> list[str]:
    """Every violation of one pool's (already defaulted) spec, each naming its field."""
    errors: list[str] = []
    net = None
    if "cidr" in spec:
        net, errors = parse_cidr(spec["cidr"])
    version = net.version if net else None
    bs = spec.get("blockSize")
    if bs is not None and version:
        lo, hi = _fields.IPPOOL_BLOCK_SIZE_RANGE[version]
        if not lo <= int(bs) <= hi:
            errors.append(f"blockSize: {bs} is out of range for an IPv{version} pool ({lo}-{hi})")
        elif net.prefixlen > int(bs) and not spec.get("disabled"):
            errors.append(f"blockSize: {bs} is smaller than the pool itself (/{net.prefixlen}); "
                          f"use a block size of at least {net.prefixlen}")
    ipip = spec.get("ipipMode") or "Never"
    vxlan = spec.get("vxlanMode") or "Never"
    for fld, val in (("ipipMode", ipip), ("vxlanMode", vxlan)):
        if val not in ENCAP_MODES:
            errors.append(f"{fld}: {val!r} is not one of {', '.join(ENCAP_MODES)}")
    if ipip != "Never" and vxlan != "Never":
        errors.append(f"ipipMode/vxlanMode: ipipMode and vxlanMode cannot both be enabled "
                      f"(ipipMode={ipip}, vxlanMode={vxlan}); set one of them to Never")
    if version == 6 and ipip != "Never":
        errors.append("ipipMode: IPIP is not supported on IPv6 pools; use vxlanMode or Never")
    uses = spec.get("allowedUses") or []
    for u in uses:
        if u not in ALLOWED_USES:
            errors.append(f"allowedUses: {u!r} is not one of {', '.join(ALLOWED_USES)}")
    if "LoadBalancer" in uses:
        if len(uses) > 1:
            errors.append("allowedUses: LoadBalancer cannot be combined with other uses")
        if ipip != "Never" or vxlan != "Never":
            errors.append("allowedUses: a LoadBalancer pool cannot use IPIP or VXLAN")
        if spec.get("disableBGPExport"):
            errors.append("disableBGPExport: a LoadBalancer pool must be exported over BGP")
        if spec.get("nodeSelector", "all()") != "all()":
            errors.append("nodeSelector: a LoadBalancer pool needs nodeSelector all()")
    if "Tunnel" in uses and spec.get("namespaceSelector"):
        errors.append("namespaceSelector: a pool with allowedUses Tunnel cannot have a namespaceSelector")
    for fld in ("nodeSelector", "namespaceSelector"):
        if "global(" in str(spec.get(fld) or ""):
            errors.append(f"{fld}: global() is not valid in an IPPool selector (validator.go validateIPPoolSpec); "
                          "use all() instead")
    am = spec.get("assignmentMode")
    if am is not None and am not in ASSIGNMENT_MODES:
        errors.append(f"assignmentMode: {am!r} is not one of {', '.join(ASSIGNMENT_MODES)}")
    return errors


def parse_go_cidr(cidr: Any) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address,
                                      ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Go net.ParseCIDR: needs "/len"; returns (address as written, masked network)."""
    if not isinstance(cidr, str) or "/" not in cidr:
        raise ValueError(f"cidr: {cidr!r} is not a valid subnet (IPPool CIDR must be a valid subnet)")
    addr, _x, plen = cidr.partition("/")
    try:
        ip = ipaddress.ip_address(addr)
        net = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        raise ValueError(f"cidr: {cidr!r} is not a valid subnet (IPPool CIDR must be a valid subnet)") from None
    if not plen.isdigit() or getattr(ip, "scope_id", None):
        raise ValueError(f"cidr: {cidr!r} is not a valid subnet (IPPool CIDR must be a valid subnet)")
    # Caveat: IPv4-mapped IPv6 input (::ffff:a.b.c.d/n) is treated as IPv6 here; Go's
    # net.IP.To4() would call it IPv4. Not worth emulating.
    return ip, net


def default_pool_spec(spec: dict) -> dict:
    """IPPool spec with clientv3's Create/Update defaults applied (pure; input not modified).

    Raises ValueError("cidr: required ..." / "cidr: ... is not a valid subnet ...") exactly where
    validateAndSetDefaults returns before defaulting anything.
    """
    out = dict(spec)
    if not out.get("cidr"):
        raise ValueError("cidr: required to create a pool; set cidr (IPPool CIDR must be specified)")
    _x, net = parse_go_cidr(out["cidr"])
    out["cidr"] = str(net)                       # Go cidr.String(): masked, canonical
    if not out.get("nodeSelector"):
        out["nodeSelector"] = "all()"
    if not out.get("blockSize"):
        out["blockSize"] = _fields.IPPOOL_DEFAULT_BLOCK_SIZE[net.version]
    if not out.get("allowedUses"):
        out["allowedUses"] = ["Workload", "Tunnel"]
    if out.get("assignmentMode") is None:        # a pointer: only nil is defaulted
        out["assignmentMode"] = "Automatic"
    if not out.get("ipipMode"):
        out["ipipMode"] = "Never"
    if not out.get("vxlanMode"):
        out["vxlanMode"] = "Never"
    return out


def pool_spec_from_storage(spec: dict) -> dict:
    """convertIpPoolFromStorage (ippool.go:244-292): read-side defaults, cidr left as stored."""
    out = dict(spec)
    if not out.get("blockSize"):
        try:
            _x, net = parse_go_cidr(out.get("cidr"))
        except ValueError:
            return out
        out["blockSize"] = _fields.IPPOOL_DEFAULT_BLOCK_SIZE[net.version]
    if not out.get("allowedUses"):
        out["allowedUses"] = ["Workload", "Tunnel"]
    if not out.get("nodeSelector"):
        out["nodeSelector"] = "all()"
    if not out.get("ipipMode"):
        out["ipipMode"] = "Never"
    if not out.get("vxlanMode"):
        out["vxlanMode"] = "Never"
    if out.get("assignmentMode") is None:
        out["assignmentMode"] = "Automatic"
    return out


def cidr_change_ok(old: Any, new: Any) -> bool:
    """clientv3/ippool.go cidrChangeOK (310-339): the same string, or the same network with the new
    one in canonical form."""
    if old == new:
        return True
    try:
        _x, old_net = parse_go_cidr(old)
        _x, new_net = parse_go_cidr(new)
    except ValueError:
        return False
    return old_net == new_net and new == str(new_net)


def validate_ippool(resource: Mapping[str, Any], existing: Mapping[str, list[dict]]) -> list[str]:
    """Every rule clientv3's IPPool Create/Update and validateIPPoolSpec apply to ``resource`` (the
    object about to be written, defaults applied), given the stored pools (``existing["IPPool"]``,
    this pool's stored version included when it exists). Each error names its field."""
    name = (resource.get("metadata") or {}).get("name")
    spec = resource.get("spec") or {}
    if not spec.get("cidr"):
        return ["cidr: required; a pool needs its range (IPPool CIDR must be specified)"]
    errors = validate_pool_spec(spec)
    try:
        _x, net = parse_go_cidr(spec["cidr"])
    except ValueError:
        return errors
    pools = [p for p in existing.get("IPPool") or [] if isinstance(p, Mapping)]
    old = next((p for p in pools if (p.get("metadata") or {}).get("name") == name), None)
    if old is None:
        errors += overlap_errors(name, net, pools)
        if "IPAMBlock" in existing:
            errors += block_size_errors(spec, net, existing["IPAMBlock"])
        return errors
    old_spec = pool_spec_from_storage(old.get("spec") or {})
    if not cidr_change_ok(old_spec.get("cidr"), spec["cidr"]):
        errors.append(f"cidr: cannot change from {old_spec.get('cidr')} to {spec['cidr']} on an existing IPPool "
                      f"(Calico: \"IPPool CIDR cannot be modified\"). {IMMUTABLE['cidr']}")
    if old_spec.get("blockSize") != spec.get("blockSize"):
        errors.append(f"blockSize: cannot change from {old_spec.get('blockSize')} to {spec.get('blockSize')} on an "
                      f"existing IPPool (Calico: \"IPPool BlockSize cannot be modified\"). {IMMUTABLE['blockSize']}")
    if "LoadBalancer" in (old_spec.get("allowedUses") or []) and any(
            u != "LoadBalancer" for u in spec.get("allowedUses") or []):
        errors.append("allowedUses: a LoadBalancer pool cannot become a Workload or Tunnel pool (clientv3 ippool.go); "
                      "create a new pool for workloads instead")
    return errors


def overlap_errors(name: Any, net: ipaddress.IPv4Network | ipaddress.IPv6Network,
                   pools: list[Mapping[str, Any]]) -> list[str]:
    """clientv3/ippool.go 470-495 (Create only): a new pool may not overlap any other pool, in either
    direction; pools whose stored CIDR does not parse are skipped, as Calico skips them."""
    errors = []
    for other in pools:
        other_name = (other.get("metadata") or {}).get("name")
        if other_name == name:
            continue
        other_cidr = (other.get("spec") or {}).get("cidr")
        try:
            _x, other_net = parse_go_cidr(other_cidr)
        except ValueError:
            continue
        if other_net.version == net.version and other_net.overlaps(net):
            errors.append(f"cidr: IPPool({name}) CIDR overlaps with IPPool({other_name}) CIDR {other_cidr}; "
                          "Calico refuses overlapping pools: choose a range outside every existing pool")
    return errors


def block_size_errors(spec: Mapping[str, Any], net: ipaddress.IPv4Network | ipaddress.IPv6Network,
                      blocks: list[Any]) -> list[str]:
    """clientv3/ippool.go Create 70-107: no existing IPAM block (of the pool's IP version) that
    overlaps the new pool may have another size than the pool's blockSize. ``blocks`` are block
    values (model AllocationBlock JSON) or their CIDRs."""
    size = spec.get("blockSize")
    for b in blocks:
        cidr = b.get("cidr") if isinstance(b, Mapping) else b
        try:
            block = ipaddress.ip_network(str(cidr), strict=False)
        except ValueError:
            continue
        if block.version == net.version and block.prefixlen != size and block.overlaps(net):
            return [f"blockSize: {size} conflicts with existing allocations in block {block} (/{block.prefixlen}) "
                    "(Calico: \"IPPool blocksSize conflicts with existing allocations that use a different "
                    f"blockSize\"); use block_size {block.prefixlen}, or release those addresses first"]
    return []


AFFINITY_RELEASE_PAUSE = 0.5   # ippool.go:198: lets allocations already under way finish first


def delete_pool(ds, current: dict, pause: float = AFFINITY_RELEASE_PAUSE) -> list[str]:
    """clientv3 IPPools.Delete (ippool.go 150-214) through the datastore client: disable the pool (an
    update guarded by its revision) so nothing more is allocated from it, release the affinities of
    its blocks (IPAM ReleasePoolAffinities), then delete it. Returns the released block CIDRs.
    In check mode ``ds`` is a DryRun: the same steps are recorded, none made."""
    name = current["metadata"]["name"]
    revision = current["metadata"]["resourceVersion"]
    spec = current.get("spec") or {}
    if not spec.get("disabled"):
        try:
            new_spec = default_pool_spec(spec)       # Update defaults as it goes (ippool.go:134)
        except ValueError:
            new_spec = dict(spec)
        disabled = dict(current)
        disabled["spec"] = {**new_spec, "disabled": True}
        revision = ds.update(disabled)["metadata"]["resourceVersion"]
    released: list[str] = []
    try:
        _x, net = parse_go_cidr(spec.get("cidr"))
    except ValueError:
        net = None
    if net is not None:
        if pause and _ipam.pool_affinities(ds.ipam_list("BlockAffinity"), net):
            time.sleep(pause)
        released = _ipam.release_pool_affinities(ds, net)
    ds.delete("IPPool", name, revision)
    return released
