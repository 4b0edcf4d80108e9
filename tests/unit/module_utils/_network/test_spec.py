"""_spec: kOps' CalicoNetworkingSpec validation (every case of kops' Test_Validate_Calico,
pkg/apis/kops/validation/validation_test.go, plus each rule of validateNetworkingCalico), kOps'
defaults per cloud and IP family, the input forms, and the pure parts of the staged migration."""

from __future__ import annotations

import pytest

from ansible_collections.netops.calico.plugins.module_utils._network import apply as net_apply
from ansible_collections.netops.calico.plugins.module_utils._network import migration as net_migration
from ansible_collections.netops.calico.plugins.module_utils._network import pools as net_pools
from ansible_collections.netops.calico.plugins.module_utils._network import settings as net_settings
from ansible_collections.netops.calico.plugins.module_utils._network import spec as net_spec
from ansible_collections.netops.calico.plugins.module_utils._node import mtu as _mtu
from ansible_collections.netops.calico.plugins.module_utils._network.spec import Context
from ansible_collections.netops.calico.plugins.module_utils._network.validate import build


def kinds(errors):
    """'calico.ipipMode: Forbidden: ...' -> ('calico.ipipMode', 'Forbidden')"""
    out = []
    for e in errors:
        path, _sep, rest = e.partition(": ")
        out.append((path, rest.split(":")[0]))
    return sorted(out)


V4 = Context(ip_family="ipv4")
V6 = Context(ip_family="ipv6")

# (description, spec, context, expected [(path, kind)]) - the first block is kops' own table, in its
# order; NonMasqueradeCIDR "::/0" is ip_family ipv6, "100.64.0.0/10" (or no cluster) is ipv4,
# KubeProxy{} / Enabled=true is kube_proxy true, Enabled=false is kube_proxy false.
KOPS_CASES = [
    ("empty specs", {}, V4, []),
    ("positive Typha replica count", {"typhaReplicas": 3}, V4, []),
    ("negative Typha replica count", {"typhaReplicas": -1}, V4, [("calico.typhaReplicas", "Invalid value")]),
    ("with etcd version", {}, V4, []),
    ("IPv4 autodetection method", {"ipv4AutoDetectionMethod": "first-found"}, V4, []),
    ("IPv6 autodetection method", {"ipv6AutoDetectionMethod": "first-found"}, V4, []),
    ("IPv4 autodetection method with parameter", {"ipv4AutoDetectionMethod": "can-reach=8.8.8.8"}, V4, []),
    ("IPv6 autodetection method with parameter",
     {"ipv6AutoDetectionMethod": "can-reach=2001:4860:4860::8888"}, V4, []),
    ("invalid IPv4 autodetection method", {"ipv4AutoDetectionMethod": "bogus"}, V4,
     [("calico.ipv4AutoDetectionMethod", "Invalid value")]),
    ("invalid IPv6 autodetection method", {"ipv6AutoDetectionMethod": "bogus"}, V4,
     [("calico.ipv6AutoDetectionMethod", "Invalid value")]),
    ("invalid IPv6 autodetection method missing parameter", {"ipv6AutoDetectionMethod": "interface="}, V4,
     [("calico.ipv6AutoDetectionMethod", "Invalid value")]),
    ("IPv4 autodetection method with parameter list", {"ipv4AutoDetectionMethod": "interface=en.*,eth0"}, V4, []),
    ("IPv6 autodetection method with parameter list", {"ipv6AutoDetectionMethod": "skip-interface=en.*,eth0"},
     V4, []),
    ("invalid IPv4 autodetection method parameter (parenthesis)", {"ipv4AutoDetectionMethod": "interface=(,en1"},
     V4, [("calico.ipv4AutoDetectionMethod", "Invalid value")]),
    ("invalid IPv4 autodetection method parameter (equals)", {"ipv4AutoDetectionMethod": "interface=foo=bar"},
     V4, [("calico.ipv4AutoDetectionMethod", "Invalid value")]),
    ("invalid IPv4 autodetection method parameter with no name", {"ipv4AutoDetectionMethod": "=en0,eth.*"},
     V4, [("calico.ipv4AutoDetectionMethod", "Invalid value")]),
    ("AWS source/destination checks off", {"awsSrcDstCheck": "off"}, V4,
     [("calico.awsSrcDstCheck", "Unsupported value")]),
    ("AWS source/destination checks enabled", {"awsSrcDstCheck": "Enable"}, V4, []),
    ("AWS source/destination checks disabled", {"awsSrcDstCheck": "Disable"}, V4, []),
    ("AWS source/destination checks left as is", {"awsSrcDstCheck": "DoNothing"}, V4, []),
    ("encapsulation none with IPv4", {"encapsulationMode": "none"}, V4,
     [("calico.encapsulationMode", "Forbidden")]),
    ("encapsulation mode IPIP for IPv6", {"encapsulationMode": "ipip"}, V6,
     [("calico.encapsulationMode", "Forbidden")]),
    ("encapsulation mode VXLAN for IPv6", {"encapsulationMode": "vxlan"}, V6,
     [("calico.encapsulationMode", "Forbidden")]),
    ("unknown Calico IPIP mode", {"ipipMode": "unknown"}, V4, [("calico.ipipMode", "Unsupported value")]),
    ("IPIP encapsulation (implicit) with IPIP pool mode Always", {"ipipMode": "Always"}, V4, []),
    ("IPIP encapsulation (implicit) with IPIP pool mode CrossSubnet", {"ipipMode": "CrossSubnet"}, V4, []),
    ("IPIP encapsulation (implicit) with IPIP pool mode Never", {"ipipMode": "Never"}, V4, []),
    ("IPIP encapsulation (explicit) with IPIP pool mode Always",
     {"encapsulationMode": "ipip", "ipipMode": "Always"}, V4, []),
    ("IPIP encapsulation (explicit) with IPIP pool mode CrossSubnet",
     {"encapsulationMode": "ipip", "ipipMode": "CrossSubnet"}, V4, []),
    ("IPIP encapsulation (explicit) with IPIP pool mode Never",
     {"encapsulationMode": "ipip", "ipipMode": "Never"}, V4, []),
    ("VXLAN encapsulation with IPIP pool mode", {"encapsulationMode": "vxlan", "ipipMode": "Always"}, V4,
     [("calico.ipipMode", "Forbidden")]),
    ("VXLAN encapsulation with IPIP pool mode CrossSubnet",
     {"encapsulationMode": "vxlan", "ipipMode": "CrossSubnet"}, V4, [("calico.ipipMode", "Forbidden")]),
    ("VXLAN encapsulation with IPIP pool mode Never", {"encapsulationMode": "vxlan", "ipipMode": "Never"}, V4, []),
    ("IPv6 without encapsulation", {"encapsulationMode": "none", "ipipMode": "Never", "vxlanMode": "Never"}, V6, []),
    ("BPF with kube-proxy explicitly disabled", {"bpfEnabled": True}, Context(kube_proxy=False), []),
    ("BPF with kube-proxy implicitly enabled", {"bpfEnabled": True}, Context(kube_proxy=True),
     [("kube_proxy", "Forbidden")]),
    ("BPF with kube-proxy explicitly enabled", {"bpfEnabled": True}, Context(kube_proxy=True),
     [("kube_proxy", "Forbidden")]),
]

