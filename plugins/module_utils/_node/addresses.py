# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The node's name and addresses, as calico-node's startup determines them
(node/pkg/lifecycle/utils/utils.go DetermineNodeName, startup.go configureIPsAndSubnets)."""

from __future__ import annotations

import ipaddress
from typing import Any

from ansible_collections.netops.calico.plugins.module_utils._datastore import govalues
from ansible_collections.netops.calico.plugins.module_utils._host import netinfo
from ansible_collections.netops.calico.plugins.module_utils._host.system import Host
from ansible_collections.netops.calico.plugins.module_utils._node.options import (
    NODENAME_FILE,
    NodeError,
)


def node_name(host: Host, p: dict) -> str:
    """utils.DetermineNodeName: the option, else the name calico-node stored, else the hostname
    in lower case."""
    if p.get("name"):
        return p["name"].strip()
    stored = (host.read(NODENAME_FILE) or "").strip()
    if stored:
        return stored
    hostname = (host.read("/proc/sys/kernel/hostname") or "").strip()
    if not hostname and host.root in ("", "/"):
        import socket
        hostname = socket.gethostname()
    return hostname.strip().lower()


def resolve_addresses(p: dict, ifaces: list[netinfo.Interface] | None, reach=netinfo.reach_source) -> dict[str, Any]:
    """The node's BGP addresses as calico-node would compute them. ``ipv4``/``ipv6`` are
    "address/prefix", "none" (leave the Node's value alone) or None (not used)."""
    out: dict[str, Any] = {"ipv4": None, "ipv4_interface": None, "ipv4_source": None,
                           "ipv6": None, "ipv6_interface": None, "ipv6_source": None}
    plan = (
        (4, p.get("ipv4_address") or "autodetect", p.get("ipv4_autodetection_method") or "first-found"),
        (6, p.get("ipv6_address") or ("autodetect" if p.get("ipv6_autodetection_method") else None),
         p.get("ipv6_autodetection_method") or "first-found"),
    )
    for version, value, method in plan:
        key = f"ipv{version}"
        if value is None:
            continue
        if value == "none":
            out[key], out[f"{key}_source"] = "none", "none: the Node's address is left as it is"
            continue
        if value == "autodetect":
            if ifaces is None:
                raise NodeError(f"ipv{version}_address: autodetection needs the host's interfaces; give the address")
            try:
                iface, cidr = netinfo.autodetect(method, version, ifaces, reach=reach)
            except netinfo.AutodetectError as exc:
                raise NodeError(f"Could not autodetect the node's IPv{version} address: {exc}. Choose another "
                                f"ipv{version}_autodetection_method (e.g. interface=eth0, can-reach=<peer>, "
                                f"cidr=<subnet>) or set ipv{version}_address.") from None
            out[key], out[f"{key}_interface"], out[f"{key}_source"] = cidr, iface, f"autodetected ({method})"
            continue
        out[key] = netinfo.local_cidr(value, version, ifaces or [])
        out[f"{key}_source"] = "given"
        for i in ifaces or []:
            if any(ipaddress.ip_interface(c).ip == ipaddress.ip_interface(out[key]).ip for c in i.cidrs):
                out[f"{key}_interface"] = i.name
    return out


# ---------------------------------------------------------------------------------------------
# Node resource (pure)


def desired_bgp(p: dict, addrs: dict[str, Any]) -> dict[str, Any]:
    """spec.bgp fields this module manages: value None removes the field; a field not in the
    dict is left alone (tunnel addresses are calico-node's and are never in here)."""
    bgp: dict[str, Any] = {}
    for version in (4, 6):
        v = addrs.get(f"ipv{version}")
        if v and v != "none":
            bgp[f"ipv{version}Address"] = v
    if p.get("as_number") is not None:
        bgp["asNumber"] = govalues.go_asnumber(p["as_number"]) if p["as_number"] else None
    if p.get("route_reflector_cluster_id") is not None:
        bgp["routeReflectorClusterID"] = p["route_reflector_cluster_id"] or None
    return bgp
