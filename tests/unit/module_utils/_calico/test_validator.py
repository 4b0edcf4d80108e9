"""The generic validator (_calico/validator.py): what Calico's validator.go and Go's encoding/json
refuse is refused with the field named; what they accept passes. Expected outcomes are read from
the Go source (v3.31.7), not from the code under test."""

from __future__ import annotations

import math

import pytest

from ansible_collections.netops.calico.plugins.module_utils._calico import validator
from ansible_collections.netops.calico.plugins.module_utils._datastore.errors import ValidationError


def res(kind, spec, name="default", **meta):
    return {"kind": kind, "apiVersion": "projectcalico.org/v3", "metadata": {"name": name, **meta}, "spec": spec}


REFUSED = [
    # (kind, spec, field named in the error)
    ("BGPConfiguration", {"asNumber": 4294967296}, "spec.asNumber"),           # numorstring.ASNumber = uint32
    ("BGPConfiguration", {"listenPort": 70000}, "spec.listenPort"),            # uint16
    ("FelixConfiguration", {"ipipMTU": 1e20}, "spec.ipipMTU"),                  # *int: a float does not decode
    ("FelixConfiguration", {"ipipMTU": 1 << 63}, "spec.ipipMTU"),               # beyond int64
    ("FelixConfiguration", {"vxlanMTU": math.nan}, "spec.vxlanMTU"),
    ("FelixConfiguration", {"vxlanMTU": math.inf}, "spec.vxlanMTU"),
    ("FelixConfiguration", {"vxlanMTU": True}, "spec.vxlanMTU"),               # bool for int
    ("FelixConfiguration", {"vxlanMTU": "1400"}, "spec.vxlanMTU"),             # string for int
    ("FelixConfiguration", {"vxlanVNI": -1}, "spec.vxlanVNI"),
    ("FelixConfiguration", {"failsafeInboundHostPorts": [{"protocol": "TCP", "port": 99999}]},
     "spec.failsafeInboundHostPorts[0].port"),                                  # ProtoPort.Port uint16
    ("FelixConfiguration", {"debugPort": 65536}, "spec.debugPort"),            # gte=0,lte=65535
    ("FelixConfiguration", {"wireguardListeningPort": 0}, "spec.wireguardListeningPort"),   # *int, gt=0
    ("FelixConfiguration", {"wireguardRoutingRulePriority": 32766}, "spec.wireguardRoutingRulePriority"),  # lt=32766
    ("FelixConfiguration", {"goGCThreshold": -2}, "spec.goGCThreshold"),       # gte=-1
    ("FelixConfiguration", {"routeTableRange": {"min": 0, "max": 10}}, "spec.routeTableRange.min"),
    ("FelixConfiguration", {"routeTableRange": {"min": 1, "max": 251}}, "spec.routeTableRange.max"),
    ("FelixConfiguration", {"natPortRange": "0"}, "spec.natPortRange"),        # validatePort: >= 1
    ("FelixConfiguration", {"natPortRange": "200:100"}, "spec.natPortRange"),  # PortFromRange: min > max
    ("FelixConfiguration", {"natPortRange": "70000"}, "spec.natPortRange"),    # ParseUint(.., 16)
    ("FelixConfiguration", {"kubeNodePortRanges": ["30000:32767", "bad name"]}, "spec.kubeNodePortRanges[1]"),
    ("FelixConfiguration", {"iptablesRefreshInterval": "soon"}, "spec.iptablesRefreshInterval"),
    ("FelixConfiguration", {"iptablesRefreshInterval": 90}, "spec.iptablesRefreshInterval"),  # Duration is a string
    ("FelixConfiguration", {"iptablesMarkMask": -1}, "spec.iptablesMarkMask"),  # *uint32
    ("FelixConfiguration", {"logSeverityScreen": "Loud"}, "spec.logSeverityScreen"),
    ("FelixConfiguration", {"bpfLogFilters": {"all": 1}}, "spec.bpfLogFilters.all"),  # *map[string]string
    ("FelixConfiguration", {"ipipEnabled": "yes"}, "spec.ipipEnabled"),
    ("BGPPeer", {"ttlSecurity": 999}, "spec.ttlSecurity"),                     # *uint8
    ("BGPPeer", {"asNumber": -1}, "spec.asNumber"),
    ("BGPPeer", {"maxRestartTime": "1 minute"}, "spec.maxRestartTime"),
    ("IPPool", {"cidr": "198.18.0.0/24", "blockSize": 1.5}, "spec.blockSize"),
    ("IPPool", {"cidr": "198.18.0.0/24", "allowedUses": ["Workload", "Bogus"]}, "spec.allowedUses[1]"),
    ("IPPool", {"cidr": "198.18.0.0/24", "ipip": {"enabled": True, "typo": 1}}, "spec.ipip.typo"),
    ("IPPool", {"cidr": 7}, "spec.cidr"),
]


@pytest.mark.parametrize("kind,spec,field", REFUSED, ids=lambda x: str(x)[:40])
def test_refused_with_field_named(kind, spec, field):
    errors = validator.resource_errors(res(kind, spec))
    assert errors and any(e.startswith(field + ":") for e in errors), errors


def test_every_error_at_once():
    errors = validator.resource_errors(res("BGPConfiguration", {"asNumber": 4294967296, "listenPort": 70000},
                                           name="Bad_Name", labels={"a": 1}))
    fields = [e.split(":", maxsplit=1)[0] for e in errors]
    assert fields == ["metadata.name", "metadata.labels.a", "spec.asNumber", "spec.listenPort"]