# every other rule of validateNetworkingCalico / validateCalicoAutoDetectionMethod, and ours
RULE_CASES = [
    ("BPF, kube-proxy unknown (kOps: spec.kubeProxy unset)", {"bpfEnabled": True}, V4, []),
    ("awsSrcDstCheck on IPv6 must be DoNothing", {"awsSrcDstCheck": "Disable"}, V6,
     [("calico.awsSrcDstCheck", "Forbidden")]),
    ("awsSrcDstCheck DoNothing on IPv6", {"awsSrcDstCheck": "DoNothing"}, V6, []),
    ("awsSrcDstCheck garbage on IPv6 is Forbidden, not Unsupported", {"awsSrcDstCheck": "x"}, V6,
     [("calico.awsSrcDstCheck", "Forbidden")]),
    ("crossSubnet with awsSrcDstCheck unset: kOps never appends that error", {"crossSubnet": True}, V4, []),
    ("bpfExternalServiceMode", {"bpfExternalServiceMode": "tunnel"}, V4,
     [("calico.bpfExternalServiceMode", "Unsupported value")]),
    ("bpfExternalServiceMode DSR", {"bpfExternalServiceMode": "DSR"}, V4, []),
    ("bpfLogLevel", {"bpfLogLevel": "Trace"}, V4, [("calico.bpfLogLevel", "Unsupported value")]),
    ("chainInsertMode is lower case in kOps", {"chainInsertMode": "Insert"}, V4,
     [("calico.chainInsertMode", "Unsupported value")]),
    ("chainInsertMode append", {"chainInsertMode": "append"}, V4, []),
    ("encapsulationMode unknown", {"encapsulationMode": "gre"}, V4,
     [("calico.encapsulationMode", "Unsupported value")]),
    ("encapsulationMode unknown on IPv6", {"encapsulationMode": "gre"}, V6,
     [("calico.encapsulationMode", "Forbidden"), ("calico.encapsulationMode", "Unsupported value")]),
    ("Azure needs vxlan", {"encapsulationMode": "ipip"}, Context(cloud="azure"),
     [("calico.encapsulationMode", "Forbidden"), ("calico.vxlanMode", "Forbidden")]),
    ("Azure default is vxlan", {}, Context(cloud="azure"), []),
    ("Azure with ipipMode Always", {"ipipMode": "Always"}, Context(cloud="azure"), [("calico.ipipMode", "Forbidden")]),
    ("Azure IPv6-only: the builder's vxlan is refused, as in kOps", {}, Context(cloud="azure", ip_family="ipv6"),
     [("calico.encapsulationMode", "Forbidden")]),
    ("vxlanMode unknown", {"vxlanMode": "always"}, V4,
     [("calico.vxlanMode", "Forbidden"), ("calico.vxlanMode", "Unsupported value")]),
    ("vxlanMode with implicit ipip", {"vxlanMode": "Always"}, V4, [("calico.vxlanMode", "Forbidden")]),
    ("vxlanMode with vxlan", {"encapsulationMode": "vxlan", "vxlanMode": "Always"}, V4, []),
    ("vxlanMode Never with ipip", {"vxlanMode": "Never"}, V4, []),
    ("ipipMode needs ipip on IPv6 (none)", {"ipipMode": "Always"}, V6, [("calico.ipipMode", "Forbidden")]),
    ("can-reach with an IPv6 address for IPv4", {"ipv4AutoDetectionMethod": "can-reach=2001:db8::1"}, V4,
     [("calico.ipv4AutoDetectionMethod", "Invalid value")]),
    ("can-reach with an IPv4 address for IPv6", {"ipv6AutoDetectionMethod": "can-reach=198.18.0.1"}, V4,
     [("calico.ipv6AutoDetectionMethod", "Invalid value")]),
    ("can-reach with a name", {"ipv4AutoDetectionMethod": "can-reach=www.example.com"}, V4,
     [("calico.ipv4AutoDetectionMethod", "Invalid value")]),
    ("can-reach without a value", {"ipv4AutoDetectionMethod": "can-reach"}, V4,
     [("calico.ipv4AutoDetectionMethod", "Invalid value")]),
    ("skip-interface with nothing", {"ipv4AutoDetectionMethod": "skip-interface="}, V4,
     [("calico.ipv4AutoDetectionMethod", "Invalid value")]),
    ("interface with two bad regexes: both reported", {"ipv4AutoDetectionMethod": "interface=(,[a"}, V4,
     [("calico.ipv4AutoDetectionMethod", "Invalid value")] * 2),
    ("interface regex with lookahead (RE2 refuses it)", {"ipv4AutoDetectionMethod": "interface=eth(?!0)"}, V4,
     [("calico.ipv4AutoDetectionMethod", "Invalid value")]),
    ("interface list with spaces", {"ipv4AutoDetectionMethod": "interface=eth0 , ens.*"}, V4, []),
    ("first-found with a parameter is accepted by kOps", {"ipv4AutoDetectionMethod": "first-found=x"}, V4, []),
    ("none is not a method a user may set", {"ipv4AutoDetectionMethod": "none"}, V4,
     [("calico.ipv4AutoDetectionMethod", "Invalid value")]),
    ("iptablesBackend", {"iptablesBackend": "nft"}, V4, [("calico.iptablesBackend", "Unsupported value")]),
    ("iptablesBackend NFT", {"iptablesBackend": "NFT"}, V4, []),
    ("WireGuard on IPv6", {"wireguardEnabled": True}, V6, [("calico.wireguardEnabled", "Forbidden")]),
    ("WireGuard on dual stack", {"wireguardEnabled": True}, Context(ip_family="dual"), []),
    ("WireGuard off on IPv6", {"wireguardEnabled": False}, V6, []),
    # beyond kOps
    ("nftablesMode", {"nftablesMode": "On"}, V4, [("calico.nftablesMode", "Unsupported value")]),
    ("nftablesMode Enabled", {"nftablesMode": "Enabled"}, V4, []),
    ("logSeverityScreen any case", {"logSeverityScreen": "WARNING"}, V4, []),
    ("logSeverityScreen unknown", {"logSeverityScreen": "verbose"}, V4,
     [("calico.logSeverityScreen", "Unsupported value")]),
    ("mtu too small", {"mtu": 40}, V4, [("calico.mtu", "Invalid value")]),
    ("mtu too small for IPv6", {"mtu": 1200}, Context(ip_family="dual"), [("calico.mtu", "Invalid value")]),
    ("mtu 0 is auto", {"mtu": 0}, V4, []),
    ("mtu negative", {"mtu": -1}, V4, [("calico.mtu", "Invalid value")]),
    ("metrics port", {"prometheusMetricsPort": 70000}, V4, [("calico.prometheusMetricsPort", "Invalid value")]),
    ("typha metrics port", {"typhaPrometheusMetricsPort": -3}, V4,
     [("calico.typhaPrometheusMetricsPort", "Invalid value")]),
    ("unknown field", {"ipipmode": "Always"}, V4, [("calico.ipipmode", "Forbidden")]),
    ("snake_case inside spec", {"ipip_mode": "Always"}, V4, [("calico.ipip_mode", "Forbidden")]),
    ("wrong type", {"mtu": "big", "bpfEnabled": "yes", "ipipMode": 3}, V4,
     [("calico.bpfEnabled", "Invalid value"), ("calico.ipipMode", "Invalid value"), ("calico.mtu", "Invalid value")]),
    ("numbers and booleans as strings (YAML)", {"mtu": "9001", "bpfEnabled": "true", "typhaReplicas": "3"}, V4, []),
    ("kOps image fields pass", {"registry": "quay.io", "version": "v3.31.6", "cpuRequest": "250m",
                                "majorVersion": "v3"}, V4, []),
]


