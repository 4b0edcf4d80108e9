"""A write whose answer is lost, through the real transport: a small HTTP proxy on loopback sits
between the client and a real etcd. It forwards the write, lets etcd apply it, then pauses etcd
(SIGSTOP) and holds the answer until the client has given up on it (its connection closes after its
timeout, or its next request arrives), resumes etcd (SIGCONT) and never delivers that answer.

Deterministic: the proxy waits for events (etcd's answer read, the client's connection closed or
its next request), never for a time; nothing asserts how long anything took."""

from __future__ import annotations

import http.client
import os
import signal
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.netops.calico.plugins.module_utils._datastore import model
from ansible_collections.netops.calico.plugins.module_utils._datastore.etcd import EtcdBackend, EtcdKV, Write

CLIENT_TIMEOUT = 1.0


class LossyProxy:
    """HTTP/1.1 proxy to etcd's gateway. ``mode``: "applied" (the first write transaction reaches
    etcd and is applied; its answer is lost while etcd is paused) or "dropped" (the first write is
    never forwarded; the client's connection just goes quiet)."""

    def __init__(self, etcd_port: int, etcd_pid: int, mode: str = "applied") -> None:
        self.etcd_port, self.etcd_pid, self.mode = etcd_port, etcd_pid, mode
        self.writes_forwarded = 0          # write transactions etcd received through the proxy
        self.lost = threading.Event()      # the first write's answer was held back
        self.paused = False
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):   # quiet
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                proxy.resume()              # a new request: the client gave up on the held answer
                is_write = self.path.endswith("/kv/txn") and (b"request_put" in body or b"request_delete_range" in body)
                with proxy._lock:
                    hold = is_write and not proxy.lost.is_set()
                    if hold:
                        proxy.lost.set()
                if hold and proxy.mode == "dropped":
                    self._wait_for_client_to_give_up()
                    return
                status, headers, data = proxy.forward(self.path, body, self.headers)
                if is_write:
                    with proxy._lock:
                        proxy.writes_forwarded += 1
                if hold:
                    # etcd answered, so the write is applied; pause etcd as if the answer never came
                    os.kill(proxy.etcd_pid, signal.SIGSTOP)
                    proxy.paused = True
                    self._wait_for_client_to_give_up()
                    proxy.resume()
                    return
                self.send_response(status)
                for k, v in headers:
                    if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _wait_for_client_to_give_up(self):
                """Block until the client closes this connection (it does after its timeout)."""
                self.connection.settimeout(None)
                try:
                    while self.connection.recv(65536):
                        pass
                except OSError:
                    pass
                self.close_connection = True

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def forward(self, path, body, headers):
        conn = http.client.HTTPConnection("127.0.0.1", self.etcd_port)
        try:
            conn.request("POST", path, body, {"Content-Type": headers.get("Content-Type", "application/json")})
            resp = conn.getresponse()
            return resp.status, resp.getheaders(), resp.read()
        finally:
            conn.close()

    def resume(self):
        if self.paused:
            self.paused = False
            os.kill(self.etcd_pid, signal.SIGCONT)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.resume()
        os.kill(self.etcd_pid, signal.SIGCONT)       # never leave the shared etcd stopped
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def proxy_for(etcd):
    made = []

    def make(mode="applied"):
        p = LossyProxy(etcd.port, etcd.proc.pid, mode)
        made.append(p.__enter__())
        return p
    yield make
    for p in made:
        p.__exit__(None, None, None)


def _kv(endpoint):
    kv = EtcdKV(endpoint, timeout=CLIENT_TIMEOUT)
    kv.BACKOFF = 0.01
    return kv


def _version(direct, key):
    """etcd's per-key version counter: how many times the key was written since it was created."""
    from ansible_collections.netops.calico.plugins.module_utils._datastore.etcd import _b64
    kvs = direct.call("/kv/range", {"key": _b64(key)}).get("kvs") or []
    return int(kvs[0]["version"]) if kvs else 0


