"""The main job, playbooks/site.yml, through ansible-playbook against a real etcd: the first run
configures the datastore, the second changes nothing, and check mode on a changed inventory
reports the change without writing it."""

from __future__ import annotations

import json
import re

from conftest import run_playbook


def _play(etcd, *extra):
    p = run_playbook("site.yml", etcd, *extra)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    m = re.search(r"localhost\s*:\s*ok=(\d+)\s+changed=(\d+)", p.stdout)
    return int(m.group(2)), p.stdout


def test_site_converges_then_is_idempotent(etcd, raw):
    changed, _x = _play(etcd)
    assert changed >= 4
    pool = raw("/calico/resources/v3/projectcalico.org/ippools/default-ipv4-ippool")
    assert pool["spec"]["ipipMode"] == "CrossSubnet" and pool["spec"]["natOutgoing"] is True
    assert raw("/calico/resources/v3/projectcalico.org/bgppeers/lab-tor")["spec"]["peerIP"] == "198.18.0.254"
    before = {k: raw.bytes(k) for k in raw.keys()}

    changed, _x = _play(etcd)
    assert changed == 0
    changed, out = _play(etcd, "--check", "--diff", "-e", json.dumps({"calico_bgp_as_number": 64600}))
    assert changed == 1 and "64600" in out
    assert {k: raw.bytes(k) for k in raw.keys()} == before