@pytest.mark.parametrize("desc,spec,ctx,expected", KOPS_CASES + RULE_CASES, ids=[c[0] for c in KOPS_CASES + RULE_CASES])
def test_validation(desc, spec, ctx, expected):
    r = build(spec, {}, ctx)
    assert kinds(r.errors) == sorted(expected), r.errors


def test_messages_are_kops_messages():
    r = build({"typhaReplicas": -1, "ipipMode": "Always", "encapsulationMode": "vxlan", "awsSrcDstCheck": "off"},
              {}, V4)
    assert r.errors == [
        'calico.awsSrcDstCheck: Unsupported value: "off": supported values: "Enable", "Disable", "DoNothing"',
        'calico.ipipMode: Forbidden: IP-in-IP encapsulation requires use of Calico\'s "ipip" encapsulation mode',
        "calico.typhaReplicas: Invalid value: -1: Unable to set number of Typha replicas to less than 0, "
        "you've specified -1",
    ]
    r = build({"encapsulationMode": "none"}, {}, V4)
    assert r.errors == ['calico.encapsulationMode: Forbidden: encapsulationMode "none" is only supported for IPv6 clusters']
    r = build({"encapsulationMode": "ipip"}, {}, V6)
    assert r.errors == ['calico.encapsulationMode: Forbidden: IPv6 requires an encapsulationMode of "none"']
    r = build({"ipv4AutoDetectionMethod": "interface=foo=bar"}, {}, V4)
    assert r.errors == ['calico.ipv4AutoDetectionMethod: Invalid value: "interface=foo=bar": malformed autodetection method']


