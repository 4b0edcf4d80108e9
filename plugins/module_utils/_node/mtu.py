# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MTU rules as Felix applies them, as pure functions, plus one reader of the host's links.

Copied by rule from projectcalico/calico (main 87c15906, same in v3.31):
- felix/config/config_params.go:515 ``MTUIfacePattern`` default
  ``^((en|wl|ww|sl|ib)[Pcopsvx].*|(eth|wlan|wwan).*)`` (Go ``MatchString``: an unanchored search).
- felix/dataplane/linux/int_dataplane.go ``findHostMTU`` (1732-1775): the smallest MTU among links
  whose name matches the pattern and that are oper-up (``IFF_RUNNING``, felix/ifacemonitor
  ``LinkIsOperUp``); 1460 when none matches. Overheads (484-488): IPIP 20, VXLAN 50, VXLAN over
  IPv6 70, WireGuard 60, WireGuard over IPv6 80. ``ConfigureDefaultMTUs`` (1824-1875) sets each
  unset tunnel MTU to host MTU minus its overhead; ``determinePodMTU`` (1796-1822) gives pods the
  smallest MTU among the *enabled* encapsulations, or the host MTU when none is enabled.
- cni-plugin/pkg/plugin/plugin.go:199: the CNI plugin uses the conflist ``mtu`` when non-zero,
  else the value Felix wrote to /var/lib/calico/mtu (``determinePodMTU``).

So a cluster is consistent when the FelixConfiguration MTU fields and the conflist ``mtu`` are
written from the same numbers: :func:`compute` returns both.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Iterable

DEFAULT_IFACE_PATTERN = r"^((en|wl|ww|sl|ib)[Pcopsvx].*|(eth|wlan|wwan).*)"
FALLBACK_HOST_MTU = 1460

# encapsulation -> bytes of overhead on the host link
OVERHEAD: dict[str, int] = {"ipip": 20, "vxlan": 50, "vxlan_v6": 70, "wireguard": 60, "wireguard_v6": 80}
ENCAPSULATIONS = tuple(OVERHEAD)

# encapsulation -> FelixConfiguration spec field
FELIX_FIELDS: dict[str, str] = {"ipip": "ipipMTU", "vxlan": "vxlanMTU", "vxlan_v6": "vxlanMTUV6",
                                "wireguard": "wireguardMTU", "wireguard_v6": "wireguardMTUV6"}

MIN_MTU = 68          # IPv4 minimum (RFC 791); Linux refuses less on most links
MIN_MTU_V6 = 1280     # IPv6 minimum (RFC 8200)
MAX_MTU = 65535

IFF_UP = 0x1
IFF_RUNNING = 0x40


@dataclass(frozen=True)
class Link:
    name: str
    mtu: int
    oper_up: bool


def host_mtu(links: Iterable[Link], pattern: str | None = DEFAULT_IFACE_PATTERN) -> tuple[int, list[str], bool]:
    """Felix's findHostMTU: (smallest MTU of matching oper-up links, names used, fell back?).

    Raises ``re.error`` for a pattern that does not compile."""
    rx = re.compile(pattern if pattern is not None else DEFAULT_IFACE_PATTERN)
    smallest = 0
    used: list[str] = []
    for link in links:
        if not rx.search(link.name) or not link.oper_up:
            continue
        used.append(link.name)
        if smallest == 0 or link.mtu < smallest:
            smallest = link.mtu
    if smallest == 0:
        return FALLBACK_HOST_MTU, [], True
    return smallest, used, False


def tunnel_mtus(host: int | None = None, mtu: int | None = None) -> dict[str, int | None]:
    """MTU of each tunnel device: all equal to an explicit ``mtu`` (as kOps' veth_mtu does), else
    ``host`` minus each overhead (ConfigureDefaultMTUs), else None (Felix auto-detects)."""
    if mtu:
        return {e: int(mtu) for e in ENCAPSULATIONS}
    if host:
        return {e: int(host) - OVERHEAD[e] for e in ENCAPSULATIONS}
    return {e: None for e in ENCAPSULATIONS}


def pod_mtu(tunnels: dict[str, int | None], enabled: Iterable[str], host: int | None = None) -> int | None:
    """Felix's determinePodMTU: smallest MTU among enabled encapsulations, else the host MTU."""
    best = 0
    for e in enabled:
        v = tunnels.get(e)
        if v and (best == 0 or v < best):
            best = v
    if best == 0:
        return host or None
    return best


def compute(host: int | None = None, mtu: int | None = None, enabled: Iterable[str] = ()) -> dict[str, int | None]:
    """Tunnel MTUs and the pod (veth / CNI) MTU for the given encapsulations.

    ``veth`` is 0 when nothing is known (neither ``host`` nor ``mtu``): calico-node then
    auto-detects and the CNI plugin reads Felix's /var/lib/calico/mtu, so pods and tunnels still
    agree.
    """
    enabled = list(enabled)
    unknown = [e for e in enabled if e not in OVERHEAD]
    if unknown:
        raise ValueError(f"unknown encapsulation(s): {', '.join(unknown)}")
    out: dict[str, int | None] = dict(tunnel_mtus(host, mtu))
    veth = pod_mtu(out, enabled, int(mtu) if mtu else host)
    out["veth"] = veth or 0
    return out


