"""Benchmark (not a test): purge dead nodes from a large Calico etcd datastore.

Builds BENCH_NODES nodes (default 10,000) with 4 blocks each (3 IPv4 /26, 1 IPv6 /122), an IPIP
tunnel address, one dual-stack pod (WorkloadEndpoint + handle) and a per-node FelixConfiguration
on a private etcd (free loopback port, temporary data dir), bulk-loaded with transactions of 128
puts. Then, in the same run:

1. purges BENCH_DEAD / 10 dead nodes, then BENCH_DEAD dead nodes (default 1,000) through
   ``_decommission.decommission`` (what the module runs, without Ansible's start-up);
2. puts the purged keys back and measures the floor: the same keys read and deleted by bare
   etcd3gw client calls, one ``get`` and one ``delete`` per key;
3. puts them back again and measures a bulk floor: the same keys read with read-only multi-key
   transactions and deleted with transactions of plain deletes (128 per transaction, no compares).

Prints the times and the ratios: purge / floor (target <= 2) and purge(10x nodes) / purge(1x)
(target <= 11). Scale down for a quick run: BENCH_NODES=2000 BENCH_DEAD=200.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COLLECTIONS = REPO / ".build" / "collections"
link = COLLECTIONS / "ansible_collections" / "netops" / "calico"
if not link.exists():
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(REPO, target_is_directory=True)
sys.path.insert(0, str(COLLECTIONS))
sys.path.insert(0, str(REPO / "tests" / "integration"))

from calico_fixture import CalicoFixture  # noqa: E402
from ansible_collections.netops.calico.plugins.module_utils._batching import chunks  # noqa: E402
from ansible_collections.netops.calico.plugins.module_utils._decommission.purge import Options, decommission  # noqa: E402
from ansible_collections.netops.calico.plugins.module_utils._datastore.etcd import EtcdBackend, EtcdKV, Write  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Etcd:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="bench-etcd-"))
        self.port, peer = free_port(), free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        exe = shutil.which("etcd")
        if not exe:
            sys.exit("etcd is not installed (Debian package etcd-server)")
        self.log = open(self.dir / "etcd.log", "ab")
        self.proc = subprocess.Popen(
            [exe, "--name", "bench", "--data-dir", str(self.dir / "data"),
             "--listen-client-urls", self.endpoint, "--advertise-client-urls", self.endpoint,
             "--listen-peer-urls", f"http://127.0.0.1:{peer}", "--initial-advertise-peer-urls",
             f"http://127.0.0.1:{peer}", "--initial-cluster", f"bench=http://127.0.0.1:{peer}",
             "--log-level", "error", "--logger", "zap", "--quota-backend-bytes", str(8 * 1024 ** 3)],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.endpoint}/health", timeout=1) as r:
                    if b"true" in r.read():
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("etcd did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


def put_all(kv, items: dict[str, str]) -> None:
    pairs = list(items.items())
    for chunk in chunks(pairs, 128):
        EtcdBackend(kv).commit([Write(k, 0, v.encode()) for k, v in chunk])


def floor_bare(endpoint: str, keys: list[str]) -> float:
    from etcd3gw.client import Etcd3Client
    host, port = endpoint.rsplit("//", 1)[1].split(":")
    c = Etcd3Client(host=host, port=int(port), protocol="http", timeout=30, api_path="/v3/")
    t = time.perf_counter()
    for k in keys:
        c.get(k)
        c.delete(k)
    return time.perf_counter() - t


def floor_bulk(kv, keys: list[str]) -> float:
    t = time.perf_counter()
    ds = EtcdBackend(kv)
    current = ds.read_keys(keys)
    for chunk in chunks(keys, 128):
        ds.commit([Write(k, current[k].rev, None) for k in chunk if current[k] is not None])
    return time.perf_counter() - t


def main() -> None:
    n_nodes = int(os.environ.get("BENCH_NODES", "10000"))
    n_dead = int(os.environ.get("BENCH_DEAD", "1000"))
    small = max(1, n_dead // 10)
    etcd = Etcd()
    try:
        kv = EtcdKV(etcd.endpoint, timeout=60)
        t = time.perf_counter()
        f = CalicoFixture(v4="100.64.0.0/10", v6="fd00:100::/48")
        for i in range(n_nodes):
            f.add_node(f"node-{i:05d}", i, blocks4=3, blocks6=1, pods=1)
        items = f.items()
        t_build = time.perf_counter() - t
        t = time.perf_counter()
        put_all(kv, items)
        t_load = time.perf_counter() - t
        print(f"built {n_nodes} nodes, {len(items)} keys in {t_build:.1f}s; loaded in {t_load:.1f}s")

        names = sorted(f.nodes)
        step = n_nodes // (small + n_dead)
        picked = names[::step][:small + n_dead]
        dead_small, dead_big = picked[:small], picked[small:]

        def purge(dead: list[str]) -> float:
            t = time.perf_counter()
            res = decommission(EtcdBackend(kv), Options(nodes=dead, force=True))
            elapsed = time.perf_counter() - t
            assert len(res["nodes"]) == len(dead) and not res["failed_nodes"], res["failed_nodes"]
            return elapsed

        t_small = purge(dead_small)
        t_big = purge(dead_big)
        keys = sorted(k for n in dead_big for k in f.keys_of(n))
        left = EtcdBackend(kv).read_keys(keys)
        assert not [k for k, e in left.items() if e is not None], "purge left keys behind"
        print(f"purge {len(dead_small)} dead nodes: {t_small:.2f}s")
        print(f"purge {len(dead_big)} dead nodes: {t_big:.2f}s ({len(keys)} keys of theirs)")

        theirs = {k: items[k] for k in keys}
        put_all(kv, theirs)
        t_floor = floor_bare(etcd.endpoint, keys)
        put_all(kv, theirs)
        t_bulk = floor_bulk(kv, keys)
        print(f"floor, bare get+delete per key: {t_floor:.2f}s")
        print(f"bulk floor, multi-key read + delete transactions: {t_bulk:.2f}s")
        print(f"ratio purge/floor: {t_big / t_floor:.2f} (target <= 2)")
        print(f"ratio purge/bulk floor: {t_big / t_bulk:.2f}")
        print(f"ratio purge({len(dead_big)})/purge({len(dead_small)}): {t_big / t_small:.2f} (target <= 11)")
    finally:
        etcd.stop()


if __name__ == "__main__":
    main()
