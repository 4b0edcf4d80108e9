"""calico_node's pure parts: option validation, calico-node's IP autodetection, the Node merge,
the env file and the unit (_node.py, _host/netinfo.py)."""

from __future__ import annotations

import pytest

from ansible_collections.netops.calico.plugins.module_utils._node import addresses as node_addresses
from ansible_collections.netops.calico.plugins.module_utils._node import options as node_options
from ansible_collections.netops.calico.plugins.module_utils._node import prereqs as node_prereqs
from ansible_collections.netops.calico.plugins.module_utils._node import resource as node_resource
from ansible_collections.netops.calico.plugins.module_utils._node import unit as node_unit
from ansible_collections.netops.calico.plugins.module_utils._datastore import model
from ansible_collections.netops.calico.plugins.module_utils._host import netinfo
from fakes import link


def params(**kw):
    p = {k: v.get("default") for k, v in node_options.ARGSPEC.items()}
    p.update({"datastore_type": "etcdv3", "etcd_endpoints": "http://198.18.0.1:2379", "etcd_ca_cert_file": None,
              "etcd_cert_file": None, "etcd_key_file": None, "kubeconfig": None})
    p.update(kw)
    return p


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


@pytest.mark.parametrize("kw,mods", [
    ({}, ["ipip", "ip_set", "xt_set"]),
    ({"encapsulation": "vxlan", "dataplane": "nftables"}, ["vxlan", "nf_tables"]),
    ({"encapsulation": "none", "dataplane": "bpf", "wireguard": True}, ["wireguard"]),
])
def test_required_modules(kw, mods):
    assert node_prereqs.required_modules(params(**kw)) == mods


def test_felix_spec_takes_both_spellings_and_normalises_durations():
    spec, errors = node_options.felix_spec({"log_severity_screen": "Debug", "routeRefreshInterval": "90s"})
    assert errors == [] and spec == {"logSeverityScreen": "Debug", "routeRefreshInterval": "1m30s"}


# -- autodetection (calico-node's rules) ---------------------------------------------------------

IFACES = netinfo.parse_ip_json(__import__("json").dumps([
    link(1, "lo", "127.0.0.1/8", "::1/128"),
    link(2, "eth0", "198.18.10.5/24", "fe80::1/64", "fd00:10::5/64"),
    link(3, "eth1", "198.18.20.5/24"),
    link(4, "docker0", "198.19.0.1/16"),
    link(5, "cali1234", "169.254.1.1/32"),
    link(6, "vxlan.calico", "198.18.99.1/32"),
]))


@pytest.mark.parametrize("method,version,want", [
    # first-found walks the interfaces in reverse index order, skipping Calico's default excludes
    ("first-found", 4, ("eth1", "198.18.20.5/24")),
    (None, 4, ("eth1", "198.18.20.5/24")),
    ("interface=eth0", 4, ("eth0", "198.18.10.5/24")),
    ("interface=eth.*", 4, ("eth1", "198.18.20.5/24")),
    ("interface=foo, eth0", 4, ("eth0", "198.18.10.5/24")),
    ("skip-interface=eth1", 4, ("eth0", "198.18.10.5/24")),
    ("cidr=198.18.10.0/24", 4, ("eth0", "198.18.10.5/24")),
    ("cidr=10.0.0.0/8,198.18.20.0/24", 4, ("eth1", "198.18.20.5/24")),
    ("first-found", 6, ("eth0", "fd00:10::5/64")),    # link-local fe80:: is skipped
    ("interface=docker0", 4, ("docker0", "198.19.0.1/16")),   # explicit include beats the default excludes
])
def test_autodetect(method, version, want):
    assert netinfo.autodetect(method, version, IFACES) == want


def test_can_reach_uses_the_source_address_the_kernel_picks():
    got = netinfo.autodetect("can-reach=198.18.10.1", 4, IFACES, reach=lambda dest, v: "198.18.10.5")
    assert got == ("eth0", "198.18.10.5/24")


def test_can_reach_source_not_on_an_interface():
    with pytest.raises(netinfo.AutodetectError, match="does not match any addresses found on local interfaces"):
        netinfo.autodetect("can-reach=8.8.8.8", 4, IFACES, reach=lambda dest, v: "203.0.113.9")


