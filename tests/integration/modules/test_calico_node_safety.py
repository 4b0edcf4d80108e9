"""calico_node refuses values that would break out of their line in calico.env or the systemd unit,
before writing anything to a real etcd (the host part is not run here: it must not touch this machine)."""

from __future__ import annotations

import pytest

from ansible_collections.netops.calico.plugins.module_utils._datastore.etcd import EtcdKV
from test_calico_node import args


@pytest.mark.parametrize("kw, option", [
    ({"image": "quay.io/calico/node:v3.31.7\nExecStartPost=/bin/sh -c id"}, "image"),
    ({"env": {"FELIX_LOGSEVERITYSCREEN": "info\nETCD_ENDPOINTS=http://198.18.0.66:2379"}}, "env"),
    ({"etcd_key_file": "/etc/calico/key.pem\nExecStartPost=/bin/true"}, "etcd_key_file"),
])
def test_control_characters_are_refused_before_any_write(etcd, raw, run_module, kw, option):
    rev = EtcdKV(etcd.endpoint).revision()
    r = run_module("calico_node", args(etcd, **kw))
    assert r.failed and f"{option}:" in r["msg"] and "nothing was done" in r["msg"], r
    assert EtcdKV(etcd.endpoint).revision() == rev and raw.keys() == []