def test_all_violations_at_once():
    spec = {"encapsulationMode": "vxlan", "ipipMode": "Always", "bpfEnabled": True, "typhaReplicas": -2,
            "chainInsertMode": "middle", "bpfLogLevel": "Loud", "ipv4AutoDetectionMethod": "can-reach=::1",
            "iptablesBackend": "Nft", "wireguardEnabled": True, "bogus": 1}
    r = build(spec, {"vxlan_mode": "Sometimes"}, Context(kube_proxy=True))
    paths = {p for p, _kind in kinds(r.errors)}
    assert paths == {"calico.ipipMode", "kube_proxy", "calico.typhaReplicas", "calico.chainInsertMode",
                     "calico.bpfLogLevel", "calico.ipv4AutoDetectionMethod", "calico.iptablesBackend",
                     "calico.bogus", "calico.vxlanMode"}
    assert len(r.errors) == 9


def test_snake_options_and_conflicts():
    a = build({"encapsulationMode": "vxlan", "vxlanMode": "Always", "mtu": 1400}, {}, V4)
    b = build(None, {"encapsulation_mode": "vxlan", "vxlan_mode": "Always", "mtu": 1400}, V4)
    assert a.effective == b.effective and not a.errors and not b.errors
    same = build({"ipipMode": "Always"}, {"ipip_mode": "Always"}, V4)
    assert not same.errors
    c = build({"ipipMode": "Always"}, {"ipip_mode": "Never"}, V4)
    assert kinds(c.errors) == [("calico.ipipMode", "Invalid value")]
    assert "conflicts with spec.ipipMode" in c.errors[0]
    assert set(net_spec.SNAKE_OPTIONS) >= {"encapsulation_mode", "ipip_mode", "vxlan_mode", "cross_subnet",
                                           "aws_src_dst_check", "mtu", "typha_replicas", "bpf_enabled",
                                           "bpf_external_service_mode", "bpf_log_level",
                                           "bpf_kube_proxy_iptables_cleanup_enabled", "wireguard_enabled",
                                           "chain_insert_mode", "iptables_backend", "nftables_mode",
                                           "ipv4_auto_detection_method", "ipv6_auto_detection_method",
                                           "log_severity_screen", "prometheus_metrics_enabled",
                                           "prometheus_metrics_port", "prometheus_go_metrics_enabled",
                                           "prometheus_process_metrics_enabled", "typha_prometheus_metrics_enabled",
                                           "typha_prometheus_metrics_port", "allow_ip_forwarding"}


