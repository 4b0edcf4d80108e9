# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the effective spec means for the datastore and the hosts: pool modes, FelixConfiguration
fields, the encapsulations Felix counts for the pod MTU, calico-node's settings, scale warnings."""

from __future__ import annotations

from typing import Any

from ansible_collections.netops.calico.plugins.module_utils._network.pools import PoolWant
from ansible_collections.netops.calico.plugins.module_utils._network.spec import BACKENDS, SCALE_LIMIT, Context
from ansible_collections.netops.calico.plugins.module_utils._node import mtu as _mtu


def scale_warnings(eff: dict[str, Any], ctx: Context, node_count: int | None, mesh: bool,
                   route_reflectors: int = 0) -> list[str]:
    """Beyond kOps: the two usual reasons a growing cluster falls over."""
    out = []
    if not node_count or node_count <= SCALE_LIMIT:
        return out
    if BACKENDS.get(eff.get("encapsulationMode")) == "bird" and mesh:
        sessions = node_count * (node_count - 1) // 2
        rr = (f" ({route_reflectors} route reflector(s) exist but the mesh is still on)" if route_reflectors
              else " without route reflectors")
        out.append(f"{node_count} nodes run a full BGP mesh ({sessions} sessions){rr}: above {SCALE_LIMIT} nodes "
                   "use route reflectors and set bgp_mesh: false")
    if ctx.datastore_type == "kubernetes" and not eff.get("typhaReplicas"):
        out.append(f"{node_count} nodes run without Typha on the Kubernetes datastore: every Felix watches the "
                   f"API server; above {SCALE_LIMIT} nodes set typhaReplicas (about one per 100 nodes, at least 3)")
    return out


# ---------------------------------------------------------------------------------------------
# 5. what the spec means for the datastore and the hosts


def pool_modes(eff: dict[str, Any], version: int) -> dict[str, str]:
    """A pool's modes for the effective spec. IPv4: the template functions. IPv6: IPIP is
    impossible; with the vxlan backend the pool follows vxlanMode (kOps would leave it Never when
    vxlanMode is unset, which only dual-stack can reach and which leaves IPv6 pod routes
    undistributed without BGP)."""
    if version == 4:
        return {"ipipMode": eff["ipipMode"], "vxlanMode": eff["vxlanMode"]}
    return {"ipipMode": "Never", "vxlanMode": eff["vxlanMode"] if eff["encapsulationMode"] == "vxlan" else "Never"}


def steady_flags(eff: dict[str, Any]) -> dict[str, bool]:
    """Felix's ipipEnabled/vxlanEnabled once no migration is under way: on when some pool uses the
    encapsulation. With every pool's modes Never nothing encapsulates, so both stay off and the
    pod MTU is the host's: Felix works the flags out from the pools the same way when they are unset
    (felix/calc/encapsulation_resolver.go), and kubespray writes mode != Never."""
    encap = eff["encapsulationMode"]
    v4 = pool_modes(eff, 4)
    return {"ipipEnabled": encap == "ipip" and v4["ipipMode"] != "Never",
            "vxlanEnabled": encap == "vxlan" and v4["vxlanMode"] != "Never"}


