"""playbooks/decommission.yml through ansible-playbook against a real etcd: --check plans without
writing, a run purges the dead nodes, a second run changes nothing."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from calico_fixture import CalicoFixture, check_leaks, snapshot
from ansible_collections.netops.calico.plugins.module_utils._datastore.etcd import EtcdKV

REPO = Path(__file__).resolve().parents[2]


def _play(etcd, *extra):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".build" / "collections"),
               ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(REPO / "playbooks/inventory/lab.yml"),
           str(REPO / "playbooks/decommission.yml"), "-e", f"calico_etcd_endpoints={etcd.endpoint}", *extra]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, cwd=REPO, check=False)
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
