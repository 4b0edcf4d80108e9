"""FelixConfiguration rules: clientv3/felixconfig.go setDefaults, validator.go validateFelixConfigSpec
and validateProtoPort."""

from __future__ import annotations

import pytest

from ansible_collections.netops.calico.plugins.module_utils._calico import felixconfig as fc


@pytest.mark.parametrize("spec, ctlb, nat", [
    ({}, "TCP", "Enabled"),
    ({"bpfConnectTimeLoadBalancing": "Disabled"}, "Disabled", "Enabled"),
    ({"bpfConnectTimeLoadBalancingEnabled": True}, "Enabled", "Disabled"),
    ({"bpfConnectTimeLoadBalancingEnabled": False}, "Disabled", "Disabled"),
    ({"bpfConnectTimeLoadBalancingEnabled": False, "bpfConnectTimeLoadBalancing": "TCP",
      "bpfHostNetworkedNATWithoutCTLB": "Enabled"}, "Disabled", "Disabled"),
])
def test_set_defaults(spec, ctlb, nat):
    out = fc.default_felixconfiguration_spec(spec)
    assert (out["bpfConnectTimeLoadBalancing"], out["bpfHostNetworkedNATWithoutCTLB"], out["floatingIPs"]) == (
        ctlb, nat, "Disabled")


def test_overrides_name_the_replaced_field():
    stored = fc.default_felixconfiguration_spec({"bpfConnectTimeLoadBalancingEnabled": True,
                                                 "bpfConnectTimeLoadBalancing": "TCP"})
    errors = fc.defaulting_overrides({"bpfConnectTimeLoadBalancing": "TCP"}, stored)
    assert len(errors) == 1 and errors[0].startswith("bpfConnectTimeLoadBalancing: 'TCP' would be replaced by 'Enabled'")
    assert fc.defaulting_overrides({"bpfConnectTimeLoadBalancing": "Enabled"}, stored) == []
    assert fc.defaulting_overrides({"bpfConnectTimeLoadBalancing": "TCP"},
                                   fc.default_felixconfiguration_spec({"bpfConnectTimeLoadBalancing": "TCP"})) == []


@pytest.mark.parametrize("proto, ok", [("TCP", True), ("UDP", True), ("SCTP", True), ("tcp", False),
                                       ("Tcp", False), ("ICMP", False), ("", False), (None, False), (6, False)])
def test_protoport_protocol(proto, ok):
    entry = {"port": 22} if proto is None else {"protocol": proto, "port": 22}
    for field in fc.PROTOPORT_FIELDS:
        errors = fc.validate_felixconfiguration_spec({field: [entry]})
        assert (errors == []) is ok, errors
        if not ok:
            assert errors[0].startswith(f"{field}[0].protocol: ")


def test_protoport_hint_and_not_a_mapping():
    assert "(use TCP)" in fc.protoport_errors("failsafeInboundHostPorts", [{"protocol": "tcp", "port": 1}])[0]
    assert fc.protoport_errors("failsafeInboundHostPorts", ["tcp:22"])[0].startswith("failsafeInboundHostPorts[0]:")


@pytest.mark.parametrize("spec, field", [
    ({"kubeNodePortRanges": ["30000:30001"] * 8}, "kubeNodePortRanges"),
    ({"kubeNodePortRanges": ["http"]}, "kubeNodePortRanges[0]"),
    ({"externalNodesCIDRList": ["fd00::/64"]}, "externalNodesCIDRList[0]"),
    ({"externalNodesCIDRList": ["nope"]}, "externalNodesCIDRList[0]"),
    ({"openstackRegion": "Region_1"}, "openstackRegion"),
    ({"openstackRegion": "r" * 47}, "openstackRegion"),
    ({"natOutgoingAddress": "fd00::1"}, "natOutgoingAddress"),
    ({"deviceRouteSourceAddress": "fd00::1"}, "deviceRouteSourceAddress"),
    ({"deviceRouteSourceAddressIPv6": "198.18.0.1"}, "deviceRouteSourceAddressIPv6"),
    ({"routeTableRange": {"min": 1, "max": 2}, "routeTableRanges": [{"min": 1, "max": 2}]}, "routeTableRange"),
    ({"routeTableRanges": [{"min": 1, "max": 70000}]}, "routeTableRanges"),
])
def test_felix_spec_rules(spec, field):
    assert field in [e.split(":", 1)[0] for e in fc.validate_felixconfiguration_spec(spec)]


def test_felix_spec_calico_accepts():
    spec = {"kubeNodePortRanges": [30000, "30000:32767"] * 3, "externalNodesCIDRList": ["198.18.0.0/16", "198.18.0.1"],
            "openstackRegion": "r" * 46, "natOutgoingAddress": "198.18.0.1", "deviceRouteSourceAddressIPv6": "fd00::1",
            "routeTableRanges": [{"min": 1, "max": 65535}],
            "failsafeInboundHostPorts": [{"protocol": "TCP", "port": 22, "net": "198.18.0.0/16"}]}
    assert fc.validate_felixconfiguration_spec(spec) == []
