"""The calico_route_reflector role end to end, with real BGP: ansible-playbook runs the role on
seven inventory hosts (local connection) whose calico-node BIRD sockets are the bird2 speakers of
bgp_lab (network namespaces). A calico-node stand-in thread watches the datastore and reconfigures
each speaker the way confd would, so the role's waits see the sessions calico-node would bring up.
A netlink monitor in every client's namespace records any block route deleted during the runs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bgp_lab import BLOCKS, REFLECTORS, SPEAKERS, Lab, RouteWatch, seed, wait_routes
from conftest import COLLECTIONS, REPO

from ansible_collections.netops.calico.plugins.module_utils._datastore.etcd import EtcdBackend, EtcdKV

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("bird") or not shutil.which("ip"),
                                reason="needs root, bird2 and iproute2 (network namespaces)")

PLAYBOOK = """
- name: Calico route reflectors
  hosts: calico_nodes
  gather_facts: false
  module_defaults:
    group/netops.calico.datastore:
      etcd_endpoints: "{{ test_etcd }}"
  tasks:
    - name: The role
      ansible.builtin.include_role:
        name: netops.calico.calico_route_reflector
"""


class CalicoNodes(threading.Thread):
    """calico-node's confd on every speaker: poll the datastore, reconfigure on change."""

    def __init__(self, lab: Lab, endpoint: str) -> None:
        super().__init__(daemon=True)
        self.lab = lab
        self.ds = EtcdBackend(EtcdKV(endpoint))
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.wait(0.2):
                self.lab.reconcile(self.ds)
        except BaseException as exc:      # reported by the test
            self.error = exc


def _playbook(tmp: Path, lab: Lab, etcd: str, *extra: str) -> subprocess.CompletedProcess:
    hosts = {name: {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                    "calico_route_reflector_bird_socket": str(sp.ctl)} for name, sp in lab.speakers.items()}
    inventory = {"all": {"vars": {"test_etcd": etcd, "calico_route_reflector_wait_timeout": 60,
                                  "calico_route_reflector_wait_interval": 1,
                                  "calico_route_reflector_datastore_host": "s1"},
                         "children": {"calico_nodes": {"hosts": hosts},
                                      "calico_rr": {"hosts": {r: {} for r in REFLECTORS}}}}}
    (tmp / "inventory.json").write_text(json.dumps(inventory))
    (tmp / "site.yml").write_text(PLAYBOOK)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(tmp / "inventory.json"),
           str(tmp / "site.yml"), *extra]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, cwd=REPO, check=False)


def _recap(out: str) -> dict[str, int]:
    """changed= per host from PLAY RECAP."""
    res = {}
    for line in out.split("PLAY RECAP", 1)[1].splitlines():
        if ":" in line and "changed=" in line:
            host = line.split(":", 1)[0].strip()
            res[host] = int(line.split("changed=", 1)[1].split()[0])
    return res


def test_role_switches_to_reflectors_and_back_without_losing_a_route(etcd, tmp_path):
    ds = EtcdBackend(EtcdKV(etcd.endpoint))
    seed(ds)
    lab = Lab({**SPEAKERS, **REFLECTORS})
    watches: dict[str, RouteWatch] = {}
    nodes = None
    try:
        lab.up()
        watches = {sp: RouteWatch(lab.speakers[sp].ns) for sp in SPEAKERS}
        lab.reconcile(ds)
        for name in lab.speakers:
            lab.wait_socket(name)
        assert wait_routes(lab, {sp: 4 for sp in SPEAKERS}) == {sp: 4 for sp in SPEAKERS}
        nodes = CalicoNodes(lab, etcd.endpoint)
        nodes.start()

        before = (ds.list("BGPPeer"), ds.list("Node"), ds.get("BGPConfiguration", "default"))
        check = _playbook(tmp_path, lab, etcd.endpoint, "--check", "--diff")
        assert check.returncode == 0, check.stdout[-4000:] + check.stderr[-2000:]
        assert 'full_mesh: 21' in check.stdout and 'reflector_design: 11' in check.stdout, check.stdout[-8000:]
        assert "nodeToNodeMeshEnabled false" in check.stdout
        assert (ds.list("BGPPeer"), ds.list("Node"), ds.get("BGPConfiguration", "default")) == before

        run = _playbook(tmp_path, lab, etcd.endpoint)
        assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
        assert ds.get("BGPConfiguration", "default")["spec"]["nodeToNodeMeshEnabled"] is False
        for sp in SPEAKERS:
            with lab.control(sp) as ctl:
                assert sorted(p.name for p in ctl.protocols() if p.proto == "BGP" and p.established) == [
                    "Node_198_18_0_11", "Node_198_18_0_12"]
        assert {sp: len(lab.routes(sp)) for sp in SPEAKERS} == {sp: 4 for sp in SPEAKERS}

        again = _playbook(tmp_path, lab, etcd.endpoint)
        assert again.returncode == 0, again.stdout[-4000:]
        assert set(_recap(again.stdout).values()) == {0}, again.stdout[-3000:]

        back = _playbook(tmp_path, lab, etcd.endpoint, "-e", "calico_route_reflector_target=mesh")
        assert back.returncode == 0, back.stdout[-6000:] + back.stderr[-2000:]
        assert ds.list("BGPPeer") == []
        with lab.control("s1") as ctl:
            assert len([p for p in ctl.protocols() if p.proto == "BGP" and p.established]) == 6
        assert {sp: len(lab.routes(sp)) for sp in SPEAKERS} == {sp: 4 for sp in SPEAKERS}

        nodes.stop.set()
        nodes.join(10)
        assert nodes.error is None, repr(nodes.error)
        deleted = {sp: w.stop() for sp, w in watches.items()}
        added = {sp: sorted(set(w.added)) for sp, w in watches.items()}
        watches = {}
        assert added == {sp: sorted(b for o, b in BLOCKS.items() if o != sp) for sp in SPEAKERS}, added
        assert deleted == {sp: [] for sp in SPEAKERS}
    finally:
        if nodes is not None:
            nodes.stop.set()
            nodes.join(10)
        for w in watches.values():
            w.stop()
        lab.close()
