"""calico_mtu on a real host in a network namespace: a veth at MTU 9001 (AWS jumbo frames), a
VXLAN device and a down link, addresses only in 198.18.0.0/15. The module runs as Ansible runs it
on a host (its own process, inside the namespace) and must report what Felix would detect and the
MTUs Calico would compute."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid

import pytest

from conftest import COLLECTIONS

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("ip"),
                                reason="needs root and iproute2 to create network namespaces")


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


def run_in(ns: str, args: dict, tmp_path) -> dict:
    """The module in its own process inside ``ns``, with Ansible's args file, as on a host."""
    path = tmp_path / f"args-{uuid.uuid4().hex[:6]}.json"
    path.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    env = dict(os.environ, PYTHONPATH=str(COLLECTIONS))
    out = subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-m",
                          "ansible_collections.netops.calico.plugins.modules.calico_mtu", str(path)],
                         capture_output=True, text=True, env=env, timeout=60, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout)


def python_in(ns: str, code: str) -> object:
    env = dict(os.environ, PYTHONPATH=str(COLLECTIONS))
    out = subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=60, check=True)
    return json.loads(out.stdout)


@pytest.fixture()
def jumbo_ns():
    """ns: eth0 (veth, MTU 9001, up, 198.18.0.1/24) whose peer sits in a second namespace;
    vxlan.calico (MTU 8951, up) on eth0; eth1 (veth, MTU 1400, down) with its peer x-eth1 (the
    kernel here has no dummy links)."""
    tag = uuid.uuid4().hex[:6]
    ns, peer = f"cmtu-{tag}", f"cmtu-{tag}-p"
    try:
        ip("netns", "add", ns)
        ip("netns", "add", peer)
        ip("-n", ns, "link", "set", "lo", "up")
        ip("-n", ns, "link", "add", "eth0", "mtu", "9001", "type", "veth", "peer", "name", "eth0", "netns", peer)
        ip("-n", peer, "link", "set", "eth0", "up")
        ip("-n", peer, "addr", "add", "198.18.0.2/24", "dev", "eth0")
        ip("-n", ns, "addr", "add", "198.18.0.1/24", "dev", "eth0")
        ip("-n", ns, "link", "set", "eth0", "up")
        ip("-n", ns, "link", "add", "vxlan.calico", "mtu", "8951", "type", "vxlan", "id", "4096", "dstport", "4789",
           "local", "198.18.0.1", "dev", "eth0")
        ip("-n", ns, "link", "set", "vxlan.calico", "up")
        ip("-n", ns, "link", "add", "eth1", "mtu", "1400", "type", "veth", "peer", "name", "x-eth1", "mtu", "1400")
        yield ns
    finally:
        for name in (ns, peer):
            subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)


def test_detects_jumbo_mtu_and_computes_tunnels(jumbo_ns, tmp_path):
    r = run_in(jumbo_ns, {"encapsulations": ["ipip"]}, tmp_path)
    assert r["changed"] is False and r["source"] == "netlink"
    assert r["host_mtu"] == 9001 and r["fallback"] is False and r["used_interfaces"] == ["eth0"]
    seen = {i["name"]: i for i in r["interfaces"]}
    assert seen["eth0"] == {"name": "eth0", "mtu": 9001, "up": True, "matched": True}
    assert seen["eth1"] == {"name": "eth1", "mtu": 1400, "up": False, "matched": True}      # down: ignored
    assert seen["vxlan.calico"]["up"] is True and seen["vxlan.calico"]["matched"] is False  # not a NIC
    assert r["mtu"] == {"ipip": 8981, "vxlan": 8951, "vxlan_v6": 8931, "wireguard": 8941, "wireguard_v6": 8921,
                        "veth": 8981}
    assert run_in(jumbo_ns, {"encapsulations": ["vxlan"]}, tmp_path)["mtu"]["veth"] == 8951
    assert run_in(jumbo_ns, {"encapsulations": ["ipip", "wireguard"]}, tmp_path)["mtu"]["veth"] == 8941
    assert run_in(jumbo_ns, {}, tmp_path)["mtu"]["veth"] == 9001
    explicit = run_in(jumbo_ns, {"mtu": 1400, "encapsulations": ["vxlan"]}, tmp_path)
    assert explicit["host_mtu"] == 9001 and set(explicit["mtu"].values()) == {1400}


def test_up_link_lowers_the_host_mtu(jumbo_ns, tmp_path):
    ip("-n", jumbo_ns, "link", "set", "x-eth1", "up")
    ip("-n", jumbo_ns, "link", "set", "eth1", "up")          # both ends up: carrier, IFF_RUNNING
    r = run_in(jumbo_ns, {"encapsulations": ["vxlan"]}, tmp_path)
    assert r["host_mtu"] == 1400 and sorted(r["used_interfaces"]) == ["eth0", "eth1"]
    assert r["mtu"]["vxlan"] == 1350 and r["mtu"]["veth"] == 1350
    custom = run_in(jumbo_ns, {"mtu_iface_pattern": "^eth0$"}, tmp_path)
    assert custom["host_mtu"] == 9001


def test_netlink_and_sysfs_agree(jumbo_ns):
    code = ("import json; from ansible_collections.netops.calico.plugins.module_utils._node import mtu as _mtu; "
            "nl, _ = _mtu.read_links(); fs = _mtu.read_links_sysfs(); "
            "print(json.dumps([sorted((l.name, l.mtu, l.oper_up) for l in x) for x in (nl, fs)]))")
    netlink, sysfs = python_in(jumbo_ns, code)
    assert netlink == sysfs
    assert ["eth0", 9001, True] in netlink


def test_no_matching_link_falls_back_to_1460(tmp_path):
    ns = f"cmtu-{uuid.uuid4().hex[:6]}"
    try:
        ip("netns", "add", ns)
        ip("-n", ns, "link", "set", "lo", "up")
        ip("-n", ns, "link", "add", "bond9", "mtu", "9000", "type", "veth", "peer", "name", "bond9p", "mtu", "9000")
        ip("-n", ns, "link", "set", "bond9p", "up")
        ip("-n", ns, "link", "set", "bond9", "up")
        r = run_in(ns, {"encapsulations": ["ipip"]}, tmp_path)
        assert r["host_mtu"] == 1460 and r["fallback"] is True and r["used_interfaces"] == []
        assert r["mtu"]["ipip"] == 1440 and r["mtu"]["veth"] == 1440
        assert any("fallback" in (w["event"]["msg"] if isinstance(w, dict) else w) for w in r["warnings"])
        r = run_in(ns, {"mtu_iface_pattern": "^bond"}, tmp_path)
        assert r["host_mtu"] == 9000 and r["fallback"] is False
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)
