"""confd's peerings from Node/BGPPeer/BGPConfiguration, checked against Calico's own confd test
case (confd/tests/mock_data/calicoctl/explicit_peering/route_reflector/input.yaml ->
compiled_templates/explicit_peering/route_reflector/bird.cfg), the mesh rules, and selectors."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from ansible_collections.netops.calico.plugins.module_utils._bgp import confd, selector


def node(name, ip, labels=None, rr=None, asn=None):
    bgp = {"ipv4Address": f"{ip}/16"}
    if rr:
        bgp["routeReflectorClusterID"] = rr
    if asn:
        bgp["asNumber"] = asn
    return {"kind": "Node", "metadata": {"name": name, "labels": labels or {}}, "spec": {"bgp": bgp}}


def peer(name, **spec):
    return {"kind": "BGPPeer", "metadata": {"name": name}, "spec": spec}


# Calico's confd test input (explicit_peering/route_reflector), IPv4 part
CALICO_NODES = [node("kube-master", "10.192.0.2", {"routeReflector": "true"}, rr="10.0.0.1"),
                node("kube-node-1", "10.192.0.3"), node("kube-node-2", "10.192.0.4")]
CALICO_PEERS = [peer("bgppeer-1", peerIP="172.19.4.87", asNumber=64533, nodeSelector="has(routeReflector)"),
                peer("bgppeer-v6", peerIP="[ac13::57]:50", asNumber=64533, nodeSelector="has(routeReflector)"),
                peer("bgppeer-other-nodes", nodeSelector="has(routeReflector)", peerSelector="!has(routeReflector)")]
CALICO_CONFIG = {"kind": "BGPConfiguration", "metadata": {"name": "default"},
                 "spec": {"asNumber": 64532, "nodeToNodeMeshEnabled": False}}


def test_route_reflector_case_matches_calicos_compiled_bird_cfg():
    cfg = confd.node_config("kube-master", CALICO_NODES, CALICO_PEERS, CALICO_CONFIG)
    assert cfg.router_id == "10.192.0.2" and cfg.asn == 64532
    assert cfg.peerings == [
        confd.Peering("Node_10_192_0_3", "node", "10.192.0.3", 64532, source="10.192.0.2", rr_client=True,
                      rr_cluster_id="10.0.0.1"),
        confd.Peering("Node_10_192_0_4", "node", "10.192.0.4", 64532, source="10.192.0.2", rr_client=True,
                      rr_cluster_id="10.0.0.1"),
        confd.Peering("Node_172_19_4_87", "node", "172.19.4.87", 64533, source="10.192.0.2"),
    ]


def test_reverse_peering_gives_clients_the_reflector():
    cfg = confd.node_config("kube-node-1", CALICO_NODES, CALICO_PEERS, CALICO_CONFIG)
    assert [(p.name, p.rr_client) for p in cfg.peerings] == [("Node_10_192_0_2", False)]


def test_mesh_skips_reflectors_and_is_passive_towards_higher_ips():
    nodes = [node("a", "198.18.0.1"), node("b", "198.18.0.2"), node("c", "198.18.0.11"),
             node("r", "198.18.0.20", rr="244.0.0.1")]
    cfg = confd.node_config("b", nodes, [], None)
    # string order, as confd compares: "198.18.0.11" < "198.18.0.2"
    assert [(p.name, p.passive) for p in cfg.peerings] == [("Mesh_198_18_0_1", False), ("Mesh_198_18_0_11", False)]
    assert cfg.asn == 64512
    assert confd.node_config("r", nodes, [], None).peerings == []
    off = {"spec": {"nodeToNodeMeshEnabled": False}}
    assert confd.node_config("a", nodes, [], off).peerings == []


def test_global_peer_and_node_specific_duplicate_is_dropped():
    nodes = [node("a", "198.18.0.1"), node("b", "198.18.0.2")]
    peers = [peer("tor", peerIP="198.18.0.254", asNumber=64513),
             peer("tor-a", node="a", peerIP="198.18.0.254", asNumber=64513)]
    cfg = confd.node_config("a", nodes, peers, {"spec": {"nodeToNodeMeshEnabled": False}})
    assert [(p.name, p.asn, p.passive) for p in cfg.peerings] == [("Global_198_18_0_254", 64513, False)]


def test_global_peer_to_a_calico_node_is_passive_from_the_lower_ip():
    nodes = [node("a", "198.18.0.1"), node("b", "198.18.0.2")]
    peers = [peer("to-b", peerIP="198.18.0.2")]
    off = {"spec": {"nodeToNodeMeshEnabled": False}}
    assert [(p.name, p.passive) for p in confd.node_config("a", nodes, peers, off).peerings] == [
        ("Global_198_18_0_2", True)]


def test_sessions_and_counts():
    nodes = [node(f"n{i}", f"198.18.0.{i}") for i in range(1, 6)]
    by_node = confd.sessions_by_node(nodes, [], None)
    ips = {f"n{i}": f"198.18.0.{i}" for i in range(1, 6)}
    assert confd.count_sessions(by_node, ips) == 10


def test_unknown_node_is_an_error():
    with pytest.raises(ValueError, match="no Calico Node"):
        confd.node_config("ghost", CALICO_NODES, [], None)


@pytest.mark.skipif(not shutil.which("bird"), reason="bird2 not installed")
def test_rendering_is_valid_bird2(tmp_path):
    cfg = confd.node_config("kube-master", CALICO_NODES, CALICO_PEERS, CALICO_CONFIG,
                            pools=[{"spec": {"cidr": "192.168.0.0/16"}}], blocks=["192.168.1.0/26"])
    text = confd.render_bird2(cfg, confd.Timers(1, 1, (1, 5), 9, 3))
    assert "protocol bgp Node_10_192_0_3 from bgp_template" in text and "rr cluster id 10.0.0.1;" in text
    path = tmp_path / "bird.conf"
    path.write_text(text)
    res = subprocess.run(["bird", "-p", "-c", str(path)], capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr


@pytest.mark.parametrize("sel, labels, want", [
    ("all()", {}, True),
    ("", {"a": "b"}, True),
    ("has(route-reflector)", {"route-reflector": "true"}, True),
    ("!has(route-reflector)", {"route-reflector": "true"}, False),
    ("route-reflector == 'true'", {"route-reflector": "true"}, True),
    ("route-reflector == 'true'", {}, False),
    ("route-reflector != 'true'", {}, True),
    ("route-reflector != 'true'", {"route-reflector": "true"}, False),
    ("zone in {'a', 'b'}", {"zone": "b"}, True),
    ("zone not in {'a', 'b'}", {"zone": "c"}, True),
    ("has(x) && (y == \"1\" || !has(z))", {"x": "", "z": ""}, False),
    ("has(x) && (y == \"1\" || !has(z))", {"x": "", "y": "1", "z": ""}, True),
    ("topology.kubernetes.io/zone == 'eu-1a'", {"topology.kubernetes.io/zone": "eu-1a"}, True),
])
def test_selectors(sel, labels, want):
    assert selector.matches(sel, labels) is want


@pytest.mark.parametrize("bad", ["has(", "a ==", "a == b", "a ~ 'b'", "(all()", "all() all()"])
def test_bad_selectors_name_the_selector(bad):
    with pytest.raises(selector.SelectorError, match="selector"):
        selector.parse(bad)
