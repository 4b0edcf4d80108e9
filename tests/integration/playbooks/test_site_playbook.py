"""playbooks/site.yml stops at validation, on the controller, before any host or the datastore is
touched: the hosts of this inventory do not exist (podman containers that were never created), so
any task run on them would fail as unreachable, and the test's etcd revision must not move.

The full converge of site.yml on real test hosts is in molecule (molecule/default, vxlan, ...) and
in the lab (bash scripts/lab.sh)."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from conftest import run_playbook

HOSTS = ("site-test-ghost-1", "site-test-ghost-2", "site-test-ghost-3")


@pytest.fixture
def ghost_inventory(tmp_path):
    inv = {"all": {"children": {"calico_nodes": {
        "hosts": {h: None for h in HOSTS},
        "vars": {"ansible_connection": "containers.podman.podman"}}}}}
    path = tmp_path / "ghosts.yml"
    path.write_text(yaml.safe_dump(inv))
    return str(path)


def revision(etcd):
    from ansible_collections.netops.calico.plugins.module_utils._datastore.etcd import EtcdKV
    return EtcdKV(etcd.endpoint).revision()


@pytest.mark.parametrize("extra, field", [
    ({"calico_networking": {"encapsulationMode": "gre"}},
     'calico.encapsulationMode: Unsupported value: "gre"'),
    ({"calico_networking": {"mtu": 100000}}, "calico.mtu: Invalid value: 100000"),
    ({"calico_networking": {"encapsulationMode": "vxlan", "ipipMode": "Always"}}, "calico.ipipMode: Forbidden"),
    ({"calico_networking": {"encapsulatonMode": "vxlan"}}, "encapsulatonMode"),
    ({"calico_ippools": [{"name": "extra", "cidr": "198.19.0.0/16", "nat_outgoin": True}]}, "nat_outgoin"),
])
def test_an_invalid_spec_stops_the_play_before_anything_is_touched(etcd, ghost_inventory, extra, field):
    before = revision(etcd)
    p = run_playbook("site.yml", etcd, "-e", json.dumps(extra), inventory=ghost_inventory)
    out = p.stdout + p.stderr
    assert p.returncode != 0, out[-3000:]
    assert field in out, out[-3000:]
    assert "UNREACHABLE" not in out and not re.search(r"unreachable=[1-9]", out), out[-3000:]
    assert revision(etcd) == before
