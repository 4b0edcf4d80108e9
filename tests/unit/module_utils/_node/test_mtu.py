"""_mtu: Felix's host-MTU detection rule and the tunnel/pod MTU arithmetic
(felix/dataplane/linux/int_dataplane.go findHostMTU, ConfigureDefaultMTUs, determinePodMTU)."""

from __future__ import annotations

import pytest

from ansible_collections.netops.calico.plugins.module_utils._node import mtu as _mtu
from ansible_collections.netops.calico.plugins.module_utils._node.mtu import Link

# host MTU -> (ipip, vxlan, vxlan_v6, wireguard, wireguard_v6)
VECTORS = [
    (9001, (8981, 8951, 8931, 8941, 8921)),      # AWS jumbo frames (Calico docs: 8981 / 8951 / 8941)
    (1500, (1480, 1450, 1430, 1440, 1420)),      # Ethernet
    (1460, (1440, 1410, 1390, 1400, 1380)),      # GCE, and Felix's fallback
    (1450, (1430, 1400, 1380, 1390, 1370)),      # OpenStack VXLAN tenant networks
    (9000, (8980, 8950, 8930, 8940, 8920)),      # on-prem jumbo
    (1400, (1380, 1350, 1330, 1340, 1320)),
]


@pytest.mark.parametrize("host,want", VECTORS)
def test_tunnel_mtus(host, want):
    t = _mtu.tunnel_mtus(host)
    assert (t["ipip"], t["vxlan"], t["vxlan_v6"], t["wireguard"], t["wireguard_v6"]) == want


def test_aws_jumbo_documented_values():
    t = _mtu.compute(9001, None, ["ipip"])
    assert (t["ipip"], t["vxlan"], t["wireguard"]) == (8981, 8951, 8941)


@pytest.mark.parametrize("host,mtu,enabled,veth", [
    (9001, None, ["ipip"], 8981),
    (9001, None, ["vxlan"], 8951),
    (9001, None, ["wireguard"], 8941),
    (9001, None, ["vxlan_v6"], 8931),
    (9001, None, ["ipip", "vxlan"], 8951),          # during a migration both are on: the smaller wins
    (9001, None, ["ipip", "wireguard"], 8941),
    (9001, None, ["vxlan", "vxlan_v6", "wireguard", "wireguard_v6"], 8921),
    (9001, None, [], 9001),                          # no encapsulation: the host MTU
    (1500, None, ["ipip"], 1480),
    (9001, 1400, ["ipip", "vxlan"], 1400),           # explicit mtu: every tunnel and pods the same (kOps)
    (None, 1440, ["vxlan"], 1440),
    (None, None, ["ipip"], 0),                        # nothing known: calico-node auto-detects
    (None, None, [], 0),
])
def test_compute(host, mtu, enabled, veth):
    out = _mtu.compute(host, mtu, enabled)
    assert out["veth"] == veth
    assert set(out) == {"ipip", "vxlan", "vxlan_v6", "wireguard", "wireguard_v6", "veth"}
    if mtu:
        assert all(out[e] == mtu for e in _mtu.ENCAPSULATIONS)
    elif not host:
        assert all(out[e] is None for e in _mtu.ENCAPSULATIONS)


def test_compute_unknown_encapsulation():
    with pytest.raises(ValueError):
        _mtu.compute(1500, None, ["gre"])


def test_felix_fields():
    assert _mtu.felix_mtu_fields(_mtu.tunnel_mtus(1500)) == {
        "ipipMTU": 1480, "vxlanMTU": 1450, "vxlanMTUV6": 1430, "wireguardMTU": 1440, "wireguardMTUV6": 1420}
    assert _mtu.felix_mtu_fields(_mtu.tunnel_mtus()) == {}


@pytest.mark.parametrize("name,matches", [
    ("eth0", True), ("eth1.100", True), ("ens5", True), ("enp0s3", True), ("eno1", True), ("enP2p1s0", True),
    ("enx001122334455", True), ("ens33v1", True), ("enc600", True), ("wlan0", True), ("wlp2s0", True),
    ("wwan0", True), ("wwp0s20", True), ("slc0", True), ("ib0", False), ("ibp1s0", True),
    ("lo", False), ("docker0", False), ("cali1234", False), ("tunl0", False), ("vxlan.calico", False),
    ("vxlan-v6.calico", False), ("wireguard.cali", False), ("bond0", False), ("br0", False), ("veth12", False),
    ("enb0", False), ("em1", False),
])
def test_default_pattern(name, matches):
    assert _mtu.host_mtu([Link(name, 1234, True)])[0] == (1234 if matches else 1460)