def felix_spec(eff: dict[str, Any], ctx: Context, tunnels: dict[str, int | None]) -> dict[str, Any]:
    """FelixConfiguration ``default`` fields this module owns (flags for ipip/vxlan are added by
    the migration logic). Values in the spellings Felix's Go code writes."""
    out: dict[str, Any] = {
        "wireguardEnabled": eff["wireguardEnabled"],
        "bpfEnabled": eff["bpfEnabled"],
        "bpfExternalServiceMode": eff["bpfExternalServiceMode"],
        "bpfLogLevel": eff["bpfLogLevel"],
        "bpfKubeProxyIptablesCleanupEnabled": eff["bpfKubeProxyIptablesCleanupEnabled"],
        "awsSrcDstCheck": eff["awsSrcDstCheck"],
        "chainInsertMode": eff["chainInsertMode"].capitalize(),
        "iptablesBackend": eff["iptablesBackend"],
        "logSeverityScreen": eff["logSeverityScreen"].capitalize(),
        "prometheusMetricsEnabled": eff["prometheusMetricsEnabled"],
        "prometheusMetricsPort": eff["prometheusMetricsPort"],
        "prometheusGoMetricsEnabled": eff["prometheusGoMetricsEnabled"],
        "prometheusProcessMetricsEnabled": eff["prometheusProcessMetricsEnabled"],
    }
    if ctx.ip_family == "dual":
        out["wireguardEnabledV6"] = eff["wireguardEnabled"]
    if eff.get("nftablesMode"):
        out["nftablesMode"] = eff["nftablesMode"]
    out.update(_mtu.felix_mtu_fields(tunnels))
    return out


def enabled_encapsulations(felix: dict[str, Any], pools_v6_vxlan: bool, eff: dict[str, Any],
                           ctx: Context) -> list[str]:
    """What Felix counts in determinePodMTU, from the FelixConfiguration flags and the pools."""
    out = []
    if felix.get("ipipEnabled"):
        out.append("ipip")
    if felix.get("vxlanEnabled"):
        out.append("vxlan")
    if pools_v6_vxlan:
        out.append("vxlan_v6")
    if eff["wireguardEnabled"] and ctx.has_ipv4:
        out.append("wireguard")
    if eff["wireguardEnabled"] and ctx.ip_family == "dual":
        out.append("wireguard_v6")
    return out


def node_settings(eff: dict[str, Any], ctx: Context, backend: str, pools: list[PoolWant],
                  mtu: dict[str, int | None]) -> dict[str, Any]:
    """What calico-node on every host needs (calico_node consumes this)."""
    v4, v6 = pool_modes(eff, 4), pool_modes(eff, 6)
    env = {
        "CALICO_NETWORKING_BACKEND": backend,
        "IP": "autodetect" if ctx.has_ipv4 else "none",
        "IP6": "autodetect" if ctx.has_ipv6 else "none",
        "IP_AUTODETECTION_METHOD": eff["ipv4AutoDetectionMethod"],
        "IP6_AUTODETECTION_METHOD": eff["ipv6AutoDetectionMethod"],
        "CALICO_IPV4POOL_IPIP": v4["ipipMode"],
        "CALICO_IPV4POOL_VXLAN": v4["vxlanMode"],
        "CALICO_IPV6POOL_VXLAN": v6["vxlanMode"],
        "FELIX_IPV6SUPPORT": "true" if ctx.has_ipv6 else "false",
        # k8s-1.25.yaml.template (anchors.md): Felix's health endpoint, which the -felix-live /
        # -felix-ready probes below query (off by default in Felix), and host-bound traffic from pods
        "FELIX_HEALTHENABLED": "true",
        "FELIX_DEFAULTENDPOINTTOHOSTACTION": "ACCEPT",
    }
    for p in pools:
        key = f"CALICO_IPV{p.version}POOL_CIDR"
        if p.cidr and key not in env:
            env[key] = p.cidr
    if ctx.ipv6_only:
        env["CALICO_ROUTER_ID"] = "hash"          # no IPv4 address to take a BGP router id from
    if eff["typhaReplicas"]:
        env["FELIX_TYPHAK8SSERVICENAME"] = "calico-typha"
    live, ready = ["-felix-live"], ["-felix-ready"]
    if backend == "bird":                          # tmpl:7420-7442: BIRD checks only with BIRD
        if ctx.has_ipv4:
            live.append("-bird-live")
            ready.append("-bird-ready")
        if ctx.has_ipv6:
            live.append("-bird6-live")
            ready.append("-bird6-ready")
    return {
        "backend": backend,
        "env": env,
        "probes": {"liveness": live, "readiness": ready},
        "cni": {"mtu": mtu.get("veth") or 0, "allow_ip_forwarding": eff["allowIPForwarding"]},
        "felix_env": felix_env(eff, ctx, mtu),
        "typha": {"replicas": eff["typhaReplicas"],
                  "service_name": "calico-typha" if eff["typhaReplicas"] else "none",
                  "prometheus_metrics_enabled": eff["typhaPrometheusMetricsEnabled"],
                  "prometheus_metrics_port": eff["typhaPrometheusMetricsPort"]},
    }


