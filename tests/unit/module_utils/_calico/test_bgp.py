"""BGPConfiguration and BGPPeer rules of clientv3 (bgpconfig.go, bgppeer.go) and validator.go."""

from __future__ import annotations

import pytest

from ansible_collections.netops.calico.plugins.module_utils._calico import bgp


def res(kind: str, name: str, **spec) -> dict:
    return {"kind": kind, "metadata": {"name": name}, "spec": spec}


def fields(errors: list[str]) -> list[str]:
    return [e.split(":", 1)[0] for e in errors]


@pytest.mark.parametrize("peer_ip, host", [
    ("198.18.0.1", "198.18.0.1"),
    ("198.18.0.1:179", "198.18.0.1"),
    ("[fd00::1]:179", "fd00::1"),
    ("[FD00::1]:65535", "FD00::1"),
    ("fd00::1", "fd00::1"),
    ("fd00::1:179", "fd00::1:179"),      # no brackets: a bare IPv6 address, as net.ParseIP reads it
    ("[fd00::1]", None),                 # brackets need a port
    ("[fd00::1]:0", None),
    ("[fd00::1]:65536", None),
    ("198.18.0.1:0", None),
    ("198.18.0.1:70000", None),
    ("fe80::1%eth0", None),
    ("peer.example", None),
    ("", None),
])
def test_peer_ip_as_process_ip_port(peer_ip, host):
    assert bgp.peer_ip_host(peer_ip) == host


@pytest.mark.parametrize("spec, field", [
    ({"node": "n1", "nodeSelector": "all()"}, "node"),
    ({"peerIP": "198.18.0.1", "peerSelector": "all()"}, "peerIP"),
    ({"peerSelector": "all()", "asNumber": 64512}, "asNumber"),
    ({"localWorkloadSelector": "app == 'x'"}, "asNumber"),
    ({"localWorkloadSelector": "app == 'x'", "asNumber": 64512, "peerIP": "198.18.0.1"}, "peerIP"),
    ({"localWorkloadSelector": "app == 'x'", "asNumber": 64512, "peerSelector": "all()"}, "peerSelector"),
    ({"reachableBy": "198.18.0.254"}, "reachableBy"),
    ({"peerIP": "198.18.0.1", "reachableBy": "fd00::1"}, "reachableBy"),
    ({"peerIP": "198.18.0.1", "reachableBy": "gateway"}, "reachableBy"),
    ({"peerIP": "198.18.0.1", "keepOriginalNextHop": True, "nextHopMode": "Keep"}, "keepOriginalNextHop"),
    ({"peerIP": "[fd00::1]"}, "peerIP"),
])
def test_peer_spec_rules(spec, field):
    assert field in fields(bgp.validate_bgppeer(res("BGPPeer", "p", **spec), {}))


@pytest.mark.parametrize("spec", [
    {"peerIP": "[fd00::1]:179", "asNumber": 64512, "reachableBy": "fd00::fe"},
    {"peerSelector": "all()", "nodeSelector": "all()"},
    {"localWorkloadSelector": "app == 'x'", "asNumber": 64512},
    {"peerIP": "198.18.0.1", "keepOriginalNextHop": True},
])
def test_peer_specs_calico_accepts(spec):
    assert bgp.validate_bgppeer(res("BGPPeer", "p", **spec), {}) == []


def test_peer_filters_must_exist_when_the_filters_are_known():
    peer = res("BGPPeer", "p", peerIP="198.18.0.1", asNumber=64512, filters=["a", "b"])
    errors = bgp.validate_bgppeer(peer, {"BGPFilter": [{"metadata": {"name": "a"}}]})
    assert errors and errors[0].startswith("filters: BGPFilter(s) not found: b ")
    assert bgp.validate_bgppeer(peer, {"BGPFilter": [{"metadata": {"name": n}} for n in "ab"]}) == []
    assert bgp.validate_bgppeer(peer, {}) == []          # without the datastore: not checked


@pytest.mark.parametrize("field, value", [
    ("nodeToNodeMeshEnabled", False), ("asNumber", 64512), ("serviceClusterIPs", [{"cidr": "198.19.0.0/16"}]),
    ("serviceExternalIPs", [{"cidr": "198.19.0.0/16"}]), ("serviceLoadBalancerIPs", [{"cidr": "198.19.0.0/16"}]),
    ("nodeMeshPassword", {"secretKeyRef": {"name": "s", "key": "k"}}), ("nodeMeshMaxRestartTime", "2m0s")])
def test_default_only_fields(field, value):
    for name in ("node.n1", "other"):
        errors = bgp.validate_bgpconfiguration(res("BGPConfiguration", name, **{field: value}))
        assert fields(errors) == [field] and "named default" in errors[0]
    assert bgp.validate_bgpconfiguration(res("BGPConfiguration", "default", **{field: value})) == []


def test_empty_service_lists_allowed_off_default():
    assert bgp.validate_bgpconfiguration(res("BGPConfiguration", "node.n1", serviceClusterIPs=[])) == []


@pytest.mark.parametrize("spec, field", [
    ({"communities": [{"name": "c", "value": "65536:1"}],
      "prefixAdvertisements": [{"cidr": "198.19.0.0/16", "communities": ["c"]}]}, "communities[0].value"),
    ({"communities": [{"name": "c", "value": "1:2:4294967296"}],
      "prefixAdvertisements": [{"cidr": "198.19.0.0/16", "communities": ["c"]}]}, "communities[0].value"),
    ({"communities": [{"name": "c", "value": "no"}],
      "prefixAdvertisements": [{"cidr": "198.19.0.0/16", "communities": ["c"]}]}, "communities[0].value"),
    ({"communities": [{"name": "c", "value": "1:2"}]}, "communities"),
    ({"prefixAdvertisements": [{"cidr": "198.19.0.0/33", "communities": ["1:2"]}]}, "prefixAdvertisements[0].cidr"),
    ({"prefixAdvertisements": [{"cidr": "198.19.0.0/16", "communities": ["undefined"]}]},
     "prefixAdvertisements[0].communities[0]"),
    ({"nodeToNodeMeshEnabled": False, "nodeMeshPassword": {"secretKeyRef": {"name": "s", "key": "k"}}},
     "nodeMeshPassword"),
    ({"serviceClusterIPs": [{"cidr": "nope"}]}, "serviceClusterIPs[0].cidr"),
    ({"localWorkloadPeeringIPV4": "fd00::1"}, "localWorkloadPeeringIPV4"),
    ({"localWorkloadPeeringIPV6": "198.18.0.1"}, "localWorkloadPeeringIPV6"),
])
def test_bgp_configuration_spec_rules(spec, field):
    assert field in fields(bgp.validate_bgpconfiguration(res("BGPConfiguration", "default", **spec)))


def test_bgp_configuration_calico_accepts():
    spec = {"communities": [{"name": "c", "value": "65535:65535"}, {"name": "l", "value": "1:2:4294967295"}],
            "prefixAdvertisements": [{"cidr": "198.19.0.0/16", "communities": ["c", "l", "7:8"]}],
            "nodeToNodeMeshEnabled": True, "nodeMeshMaxRestartTime": "2m0s",
            "localWorkloadPeeringIPV4": "198.18.0.1", "localWorkloadPeeringIPV6": "fd00::1"}
    assert bgp.validate_bgpconfiguration(res("BGPConfiguration", "default", **spec)) == []