@pytest.mark.parametrize("links,want", [
    ([Link("eth0", 9001, True)], (9001, ["eth0"], False)),
    ([Link("eth0", 9001, True), Link("eth1", 1500, True)], (1500, ["eth0", "eth1"], False)),
    ([Link("eth0", 9001, True), Link("eth1", 1500, False)], (9001, ["eth0"], False)),    # down: skipped
    ([Link("eth0", 9001, True), Link("vxlan.calico", 8951, True), Link("lo", 65536, True)],
     (9001, ["eth0"], False)),                                                          # not matching
    ([Link("lo", 65536, True), Link("docker0", 1500, True)], (1460, [], True)),        # fallback
    ([], (1460, [], True)),
    ([Link("eth0", 1500, False)], (1460, [], True)),
])
def test_host_mtu(links, want):
    assert _mtu.host_mtu(links) == want


def test_host_mtu_custom_pattern():
    links = [Link("bond0", 9000, True), Link("eth0", 1500, True)]
    assert _mtu.host_mtu(links, r"^bond")[0] == 9000


def test_sysfs_reader(tmp_path):
    def link(name, mtu, flags, oper):
        d = tmp_path / name
        d.mkdir()
        (d / "mtu").write_text(f"{mtu}\n")
        (d / "flags").write_text(f"{flags:#x}\n")
        (d / "operstate").write_text(f"{oper}\n")
    link("eth0", 9001, 0x1003, "up")
    link("eth1", 1400, 0x1002, "down")        # admin down
    link("eth2", 1300, 0x1003, "down")        # admin up, no carrier
    link("lo", 65536, 0x9, "unknown")          # up, operstate unknown counts as running
    (tmp_path / "broken").mkdir()
    links = _mtu.read_links_sysfs(str(tmp_path))
    assert links == [Link("eth0", 9001, True), Link("eth1", 1400, False), Link("eth2", 1300, False),
                     Link("lo", 65536, True)]
    assert _mtu.host_mtu(links) == (9001, ["eth0"], False)


def test_read_links_here():
    links, source = _mtu.read_links()
    assert source == "netlink"
    assert any(link.name == "lo" for link in links)


@pytest.mark.parametrize("host,mtu,enabled,n", [
    (1500, 1480, ["ipip"], 0), (1500, 1481, ["ipip"], 1), (1500, 1480, ["ipip", "vxlan"], 1),
    (None, 9000, ["ipip"], 0), (1500, None, ["ipip"], 0),
])
def test_mtu_warnings(host, mtu, enabled, n):
    assert len(_mtu.mtu_warnings(host, mtu, enabled)) == n


# --- a run over a subset of hosts never raises the cluster MTU --------------------------------

def test_held_host_mtu_is_the_smallest_field_plus_its_overhead():
    assert _mtu.held_host_mtu({"ipipMTU": 1480, "vxlanMTU": 1450, "wireguardMTU": 1440}) == 1500
    assert _mtu.held_host_mtu({"ipipMTU": 1480, "vxlanMTU": 1400}) == 1450
    assert _mtu.held_host_mtu({"logSeverityScreen": "Info"}) is None
    assert _mtu.held_host_mtu({"ipipMTU": 0, "vxlanMTU": True}) is None


@pytest.mark.parametrize("host, measured, nodes, want, warned", [
    (9001, ["a", "b"], ["a", "b", "c"], 1500, "Node(s) in the datastore (c)"),  # c not measured: keep
    (9001, ["a", "b", "c"], ["a", "b", "c"], 9001, None),  # every Node measured, no other host: may rise
    # a host with no Node yet: what is held may come from a concurrent slice whose Nodes are not
    # written yet (AWX job slices on a new cluster)
    (9001, ["a"], [], 1500, "no Node yet (a;"),
    (9001, ["a", "b"], ["a"], 1500, "no Node yet (b;"),
    (1400, ["a"], ["a", "b"], 1400, None),                 # lowering always applies
    (1400, ["a"], [], 1400, None),
    (9001, None, ["a", "b"], 9001, None),                  # not asked: applied as given
])
def test_clamp_host_mtu(host, measured, nodes, want, warned):
    held = {"ipipMTU": 1480, "vxlanMTU": 1450}
    got, warning = _mtu.clamp_host_mtu(host, held, measured, nodes)
    assert got == want
    assert bool(warning) is bool(warned)
    if warned:
        assert warned in warning and "keeping the host MTU 1500" in warning


def test_clamp_without_anything_held():
    assert _mtu.clamp_host_mtu(9001, {}, ["a"], ["a", "b"]) == (9001, None)
