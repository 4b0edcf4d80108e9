# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""FelixConfiguration rules of Calico (v3.31.7), as pure functions:

- create/update defaulting: libcalico-go/lib/clientv3/felixconfig.go setDefaults (114-139), run by
  both Create (50-61) and Update (66-77) before the validator;
- validation: libcalico-go/lib/validator/v3/validator.go validateFelixConfigSpec (949-1032) and
  validateProtoPort (1633-1645, the failsafe ports' protocol: TCP, UDP or SCTP exactly).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Mapping

PROTOPORT_FIELDS = ("failsafeInboundHostPorts", "failsafeOutboundHostPorts")   # the api's []ProtoPort fields
PROTOPORT_PROTOCOLS = ("TCP", "UDP", "SCTP")
ROUTE_TABLE_MAX_TABLES = 0xFFFF              # validator.go routeTableRangeMaxTables
NODE_PORT_RANGES_MAX = 7                     # iptables multiport: 15 ports, 2 per range
OPENSTACK_REGION_MAX = 63 - len("openstack-region-")
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_PORT_OR_RANGE = re.compile(r"^\d+(:\d+)?$")

# fields the deprecated bpfConnectTimeLoadBalancingEnabled rewrites on every write
CTLB_DERIVED = ("bpfConnectTimeLoadBalancing", "bpfHostNetworkedNATWithoutCTLB")


def default_felixconfiguration_spec(spec: dict) -> dict:
    """clientv3/felixconfig.go setDefaults (lines 114-139), run on every Create and Update."""
    out = dict(spec)
    if out.get("floatingIPs") is None:
        out["floatingIPs"] = "Disabled"
    if out.get("bpfConnectTimeLoadBalancing") is None:
        out["bpfConnectTimeLoadBalancing"] = "TCP"
    if out.get("bpfHostNetworkedNATWithoutCTLB") is None:
        out["bpfHostNetworkedNATWithoutCTLB"] = "Enabled"
    # The deprecated boolean, when set at all, overrides both newer fields.
    if out.get("bpfConnectTimeLoadBalancingEnabled") is not None:
        out["bpfHostNetworkedNATWithoutCTLB"] = "Disabled"
        out["bpfConnectTimeLoadBalancing"] = (
            "Enabled" if out["bpfConnectTimeLoadBalancingEnabled"] else "Disabled")
    return out


def defaulting_overrides(asked: Mapping[str, Any], stored: Mapping[str, Any]) -> list[str]:
    """Fields the user set that setDefaults replaces in ``stored`` (the defaulted spec about to be
    written): only the pair the deprecated bpfConnectTimeLoadBalancingEnabled rewrites."""
    errors = []
    if stored.get("bpfConnectTimeLoadBalancingEnabled") is None:
        return errors
    for fld in CTLB_DERIVED:
        if fld in asked and asked[fld] is not None and asked[fld] != stored.get(fld):
            errors.append(
                f"{fld}: {asked[fld]!r} would be replaced by {stored.get(fld)!r}: Calico's defaulting "
                f"(clientv3/felixconfig.go setDefaults) derives it from the deprecated bpfConnectTimeLoadBalancingEnabled "
                f"({stored['bpfConnectTimeLoadBalancingEnabled']}) on every write; set "
                "bpf_connect_time_load_balancing_enabled to the value you want instead")
    return errors


def protoport_errors(field: str, entries: Any) -> list[str]:
    """validateProtoPort for each entry of a []ProtoPort field: protocol exactly TCP, UDP or SCTP."""
    errors = []
    for i, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, Mapping):
            errors.append(f"{field}[{i}]: {entry!r} is not a protocol/port mapping; "
                          "give {protocol: TCP, port: 22}")
            continue
        proto = entry.get("protocol")
        if proto not in PROTOPORT_PROTOCOLS:
            hint = f" (use {proto.upper()})" if isinstance(proto, str) and proto.upper() in PROTOPORT_PROTOCOLS else ""
            errors.append(f"{field}[{i}].protocol: {proto!r} is not one of TCP, UDP, SCTP (Calico: protocol must "
                          f"be 'TCP' or 'UDP' or 'SCTP'.){hint}")
    return errors


def _ip_version(value: Any) -> int | None:
    try:
        return ipaddress.ip_address(str(value)).version
    except ValueError:
        return None


def validate_felixconfiguration_spec(spec: Mapping[str, Any]) -> list[str]:
    """validateFelixConfigSpec and validateProtoPort over one spec; every error names its field."""
    errors: list[str] = []
    for fld in PROTOPORT_FIELDS:
        if spec.get(fld) is not None:
            errors += protoport_errors(fld, spec[fld])
    ranges = spec.get("kubeNodePortRanges")
    if isinstance(ranges, list):
        if len(ranges) > NODE_PORT_RANGES_MAX:
            errors.append(f"kubeNodePortRanges: {len(ranges)} ranges; at most {NODE_PORT_RANGES_MAX} "
                          "(Calico: node port ranges list is too long (max 7))")
        for i, r in enumerate(ranges):
            if isinstance(r, str) and not _PORT_OR_RANGE.match(r):
                errors.append(f"kubeNodePortRanges[{i}]: {r!r} is a named port; give a number or a 'min:max' range")
    for i, cidr in enumerate(spec.get("externalNodesCIDRList") or []):
        try:
            net = ipaddress.ip_network(str(cidr), strict=False)
        except ValueError:
            errors.append(f"externalNodesCIDRList[{i}]: {cidr!r} is not a CIDR or IP address")
            continue
        if net.version != 4:
            errors.append(f"externalNodesCIDRList[{i}]: {cidr!r} is IPv6; Calico accepts IPv4 CIDRs only here")
    region = spec.get("openstackRegion")
    if region:
        if len(region) > OPENSTACK_REGION_MAX:
            errors.append(f"openstackRegion: {region!r} is too long (at most {OPENSTACK_REGION_MAX} characters)")
        elif not _DNS1123_LABEL.match(region):
            errors.append(f"openstackRegion: {region!r} must be a valid DNS label (lower-case letters, digits, '-')")
    for fld, version in (("natOutgoingAddress", 4), ("deviceRouteSourceAddress", 4),
                         ("deviceRouteSourceAddressIPv6", 6)):
        if spec.get(fld) and _ip_version(spec[fld]) != version:
            errors.append(f"{fld}: {spec[fld]!r} is not a valid IPv{version} address")
    if spec.get("routeTableRange") is not None and spec.get("routeTableRanges") is not None:
        errors.append("routeTableRange: cannot be set when routeTableRanges is also set; "
                      "keep only route_table_ranges (route_table_range is deprecated)")
    rtr = spec.get("routeTableRanges")
    if isinstance(rtr, list):
        try:
            tables = sum(int(r["max"]) - int(r["min"]) + 1 for r in rtr)
        except (KeyError, TypeError, ValueError):
            tables = 0
        if tables > ROUTE_TABLE_MAX_TABLES:
            errors.append(f"routeTableRanges: {tables} tables; at most {ROUTE_TABLE_MAX_TABLES} (Calico: targets too many tables)")
    return errors


def validate_felixconfiguration(resource: Mapping[str, Any], existing: Mapping[str, list[dict]] | None = None) -> list[str]:
    """The kind's entry point: ``resource`` is the object about to be written (defaults applied)."""
    return validate_felixconfiguration_spec(resource.get("spec") or {})