# kOps' calico-node env for the Felix settings of the spec (k8s-1.25.yaml.template, env 7255-7400),
# kOps' Go template printing bools as true/false and strings as given.
FELIX_ENV: tuple[tuple[str, str], ...] = (
    ("FELIX_AWSSRCDSTCHECK", "awsSrcDstCheck"),
    ("FELIX_BPFENABLED", "bpfEnabled"),
    ("FELIX_BPFEXTERNALSERVICEMODE", "bpfExternalServiceMode"),
    ("FELIX_BPFKUBEPROXYIPTABLESCLEANUPENABLED", "bpfKubeProxyIptablesCleanupEnabled"),
    ("FELIX_BPFLOGLEVEL", "bpfLogLevel"),
    ("FELIX_CHAININSERTMODE", "chainInsertMode"),
    ("FELIX_IPTABLESBACKEND", "iptablesBackend"),
    ("FELIX_LOGSEVERITYSCREEN", "logSeverityScreen"),
    ("FELIX_NFTABLESMODE", "nftablesMode"),
    ("FELIX_PROMETHEUSMETRICSENABLED", "prometheusMetricsEnabled"),
    ("FELIX_PROMETHEUSMETRICSPORT", "prometheusMetricsPort"),
    ("FELIX_PROMETHEUSGOMETRICSENABLED", "prometheusGoMetricsEnabled"),
    ("FELIX_PROMETHEUSPROCESSMETRICSENABLED", "prometheusProcessMetricsEnabled"),
    ("FELIX_WIREGUARDENABLED", "wireguardEnabled"),
)
# Felix's config parameter names for the tunnel MTUs (felix/config/config_params.go: IpInIpMtu,
# VXLANMTU, VXLANMTUV6, WireguardMTU, WireguardMTUV6), by _node.mtu encapsulation
FELIX_MTU_ENV: dict[str, str] = {"ipip": "FELIX_IPINIPMTU", "vxlan": "FELIX_VXLANMTU", "vxlan_v6": "FELIX_VXLANMTUV6",
                                 "wireguard": "FELIX_WIREGUARDMTU", "wireguard_v6": "FELIX_WIREGUARDMTUV6"}


def felix_env(eff: dict[str, Any], ctx: Context, mtu: dict[str, int | None]) -> dict[str, str]:
    """The FELIX_* env a calico-node DaemonSet runs with for this spec (the Kubernetes manifest's way
    of configuring Felix; env overrides FelixConfiguration). kOps' fixed values included:
    FELIX_DEFAULTENDPOINTTOHOSTACTION=ACCEPT and FELIX_HEALTHENABLED=true (tmpl:7360-7390). Tunnel
    MTUs: each its own value from ``mtu`` (``_node.mtu.compute``; all equal with an explicit mtu, as
    kOps' veth_mtu references), "0" (Felix detects it) when unknown."""
    out: dict[str, str] = {}
    for env, key in FELIX_ENV:
        if key not in eff:
            continue                               # nftablesMode unset: not rendered
        value = eff[key]
        out[env] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    out["FELIX_DEFAULTENDPOINTTOHOSTACTION"] = "ACCEPT"
    out["FELIX_HEALTHENABLED"] = "true"
    out["FELIX_IPV6SUPPORT"] = "true" if ctx.has_ipv6 else "false"
    for encap, env in FELIX_MTU_ENV.items():
        if encap.endswith("_v6") and ctx.ip_family != "dual" and not ctx.ipv6_only:
            continue
        out[env] = str(mtu.get(encap) or 0)
    return out
