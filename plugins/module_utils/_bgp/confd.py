# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The BGP sessions calico-node configures on a node, derived from the datastore's Node, BGPPeer,
BGPConfiguration and IPPool resources the way confd does it, and a BIRD 2 rendering of them.

Ported from projectcalico/calico (v3.31 / main):
- confd/pkg/backends/calico/client.go ``updatePeersV1``: BGPPeers become global peerings (no node,
  no nodeSelector) or node-specific ones; peerSelector peers are the selected nodes' IPs; a second
  pass adds the reverse peerings; a node-specific peering to an IP with a global peering is dropped;
  the first peering emitted for a key wins.
- confd/pkg/backends/calico/bgp_processor.go ``processMeshPeers``: no mesh on a node with
  ``rr_cluster_id`` or when ``node_mesh`` is disabled; one ``Mesh_<ip>`` per other node with an IPv4
  address that is not a reflector; ``passive`` when the peer's IP sorts after ours (string order);
  ``buildPeerFromData``: ``Global_<ip>`` / ``Node_<ip>``, ``rr client`` + ``rr cluster id`` when this
  node is a reflector and the iBGP peer has no or another cluster ID.
- defaults from confd/pkg/backends/calico/client.go: AS 64512, mesh enabled.
- node/filesystem/etc/calico/confd/templates/bird_aggr.cfg.template: a blackhole static route for
  every block affine to the node; bird_ipam.cfg.template ``calico_export_to_bgp_peers``: export what
  lies in an enabled pool.

calico-node runs Calico's BIRD fork (1.x syntax); the rendering here is BIRD 2 syntax, for the BIRD
the distributions ship (used by the dedicated reflectors and the real-BGP tests). The sessions,
their names, neighbors, AS numbers, passive side and reflector settings are confd's.
Pure functions: no I/O."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from ansible_collections.netops.calico.plugins.module_utils._bgp import selector

DEFAULT_AS = 64512


@dataclass(frozen=True)
class NodeBGP:
    name: str
    ipv4: str | None
    asn: int | None
    rr_cluster_id: str
    labels: Mapping[str, str]


@dataclass(frozen=True)
class Peering:
    name: str                # BIRD protocol name: Mesh_/Global_/Node_<ip with _>
    kind: str                # mesh | global | node
    ip: str
    asn: int
    passive: bool = False
    source: str | None = None
    rr_client: bool = False
    rr_cluster_id: str | None = None


@dataclass
class NodeConfig:
    node: str
    router_id: str
    asn: int
    peerings: list[Peering] = field(default_factory=list)
    blocks: list[str] = field(default_factory=list)
    pools: list[str] = field(default_factory=list)


def node_bgp(node: Mapping[str, Any]) -> NodeBGP:
    meta = node.get("metadata") or {}
    bgp = (node.get("spec") or {}).get("bgp") or {}
    ipv4 = (bgp.get("ipv4Address") or "").split("/")[0] or None
    asn = bgp.get("asNumber")
    return NodeBGP(meta.get("name", ""), ipv4, int(asn) if asn not in (None, "") else None,
                   bgp.get("routeReflectorClusterID") or "", meta.get("labels") or {})


def global_as(bgp_config: Mapping[str, Any] | None) -> int:
    asn = ((bgp_config or {}).get("spec") or {}).get("asNumber")
    return int(asn) if asn not in (None, "") else DEFAULT_AS


def mesh_enabled(bgp_config: Mapping[str, Any] | None) -> bool:
    value = ((bgp_config or {}).get("spec") or {}).get("nodeToNodeMeshEnabled")
    return True if value is None else bool(value)


def _proto_name(prefix: str, ip: str) -> str:
    return f"{prefix}_{ip.replace('.', '_').replace(':', '_')}"


def _peer_ip(peer_ip: str) -> str:
    """``198.18.0.1`` or ``198.18.0.1:179`` or ``[fd00::1]:179`` -> the address."""
    value = peer_ip.strip()
    if value.startswith("["):
        return value[1:value.index("]")]
    if value.count(":") == 1:
        return value.split(":")[0]
    return value


