"""The etcdv3 backend against real etcd: guarded writes, paging, failover, TLS, retries."""

from __future__ import annotations

import json
import threading

import pytest

from ansible_collections.netops.calico.plugins.module_utils._datastore import model
from ansible_collections.netops.calico.plugins.module_utils._datastore.connection import connect
from ansible_collections.netops.calico.plugins.module_utils._datastore.errors import (
    AlreadyExistsError, ConflictError, DatastoreTLSError, DatastoreUnavailable, NotFoundError)
from ansible_collections.netops.calico.plugins.module_utils._datastore.etcd import EtcdBackend, EtcdKV, Write

from conftest import EtcdServer, free_port
from tlsutil import make_pki


def _pool(name, cidr="198.19.0.0/16"):
    return {"kind": "IPPool", "metadata": {"name": name}, "spec": {"cidr": cidr, "blockSize": 26}}


def test_create_get_update_delete_guarded(etcd):
    ds = connect({"etcd_endpoints": etcd.endpoint})
    created = ds.create(_pool("p1"))
    rev = created["metadata"]["resourceVersion"]
    assert created["metadata"]["uid"]
    with pytest.raises(AlreadyExistsError):
        ds.create(_pool("p1"))
    got = ds.get("IPPool", "p1")
    assert got["metadata"]["resourceVersion"] == rev
    got["spec"]["natOutgoing"] = True
    updated = ds.update(got)
    assert int(updated["metadata"]["resourceVersion"]) > int(rev)
    stale = dict(got)
    stale["metadata"] = dict(got["metadata"], resourceVersion=rev)
    with pytest.raises(ConflictError):
        ds.update(stale)
    with pytest.raises(ConflictError):
        ds.delete("IPPool", "p1", rev)
    ds.delete("IPPool", "p1", updated["metadata"]["resourceVersion"])
    assert ds.get("IPPool", "p1") is None
    with pytest.raises(NotFoundError):
        ds.delete("IPPool", "p1", updated["metadata"]["resourceVersion"])


def test_concurrent_updates_one_wins(etcd):
    ds = connect({"etcd_endpoints": etcd.endpoint})
    ds.create(_pool("p1"))
    cur = ds.get("IPPool", "p1")
    results = []

    def writer(flag):
        obj = json.loads(json.dumps(cur))
        obj["spec"]["disabled"] = flag
        try:
            ds.update(obj)
            results.append("ok")
        except ConflictError:
            results.append("conflict")

    threads = [threading.Thread(target=writer, args=(i % 2 == 0,)) for i in range(6)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert results.count("ok") == 1 and results.count("conflict") == 5


def test_paged_range_is_complete_and_consistent(etcd):
    kv = EtcdKV(etcd.endpoint)
    n = 2500
    for i in range(0, n, 100):
        writes = [Write(model.block_key(f"198.19.{(j >> 2) & 255}.{(j & 3) * 64}/26") + f"x{j}", 0, b"{}")
                  for j in range(i, i + 100)]
        assert EtcdBackend(kv).commit(writes).ok
    pages = list(kv.range_pages("/calico/ipam/v2/assignment/", page_size=1000))
    assert [len(p) for p in pages] == [1000, 1000, 500]
    keys = [i.key for i in kv.range("/calico/ipam/v2/assignment/")]
    assert len(keys) == n == len(set(keys))


def test_failover_to_second_endpoint(etcd):
    dead = f"http://127.0.0.1:{free_port()}"
    ds = connect({"etcd_endpoints": f"{dead},{etcd.endpoint}", "datastore_timeout": 2})
    ds.create(_pool("p1"))
    assert ds.get("IPPool", "p1")["spec"]["cidr"] == "198.19.0.0/16"


def test_all_endpoints_down_bounded_and_clear():
    logs = []
    kv = EtcdKV(f"http://127.0.0.1:{free_port()},http://127.0.0.1:{free_port()}", timeout=1, log=logs.append)
    kv.BACKOFF = 0.01
    with pytest.raises(DatastoreUnavailable) as err:
        kv.get("/calico/x")
    assert "No etcd endpoint answered after 3 tries" in str(err.value)
    assert len(logs) == 6  # 3 passes x 2 endpoints, each retry logged


def test_lost_answer_resolved_by_read_back(etcd, monkeypatch):
    """Through the real transport: etcd applies the create, the answer is lost (the connection
    fails after the request went out), call() resends it, the resent compare fails because the
    key now exists, and the read-back finds exactly what we wrote."""
    from etcd3gw import exceptions as etcd_exc
    kv = EtcdKV(etcd.endpoint)
    kv.BACKOFF = 0.01
    client = kv._client(0)
    real = client.post
    lost = []

    def post(url, *args, **kwargs):
        resp = real(url, *args, **kwargs)
        if url.endswith("/kv/txn") and not lost:
            lost.append(url)
            raise etcd_exc.ConnectionFailedError("connection reset after the write")
        return resp

    monkeypatch.setattr(client, "post", post)
    item = kv.create("/calico/resources/v3/projectcalico.org/ippools/p", '{"a":1}')
    assert item.raw == b'{"a":1}'
    assert lost, "the answer to the first transaction was not lost: the test did not reach the transport"


@pytest.fixture(scope="module")
def tls_etcd(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    pki = make_pki(d, "ca")
    other = make_pki(d, "other")
    srv = EtcdServer(tmp_path_factory.mktemp("etcd-tls"), tls=pki)
    srv.start()
    yield srv, pki, other
    srv.stop()


def test_tls_with_client_cert(tls_etcd):
    srv, pki, _x = tls_etcd
    ds = connect({"etcd_endpoints": srv.endpoint, "etcd_ca_cert_file": pki["ca"],
                  "etcd_cert_file": pki["client_cert"], "etcd_key_file": pki["client_key"]})
    ds.create(_pool("tls"))
    assert ds.get("IPPool", "tls")["metadata"]["name"] == "tls"


def test_tls_wrong_ca_is_clear(tls_etcd):
    srv, pki, other = tls_etcd
    with pytest.raises(DatastoreTLSError) as err:
        connect({"etcd_endpoints": srv.endpoint, "etcd_ca_cert_file": other["ca"],
                 "etcd_cert_file": pki["client_cert"], "etcd_key_file": pki["client_key"]}).get("IPPool", "x")
    assert "etcd_ca_cert_file" in str(err.value)


def test_tls_module_wrong_ca_writes_nothing(tls_etcd, run_module):
    srv, pki, other = tls_etcd
    r = run_module("calico_ippool", {"etcd_endpoints": srv.endpoint, "etcd_ca_cert_file": other["ca"],
                                     "etcd_cert_file": pki["client_cert"], "etcd_key_file": pki["client_key"],
                                     "name": "wrongca", "cidr": "198.19.0.0/16"})
    assert r.failed and "TLS to etcd endpoint" in r["msg"]
    good = connect({"etcd_endpoints": srv.endpoint, "etcd_ca_cert_file": pki["ca"],
                    "etcd_cert_file": pki["client_cert"], "etcd_key_file": pki["client_key"]})
    assert good.get("IPPool", "wrongca") is None
