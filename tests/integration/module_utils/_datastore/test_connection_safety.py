"""The datastore connection refuses an etcd client key that every local user can read, as ssh
refuses an unprotected private key (group access is allowed: etcd keys are shared with a group)."""

from __future__ import annotations

import shutil

import pytest

from ansible_collections.netops.calico.plugins.module_utils._datastore.connection import connect
from test_etcd import tls_etcd  # noqa: F401  # pylint: disable=unused-import


def _conn(srv, pki, key):
    return {"etcd_endpoints": srv.endpoint, "etcd_ca_cert_file": pki["ca"], "etcd_cert_file": pki["client_cert"],
            "etcd_key_file": key}


@pytest.mark.parametrize("mode", [0o644, 0o604, 0o666, 0o602])
def test_world_accessible_key_is_refused_before_anything_is_written(tls_etcd, run_module, tmp_path, mode):  # noqa: F811
    srv, pki, _other = tls_etcd
    key = tmp_path / "client-key.pem"
    shutil.copy(pki["client_key"], key)
    key.chmod(mode)
    good = connect(_conn(srv, pki, pki["client_key"]))
    rev = good.kv.revision()
    r = run_module("calico_ippool", {**_conn(srv, pki, str(key)), "name": "open-key", "cidr": "198.19.0.0/16"})
    assert r.failed and "etcd_key_file" in r["msg"] and f"{mode:04o}" in r["msg"] and "chmod 0600" in r["msg"], r
    assert good.kv.revision() == rev and good.get("IPPool", "open-key") is None


@pytest.mark.parametrize("mode, cidr", [(0o600, "198.19.1.0/24"), (0o640, "198.19.2.0/24"), (0o400, "198.19.3.0/24")])
def test_owner_or_group_only_key_is_used(tls_etcd, run_module, tmp_path, mode, cidr):  # noqa: F811
    srv, pki, _other = tls_etcd
    key = tmp_path / "client-key.pem"
    shutil.copy(pki["client_key"], key)
    key.chmod(mode)
    name = f"key-{mode:o}"
    r = run_module("calico_ippool", {**_conn(srv, pki, str(key)), "name": name, "cidr": cidr})
    assert not r.failed and r["changed"], r
    connect(_conn(srv, pki, pki["client_key"])).delete("IPPool", name, r["ippool"]["metadata"]["resourceVersion"])
