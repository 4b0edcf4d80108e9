# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host's addresses and calico-node's IP autodetection methods, reproduced exactly.

Source: projectcalico/calico node/pkg/lifecycle/startup/autodetection/ (autodetection_methods.go,
filtered.go, interfaces.go, reachaddr.go, autodetection_linux.go) and startup.go
configureIPsAndSubnets / parseIPEnvironment.

Interfaces come from ``ip -json address show`` (iproute2's structured output, argv list), in
ifindex order like Go's net.Interfaces(). Everything below ``list_interfaces`` is pure.
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
from dataclasses import dataclass, field

from ansible_collections.netops.calico.plugins.module_utils._host.system import Host

FIRST_FOUND = "first-found"
CAN_REACH = "can-reach="
INTERFACE = "interface="
SKIP_INTERFACE = "skip-interface="
CIDR = "cidr="
K8S_INTERNAL_IP = "kubernetes-internal-ip"

# autodetection_linux.go DEFAULT_INTERFACES_TO_EXCLUDE
DEFAULT_INTERFACES_TO_EXCLUDE = (
    r"^docker.*", r"^cbr.*", r"^dummy.*", r"^podman.*",
    r"^virbr.*", r"^lxcbr.*", r"^veth.*", r"^lo",
    r"^cali.*", r"^tunl.*", r"^flannel.*", r"^kube-ipvs.*", r"^cni.*",
    r"^vxlan\.calico.*", r"^vxlan-v6\.calico.*", r"^wireguard\.cali.*", r"^wg-v6\.cali.*",
)

_SPLIT = re.compile(r"\s*,\s*")


class AutodetectError(Exception):
    """The method found no address; the message says what was tried."""


@dataclass
class Interface:
    index: int
    name: str
    cidrs: list[str] = field(default_factory=list)   # "198.18.128.2/24": address with its prefix


def parse_ip_json(text: str) -> list[Interface]:
    """``ip -json address show`` -> interfaces in ifindex order, each with its addresses in the
    kernel's order (primary first)."""
    data = json.loads(text or "[]")
    out = []
    for link in data:
        cidrs = []
        for a in link.get("addr_info") or []:
            if a.get("family") in ("inet", "inet6") and a.get("local") is not None:
                cidrs.append(f"{a['local']}/{a.get('prefixlen', 128 if ':' in a['local'] else 32)}")
        out.append(Interface(int(link.get("ifindex", 0)), link.get("ifname", ""), cidrs))
    out.sort(key=lambda i: i.index)
    return out


def list_interfaces(host: Host) -> list[Interface]:
    ip = host.which("ip")
    if not ip:
        raise AutodetectError("the ip command (iproute2) is not installed; it lists the host's addresses")
    rc, out, err = host.run([ip, "-json", "address", "show"])
    if rc != 0:
        raise AutodetectError(f"ip -json address show failed: {' '.join(err.split())}")
    return parse_ip_json(out)


def _version(cidr: str) -> int:
    return ipaddress.ip_interface(cidr).version


def is_global_unicast(addr: str) -> bool:
    """Go's net.IP.IsGlobalUnicast: not unspecified, loopback, multicast, link-local or the IPv4
    limited broadcast address (private ranges count as global unicast)."""
    ip = ipaddress.ip_address(addr)
    if ip.is_unspecified or ip.is_loopback or ip.is_multicast or ip.is_link_local:
        return False
    return not (ip.version == 4 and str(ip) == "255.255.255.255")


def _compile(regexes: list[str] | tuple[str, ...]) -> re.Pattern | None:
    if not regexes:
        return None
    try:
        return re.compile("(" + ")|(".join(regexes) + ")")
    except re.error as exc:
        raise AutodetectError(f"invalid interface regex in {list(regexes)}: {exc}") from None


def get_interfaces(ifaces: list[Interface], include: list[str] | tuple[str, ...] | None,
                   exclude: list[str] | tuple[str, ...] | None, version: int) -> list[Interface]:
    """interfaces.go GetInterfaces: filter by name (regexes are unanchored searches, joined with
    ``|``), walking the interfaces in *reverse* index order as calico-node does, keeping only the
    addresses of ``version``."""
    inc = _compile(list(include or []))
    exc = _compile(list(exclude or []))
    out = []
    for iface in reversed(ifaces):
        if (inc is None or inc.search(iface.name)) and not (exc is not None and exc.search(iface.name)):
            out.append(Interface(iface.index, iface.name, [c for c in iface.cidrs if _version(c) == version]))
    return out


def filtered_enumeration(ifaces: list[Interface], include, exclude, cidrs: list[str] | None,
                         version: int) -> tuple[str, str]:
    """filtered.go FilteredEnumeration: the first global unicast address (inside one of
    ``cidrs`` when given) on the filtered interfaces. Returns (interface, cidr)."""
    cands = get_interfaces(ifaces, include, exclude, version)
    if not cands:
        raise AutodetectError("no valid host interfaces found")
    nets = [ipaddress.ip_network(c, strict=False) for c in (cidrs or [])]
    for iface in cands:
        for c in iface.cidrs:
            ip = ipaddress.ip_interface(c).ip
            if is_global_unicast(str(ip)) and (not nets or any(ip in n for n in nets if n.version == ip.version)):
                return iface.name, c
    raise AutodetectError(f"no valid IPv{version} addresses found on the host interfaces")


def reach_source(dest: str, version: int) -> str:
    """reachaddr.go: the local address the kernel picks for a UDP "connection" to ``dest``:80
    (no packet is sent)."""
    fam = socket.AF_INET if version == 4 else socket.AF_INET6
    try:
        infos = socket.getaddrinfo(dest, 80, fam, socket.SOCK_DGRAM)
    except OSError as exc:
        raise AutodetectError(f"cannot resolve {dest!r} as an IPv{version} destination: {exc}") from None
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        try:
            s.connect(infos[0][4])
        except OSError as exc:
            raise AutodetectError(f"no IPv{version} route to {dest}: {exc}") from None
        return s.getsockname()[0]


def autodetect(method: str | None, version: int, ifaces: list[Interface],
               reach=reach_source) -> tuple[str, str]:
    """autodetection_methods.go AutoDetectCIDR for ``method`` (None/"" = first-found).
    Returns (interface name, "address/prefix"); raises AutodetectError with what was tried."""
    method = (method or FIRST_FOUND).strip()
    try:
        if method == FIRST_FOUND:
            return filtered_enumeration(ifaces, [], DEFAULT_INTERFACES_TO_EXCLUDE, None, version)
        if method.startswith(INTERFACE):
            regexes = _SPLIT.split(method[len(INTERFACE):])
            return filtered_enumeration(ifaces, regexes, None, None, version)
        if method.startswith(SKIP_INTERFACE):
            regexes = _SPLIT.split(method[len(SKIP_INTERFACE):])
            return filtered_enumeration(ifaces, [], list(DEFAULT_INTERFACES_TO_EXCLUDE) + regexes, None, version)
        if method.startswith(CIDR):
            cidrs = _SPLIT.split(method[len(CIDR):])
            for c in cidrs:
                try:
                    ipaddress.ip_network(c, strict=False)
                except ValueError:
                    raise AutodetectError(f"invalid CIDR {c!r} in autodetection method {method!r}") from None
            return filtered_enumeration(ifaces, None, None, cidrs, version)
        if method.startswith(CAN_REACH):
            dest = method[len(CAN_REACH):]
            src = reach(dest, version)
            for iface in get_interfaces(ifaces, None, None, version):
                for c in iface.cidrs:
                    if ipaddress.ip_interface(c).ip == ipaddress.ip_address(src):
                        return iface.name, c
            raise AutodetectError(f"autodetected IPv{version} address does not match any addresses found on "
                                  f"local interfaces: {src}")
    except AutodetectError as exc:
        raise AutodetectError(f"IPv{version} autodetection method {method!r}: {exc}") from None
    if method.startswith(K8S_INTERNAL_IP):
        raise AutodetectError(f"autodetection method {method!r} reads the Kubernetes Node's InternalIP, which "
                              "only calico-node in the cluster can do; give the address explicitly or use "
                              "another method")
    raise AutodetectError(f"invalid IPv{version} autodetection method {method!r}; use first-found, "
                          "can-reach=DEST, interface=REGEX, skip-interface=REGEX or cidr=CIDR[,CIDR]")


def validate_method(method: str | None) -> str | None:
    """An error message for a method calico-node would refuse, else None (no I/O)."""
    if not method or method == FIRST_FOUND:
        return None
    for prefix in (INTERFACE, SKIP_INTERFACE):
        if method.startswith(prefix):
            try:
                _compile(_SPLIT.split(method[len(prefix):]))
            except AutodetectError as exc:
                return str(exc)
            return None
    if method.startswith(CIDR):
        for c in _SPLIT.split(method[len(CIDR):]):
            try:
                ipaddress.ip_network(c, strict=False)
            except ValueError:
                return f"invalid CIDR {c!r} in {method!r}"
        return None
    if method.startswith(CAN_REACH):
        return None if method[len(CAN_REACH):] else f"{method!r} needs a destination"
    if method.startswith(K8S_INTERNAL_IP):
        return None
    return (f"invalid autodetection method {method!r}; use first-found, can-reach=DEST, interface=REGEX, "
            "skip-interface=REGEX, cidr=CIDR[,CIDR] or kubernetes-internal-ip")


def local_cidr(address: str, version: int, ifaces: list[Interface]) -> str:
    """GetLocalCIDR + parseIPEnvironment: a CIDR stays as given (host bits kept); a bare address
    takes the prefix of the interface that holds it, else /32 (/128)."""
    if "/" in address:
        iface = ipaddress.ip_interface(address)
        if iface.version != version:
            raise ValueError(f"{address!r} is not an IPv{version} address")
        return f"{iface.ip}/{iface.network.prefixlen}"
    ip = ipaddress.ip_address(address)
    if ip.version != version:
        raise ValueError(f"{address!r} is not an IPv{version} address")
    if version == 4:   # startup.go only looks the prefix up for IPv4
        for iface in get_interfaces(ifaces, None, None, version):
            for c in iface.cidrs:
                if ipaddress.ip_interface(c).ip == ip:
                    return c
    return f"{ip}/{ip.max_prefixlen}"