def test_spec_not_a_mapping():
    r = build(["ipip"], {}, V4)
    assert kinds(r.errors) == [("calico", "Invalid value")]


@pytest.mark.parametrize("ctx,err", [
    (Context(ip_family="ipv5"), "ip_family"),
    (Context(cloud="digitalocean"), "cloud"),
])
def test_bad_context(ctx, err):
    r = build({}, {}, ctx)
    assert [p for p, _kind in kinds(r.errors)] == [err]


# ------------------------------------------------------------------------------------ defaults

DEFAULTS = [
    # (ip_family, cloud, spec) -> encap, ipipMode, vxlanMode, awsSrcDstCheck, backend, v4 autodetect, v6 autodetect
    ("ipv4", "metal", {}, ("ipip", "CrossSubnet", "Never", "DoNothing", "bird", "first-found", "none")),
    ("ipv4", "aws", {}, ("ipip", "CrossSubnet", "Never", "Disable", "bird", "first-found", "none")),
    ("ipv4", "gce", {}, ("ipip", "CrossSubnet", "Never", "DoNothing", "bird", "first-found", "none")),
    ("ipv4", "openstack", {}, ("ipip", "Always", "Never", "DoNothing", "bird", "first-found", "none")),
    ("ipv4", "azure", {}, ("vxlan", "Never", "Always", "DoNothing", "vxlan", "first-found", "none")),
    ("ipv6", "metal", {}, ("none", "Never", "Never", "DoNothing", "none", "none", "first-found")),
    ("ipv6", "aws", {}, ("none", "Never", "Never", "DoNothing", "none", "none", "first-found")),
    ("ipv6", "openstack", {}, ("none", "Never", "Never", "DoNothing", "none", "none", "first-found")),
    ("dual", "metal", {}, ("ipip", "CrossSubnet", "Never", "DoNothing", "bird", "first-found", "first-found")),
    ("dual", "aws", {}, ("ipip", "CrossSubnet", "Never", "Disable", "bird", "first-found", "first-found")),
    ("ipv4", "metal", {"encapsulationMode": "vxlan"},
     ("vxlan", "Never", "CrossSubnet", "DoNothing", "vxlan", "first-found", "none")),
    ("ipv4", "openstack", {"encapsulationMode": "vxlan"},
     ("vxlan", "Never", "CrossSubnet", "DoNothing", "vxlan", "first-found", "none")),
    ("ipv4", "azure", {"vxlanMode": "CrossSubnet"},
     ("vxlan", "Never", "CrossSubnet", "DoNothing", "vxlan", "first-found", "none")),
    ("ipv4", "aws", {"awsSrcDstCheck": "Enable"}, ("ipip", "CrossSubnet", "Never", "Enable", "bird", "first-found", "none")),
    ("ipv4", "gce", {"awsSrcDstCheck": "Enable"},
     ("ipip", "CrossSubnet", "Never", "DoNothing", "bird", "first-found", "none")),
    ("ipv4", "metal", {"ipipMode": "Never"}, ("ipip", "Never", "Never", "DoNothing", "bird", "first-found", "none")),
    ("ipv4", "aws", {"ipv4AutoDetectionMethod": "can-reach=198.18.0.1"},
     ("ipip", "CrossSubnet", "Never", "Disable", "bird", "can-reach=198.18.0.1", "none")),
]