@pytest.mark.parametrize("method,err", [
    ("interface=wlan.*", "no valid host interfaces found"),
    ("cidr=10.0.0.0/8", "no valid IPv4 addresses found"),
    ("kubernetes-internal-ip", "only calico-node in the cluster can do"),
])
def test_autodetect_failures(method, err):
    with pytest.raises(netinfo.AutodetectError, match=err):
        netinfo.autodetect(method, 4, IFACES)


def test_reach_source_against_loopback():
    assert netinfo.reach_source("127.0.0.1", 4) == "127.0.0.1"


@pytest.mark.parametrize("addr,version,want", [
    ("198.18.10.5", 4, "198.18.10.5/24"),         # prefix from the interface, as GetLocalCIDR does
    ("198.18.77.7", 4, "198.18.77.7/32"),
    ("198.18.10.5/25", 4, "198.18.10.5/25"),      # a CIDR is kept, host bits included
    ("fd00:10::5", 6, "fd00:10::5/128"),          # IPv6: parseIPEnvironment, no lookup
])
def test_local_cidr(addr, version, want):
    assert netinfo.local_cidr(addr, version, IFACES) == want


def test_resolve_addresses_ipv6_only_when_asked():
    p = params()
    got = node_addresses.resolve_addresses(p, IFACES)
    assert got["ipv4"] == "198.18.20.5/24" and got["ipv6"] is None
    got = node_addresses.resolve_addresses(params(ipv6_autodetection_method="interface=eth0", ipv4_address="none"), IFACES)
    assert got["ipv4"] == "none" and got["ipv6"] == "fd00:10::5/64" and got["ipv6_interface"] == "eth0"


def test_resolve_addresses_failure_says_what_to_do():
    with pytest.raises(node_options.NodeError, match="Choose another ipv4_autodetection_method"):
        node_addresses.resolve_addresses(params(ipv4_autodetection_method="interface=nothere"), IFACES)


# -- the Node resource ----------------------------------------------------------------------------

def calico_written_node():
    """A Node as calico-node leaves it (tunnel address, wireguard, interfaces, public key)."""
    return model.with_revision(model.normalise_resource({
        "kind": "Node", "metadata": {"name": "node-1", "uid": "u1", "creationTimestamp": "2025-05-01T10:00:00Z",
                                     "labels": {"keep": "me", "drop": "me"}},
        "spec": {"bgp": {"ipv4Address": "198.18.10.5/24", "ipv4IPIPTunnelAddr": "100.96.1.1"},
                 "ipv4VXLANTunnelAddr": "100.96.1.2", "wireguard": {"interfaceIPv4Address": "100.96.1.3"},
                 "orchRefs": [{"nodeName": "node-1", "orchestrator": "k8s"}],
                 "interfaces": [{"name": "eth0", "addresses": ["198.18.10.5"]}]},
        "status": {"wireguardPublicKey": "BwoNEBMWGRwfIiUoKy4xNDc6PUBDRklMT1JVWFteYWQ="}}), "42")


def test_merge_keeps_what_calico_node_owns():
    cur = calico_written_node()
    bgp = node_addresses.desired_bgp(params(as_number=64512, route_reflector_cluster_id="244.0.0.1"),
                                     {"ipv4": "198.18.20.5/24", "ipv6": None})
    new, changed = node_resource.merge_node(cur, "node-1", bgp, {"rack": "r1", "drop": None})
    assert changed
    assert new["spec"]["bgp"] == {"asNumber": 64512, "ipv4Address": "198.18.20.5/24",
                                  "ipv4IPIPTunnelAddr": "100.96.1.1", "routeReflectorClusterID": "244.0.0.1"}
    for k in ("ipv4VXLANTunnelAddr", "wireguard", "orchRefs", "interfaces"):
        assert new["spec"][k] == cur["spec"][k]
    assert new["status"] == cur["status"]
    assert new["metadata"]["labels"] == {"keep": "me", "rack": "r1"}
    assert new["metadata"]["uid"] == "u1" and new["metadata"]["resourceVersion"] == "42"
    assert list(new["spec"]["bgp"]) == ["asNumber", "ipv4Address", "ipv4IPIPTunnelAddr", "routeReflectorClusterID"]


