"""settings.felix_env: the FELIX_* env of a calico-node DaemonSet for a spec, as kOps renders it
(k8s-1.25.yaml.template), with the tunnel MTUs of the calico role's MTU computation."""

from __future__ import annotations

import pytest

from ansible_collections.netops.calico.plugins.module_utils._network import spec as _spec
from ansible_collections.netops.calico.plugins.module_utils._network.settings import felix_env
from ansible_collections.netops.calico.plugins.module_utils._node import mtu as _mtu


def eff(user: dict, ctx: _spec.Context) -> dict:
    return _spec.effective_spec(_spec.builder_defaults(user, ctx), ctx)


def test_kops_defaults():
    ctx = _spec.Context()
    env = felix_env(eff({}, ctx), ctx, _mtu.compute(None, None, ["ipip"]))
    assert env == {
        "FELIX_AWSSRCDSTCHECK": "DoNothing", "FELIX_BPFENABLED": "false", "FELIX_BPFEXTERNALSERVICEMODE": "Tunnel",
        "FELIX_BPFKUBEPROXYIPTABLESCLEANUPENABLED": "false", "FELIX_BPFLOGLEVEL": "Off",
        "FELIX_CHAININSERTMODE": "insert", "FELIX_IPTABLESBACKEND": "Auto", "FELIX_LOGSEVERITYSCREEN": "info",
        "FELIX_PROMETHEUSMETRICSENABLED": "false", "FELIX_PROMETHEUSMETRICSPORT": "9091",
        "FELIX_PROMETHEUSGOMETRICSENABLED": "false", "FELIX_PROMETHEUSPROCESSMETRICSENABLED": "false",
        "FELIX_WIREGUARDENABLED": "false", "FELIX_DEFAULTENDPOINTTOHOSTACTION": "ACCEPT",
        "FELIX_HEALTHENABLED": "true", "FELIX_IPV6SUPPORT": "false",
        "FELIX_IPINIPMTU": "0", "FELIX_VXLANMTU": "0", "FELIX_WIREGUARDMTU": "0"}


@pytest.mark.parametrize("user, ctx, expect", [
    ({"bpfEnabled": True, "bpfExternalServiceMode": "DSR"}, _spec.Context(),
     {"FELIX_BPFENABLED": "true", "FELIX_BPFEXTERNALSERVICEMODE": "DSR"}),
    ({"nftablesMode": "Enabled"}, _spec.Context(), {"FELIX_NFTABLESMODE": "Enabled"}),
    ({}, _spec.Context(cloud="aws"), {"FELIX_AWSSRCDSTCHECK": "Disable"}),
    ({"wireguardEnabled": True, "logSeverityScreen": "debug"}, _spec.Context(),
     {"FELIX_WIREGUARDENABLED": "true", "FELIX_LOGSEVERITYSCREEN": "debug"}),
    ({"encapsulationMode": "none"}, _spec.Context(ip_family="ipv6"),
     {"FELIX_IPV6SUPPORT": "true", "FELIX_VXLANMTUV6": "0", "FELIX_WIREGUARDMTUV6": "0"}),
])
def test_spec_fields(user, ctx, expect):
    env = felix_env(eff(user, ctx), ctx, _mtu.compute(None, None, []))
    assert {k: env.get(k) for k in expect} == expect
    if "nftablesMode" not in user:
        assert "FELIX_NFTABLESMODE" not in env          # unset in the spec: not rendered (kOps)


@pytest.mark.parametrize("host, mtu, enabled, expect", [
    (None, 1400, ["ipip"], ("1400", "1400", "1400")),            # explicit: all equal, as kOps' veth_mtu
    (1500, None, ["vxlan"], ("1480", "1450", "1440")),           # host MTU minus each overhead
    (9001, None, ["ipip", "wireguard"], ("8981", "8951", "8941")),
])
def test_tunnel_mtus(host, mtu, enabled, expect):
    ctx = _spec.Context()
    env = felix_env(eff({}, ctx), ctx, _mtu.compute(host, mtu, enabled))
    assert (env["FELIX_IPINIPMTU"], env["FELIX_VXLANMTU"], env["FELIX_WIREGUARDMTU"]) == expect