@pytest.mark.parametrize("family,cloud,spec,want", DEFAULTS, ids=[f"{d[0]}-{d[1]}-{d[2]}" for d in DEFAULTS])
def test_defaults(family, cloud, spec, want):
    r = build(spec, {}, Context(ip_family=family, cloud=cloud))
    assert not r.errors, r.errors
    e = r.effective
    got = (e["encapsulationMode"], e["ipipMode"], e["vxlanMode"], e["awsSrcDstCheck"], r.backend,
           e["ipv4AutoDetectionMethod"], e["ipv6AutoDetectionMethod"])
    assert got == want


def test_other_defaults_are_kops_template_defaults():
    e = build({}, {}, V4).effective
    assert {k: e[k] for k in ("bpfEnabled", "bpfExternalServiceMode", "bpfLogLevel", "chainInsertMode",
                              "iptablesBackend", "logSeverityScreen", "mtu", "prometheusMetricsPort",
                              "typhaPrometheusMetricsPort", "typhaReplicas", "wireguardEnabled",
                              "allowIPForwarding", "bpfKubeProxyIptablesCleanupEnabled")} == {
        "bpfEnabled": False, "bpfExternalServiceMode": "Tunnel", "bpfLogLevel": "Off", "chainInsertMode": "insert",
        "iptablesBackend": "Auto", "logSeverityScreen": "info", "mtu": 0, "prometheusMetricsPort": 9091,
        "typhaPrometheusMetricsPort": 9093, "typhaReplicas": 0, "wireguardEnabled": False,
        "allowIPForwarding": False, "bpfKubeProxyIptablesCleanupEnabled": False}
    assert "nftablesMode" not in e and "crossSubnet" not in e


def test_no_effect_warnings():
    r = build({"crossSubnet": True, "awsSrcDstCheck": "Disable"}, {}, Context(cloud="gce"))
    assert not r.errors
    assert any("crossSubnet" in w for w in r.warnings)
    assert any("awsSrcDstCheck" in w for w in r.warnings)
    r = build({"typhaReplicas": 2}, {}, Context(datastore_type="etcdv3"))
    assert any("typhaReplicas" in w for w in r.warnings)


@pytest.mark.parametrize("spec,ctx,nodes,mesh,want", [
    ({}, Context(), 50, True, 0),
    ({}, Context(), 51, True, 1),                                   # full mesh
    ({}, Context(), 51, False, 0),                                  # route reflectors, mesh off
    ({"encapsulationMode": "vxlan"}, Context(), 200, True, 0),      # no BGP at all
    ({}, Context(datastore_type="kubernetes"), 51, True, 2),        # mesh + no Typha
    ({"typhaReplicas": 3}, Context(datastore_type="kubernetes"), 51, False, 0),
    ({"encapsulationMode": "vxlan"}, Context(datastore_type="kubernetes"), 51, True, 1),
])
def test_scale_warnings(spec, ctx, nodes, mesh, want):
    eff = build(spec, {}, ctx).effective
    assert len(net_settings.scale_warnings(eff, ctx, nodes, mesh)) == want


# ------------------------------------------------------------------------------- derived settings


def test_felix_spec_spellings_and_mtu():
    e = build({"chainInsertMode": "append", "logSeverityScreen": "WARNING", "nftablesMode": "Enabled"}, {},
              Context(ip_family="dual")).effective
    tunnels = _mtu.tunnel_mtus(9001)
    f = net_settings.felix_spec(e, Context(ip_family="dual"), tunnels)
    assert f["chainInsertMode"] == "Append" and f["logSeverityScreen"] == "Warning"
    assert f["nftablesMode"] == "Enabled" and f["wireguardEnabledV6"] is False
    assert (f["ipipMTU"], f["vxlanMTU"], f["vxlanMTUV6"], f["wireguardMTU"], f["wireguardMTUV6"]) == \
        (8981, 8951, 8931, 8941, 8921)
    f = net_settings.felix_spec(build({}, {}, V4).effective, V4, _mtu.tunnel_mtus())
    assert "ipipMTU" not in f and "wireguardEnabledV6" not in f and "nftablesMode" not in f


@pytest.mark.parametrize("family,spec,backend,live", [
    ("ipv4", {}, "bird", ["-felix-live", "-bird-live"]),
    ("ipv4", {"encapsulationMode": "vxlan"}, "vxlan", ["-felix-live"]),
    ("ipv6", {}, "none", ["-felix-live"]),
    ("dual", {}, "bird", ["-felix-live", "-bird-live", "-bird6-live"]),
])
def test_node_settings_probes(family, spec, backend, live):
    ctx = Context(ip_family=family)
    r = build(spec, {}, ctx)
    ns = net_settings.node_settings(r.effective, ctx, r.backend, [], {"veth": 0})
    assert ns["env"]["CALICO_NETWORKING_BACKEND"] == backend
    assert ns["probes"]["liveness"] == live
    assert ns["probes"]["readiness"] == [x.replace("live", "ready") for x in live]