ACCEPTED = [
    ("BGPConfiguration", {"asNumber": 4294967295, "listenPort": 179, "nodeToNodeMeshEnabled": True}),
    ("BGPConfiguration", {"listenPort": 1}),
    # validate:"omitempty,gt=0" on a non-pointer uint16: the zero value skips the tag (and is omitted)
    ("BGPConfiguration", {"listenPort": 0}),
    ("FelixConfiguration", {"ipipMTU": 1480, "vxlanVNI": 4096, "failsafeInboundHostPorts": [
        {"protocol": "TCP", "port": 22}, {"protocol": "UDP", "port": 68, "net": "198.18.0.0/16"}]}),
    ("FelixConfiguration", {"natPortRange": "32768:65535", "kubeNodePortRanges": [30000, "30000:32767", "http"],
                            "iptablesRefreshInterval": "1m30s", "goGCThreshold": -1, "bpfLogLevel": "",
                            "chainInsertMode": "insert", "routeTableRange": {"min": 1, "max": 250},
                            "routeTableRanges": [{"min": 1, "max": 4294967295}], "bpfLogFilters": {"all": "tcp"}}),
    ("BGPPeer", {"peerIP": "198.18.0.1", "asNumber": 64512, "ttlSecurity": 255, "maxRestartTime": "2m"}),
    ("IPPool", {"cidr": "198.18.0.0/24", "blockSize": 26, "allowedUses": ["Workload", "Tunnel"],
                "ipip": None}),
    ("Node", {"bgp": {"ipv4Address": "198.18.0.5/24", "asNumber": 64512}}),
    # a field of a newer Calico that this table does not know is kept (Go ignores it, not refuses)
    ("FelixConfiguration", {"nodeSelector": "all()"}),
]


@pytest.mark.parametrize("kind,spec", ACCEPTED, ids=lambda x: str(x)[:40])
def test_accepted(kind, spec):
    assert validator.resource_errors(res(kind, spec)) == []


@pytest.mark.parametrize("name", ["a/../B", "Bad_Name", "peer/x", "", "-a", "a-", "a..b", "UPPER", "a" * 254, None, 5])
def test_names_refused(name):
    errors = validator.resource_errors(res("BGPPeer", {}, name=name))
    assert errors and errors[0].startswith("metadata.name:"), errors


@pytest.mark.parametrize("kind,name", [("FelixConfiguration", "default"), ("FelixConfiguration", "node.worker-1"),
                                       ("BGPConfiguration", "node.worker-1"), ("BGPPeer", "tor.rack-1"),
                                       ("IPPool", "a" * 253), ("Node", "ip-198-18-0-5.ec2.internal")])
def test_special_names_pass(kind, name):
    assert validator.name_errors(name) == []
    assert validator.resource_errors(res(kind, {}, name=name)) == []


def test_name_error_suggests_a_valid_name():
    (err,) = validator.name_errors("Bad_Name")
    assert "use e.g. 'bad-name'" in err
    (err,) = validator.name_errors("a/../B")
    assert validator.name_errors(err.rsplit("'", 2)[1]) == []


@pytest.mark.parametrize("labels,field", [
    ({"a": 1}, "metadata.labels.a"), ({"a": True}, "metadata.labels.a"), ({"a": None}, "metadata.labels.a"),
    ({"-a": "x"}, "metadata.labels"), ({"a/b/c": "x"}, "metadata.labels"), ({"Bad_Prefix/a": "x"}, "metadata.labels"),
    ({"a": "-x"}, "metadata.labels.a"), ({"a": "x" * 64}, "metadata.labels.a"), ({"k" * 64: "x"}, "metadata.labels"),
    ("a=b", "metadata.labels"),
])
def test_labels_refused(labels, field):
    errors = validator.resource_errors(res("IPPool", {"cidr": "198.18.0.0/24"}, labels=labels))
    assert errors and all(e.startswith(field) for e in errors), errors


def test_labels_and_annotations_accepted():
    meta = {"labels": {"example.com/role": "edge", "Zone": "", "a.b_c-d": "X.y_z-1"},
            "annotations": {"Example.COM/Note": "anything at all <>&"}}
    assert validator.resource_errors(res("IPPool", {"cidr": "198.18.0.0/24"}, **meta)) == []


def test_annotations_size_limit():
    meta = {"annotations": {"a": "x" * (256 * 1024)}}
    (err,) = validator.resource_errors(res("IPPool", {"cidr": "198.18.0.0/24"}, **meta))
    assert err.startswith("metadata.annotations:") and "too large by 1 bytes" in err


def test_check_resource_raises_all_errors_with_kind_and_name():
    with pytest.raises(ValidationError) as exc:
        validator.check_resource(res("BGPPeer", {"ttlSecurity": 999, "asNumber": 1 << 32}, name="tor"))
    assert len(exc.value.errors) == 2 and all(e.startswith("BGPPeer 'tor': spec.") for e in exc.value.errors)


def test_guard_ignores_ipam_and_checks_v3():
    validator.guard_write({"kind": "IPAMBlock", "metadata": {"name": ""}})
    with pytest.raises(ValidationError):
        validator.guard_write(res("BGPFilter", {}, name="Bad_Name"))
    with pytest.raises(ValidationError):
        validator.guard_delete("IPPool", "")
    validator.guard_delete("IPAMHandle", "")
