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
"""

from __future__ import annotations

import ipaddress
from typing import Any

from ansible_collections.netops.calico.plugins.module_utils._datastore import fields as _fields

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


def parse_cidr(cidr: str, field: str = "cidr") -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network | None, list[str]]:
    try:
        net = ipaddress.ip_network(cidr, strict=True)
    except ValueError as exc:
        try:
            masked = ipaddress.ip_network(cidr, strict=False)
            return None, [f"{field}: {cidr!r} has host bits set; use {masked}"]
        except ValueError:
            return None, [f"{field}: {cidr!r} is not a valid CIDR ({exc})"]
    if net.is_link_local:
        return None, [f"{field}: {cidr!r} is link-local; Calico refuses link-local pools"]
    return net, []


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
        elif net.prefixlen > int(bs):
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
    am = spec.get("assignmentMode")
    if am is not None and am not in ASSIGNMENT_MODES:
        errors.append(f"assignmentMode: {am!r} is not one of {', '.join(ASSIGNMENT_MODES)}")
    return errors


def parse_go_cidr(cidr: Any) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address,
                                      ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Go net.ParseCIDR: needs "/len"; returns (address as written, masked network)."""
    if not isinstance(cidr, str) or "/" not in cidr:
        raise ValueError("IPPool CIDR must be a valid subnet")
    addr, _x, plen = cidr.partition("/")
    try:
        ip = ipaddress.ip_address(addr)
        net = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        raise ValueError("IPPool CIDR must be a valid subnet") from None
    if not plen.isdigit() or getattr(ip, "scope_id", None):
        raise ValueError("IPPool CIDR must be a valid subnet")
    # Caveat: IPv4-mapped IPv6 input (::ffff:a.b.c.d/n) is treated as IPv6 here; Go's
    # net.IP.To4() would call it IPv4. Not worth emulating.
    return ip, net


def default_pool_spec(spec: dict) -> dict:
    """IPPool spec with clientv3's Create/Update defaults applied (pure; input not modified).

    Raises ValueError("IPPool CIDR must be specified" / "... must be a valid subnet") exactly where
    validateAndSetDefaults returns before defaulting anything.
    """
    out = dict(spec)
    if not out.get("cidr"):
        raise ValueError("IPPool CIDR must be specified")
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