def test_node_settings_env():
    ctx = Context(ip_family="dual")
    r = build({"encapsulationMode": "vxlan", "typhaReplicas": 2, "allowIPForwarding": True}, {}, ctx)
    pools, errs = net_pools.pools_from_options(None, "100.96.0.0/11", "fd00:10::/64", None, None, ctx)
    assert not errs
    ns = net_settings.node_settings(r.effective, ctx, r.backend, pools, {"veth": 8951})
    assert ns["env"] == {
        "CALICO_NETWORKING_BACKEND": "vxlan", "IP": "autodetect", "IP6": "autodetect",
        "IP_AUTODETECTION_METHOD": "first-found", "IP6_AUTODETECTION_METHOD": "first-found",
        "CALICO_IPV4POOL_IPIP": "Never", "CALICO_IPV4POOL_VXLAN": "CrossSubnet",
        "CALICO_IPV6POOL_VXLAN": "CrossSubnet", "FELIX_IPV6SUPPORT": "true",
        "FELIX_HEALTHENABLED": "true", "FELIX_DEFAULTENDPOINTTOHOSTACTION": "ACCEPT",
        "CALICO_IPV4POOL_CIDR": "100.96.0.0/11", "CALICO_IPV6POOL_CIDR": "fd00:10::/64",
        "FELIX_TYPHAK8SSERVICENAME": "calico-typha"}
    assert ns["cni"] == {"mtu": 8951, "allow_ip_forwarding": True}
    assert ns["typha"]["replicas"] == 2 and ns["typha"]["service_name"] == "calico-typha"


@pytest.mark.parametrize("spec,v6", [
    ({}, {"ipipMode": "Never", "vxlanMode": "Never"}),
    ({"encapsulationMode": "vxlan"}, {"ipipMode": "Never", "vxlanMode": "CrossSubnet"}),
    ({"encapsulationMode": "vxlan", "vxlanMode": "Always"}, {"ipipMode": "Never", "vxlanMode": "Always"}),
])
def test_ipv6_pool_modes(spec, v6):
    assert net_settings.pool_modes(build(spec, {}, Context(ip_family="dual")).effective, 6) == v6


@pytest.mark.parametrize("pools,v4,v6,family,errors", [
    (None, None, None, "ipv4", []),
    (None, "198.18.0.0/16", None, "ipv4", []),
    (None, "198.18.0.1/16", None, "ipv4", ["ipv4_pool_cidr: Invalid value"]),
    (None, None, "fd00::/64", "ipv4", ["ipv6_pool_cidr: Forbidden"]),
    (None, "198.18.0.0/16", "fd00::/64", "dual", []),
    ([{"name": "a", "cidr": "198.18.0.0/16"}, {"name": "a", "cidr": "198.19.0.0/16"}], None, None, "ipv4",
     ["pools[1].name: Duplicate value"]),
    ([{"name": "a", "cidr": "fd00::/64"}], None, None, "ipv4",
     ["pools[0].cidr: Forbidden", "pools: Invalid value"]),
    ([{"name": "a", "cidr": "198.18.0.0/16", "block_size": 33}], None, None, "ipv4",
     ["pools[0].block_size: Invalid value"]),
    ([{"name": "a", "cidr": "198.18.0.0/28", "block_size": 26}], None, None, "ipv4",
     ["pools[0].block_size: Invalid value"]),
    ([{"name": "a", "cidr": "198.18.0.0/16"}], "198.19.0.0/16", None, "ipv4", ["ipv4_pool_cidr: Forbidden"]),
])
def test_pools_from_options(pools, v4, v6, family, errors):
    items = [dict({"block_size": None, "nat_outgoing": None, "node_selector": None, "disabled": None}, **p)
             for p in pools] if pools else pools
    _pools, errs = net_pools.pools_from_options(items, v4, v6, None, None, Context(ip_family=family))
    assert [e.split(": ")[0] + ": " + e.split(": ")[1] for e in errs] == errors


def test_pool_defaults():
    pools, _errs = net_pools.pools_from_options(None, "198.18.0.0/16", "fd00::/64", None, None, Context(ip_family="dual"))
    assert [(p.name, p.version, p.cidr, p.nat_outgoing) for p in pools] == [
        ("default-ipv4-ippool", 4, "198.18.0.0/16", True), ("default-ipv6-ippool", 6, "fd00::/64", False)]


