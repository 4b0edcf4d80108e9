"""Shared by the benchmarks: start a throw-away etcd on loopback and bulk-load keys."""

from __future__ import annotations

import base64
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
import conftest  # noqa: E402  (puts the collection on sys.path, provides EtcdServer)


def start_etcd():
    srv = conftest.EtcdServer(Path(tempfile.mkdtemp(prefix="bench-etcd-")))
    srv.start()
    return srv


def b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


def bulk_put(kv, items, batch: int = 100) -> None:
    """Write (key, value-text) pairs in transactions of ``batch`` puts (etcd allows 128 ops a txn)."""
    ops = []
    for key, value in items:
        ops.append({"request_put": {"key": b64(key), "value": b64(value)}})
        if len(ops) >= batch:
            kv.txn([], ops)
            ops = []
    if ops:
        kv.txn([], ops)