def peerings_v1(nodes: list[NodeBGP], peers: Iterable[Mapping[str, Any]], gas: int) -> dict[tuple, dict]:
    """client.go updatePeersV1 (IPv4): {("global", ip) | ("node", node, ip): {"ip", "as", "rr", "calico",
    "source"}}."""
    out: dict[tuple, dict] = {}
    node_ips = {n.ipv4 for n in nodes if n.ipv4}
    peers = sorted(peers, key=lambda p: (p.get("metadata") or {}).get("name", ""))

    def matching(sel: str) -> list[NodeBGP]:
        m = selector.parse(sel)
        return [n for n in nodes if m(n.labels)]

    def as_peer(n: NodeBGP) -> dict | None:
        if not n.ipv4:
            return None
        return {"ip": n.ipv4, "as": n.asn or gas, "rr": n.rr_cluster_id, "calico": True}

    def emit(key: tuple, value: dict) -> None:
        if key in out:
            return
        if key[0] == "node" and ("global", key[2]) in out:
            return
        out[key] = value

    for global_pass in (True, False):
        for res in peers:
            spec = res.get("spec") or {}
            if global_pass != (not spec.get("nodeSelector") and not spec.get("node")):
                continue
            if spec.get("nodeSelector"):
                local = [n.name for n in matching(spec["nodeSelector"])]
            elif spec.get("node"):
                local = [spec["node"]]
            else:
                local = []
            if spec.get("peerSelector"):
                remote = [p for p in (as_peer(n) for n in matching(spec["peerSelector"])) if p]
            else:
                ip = _peer_ip(spec.get("peerIP") or "")
                try:
                    ipaddress.IPv4Address(ip)
                except ValueError:
                    continue
                remote = [{"ip": ip, "as": int(spec.get("asNumber") or gas), "rr": "", "calico": ip in node_ips}]
            for p in remote:
                # unset sourceAddress acts as UseNodeIP (confd/tests/compiled_templates/explicit_peering/
                # route_reflector/bird.cfg: "source address" on peers whose BGPPeer does not set it)
                p = dict(p, source=spec.get("sourceAddress") or "UseNodeIP")
                if global_pass:
                    emit(("global", p["ip"]), p)
                else:
                    for name in local:
                        emit(("node", name, p["ip"]), p)
    # reverse peerings
    for res in peers:
        spec = res.get("spec") or {}
        if spec.get("peerSelector"):
            local = [n.name for n in matching(spec["peerSelector"])]
        else:
            ip = _peer_ip(spec.get("peerIP") or "")
            want_as = int(spec.get("asNumber") or gas)
            local = [n.name for n in nodes if n.ipv4 == ip and (n.asn or gas) == want_as]
        if not local:
            continue
        if spec.get("nodeSelector"):
            remote_nodes = matching(spec["nodeSelector"])
        elif spec.get("node"):
            remote_nodes = [n for n in nodes if n.name == spec["node"]]
        else:
            remote_nodes = matching("all()")
        for p in (as_peer(n) for n in remote_nodes):
            if p:
                p["source"] = spec.get("sourceAddress") or "UseNodeIP"
                for name in local:
                    emit(("node", name, p["ip"]), p)
    return out


def node_config(name: str, nodes_res: Iterable[Mapping[str, Any]], peers: Iterable[Mapping[str, Any]],
                bgp_config: Mapping[str, Any] | None = None, pools: Iterable[Mapping[str, Any]] = (),
                blocks: Iterable[str] = ()) -> NodeConfig:
    """The sessions calico-node on ``name`` has (IPv4), sorted by protocol name like confd."""
    nodes = [node_bgp(n) for n in nodes_res]
    me = next((n for n in nodes if n.name == name), None)
    if me is None or not me.ipv4:
        raise ValueError(f"node {name!r} has no Calico Node with spec.bgp.ipv4Address")
    gas = global_as(bgp_config)
    my_as = me.asn or gas
    cfg = NodeConfig(node=name, router_id=me.ipv4, asn=my_as, blocks=sorted(blocks),
                     pools=[(p.get("spec") or {}).get("cidr") for p in pools
                            if not (p.get("spec") or {}).get("disabled")
                            and ":" not in (p.get("spec") or {}).get("cidr", ":")])
    if not me.rr_cluster_id and mesh_enabled(bgp_config):
        for n in nodes:
            if not n.ipv4 or n.ipv4 == me.ipv4 or n.rr_cluster_id:
                continue
            cfg.peerings.append(Peering(_proto_name("Mesh", n.ipv4), "mesh", n.ipv4, n.asn or gas,
                                        passive=n.ipv4 > me.ipv4, source=me.ipv4))
    v1 = peerings_v1(nodes, peers, gas)
    for key, p in v1.items():
        if key[0] == "node" and key[1] != name:
            continue
        if p["ip"] == me.ipv4:
            continue
        kind = key[0]
        rr = bool(me.rr_cluster_id) and p["as"] == my_as and p["rr"] != me.rr_cluster_id
        passive = kind == "global" and p["calico"] and p["ip"] > me.ipv4
        cfg.peerings.append(Peering(_proto_name("Global" if kind == "global" else "Node", p["ip"]), kind,
                                    p["ip"], p["as"], passive=passive, rr_client=rr,
                                    source=me.ipv4 if p.get("source") == "UseNodeIP" else None,
                                    rr_cluster_id=me.rr_cluster_id if rr else None))
    cfg.peerings.sort(key=lambda p: p.name)
    return cfg