def test_merge_unchanged_returns_current():
    cur = calico_written_node()
    new, changed = node_resource.merge_node(cur, "node-1", {"ipv4Address": "198.18.10.5/24"}, {"keep": "me"})
    assert not changed and new is cur


def test_merge_removes_with_zero_and_empty():
    cur = calico_written_node()
    cur["spec"]["bgp"].update({"asNumber": 65000, "routeReflectorClusterID": "244.0.0.1"})
    bgp = node_addresses.desired_bgp(params(as_number=0, route_reflector_cluster_id=""), {"ipv4": "none"})
    assert bgp == {"asNumber": None, "routeReflectorClusterID": None}
    new, changed = node_resource.merge_node(cur, "node-1", bgp, None)
    assert changed and new["spec"]["bgp"] == {"ipv4Address": "198.18.10.5/24", "ipv4IPIPTunnelAddr": "100.96.1.1"}


def test_new_node_is_stored_like_clientv3_creates_it():
    new, changed = node_resource.merge_node(None, "node-2", {"ipv4Address": "198.18.20.6/24", "asNumber": None},
                                            {"a": "b", "gone": None})
    assert changed
    assert list(new) == ["kind", "apiVersion", "metadata", "spec", "status"]
    assert new["metadata"]["labels"] == {"a": "b"} and new["metadata"]["uid"]
    assert new["spec"] == {"bgp": {"ipv4Address": "198.18.20.6/24"}} and new["status"] == {}


# -- env file and unit ---------------------------------------------------------------------------

def test_env_file_layout_and_quoting():
    p = params(etcd_ca_cert_file="/etc/calico/pki/ca.pem", as_number=64512,
               env={"FELIX_LOGSEVERITYSCREEN": "info", "CALICO_STARTUP_LOGLEVEL": "a b$c", "FELIX_X": True})
    vals = node_unit.env_values(p, "node-1", {"ipv4": "198.18.10.5/24", "ipv6": None})
    assert list(vals)[:10] == ["DATASTORE_TYPE", "ETCD_ENDPOINTS", "ETCD_CA_CERT_FILE", "CALICO_NODENAME",
                               "CALICO_NETWORKING_BACKEND", "CALICO_IP", "CALICO_IP6", "CALICO_AS",
                               "NO_DEFAULT_POOLS", "FELIX_LOGSEVERITYSCREEN"]
    text = node_unit.render_env(vals)
    assert "CALICO_IP=198.18.10.5/24\n" in text and "CALICO_AS=64512\n" in text
    assert 'CALICO_STARTUP_LOGLEVEL="a b\\$c"\n' in text and "FELIX_X=true\n" in text
    assert "NO_DEFAULT_POOLS=true\n" in text and "CALICO_IP6=\n" in text


def test_unit_podman_maps_every_variable_and_mounts():
    p = params(etcd_ca_cert_file="/etc/calico/pki/ca.pem")
    vals = node_unit.env_values(p, "node-1", {"ipv4": "198.18.10.5/24"})
    unit = node_unit.render_unit("podman", "/usr/bin/podman", "/usr/bin/mkdir", "quay.io/calico/node:v3.31.7",
                                 list(vals), node_unit.container_volumes(p, True))
    assert "ExecStart=/usr/bin/podman run --net=host --privileged --rm --name=calico-node" in unit
    assert "-e NODENAME=${CALICO_NODENAME}" in unit and "-e IP=${CALICO_IP}" in unit
    assert "-e ETCD_CA_CERT_FILE=${ETCD_CA_CERT_FILE}" in unit
    assert "-v /etc/calico/pki/ca.pem:/etc/calico/pki/ca.pem:ro" in unit
    assert "-v /lib/modules:/lib/modules:ro" in unit
    assert "Restart=on-failure" in unit and "StartLimitBurst=3" in unit and "EnvironmentFile=/etc/calico/calico.env" in unit
    assert "docker.service" not in unit


def test_unit_docker_requires_the_daemon_and_skips_missing_lib_modules():
    unit = node_unit.render_unit("docker", "/usr/bin/docker", "/bin/mkdir", "img", ["DATASTORE_TYPE"],
                                 node_unit.container_volumes(params(), False))
    assert "Requires=docker.service" in unit and "After=network-online.target docker.service" in unit
    assert "/lib/modules" not in unit
