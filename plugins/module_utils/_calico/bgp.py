# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""BGPConfiguration and BGPPeer rules of Calico (v3.31.7), as pure functions:

- BGPConfiguration: libcalico-go/lib/clientv3/bgpconfig.go ValidateDefaultOnlyFields (117-175, on
  Create and Update: only the object named ``default`` may set the cluster-wide fields) and
  libcalico-go/lib/validator/v3/validator.go validateBGPConfigurationSpec (2261-2307: communities,
  prefix advertisements, mesh password / restart time need the mesh) with the struct tags of
  api/pkg/apis/projectcalico/v3/bgpconfig.go (service CIDRs ``net``, peering IPs ``ipv4``/``ipv6``).
- BGPPeer: libcalico-go/lib/clientv3/bgppeer.go validate (45-80, on Create and Update: every
  ``filters`` entry names an existing BGPFilter), validator.go validateBGPPeerSpec (1482-1518),
  validateReachableBy (1520-1545) and processIPPort (823-856, the ``IP:port`` tag of peerIP,
  api/pkg/apis/projectcalico/v3/bgppeer.go).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Mapping

# bgpconfig.go ValidateDefaultOnlyFields: settable on "default" only
DEFAULT_ONLY = ("nodeToNodeMeshEnabled", "asNumber", "serviceLoadBalancerIPs", "serviceExternalIPs",
                "serviceClusterIPs", "nodeMeshPassword", "nodeMeshMaxRestartTime")
_LISTS = ("serviceLoadBalancerIPs", "serviceExternalIPs", "serviceClusterIPs")   # refused only when non-empty

_STANDARD_COMMUNITY = re.compile(r"^(\d+):(\d+)$")          # validator.go standardCommunity
_LARGE_COMMUNITY = re.compile(r"^(\d+):(\d+):(\d+)$")       # validator.go largeCommunity
_IPV4_PORT = re.compile(r"^(\d+).(\d+).(\d+).(\d+):(\d+)$")  # validator.go IPv4PortFormat (its '.' matches any character)
_IPV6_PORT = re.compile(r"^\[[0-9a-fA-F:.]+\]:(\d+)$")       # validator.go IPv6PortFormat


def _name(resource: Mapping[str, Any]) -> Any:
    return (resource.get("metadata") or {}).get("name")