def felix_mtu_fields(tunnels: dict[str, int | None]) -> dict[str, int]:
    """FelixConfiguration spec fields for the known tunnel MTUs (nothing when unknown)."""
    return {FELIX_FIELDS[e]: v for e, v in tunnels.items() if e in FELIX_FIELDS and v}


def held_host_mtu(felix_spec: dict) -> int | None:
    """The host MTU a FelixConfiguration's tunnel MTU fields were computed from: the smallest
    ``field + overhead`` among the fields set (None when none is)."""
    held = [v + OVERHEAD[e] for e, f in FELIX_FIELDS.items()
            if isinstance(v := felix_spec.get(f), int) and not isinstance(v, bool) and v > 0]
    return min(held) if held else None


def clamp_host_mtu(host: int | None, felix_spec: dict, measured_on: Iterable[str] | None,
                   nodes: Iterable[str]) -> tuple[int | None, str | None]:
    """The host MTU to write when ``host`` was measured on the nodes ``measured_on`` only.

    A run over a subset of hosts (``--limit``, AWX job slices) may not have seen the host with the
    smallest link, so it must never raise what the datastore already holds. The MTU may rise only
    when the hosts measured are exactly the Nodes in the datastore: every Node was measured, and
    every host measured already has its Node. A measured host without a Node means the datastore
    may be part-way through another run: a concurrent slice writes the MTU of its hosts before
    their Nodes, so on a new cluster the Nodes behind the MTU held may not exist yet.
    Returns (host MTU to use, warning or None)."""
    if host is None or measured_on is None:
        return host, None
    held = held_host_mtu(felix_spec)
    if held is None or host <= held:
        return host, None
    measured, known = set(measured_on), set(nodes)
    unseen, new = sorted(known - measured), sorted(measured - known)
    if not unseen and not new:
        return host, None

    def some(names: list[str]) -> str:
        return ", ".join(names[:10]) + (" ..." if len(names) > 10 else "")

    why = []
    if unseen:
        why.append(f"not on {len(unseen)} Node(s) in the datastore ({some(unseen)})")
    if new:
        why.append(f"on {len(new)} host(s) with no Node yet ({some(new)}; another run may still be writing "
                   "the MTU of hosts it has not registered)")
    return held, (f"host_mtu {host} was measured on {len(measured)} host(s) but " + " and ".join(why)
                  + f": keeping the host MTU {held} that FelixConfiguration default holds. Rerun over every "
                  "host once its Node exists (and decommission the Nodes that are gone) to raise it.")


def mtu_warnings(host: int | None, mtu: int | None, enabled: Iterable[str]) -> list[str]:
    """An explicit MTU larger than the host link allows for an enabled encapsulation drops or
    fragments packets (projectcalico/calico#4606, #8953)."""
    if not mtu or not host:
        return []
    out = []
    for e in enabled:
        limit = host - OVERHEAD[e]
        if mtu > limit:
            out.append(f"mtu {mtu} is larger than the {e} tunnel allows on a {host}-byte host link "
                       f"({host} - {OVERHEAD[e]} = {limit}): large packets will be dropped or fragmented")
    return out


# ---------------------------------------------------------------------------------------------
# reading the host (the only I/O in this file)


def read_links() -> tuple[list[Link], str]:
    """Every link of the current network namespace and where they were read from: netlink
    (pyroute2) when it is installed, else sysfs (/sys/class/net). Never parses ``ip`` output."""
    try:
        return _read_links_netlink(), "netlink"
    except ImportError:
        return read_links_sysfs(), "sysfs"


def _read_links_netlink() -> list[Link]:
    from pyroute2 import IPRoute  # imported here: optional on hosts, sysfs is the fallback

    out = []
    with IPRoute() as ipr:
        for msg in ipr.get_links():
            name = msg.get_attr("IFLA_IFNAME")
            mtu = msg.get_attr("IFLA_MTU")
            if name is None or mtu is None:
                continue
            # IFF_RUNNING in ifi_flags is what felix/ifacemonitor.LinkIsOperUp tests
            out.append(Link(name, int(mtu), bool(msg["flags"] & IFF_RUNNING)))
    return out


def read_links_sysfs(root: str = "/sys/class/net") -> list[Link]:
    """sysfs ``flags`` holds dev->flags, without IFF_RUNNING; the kernel sets IFF_RUNNING in
    netlink answers when the link is admin-up and its operstate is up or unknown
    (net/core/dev.c dev_get_flags, netif_oper_up), so that is what is tested here."""
    out = []
    for name in sorted(os.listdir(root)):
        base = os.path.join(root, name)
        try:
            with open(os.path.join(base, "mtu"), encoding="ascii") as f:
                mtu = int(f.read().strip())
            with open(os.path.join(base, "flags"), encoding="ascii") as f:
                flags = int(f.read().strip(), 16)
            with open(os.path.join(base, "operstate"), encoding="ascii") as f:
                oper = f.read().strip()
        except (OSError, ValueError):
            continue
        out.append(Link(name, mtu, bool(flags & IFF_UP) and oper in ("up", "unknown")))
    return out
