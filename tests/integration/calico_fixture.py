"""Build a Calico etcdv3 datastore the way calico-node, the CNI plugin and calicoctl write it.

Keys come from model.py's key functions and values from model.serialise / model.go_json, so the
bytes are what libcalico-go v3.31 writes:
- blocks: ipam_block.go newBlock (allocations all null, unallocated 0..N-1, attributes null,
  sequenceNumber = UnixNano, sequenceNumberForAllocation {}) with affinity "host:<node>"; an
  allocation takes the first unallocated ordinal, reuses an equal attribute (findOrAddAttribute),
  records the block's sequence number for the ordinal, and the write increments the sequence number
  (blockReaderWriter.updateBlock);
- affinities {"state":"confirmed","deleted":false}; handles {"block":{cidr:n},"deleted":false};
- v3 resources with kind/apiVersion/metadata(name, uid, creationTimestamp, labels)/spec, Node with
  "status":{}; WorkloadEndpoint names from lib/names/workloadendpoint.go;
- Felix status reports {"time","uptime","first_update"} (model/statusreports.go).
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.netops.calico.plugins.module_utils._datastore import ipam, model

T0 = datetime.datetime(2025, 5, 1, 10, 0, 0, tzinfo=datetime.timezone.utc)
SEQ0 = 1746093600000000000


def _uid(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts)))


def _ts(t: datetime.datetime = T0) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def resource(kind: str, name: str, spec: dict, namespace: str | None = None, labels: dict | None = None,
             status: dict | None = None) -> dict:
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    meta["uid"] = _uid(kind, namespace or "", name)
    meta["creationTimestamp"] = _ts()
    if labels:
        meta["labels"] = {k: labels[k] for k in sorted(labels)}
    out = {"kind": kind, "metadata": meta, "spec": spec}
    if status is not None:
        out["status"] = status
    return model.normalise_resource(out)


def wep_name(node: str, pod: str, iface: str = "eth0") -> str:
    """<node>-k8s-<pod>-<iface>, each '-' inside a segment doubled (names/workloadendpoint.go)."""
    return "-".join(s.replace("-", "--") for s in (node, "k8s", pod, iface))


def new_block(cidr: str, node: str, seq: int) -> dict:
    """ipam_block.go newBlock, affine to ``node``: nothing allocated, attributes null."""
    n = ipaddress.ip_network(cidr).num_addresses
    return {"cidr": cidr, "affinity": f"host:{node}", "allocations": [None] * n, "unallocated": list(range(n)),
            "attributes": None, "sequenceNumber": seq, "sequenceNumberForAllocation": {}, "deleted": False}


def assign_next(b: dict, handle: str, attrs: dict) -> str:
    """autoAssign of one address in block ``b`` (changed in place): the first unallocated ordinal,
    an equal attribute reused (findOrAddAttribute), the block's sequence number recorded for the
    ordinal and then incremented (blockReaderWriter.updateBlock). Returns the address."""
    ordinal = b["unallocated"].pop(0)
    attr = {"handle_id": handle, "secondary": {k: attrs[k] for k in sorted(attrs)}}
    attrs_list = b["attributes"] or []
    if attr in attrs_list:
        idx = attrs_list.index(attr)
    else:
        attrs_list.append(attr)
        idx = len(attrs_list) - 1
    b["attributes"] = attrs_list
    b["allocations"][ordinal] = idx
    seqs = dict(b["sequenceNumberForAllocation"])
    seqs[str(ordinal)] = b["sequenceNumber"]
    b["sequenceNumberForAllocation"] = {k: seqs[k] for k in sorted(seqs)}
    b["sequenceNumber"] += 1
    return ipam.ip_at(b, ordinal)


def handle_add(h: dict | None, cidr: str) -> dict:
    """An IPAM handle with one more address in block ``cidr``."""
    h = h or {"block": {}, "deleted": False}
    blocks = dict(h["block"])
    blocks[cidr] = blocks.get(cidr, 0) + 1
    return {**h, "block": {k: blocks[k] for k in sorted(blocks)}}


@dataclass
class Pool:
    name: str
    cidr: str
    block_size: int
    next_block: int = 0

    def claim(self) -> str:
        net = ipaddress.ip_network(self.cidr)
        sub = net.network_address + self.next_block * (1 << (net.max_prefixlen - self.block_size))
        self.next_block += 1
        return f"{sub}/{self.block_size}"


@dataclass
class NodeInfo:
    name: str
    blocks: dict[int, list[str]] = field(default_factory=lambda: {4: [], 6: []})
    pods: int = 0


class CalicoFixture:
    """Accumulates keys -> value text; ``write(kv)`` bulk-loads them; ``keys_of(node)`` lists the
    keys that belong to a node."""

    def __init__(self, v4: str = "10.244.0.0/16", v6: str = "fd00:10:244::/56", block4: int = 26,
                 block6: int = 122, host_base: str = "10.0.0.0", peer_base: str = "10.1.0.0") -> None:
        self.host_base = ipaddress.ip_address(host_base)     # node i has host_base + 10 + i
        self.peer_base = ipaddress.ip_address(peer_base)     # its BGP peer j: peer_base + 256 * i + j + 1
        self.data: dict[str, str] = {}
        self.owner: dict[str, str] = {}          # key -> node it belongs to
        self.blocks: dict[str, dict] = {}        # cidr -> block (mutable until write)
        self.handles: dict[str, dict] = {}       # handle id -> value
        self.nodes: dict[str, NodeInfo] = {}
        self.pools = {4: Pool("default-ipv4-ippool", v4, block4), 6: Pool("default-ipv6-ippool", v6, block6)}
        self.seq = SEQ0
        for version, pool in self.pools.items():
            self._put(model.resource_key("IPPool", pool.name), "IPPool", resource("IPPool", pool.name, {
                "cidr": pool.cidr, "vxlanMode": "Never", "ipipMode": "Always" if version == 4 else "Never",
                "natOutgoing": True, "blockSize": pool.block_size, "nodeSelector": "all()",
                "allowedUses": ["Workload", "Tunnel"], "assignmentMode": "Automatic"}))
        self._put(model.resource_key("ClusterInformation", "default"), "ClusterInformation",
                  resource("ClusterInformation", "default", {
                      "clusterGUID": "2f1e0d9c8b7a4e6f9d3c2b1a0f9e8d7c", "clusterType": "k8s,bgp",
                      "calicoVersion": "v3.31.0", "datastoreReady": True}))
        self._put(model.resource_key("FelixConfiguration", "default"), "FelixConfiguration",
                  resource("FelixConfiguration", "default", {"logSeverityScreen": "Info", "reportingInterval": "0s",
                                                             "bpfLogLevel": ""}))
        self._put(model.resource_key("BGPConfiguration", "default"), "BGPConfiguration",
                  resource("BGPConfiguration", "default", {}))
        self.data[model.IPAM_CONFIG_KEY] = model.go_json({"auto_allocate_blocks": True})

    # -- low level ------------------------------------------------------------------------
    def _put(self, key: str, kind: str, value: dict, owner: str | None = None) -> None:
        self.data[key] = model.serialise(kind, value)
        if owner:
            self.owner[key] = owner

    def _next_seq(self) -> int:
        self.seq += 1000
        return self.seq

    # -- IPAM -----------------------------------------------------------------------------
    def claim_block(self, node: str, version: int = 4) -> str:
        """A new block affine to ``node`` (claimAffineBlock): block + confirmed affinity."""
        cidr = self.pools[version].claim()
        self.blocks[cidr] = new_block(cidr, node, self._next_seq())
        self.owner[model.block_key(cidr)] = node
        aff = model.affinity_key(node, cidr)
        self.data[aff] = model.go_json(ipam.affinity_value("confirmed"))
        self.owner[aff] = node
        self.nodes[node].blocks[version].append(cidr)
        return cidr

    def assign(self, node: str, handle: str, attrs: dict, version: int = 4, block: str | None = None,
               owner: str | None = None) -> str:
        """autoAssign of one address: from ``block`` or the node's first block with room."""
        info = self.nodes[node]
        cidrs = [block] if block else info.blocks[version]
        for cidr in cidrs:
            b = self.blocks[cidr]
            if b["unallocated"]:
                break
        else:
            cidr = self.claim_block(node, version)
            b = self.blocks[cidr]
        ip = assign_next(b, handle, attrs)
        self.handles[handle] = handle_add(self.handles.get(handle), cidr)
        self.owner[model.handle_key(handle)] = owner or node
        return ip

    # -- nodes ----------------------------------------------------------------------------
    def add_node(self, name: str, index: int, *, blocks4: int = 2, blocks6: int = 1, ipip: bool = True,
                 vxlan: bool = False, wireguard: bool = False, vxlan_v6: bool = False, wireguard_v6: bool = False,
                 pods: int = 2, felix_config: bool = True, bgp_config: bool = False, peers: int = 0,
                 heps: int = 0, felix_status: str | None = None, k8s: bool = True,
                 now: datetime.datetime | None = None) -> None:
        self.nodes[name] = NodeInfo(name)
        for _x in range(blocks4):
            self.claim_block(name, 4)
        for _x in range(blocks6):
            self.claim_block(name, 6)
        host_ip = str(self.host_base + 10 + index)
        spec: dict[str, Any] = {"bgp": {"ipv4Address": f"{host_ip}/16"}}
        tunnels = [("ipip", ipip, 4, "bgp.ipv4IPIPTunnelAddr"), ("vxlan", vxlan, 4, "ipv4VXLANTunnelAddr"),
                   ("vxlan-v6", vxlan_v6, 6, "ipv6VXLANTunnelAddr"),
                   ("wireguard", wireguard, 4, "wireguard.interfaceIPv4Address"),
                   ("wireguard-v6", wireguard_v6, 6, "wireguard.interfaceIPv6Address")]
        for prefix, on, version, path in tunnels:
            if not on:
                continue
            handle = f"{prefix}-tunnel-addr-{name}"
            ip = self.assign(name, handle, {"node": name, "type": ipam.TUNNEL_HANDLE_PREFIXES[f"{prefix}-tunnel-addr-"]},
                             version)
            where, _x, leaf = path.rpartition(".")
            (spec.setdefault(where, {}) if where else spec)[leaf] = ip
        if vxlan:
            spec["vxlanTunnelMACAddr"] = "66:3a:0f:7c:%02x:%02x" % (index // 256 % 256, index % 256)
        if k8s:
            spec["orchRefs"] = [{"nodeName": name, "orchestrator": "k8s"}]
        spec["interfaces"] = [{"name": "eth0", "addresses": [host_ip]}]
        self._put(model.resource_key("Node", name), "Node", resource("Node", name, spec, status={}), name)
        for p in range(pods):
            self.add_pod(name, f"app-{p}-{index}")
        if felix_config:
            fname = f"node.{name}"
            self._put(model.resource_key("FelixConfiguration", fname), "FelixConfiguration",
                      resource("FelixConfiguration", fname, {"defaultEndpointToHostAction": "Return",
                                                             "bpfLogLevel": ""}), name)
        if bgp_config:
            bname = f"node.{name}"
            self._put(model.resource_key("BGPConfiguration", bname), "BGPConfiguration",
                      resource("BGPConfiguration", bname, {"logSeverityScreen": "Debug"}), name)
        for i in range(peers):
            pname = f"{name}-tor-{i}"
            self._put(model.resource_key("BGPPeer", pname), "BGPPeer",
                      resource("BGPPeer", pname, {"node": name,
                                                  "peerIP": str(self.peer_base + (index % 256) * 256 + i + 1),
                                                  "asNumber": 64600 + i}), name)
        for i in range(heps):
            hname = f"{name}-eth{i}"
            self._put(model.resource_key("HostEndpoint", hname), "HostEndpoint",
                      resource("HostEndpoint", hname, {"node": name, "interfaceName": f"eth{i}",
                                                       "expectedIPs": [host_ip]},
                               labels={"host-endpoint": "true"}), name)
        if felix_status:
            self.felix_report(name, felix_status, now)

    def felix_report(self, name: str, state: str, now: datetime.datetime | None = None) -> dict[str, str]:
        """``fresh``: status + last_reported_status now; ``expired``: the status key is gone (its
        lease expired) and last_reported_status is an hour old."""
        now = now or datetime.datetime.now(datetime.timezone.utc)
        base = f"{model.FELIX_STATUS_PREFIX}no-region/host/{name}/"
        out = {}
        if state == "fresh":
            value = model.go_json({"time": _ts(now), "uptime": 3600.5, "first_update": False})
            out[base + "status"] = value
            out[base + "last_reported_status"] = value
        else:
            old = now - datetime.timedelta(hours=1)
            out[base + "last_reported_status"] = model.go_json({"time": _ts(old), "uptime": 7200.25,
                                                                "first_update": False})
        for k, v in out.items():
            self.data[k] = v
            self.owner[k] = name
        return out

    def add_pod(self, node: str, pod: str, namespace: str = "default", dual_stack: bool = True,
                borrow_from: str | None = None) -> str:
        """A pod as the CNI plugin creates it: one handle, an IPv4 (and IPv6) address, a WEP."""
        cid = uuid.uuid5(uuid.NAMESPACE_DNS, f"{node}/{pod}").hex + uuid.uuid5(uuid.NAMESPACE_OID, pod).hex
        handle = f"k8s-pod-network.{cid}"
        attrs = {"namespace": namespace, "node": node, "pod": pod,
                 "timestamp": "2025-05-01 10:02:03.123456789 +0000 UTC"}
        block = self.nodes[borrow_from].blocks[4][0] if borrow_from else None
        ips = [self.assign(node, handle, attrs, 4, block=block)]
        if dual_stack and self.nodes[node].blocks[6]:
            ips.append(self.assign(node, handle, attrs, 6))
        name = wep_name(node, pod)
        nets = [f"{ip}/{32 if ipaddress.ip_address(ip).version == 4 else 128}" for ip in ips]
        spec = {"orchestrator": "k8s", "workload": "", "node": node, "containerID": cid, "pod": pod,
                "endpoint": "eth0", "serviceAccountName": "default", "ipNetworks": nets,
                "profiles": [f"kns.{namespace}", f"ksa.{namespace}.default"],
                "interfaceName": "cali" + cid[:11]}
        labels = {"projectcalico.org/namespace": namespace, "projectcalico.org/orchestrator": "k8s",
                  "projectcalico.org/serviceaccount": "default"}
        self._put(model.resource_key("WorkloadEndpoint", name, namespace), "WorkloadEndpoint",
                  resource("WorkloadEndpoint", name, spec, namespace=namespace, labels=labels), node)
        self.nodes[node].pods += 1
        return name

    # -- output ---------------------------------------------------------------------------
    def items(self) -> dict[str, str]:
        out = dict(self.data)
        for cidr, b in self.blocks.items():
            out[model.block_key(cidr)] = model.serialise("IPAMBlock", b)
        for h, v in self.handles.items():
            out[model.handle_key(h)] = model.go_json(v)
        return out

    def keys_of(self, node: str) -> list[str]:
        return sorted(k for k, n in self.owner.items() if n == node)

    def write(self, kv, batch: int = 128) -> int:
        """Bulk-load with transactions of ``batch`` puts; returns the number of keys."""
        items = list(self.items().items())
        for i in range(0, len(items), batch):
            ops = [{"request_put": {"key": base64.b64encode(k.encode()).decode(),
                                    "value": base64.b64encode(v.encode()).decode()}}
                   for k, v in items[i:i + batch]]
            kv.call("/kv/txn", {"compare": [], "success": ops, "failure": []})
        return len(items)

    def write_kdd(self, ds, kube, k8s_nodes: Any = None) -> int:
        """Load the same state into the Kubernetes datastore as Calico stores it there: IPAM objects and
        v3 resources as Calico's CRDs (through ``ds``, the KDD backend, which converts as libcalico-go's
        k8s backend does), each Calico Node as a Kubernetes Node carrying Calico's annotations
        (``kube.put_object``, as the kubelet registers it and calico-node annotates it), only for the
        names in ``k8s_nodes`` (default: all; a node whose Kubernetes Node was deleted has only its IPAM
        and per-node objects left). WorkloadEndpoints are pods and Felix writes no status reports on
        KDD: those keys are left out. Returns the number of objects written."""
        from ansible_collections.netops.calico.plugins.module_utils._datastore.kdd import convert
        count = 0
        for key, text in self.items().items():
            parsed = model.parse_key(key)
            if parsed is None:
                continue
            kind, name, _ns = parsed
            value = json.loads(text)
            if kind in convert.IPAM_CRDS:
                ds.ipam_create(kind, name, value)
            elif kind == "Node":
                if k8s_nodes is not None and name not in k8s_nodes:
                    continue
                kube.put_object("v1", "nodes", k8s_node(value))
            elif kind in convert.CRD_KINDS:
                ds.create(value)
            else:
                continue
            count += 1
        return count


def k8s_node(node: dict) -> dict:
    """The Kubernetes Node of a Calico Node (resources/node.go mergeCalicoNodeIntoK8sNode's annotations),
    with the kubelet's hostname label and InternalIP address."""
    from ansible_collections.netops.calico.plugins.module_utils._datastore.kdd import convert
    name = node["metadata"]["name"]
    anns = {k: v for k, v in convert.calico_node_annotations(node).items() if v is not None}
    ip = ipam.normalise_ip(((node.get("spec") or {}).get("bgp") or {}).get("ipv4Address"))
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux"},
                         "annotations": {k: anns[k] for k in sorted(anns)}},
            "spec": {}, "status": {"addresses": [{"type": "InternalIP", "address": ip},
                                                 {"type": "Hostname", "address": name}]}}


def snapshot(kv, prefix: str = "/calico/") -> dict[str, tuple[bytes, str]]:
    """key -> (raw bytes, mod revision) for every key under ``prefix``."""
    return {i.key: (i.raw, i.revision) for i in kv.range(prefix)}


def check_leaks(kv) -> dict:
    """ipam_check over everything in the store (nodes, WEPs, pools, affinities included)."""
    import json
    items = kv.range("/calico/")
    blocks, handles, nodes, weps, pools, affs = [], {}, [], [], [], []
    for i in items:
        parsed = model.parse_key(i.key)
        if not parsed:
            continue
        kind, name, _x = parsed
        value = json.loads(i.raw) if i.raw else None
        if kind == "IPAMBlock":
            blocks.append(value)
        elif kind == "IPAMHandle":
            handles[name] = value
        elif kind == "Node":
            nodes.append(value)
        elif kind == "WorkloadEndpoint":
            weps.append(value)
        elif kind == "IPPool":
            pools.append(value)
        elif kind == "BlockAffinity":
            affs.append({"name": name, "value": value})
    return ipam.ipam_check(blocks, handles, nodes, workload_endpoints=weps, pools=pools, affinities=affs)
