"""Benchmark (not a test): calico_info on 10,000 Nodes and 40,000 IPAM blocks versus a bare range
read of /calico/ by the same client, both measured in this run on a real etcd.

    python bench/info.py [--nodes 10000] [--blocks-per-node 4] [--repeat 3]

Prints the best time of each and the ratio (target: calico_info <= 2x the bare read)."""

from __future__ import annotations

import argparse
import io
import ipaddress
import json
import time
import contextlib

from _etcd import bulk_put, start_etcd

from ansible_collections.netops.calico.plugins.module_utils._datastore import model
from ansible_collections.netops.calico.plugins.module_utils._datastore.etcd import EtcdKV


def build(kv, nodes: int, per_node: int) -> None:
    pool = ipaddress.ip_network("100.64.0.0/10")
    blocks = pool.subnets(new_prefix=26)

    def items():
        yield model.resource_key("IPPool", "default-ipv4-ippool"), model.serialise("IPPool", model.new_resource(
            "IPPool", "default-ipv4-ippool", {"cidr": str(pool), "ipipMode": "CrossSubnet", "vxlanMode": "Never",
                                              "natOutgoing": True, "blockSize": 26, "nodeSelector": "all()"}))
        for i in range(nodes):
            name = f"node-{i:05d}"
            ip = ipaddress.ip_address("198.18.0.0") + i
            yield model.resource_key("Node", name), model.serialise("Node", model.new_resource(
                "Node", name, {"bgp": {"ipv4Address": f"{ip}/15"},
                               "orchRefs": [{"nodeName": name, "orchestrator": "k8s"}]}))
            for b in range(per_node):
                cidr = str(next(blocks, None))
                allocs = [0, 1] + [None] * 62
                blk = {"cidr": cidr, "affinity": f"host:{name}", "allocations": allocs,
                       "unallocated": list(range(2, 64)),
                       "attributes": [{"handle_id": f"ipip-tunnel-addr-{name}",
                                       "secondary": {"node": name, "type": "ipipTunnelAddress"}},
                                      {"handle_id": f"k8s-pod-network.{i:05d}{b}", "secondary": None}],
                       "sequenceNumber": 1, "sequenceNumberForAllocation": {"0": 0, "1": 0}, "deleted": False}
                yield model.block_key(cidr), model.serialise("IPAMBlock", blk)
                yield model.affinity_key(name, cidr), '{"state":"confirmed","deleted":false}'
    bulk_put(kv, items())


def best(fn, repeat: int) -> float:
    times = []
    for _x in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, default=10000)
    ap.add_argument("--blocks-per-node", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    srv = start_etcd()
    try:
        kv = EtcdKV(srv.endpoint, timeout=60)
        t0 = time.perf_counter()
        build(kv, a.nodes, a.blocks_per_node)
        print(f"built {a.nodes} nodes, {a.nodes * a.blocks_per_node} blocks in {time.perf_counter() - t0:.1f}s")

        def bare():
            # the same client's plain range read: every key and value under /calico/, decoded
            n = len(kv.range("/calico/"))
            assert n >= a.nodes * (1 + 2 * a.blocks_per_node)

        from ansible.module_utils.testing import patch_module_args
        from ansible_collections.netops.calico.plugins.modules import calico_info

        def module():
            out = io.StringIO()
            with patch_module_args({"etcd_endpoints": srv.endpoint, "datastore_timeout": 60}), \
                    contextlib.redirect_stdout(out):
                try:
                    calico_info.main()
                except SystemExit:
                    pass
            res = json.loads(out.getvalue())
            assert len(res["nodes"]) == a.nodes, res.get("msg")
            assert sum(v["blocks"] for v in res["ipam"]["per_node"].values()) == a.nodes * a.blocks_per_node

        floor = best(bare, a.repeat)
        info = best(module, a.repeat)
        print(f"bare range read of /calico/: {floor:.3f}s")
        print(f"calico_info (all subsets):   {info:.3f}s")
        print(f"ratio: {info / floor:.2f}x (target <= 2.0x)")
    finally:
        srv.stop()


if __name__ == "__main__":
    main()
