"""playbooks/decommission.yml through ansible-playbook against a real etcd: --check plans without
writing, a run purges the dead nodes, a second run changes nothing."""

from __future__ import annotations

import json
import re

from calico_fixture import CalicoFixture, check_leaks, snapshot
from ansible_collections.netops.calico.plugins.module_utils._datastore.etcd import EtcdKV

from conftest import run_playbook


def _play(etcd, *extra):
    p = run_playbook("decommission.yml", etcd, *extra)
    m = re.search(r"localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)", p.stdout)
    assert m, p.stdout[-3000:] + p.stderr[-3000:]
    return int(m.group(2)), int(m.group(3)), p.stdout


def test_decommission_playbook(etcd):
    kv = EtcdKV(etcd.endpoint)
    f = CalicoFixture()
    for i in range(6):
        f.add_node(f"n{i}", i, vxlan_v6=True, bgp_config=True, peers=1, heps=1)
    f.write(kv)
    before = snapshot(kv)
    keep = json.dumps({"calico_decommission_keep": [f"n{i}" for i in range(5)]})

    changed, failed, out = _play(etcd, "--check", "-e", keep)
    assert failed == 0 and "n5" in out, out
    assert snapshot(kv) == before

    changed, failed, out = _play(etcd, "-e", keep)
    assert failed == 0 and changed == 1, out
    assert not [k for k in f.keys_of("n5") if kv.get(k) is not None]
    assert check_leaks(kv)["ok"]

    changed, failed, out = _play(etcd, "-e", keep)
    assert failed == 0 and changed == 0, out

    changed, failed, out = _play(etcd, "-e", json.dumps({"calico_decommission_keep": ["n0"]}))
    assert failed == 1 and "max_fraction" in out
