# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The staged migration between IP-in-IP (BIRD) and VXLAN, as pure functions of datastore state.

Calico refuses a pool with both ipipMode and vxlanMode enabled, so a pool flips in one write.
The order follows Calico's and kubespray's documented procedure (tigera/docs
calico/getting-started/kubernetes/self-managed-onprem/config-options.mdx "Switching from
IP-in-IP to VXLAN"; kubespray docs/CNI/calico.md "Migrating from IP in IP to VXLAN"):
Felix gets the new encapsulation first, the pools flip, the old encapsulation goes only once
every node has the new tunnel (calico-node's allocate-tunnel-addrs writes the Node's tunnel
address, node/pkg/allocateip), and BIRD stops last. The reverse starts BIRD first.
The stage is derived from the datastore alone (pool modes + Felix's explicit flags), so a rerun
resumes where the last one stopped.
"""

from __future__ import annotations

from typing import Any


STAGES: dict[str, tuple[tuple[str, str], ...]] = {
    "ipip->vxlan": (
        ("vxlan-enabled", "FelixConfiguration default: vxlanEnabled true with ipipEnabled pinned true, so "
                          "Felix on every node takes VXLAN while IP-in-IP keeps working"),
        ("pools-vxlan", "each pool in one write: ipipMode Never, vxlanMode as the spec says; calico-node "
                        "allocates a VXLAN tunnel address on every node"),
        ("ipip-disabled", "once every Node has its VXLAN tunnel address: FelixConfiguration ipipEnabled false"),
        ("backend-vxlan", "node_settings switch to CALICO_NETWORKING_BACKEND=vxlan without BIRD probes: apply "
                          "them on every host (BIRD stops)"),
    ),
    "vxlan->ipip": (
        ("bird-started", "FelixConfiguration default: ipipEnabled true with vxlanEnabled pinned true; "
                         "node_settings switch to CALICO_NETWORKING_BACKEND=bird with BIRD probes: apply them on "
                         "every host, then rerun with nodes_converged: true"),
        ("pools-ipip", "each pool in one write: vxlanMode Never, ipipMode as the spec says; calico-node "
                       "allocates an IP-in-IP tunnel address on every node"),
        ("vxlan-disabled", "once every Node has its IP-in-IP tunnel address: FelixConfiguration vxlanEnabled false"),
    ),
}


def pool_encap(spec: dict[str, Any] | None) -> str:
    spec = spec or {}
    if (spec.get("ipipMode") or "Never") != "Never":
        return "ipip"
    if (spec.get("vxlanMode") or "Never") != "Never":
        return "vxlan"
    return "none"


def classify(v4_specs: list[dict[str, Any]]) -> str:
    """The IPv4 pools' encapsulation: new (no pool yet), ipip, vxlan, none or mixed."""
    if not v4_specs:
        return "new"
    kinds = {pool_encap(s) for s in v4_specs} - {"none"}
    if not kinds:
        return "none"
    if len(kinds) > 1:
        return "mixed"
    return kinds.pop()


def derive_stage(target: str, pool_class: str, felix: dict[str, Any] | None) -> tuple[str | None, int | None]:
    """(direction, next stage number 1-3) or (None, None) when no migration is under way."""
    felix = felix or {}
    ipip_on = felix.get("ipipEnabled") is True
    vxlan_on = felix.get("vxlanEnabled") is True
    if target == "vxlan":
        if pool_class in ("ipip", "mixed"):
            return "ipip->vxlan", (2 if ipip_on and vxlan_on else 1)
        if pool_class == "vxlan" and ipip_on:
            return "ipip->vxlan", 3
    elif target == "ipip":
        if pool_class in ("vxlan", "mixed"):
            return "vxlan->ipip", (2 if ipip_on and vxlan_on else 1)
        if pool_class == "ipip" and vxlan_on:
            return "vxlan->ipip", 3
    return None, None


def nodes_missing_tunnel(nodes: list[dict], direction: str, v4: bool, v6: bool) -> list[str]:
    """Nodes calico-node has not yet given the new tunnel address (Node spec fields written by
    node/pkg/allocateip updateNodeWithAddress)."""
    missing = []
    for n in nodes:
        spec = n.get("spec") or {}
        name = (n.get("metadata") or {}).get("name", "?")
        if direction == "ipip->vxlan":
            if (v4 and not spec.get("ipv4VXLANTunnelAddr")) or (v6 and not spec.get("ipv6VXLANTunnelAddr")):
                missing.append(name)
        elif not ((spec.get("bgp") or {}).get("ipv4IPIPTunnelAddr")):
            missing.append(name)
    return sorted(missing)