def go_parse_ip(text: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """Go net.ParseIP: a bare address, no zone, no brackets, no prefix."""
    if not isinstance(text, str) or "%" in text:
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _net_ok(text: Any) -> bool:
    """cnet.ParseCIDROrIP: an address or a CIDR (host bits allowed)."""
    if not isinstance(text, str) or "%" in text:
        return False
    try:
        ipaddress.ip_network(text, strict=False)
        return True
    except ValueError:
        return False


# -- BGPConfiguration -----------------------------------------------------------------------------

def _community_errors(value: Any, field: str) -> list[str] | None:
    """isValidCommunity + validateCommunityValue: None when ``value`` is not a community at all,
    else the errors of its parts (16-bit for aa:nn, 32-bit for aa:nn:mm)."""
    text = str(value)
    if _STANDARD_COMMUNITY.match(text):
        bits = 16
    elif _LARGE_COMMUNITY.match(text):
        bits = 32
    else:
        return None
    if any(int(part) >= 1 << bits for part in text.split(":")):
        return [f"{field}: {text!r} is not a valid community: expected {bits}-bit values "
                f"({'aa:nn' if bits == 16 else 'aa:nn:mm'})"]
    return []


def validate_bgpconfiguration(resource: Mapping[str, Any], existing: Mapping[str, list[dict]] | None = None) -> list[str]:
    """Every rule Calico applies to a BGPConfiguration about to be written; errors name the field."""
    spec = resource.get("spec") or {}
    name = _name(resource)
    errors: list[str] = []
    if name != "default":
        for fld in DEFAULT_ONLY:
            value = spec.get(fld)
            if value is None or (fld in _LISTS and not value):
                continue
            errors.append(f"{fld}: can only be set on the BGPConfiguration named default, not {name!r} (Calico: "
                          f"\"Cannot set {fld} on a non default BGP Configuration.\"); set it on default instead")
    communities = spec.get("communities") or []
    names = set()
    for i, c in enumerate(communities):
        c = c if isinstance(c, Mapping) else {}
        names.add(c.get("name"))
        errs = _community_errors(c.get("value"), f"communities[{i}].value")
        errors += errs if errs is not None else [
            f"communities[{i}].value: {c.get('value')!r} is not a community; use aa:nn or aa:nn:mm"]
    advertisements = spec.get("prefixAdvertisements") or []
    if communities and not advertisements:
        errors.append("communities: defined but not used in prefixAdvertisements (Calico: communities are defined "
                      "but not used in Spec.PrefixAdvertisement[]); add prefix_advertisements that use them")
    for i, pa in enumerate(advertisements):
        pa = pa if isinstance(pa, Mapping) else {}
        if not _net_ok(pa.get("cidr")):
            errors.append(f"prefixAdvertisements[{i}].cidr: {pa.get('cidr')!r} is not a valid CIDR")
        for j, v in enumerate(pa.get("communities") or []):
            errs = _community_errors(v, f"prefixAdvertisements[{i}].communities[{j}]")
            if errs is None and v not in names:
                errors.append(f"prefixAdvertisements[{i}].communities[{j}]: {v!r} is neither a community value nor "
                              "the name of one in communities")
            elif errs:
                errors += errs
    if spec.get("nodeToNodeMeshEnabled") is False:
        for fld in ("nodeMeshPassword", "nodeMeshMaxRestartTime"):
            if spec.get(fld) is not None:
                errors.append(f"{fld}: cannot be set while nodeToNodeMeshEnabled is false (Calico: "
                              f"spec.{fld[0].upper()}{fld[1:]} cannot be set if spec.NodeToNodeMesh is disabled)")
    for fld in _LISTS:
        for i, block in enumerate(spec.get(fld) or []):
            cidr = block.get("cidr") if isinstance(block, Mapping) else block
            if cidr and not _net_ok(cidr):
                errors.append(f"{fld}[{i}].cidr: {cidr!r} is not a valid CIDR")
    for fld, version in (("localWorkloadPeeringIPV4", 4), ("localWorkloadPeeringIPV6", 6)):
        value = spec.get(fld)
        if value and (go_parse_ip(value) is None or go_parse_ip(value).version != version):
            errors.append(f"{fld}: {value!r} is not a valid IPv{version} address")
    return errors


# -- BGPPeer --------------------------------------------------------------------------------------

def peer_ip_host(peer_ip: Any) -> str | None:
    """processIPPort: the address of ``<IP>``, ``<IPv4>:<port>`` or ``[<IPv6>]:<port>`` (port 1-65535),
    or None when Calico refuses the value."""
    if not isinstance(peer_ip, str) or not peer_ip:
        return None
    host = peer_ip
    if _IPV4_PORT.match(peer_ip) or _IPV6_PORT.match(peer_ip):
        host, _x, port = peer_ip.rpartition(":")
        host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
        if "[" in host or "]" in host or not port.isdigit() or not 1 <= int(port) <= 65535:
            return None
    return host if go_parse_ip(host) is not None else None


def validate_bgppeer(resource: Mapping[str, Any], existing: Mapping[str, list[dict]] | None = None) -> list[str]:
    """Every rule Calico applies to a BGPPeer about to be written, given the stored BGPFilters
    (``existing["BGPFilter"]``; without that key the filters are not checked); errors name the field."""
    spec = resource.get("spec") or {}
    errors: list[str] = []
    peer_ip = spec.get("peerIP") or ""
    peer_sel = spec.get("peerSelector") or ""
    lws = spec.get("localWorkloadSelector") or ""
    asn = spec.get("asNumber") or 0
    if peer_ip and peer_ip_host(peer_ip) is None:
        errors.append(f"peerIP: {peer_ip!r} is not an IP address, <IPv4>:<port> or [<IPv6>]:<port> "
                      "(port 1-65535), e.g. 198.51.100.1, 198.51.100.1:179 or [fd00::1]:179")
    if spec.get("node") and spec.get("nodeSelector"):
        errors.append("node: must be empty when nodeSelector is set; set one of node and node_selector")
    if peer_ip and peer_sel:
        errors.append("peerIP: must be empty when peerSelector is set; set one of peer_ip and peer_selector")
    if asn and peer_sel:
        errors.append("asNumber: must be empty when peerSelector is set (the peers' AS numbers come from their "
                      "Node resources); remove as_number")
    if not asn and lws:
        errors.append("asNumber: required when localWorkloadSelector is set; set as_number")
    if peer_ip and lws:
        errors.append("peerIP: must be empty when localWorkloadSelector is set; remove peer_ip")
    if peer_sel and lws:
        errors.append("peerSelector: must be empty when localWorkloadSelector is set; remove peer_selector")
    reach = spec.get("reachableBy") or ""
    if reach:
        reach_ip = go_parse_ip(reach)
        host = peer_ip_host(peer_ip)
        if not peer_ip:
            errors.append("reachableBy: must be empty when peerIP is empty; set peer_ip or remove reachable_by")
        elif reach_ip is None:
            errors.append(f"reachableBy: {reach!r} is not a valid IP address")
        elif host is not None and go_parse_ip(host).version != reach_ip.version:
            errors.append(f"reachableBy: {reach!r} and peerIP {peer_ip!r} are of different address families")
    if spec.get("keepOriginalNextHop") and spec.get("nextHopMode") is not None:
        errors.append("keepOriginalNextHop: deprecated; must not be true when nextHopMode is set; use next_hop_mode only")
    filters = spec.get("filters") or []
    if filters and existing is not None and "BGPFilter" in existing:   # needs the datastore
        known = {_name(f) for f in (existing or {}).get("BGPFilter") or [] if isinstance(f, Mapping)}
        missing = [f for f in filters if f not in known]
        if missing:
            errors.append(f"filters: BGPFilter(s) not found: {', '.join(map(str, missing))} (clientv3 bgppeer.go); "
                          "create them first (e.g. with calicoctl) or remove them from filters")
    return errors
