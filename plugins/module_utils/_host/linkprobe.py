# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Prove the kernel can create a link of a given kind by creating a throwaway one and deleting
it again: through netlink (pyroute2) when the host has it, else ``ip link add ... type KIND``
(argv list). Creating a link makes the kernel load the matching module on demand
(rtnl-link-KIND alias), which is exactly what Felix will do later."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass

from ansible_collections.netops.calico.plugins.module_utils._host.system import Host


@dataclass
class ProbeResult:
    kind: str
    ok: bool
    method: str
    error: str = ""

    def as_dict(self) -> dict:
        return {"kind": self.kind, "ok": self.ok, "method": self.method, "error": self.error}


def probe_name() -> str:
    return "calprobe" + secrets.token_hex(3)   # 14 characters: IFNAMSIZ is 16 with the NUL


def probe(host: Host, kind: str, use_netlink: bool = True) -> ProbeResult:
    name = probe_name()
    if use_netlink and host.root in ("", "/"):
        try:
            from pyroute2 import IPRoute  # type: ignore[import-not-found]
        except ImportError:
            IPRoute = None
        if IPRoute is not None:
            try:
                with IPRoute() as ipr:
                    ipr.link("add", ifname=name, kind=kind)
                    idx = ipr.link_lookup(ifname=name)
                    if idx:
                        ipr.link("del", index=idx[0])
                return ProbeResult(kind, True, "netlink (pyroute2)")
            except Exception as exc:  # pyroute2's NetlinkError carries the errno in .code
                code = getattr(exc, "code", None)
                text = f"{os.strerror(code)} (errno {code})" if isinstance(code, int) else str(exc)
                return ProbeResult(kind, False, "netlink (pyroute2)", text)
    ip = host.which("ip")
    if not ip:
        return ProbeResult(kind, False, "none", "neither pyroute2 nor the ip command (iproute2) is available")
    rc, _out, err = host.run([ip, "link", "add", "dev", name, "type", kind])
    if rc != 0:
        return ProbeResult(kind, False, f"ip link add dev <probe> type {kind}", " ".join(err.split()) or f"exit {rc}")
    host.run([ip, "link", "delete", "dev", name])
    return ProbeResult(kind, True, f"ip link add dev <probe> type {kind}")
