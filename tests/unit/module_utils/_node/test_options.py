"""_node/options.py: option validation, the encapsulation default, felix_overrides."""

from __future__ import annotations

import pytest

from ansible_collections.netops.calico.plugins.module_utils._node import options as node_options
from fakes import params


# -- validation ---------------------------------------------------------------------------------

@pytest.mark.parametrize("kw,needle", [
    ({"networking_backend": "vxlan", "encapsulation": "ipip"}, "encapsulation: IP-in-IP routes are programmed by BIRD"),
    ({"ipv4_address": "fd00::1"}, "ipv4_address: 'fd00::1' is not an IPv4 address"),
    ({"ipv6_address": "nonsense"}, "ipv6_address: 'nonsense' is not an IPv6 address"),
    ({"ipv4_autodetection_method": "bogus=1"}, "ipv4_autodetection_method: invalid autodetection method"),
    ({"ipv4_autodetection_method": "interface=eth(["}, "invalid interface regex"),
    ({"ipv4_autodetection_method": "cidr=10.0.0.0/33"}, "invalid CIDR"),
    ({"route_reflector_cluster_id": "rr1"}, "route_reflector_cluster_id: 'rr1' must be an IPv4 address"),
    ({"as_number": 1 << 32}, "as_number: 4294967296 is outside"),
    ({"labels": {"a": 1}}, "labels: the value of 'a' must be a string"),
    ({"env": {"IP": "1.2.3.4"}}, "env: IP is set from the module's own options"),
    ({"env": {"1BAD": "x"}}, "env: '1BAD' is not a valid environment variable name"),
    ({"felix_overrides": {"noSuchField": 1}}, "felix_overrides: 'noSuchField' is not a FelixConfiguration field"),
    ({"felix_overrides": {"logSeverityScreen": "Loud"}}, "is not one of"),
    ({"scope": "datastore"}, "name: required with scope=datastore"),
    ({"scope": "datastore", "name": "n1"}, "ipv4_address: required with scope=datastore"),
    ({"state": "started", "datastore_type": "kubernetes"}, "in a cluster the calico-node DaemonSet runs it"),
    ({"etcd_endpoints": None}, "etcd_endpoints: calico-node on this host needs the etcd endpoints"),
])
def test_validate_names_the_option(kw, needle):
    errors = node_options.validate(params(**kw))
    assert any(needle in e for e in errors), errors


def test_validate_accepts_a_good_set():
    assert node_options.validate(params(ipv4_address="198.18.0.5/24", ipv6_address="fd00::5", as_number=64512,
                                 route_reflector_cluster_id="244.0.0.1", labels={"rr": "true", "old": None},
                                 felix_overrides={"log_severity_screen": "Debug", "routeRefreshInterval": "90s"},
                                 env={"FELIX_LOGSEVERITYSCREEN": "info"})) == []


@pytest.mark.parametrize("backend,enc,want", [
    ("bird", None, "ipip"), ("vxlan", None, "vxlan"), ("none", None, "none"), ("bird", "vxlan", "vxlan"),
])
def test_encapsulation_default(backend, enc, want):
    assert node_options.encapsulation({"networking_backend": backend, "encapsulation": enc}) == want


def test_felix_spec_takes_both_spellings_and_normalises_durations():
    spec, errors = node_options.felix_spec({"log_severity_screen": "Debug", "routeRefreshInterval": "90s"})
    assert errors == [] and spec == {"logSeverityScreen": "Debug", "routeRefreshInterval": "1m30s"}