def sessions_by_node(nodes_res: list[Mapping[str, Any]], peers: list[Mapping[str, Any]],
                     bgp_config: Mapping[str, Any] | None) -> dict[str, list[str]]:
    """{node: [BIRD protocol names]} for every node with an IPv4 BGP address."""
    out = {}
    for n in nodes_res:
        nb = node_bgp(n)
        if nb.ipv4:
            out[nb.name] = [p.name for p in node_config(nb.name, nodes_res, peers, bgp_config).peerings]
    return out


def count_sessions(by_node: Mapping[str, list[str]], ips: Mapping[str, str]) -> int:
    """Distinct sessions (unordered node pairs) in ``by_node``; ``ips`` maps node -> IPv4."""
    by_ip = {ip: name for name, ip in ips.items()}
    pairs = set()
    for name, protos in by_node.items():
        for proto in protos:
            ip = proto.split("_", 1)[1].replace("_", ".")
            pairs.add(frozenset((name, by_ip.get(ip, ip))))
    return len(pairs)


@dataclass(frozen=True)
class Timers:
    """BGP timers in the bgp template; confd's values by default (bird.cfg.template bgp_template)."""
    connect_delay: int = 2
    connect_retry: int = 5
    error_wait: tuple[int, int] = (5, 30)
    hold: int | None = None
    keepalive: int | None = None


def render_bird2(cfg: NodeConfig, timers: Timers = Timers(), log: str | None = None,
                 direct: bool = True) -> str:
    """BIRD 2 configuration for ``cfg``: device/direct/kernel protocols, the node's blocks as
    blackhole statics (bird_aggr), an export filter for pool prefixes (calico_export_to_bgp_peers),
    and one ``protocol bgp`` per peering. ``direct``: peers share a subnet (BIRD 2's ``direct``
    instead of confd's ``multihop`` + ``gateway recursive``, which needs an IGP table)."""
    lines = [f"# rendered by netops.calico from the Calico datastore for node {cfg.node}",
             f"router id {cfg.router_id};"]
    if log:
        lines.append(f'log "{log}" all;')
    lines += [
        "protocol device { scan time 2; }",
        'protocol direct { ipv4; interface -"cali*", -"kube-ipvs*", "*"; }',
        "protocol kernel {",
        "  ipv4 { import none; export filter { if source = RTS_BGP then accept; reject; }; };",
        "  learn; persist; merge paths on; scan time 2; graceful restart;",
        "}",
    ]
    if cfg.blocks:
        lines.append("protocol static static_blocks {")
        lines.append("  ipv4;")
        lines += [f"  route {b} blackhole;" for b in cfg.blocks]
        lines.append("}")
    lines.append("function calico_export_to_bgp_peers() {")
    for pool in cfg.pools:
        lines.append(f"  if ( net ~ {pool} ) then {{ accept; }}")
    lines.append("  reject;")
    lines.append("}")
    lines.append("template bgp bgp_template {")
    lines.append(f"  local as {cfg.asn};")
    lines.append("  direct;" if direct else "  multihop;")
    t = timers
    lines.append(f"  connect delay time {t.connect_delay}; connect retry time {t.connect_retry}; "
                 f"error wait time {t.error_wait[0]},{t.error_wait[1]};")
    if t.hold:
        lines.append(f"  hold time {t.hold};")
    if t.keepalive:
        lines.append(f"  keepalive time {t.keepalive};")
    lines.append("  graceful restart;")
    lines.append("  ipv4 { import all; export filter { calico_export_to_bgp_peers(); reject; }; add paths on; };")
    lines.append("}")
    for p in cfg.peerings:
        body = [f"  neighbor {p.ip} as {p.asn};"]
        if p.source:
            body.append(f"  source address {p.source};")
        if p.passive:
            body.append("  passive on;")
        if p.rr_client:
            body.append("  rr client;")
            body.append(f"  rr cluster id {p.rr_cluster_id};")
        lines.append(f"protocol bgp {p.name} from bgp_template {{")
        lines += body
        lines.append("}")
    return "\n".join(lines) + "\n"