def test_multi_key_transaction_answer_lost_while_etcd_paused(etcd, proxy_for):
    """The bug: the client resent the transaction, the resent compare failed on our own write, and
    the caller was told it conflicted. Now: read back, see our write, report it done once."""
    direct = EtcdKV(etcd.endpoint)
    a, b, c = (f"/calico/ipam/v2/handle/lost-{n}" for n in "abc")
    ia = direct.create(a, '{"block":{"198.19.0.0/26":1}}')
    ib = direct.create(b, '{"block":{"198.19.0.64/26":1}}')
    rev = direct.revision()
    writes = [Write(a, ia.rev, b'{"block":{"198.19.0.0/26":2}}'), Write(b, ib.rev, None),
              Write(c, 0, b'{"block":{"198.19.0.128/26":1}}')]
    proxy = proxy_for("applied")
    done = EtcdBackend(_kv(proxy.endpoint)).commit(writes)
    assert proxy.lost.is_set(), "the answer was not held back: the test did not exercise a lost answer"
    assert done.ok, done.current                               # no conflict
    assert proxy.writes_forwarded == 1                          # sent once, never resent
    assert direct.revision() == rev + 1 == done.revision        # exactly one transaction applied
    assert direct.get(a).raw == b'{"block":{"198.19.0.0/26":2}}' and _version(direct, a) == 2
    assert direct.get(b) is None
    assert direct.get(c).raw == b'{"block":{"198.19.0.128/26":1}}' and _version(direct, c) == 1


def test_rewrite_of_the_same_bytes_is_told_apart_by_mod_revision(etcd, proxy_for):
    """Writing the value the key already holds: only the mod revision shows the write landed."""
    direct = EtcdKV(etcd.endpoint)
    key = model.resource_key("IPPool", "same")
    item = direct.create(key, '{"a":1}')
    rev = direct.revision()
    proxy = proxy_for("applied")
    updated = _kv(proxy.endpoint).update(key, '{"a":1}', item.revision)
    assert proxy.lost.is_set() and proxy.writes_forwarded == 1
    assert int(updated.revision) == rev + 1 == direct.revision() and direct.get(key).rev == rev + 1


def test_write_that_never_arrived_is_sent_again_once(etcd, proxy_for):
    direct = EtcdKV(etcd.endpoint)
    key = model.resource_key("IPPool", "dropped")
    rev = direct.revision()
    proxy = proxy_for("dropped")
    item = _kv(proxy.endpoint).create(key, '{"a":1}')
    assert proxy.lost.is_set() and proxy.writes_forwarded == 1  # the first never reached etcd
    assert direct.revision() == rev + 1 and direct.get(key).raw == b'{"a":1}' and item.rev == rev + 1


def test_another_writer_after_a_lost_answer_is_a_conflict(etcd, proxy_for):
    """Not every failed read-back is ours: a key changed by someone else stays a conflict."""
    from ansible_collections.netops.calico.plugins.module_utils._datastore.errors import ConflictError
    direct = EtcdKV(etcd.endpoint)
    key = model.resource_key("IPPool", "raced")
    item = direct.create(key, '{"a":1}')
    proxy = proxy_for("dropped")
    kv = _kv(proxy.endpoint)
    real_read_back = kv._read_back

    def someone_writes_first(writes):
        direct.update(key, '{"a":3}', item.revision)
        return real_read_back(writes)
    kv._read_back = someone_writes_first
    with pytest.raises(ConflictError):
        kv.update(key, '{"a":2}', item.revision)
    assert direct.get(key).raw == b'{"a":3}' and proxy.writes_forwarded == 0


def test_module_reports_the_pool_created_once(etcd, raw, proxy_for, run_module):
    rev = EtcdKV(etcd.endpoint).revision()
    proxy = proxy_for("applied")
    r = run_module("calico_ippool", {"etcd_endpoints": proxy.endpoint, "datastore_timeout": CLIENT_TIMEOUT,
                                     "name": "lost-answer", "cidr": "198.19.0.0/16"})
    assert proxy.lost.is_set()
    assert not r.failed and r["changed"], r
    assert proxy.writes_forwarded == 1 and EtcdKV(etcd.endpoint).revision() == rev + 1
    assert raw(model.resource_key("IPPool", "lost-answer"))["spec"]["cidr"] == "198.19.0.0/16"
    again = run_module("calico_ippool", {"etcd_endpoints": etcd.endpoint, "name": "lost-answer",
                                         "cidr": "198.19.0.0/16"})
    assert not again.failed and not again["changed"]