# ------------------------------------------------------------------------- migration (pure part)

IPIP = {"ipipMode": "CrossSubnet", "vxlanMode": "Never"}
VXLAN = {"ipipMode": "Never", "vxlanMode": "Always"}
NONE = {"ipipMode": "Never", "vxlanMode": "Never"}


@pytest.mark.parametrize("specs,want", [
    ([], "new"), ([IPIP], "ipip"), ([VXLAN, VXLAN], "vxlan"), ([NONE], "none"), ([IPIP, VXLAN], "mixed"),
    ([IPIP, NONE], "ipip"), ([{}], "none"),
])
def test_classify(specs, want):
    assert net_migration.classify(specs) == want


@pytest.mark.parametrize("target,cls,felix,want", [
    ("vxlan", "ipip", None, ("ipip->vxlan", 1)),
    ("vxlan", "ipip", {"ipipEnabled": True, "vxlanEnabled": False}, ("ipip->vxlan", 1)),
    ("vxlan", "ipip", {"vxlanEnabled": True}, ("ipip->vxlan", 1)),       # ipip not pinned yet
    ("vxlan", "ipip", {"ipipEnabled": True, "vxlanEnabled": True}, ("ipip->vxlan", 2)),
    ("vxlan", "mixed", {"ipipEnabled": True, "vxlanEnabled": True}, ("ipip->vxlan", 2)),
    ("vxlan", "vxlan", {"ipipEnabled": True, "vxlanEnabled": True}, ("ipip->vxlan", 3)),
    ("vxlan", "vxlan", {"ipipEnabled": False, "vxlanEnabled": True}, (None, None)),
    ("vxlan", "vxlan", None, (None, None)),
    ("vxlan", "new", None, (None, None)),
    ("vxlan", "none", None, (None, None)),
    ("ipip", "vxlan", {"ipipEnabled": False, "vxlanEnabled": True}, ("vxlan->ipip", 1)),
    ("ipip", "vxlan", {"ipipEnabled": True, "vxlanEnabled": True}, ("vxlan->ipip", 2)),
    ("ipip", "ipip", {"ipipEnabled": True, "vxlanEnabled": True}, ("vxlan->ipip", 3)),
    ("ipip", "ipip", {"ipipEnabled": True, "vxlanEnabled": False}, (None, None)),
    ("none", "none", None, (None, None)),
])
def test_derive_stage(target, cls, felix, want):
    assert net_migration.derive_stage(target, cls, felix) == want


def test_nodes_missing_tunnel():
    nodes = [{"metadata": {"name": "a"}, "spec": {"ipv4VXLANTunnelAddr": "10.0.0.1", "ipv6VXLANTunnelAddr": "fd00::1"}},
             {"metadata": {"name": "b"}, "spec": {"ipv4VXLANTunnelAddr": "10.0.0.2"}},
             {"metadata": {"name": "c"}, "spec": {"bgp": {"ipv4IPIPTunnelAddr": "10.0.0.3"}}}]
    assert net_migration.nodes_missing_tunnel(nodes, "ipip->vxlan", True, False) == ["c"]
    assert net_migration.nodes_missing_tunnel(nodes, "ipip->vxlan", True, True) == ["b", "c"]
    assert net_migration.nodes_missing_tunnel(nodes, "vxlan->ipip", True, False) == ["a", "b"]


def test_validate_only_result():
    ctx = Context(ip_family="ipv4", cloud="aws", node_count=80)
    r = build({"wireguardEnabled": True}, {}, ctx)
    out = net_apply.validate_only(r, ctx, [], 9001, None, [])
    assert out["valid"] and out["errors"] == [] and out["backend"] == "bird"
    assert out["mtu"] == {"ipip": 8981, "vxlan": 8951, "vxlan_v6": 8931, "wireguard": 8941, "wireguard_v6": 8921,
                          "veth": 8941}
    assert any("full BGP mesh" in w for w in out["warnings"])
    bad = build({"encapsulationMode": "vxlan", "ipipMode": "Always"}, {}, ctx)
    out = net_apply.validate_only(bad, ctx, [], None, None, [])
    assert not out["valid"] and out["errors"] and out["mtu"]["veth"] == 0


def test_validate_only_runs_the_checks_of_a_real_run():
    """as_number 0 fails a real run (before connecting), so validate_only must call it invalid."""
    out = net_apply.validate_only(build({}, {}, V4), V4, [], None, None, [], as_number=0)
    assert not out["valid"] and any(e.startswith("as_number: Invalid value: 0") for e in out["errors"])
