# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation of the networking spec: kOps' rules with kOps' messages
(pkg/apis/kops/validation/validation.go:1716-1887), then ours; ``build`` reads, defaults and
validates the spec, ``validate`` is every check of a calico_network task, run by validate_only and
by a real run alike."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from ansible_collections.netops.calico.plugins.module_utils._network.fielderrors import forbidden, invalid, unsupported
from ansible_collections.netops.calico.plugins.module_utils._network.spec import (
    AWS_SRC_DST_CHECK, BPF_EXTERNAL_SERVICE_MODES, BPF_LOG_LEVELS, CHAIN_INSERT_MODES, CLOUDS,
    IP_FAMILIES, IPTABLES_BACKENDS, LOG_SEVERITIES, NFTABLES_MODES, Context, SpecResult,
    builder_defaults, effective_spec, read_input,
)
from ansible_collections.netops.calico.plugins.module_utils._calico.ippool import ENCAP_MODES, ENCAPSULATIONS
from ansible_collections.netops.calico.plugins.module_utils._node import mtu as _mtu


def context_errors(ctx: Context) -> list[str]:
    errors = []
    if ctx.ip_family not in IP_FAMILIES:
        errors.append(unsupported("ip_family", ctx.ip_family, IP_FAMILIES))
    if ctx.cloud not in CLOUDS:
        errors.append(unsupported("cloud", ctx.cloud, CLOUDS))
    if ctx.node_count is not None and ctx.node_count < 0:
        errors.append(invalid("node_count", ctx.node_count, "must not be negative"))
    return errors


_RE2_UNSUPPORTED = re.compile(r"\(\?<?[=!]|\\[1-9]|\(\?P=")   # lookaround and backreferences


def _regex_error(rx: str) -> str | None:
    """Go regexp.Compile's verdict, approximated with Python's re plus RE2's refusals."""
    if _RE2_UNSUPPORTED.search(rx):
        return "invalid or unsupported Perl syntax (RE2 has no lookaround or backreferences)"
    try:
        re.compile(rx)
    except re.error as exc:
        return str(exc)
    return None


def autodetection_errors(path: str, method: str, version: int) -> list[str]:
    """validateCalicoAutoDetectionMethod (validation.go:1820-1887)."""
    parts = method.split("=")
    if len(parts) > 2:
        return [invalid(path, method, "malformed autodetection method")]
    kind = parts[0]
    if kind == "first-found":
        return []
    if kind == "can-reach":
        dest = parts[1] if len(parts) > 1 else ""
        try:
            ip = ipaddress.ip_address(dest)
        except ValueError:
            ip = None
        if ip is None or ip.version != version:
            return [invalid(path, method, f"must be a valid IPv{version} address")]
        return []
    if kind in ("interface", "skip-interface"):
        rest = parts[1] if len(parts) > 1 else ""
        regexes = re.split(r"\s*,\s*", rest)
        errs = []
        if not regexes or regexes[0] == "":
            errs.append(invalid(path, method, f"'{kind}=' must be followed by a comma separated list of "
                                              "interface regular expressions"))
        for rx in regexes:
            err = _regex_error(rx)
            if err:
                errs.append(invalid(path, method, f"regexp {rx} does not compile: {err}"))
        return errs
    return [invalid(path, method, "unsupported autodetection method")]


def kops_errors(merged: dict[str, Any], ctx: Context) -> list[str]:
    """Every violation, each naming its field: kOps' rules in kOps' order, then ours."""
    p = "calico."
    g = merged.get
    errs: list[str] = []
    if g("awsSrcDstCheck"):
        if ctx.ipv6_only and g("awsSrcDstCheck") != "DoNothing":
            errs.append(forbidden(p + "awsSrcDstCheck", 'awsSrcDstCheck may only be "DoNothing" for IPv6 clusters'))
        elif g("awsSrcDstCheck") not in AWS_SRC_DST_CHECK:
            errs.append(unsupported(p + "awsSrcDstCheck", g("awsSrcDstCheck"), AWS_SRC_DST_CHECK))
    # crossSubnet: kOps builds an Invalid error here but never appends it (validation.go:1728-1732)
    if g("bpfEnabled") and ctx.kube_proxy:
        errs.append(forbidden("kube_proxy", "calico in BPF mode (calico.bpfEnabled=true) requires kube-proxy to be "
                                            "disabled (kOps: spec.kubeProxy.enabled=false); remove kube-proxy and "
                                            "set kube_proxy: false"))
    for name, valid in (("bpfExternalServiceMode", BPF_EXTERNAL_SERVICE_MODES), ("bpfLogLevel", BPF_LOG_LEVELS),
                        ("chainInsertMode", CHAIN_INSERT_MODES)):
        if g(name) and g(name) not in valid:
            errs.append(unsupported(p + name, g(name), valid))
    encap = g("encapsulationMode")
    if encap:
        if encap not in ENCAPSULATIONS:
            errs.append(unsupported(p + "encapsulationMode", encap, ENCAPSULATIONS))
        if encap != "none" and ctx.ipv6_only:
            errs.append(forbidden(p + "encapsulationMode", 'IPv6 requires an encapsulationMode of "none"'))
        elif encap == "none" and not ctx.ipv6_only:
            errs.append(forbidden(p + "encapsulationMode", 'encapsulationMode "none" is only supported for IPv6 clusters'))
        if encap != "vxlan" and ctx.cloud == "azure":
            errs.append(forbidden(p + "encapsulationMode", 'Azure requires an encapsulationMode of "vxlan"'))
    for name, own, what in (("ipipMode", "ipip", "IP-in-IP"), ("vxlanMode", "vxlan", "VXLAN")):
        mode = g(name)
        if not mode:
            continue
        if mode not in ENCAP_MODES:
            errs.append(unsupported(p + name, mode, ENCAP_MODES))
        if mode != "Never" and encap and encap != own:
            errs.append(forbidden(p + name, f"{what} encapsulation requires use of Calico's \"{own}\" "
                                            "encapsulation mode"))
    if g("ipv4AutoDetectionMethod"):
        errs += autodetection_errors(p + "ipv4AutoDetectionMethod", g("ipv4AutoDetectionMethod"), 4)
    if g("ipv6AutoDetectionMethod"):
        errs += autodetection_errors(p + "ipv6AutoDetectionMethod", g("ipv6AutoDetectionMethod"), 6)
    if g("iptablesBackend") and g("iptablesBackend") not in IPTABLES_BACKENDS:
        errs.append(unsupported(p + "iptablesBackend", g("iptablesBackend"), IPTABLES_BACKENDS))
    if (g("typhaReplicas") or 0) < 0:
        errs.append(invalid(p + "typhaReplicas", g("typhaReplicas"), "Unable to set number of Typha replicas to "
                            f"less than 0, you've specified {g('typhaReplicas')}"))
    if g("wireguardEnabled") and ctx.ipv6_only:
        errs.append(forbidden(p + "wireguardEnabled", "WireGuard is not supported on IPv6 clusters"))

    # beyond kOps: values Felix or the kernel would refuse later, on a running node
    if g("nftablesMode") and g("nftablesMode") not in NFTABLES_MODES:
        errs.append(unsupported(p + "nftablesMode", g("nftablesMode"), NFTABLES_MODES))
    sev = g("logSeverityScreen")
    if sev and sev.lower() not in [s.lower() for s in LOG_SEVERITIES]:
        errs.append(unsupported(p + "logSeverityScreen", sev, [s.lower() for s in LOG_SEVERITIES]))
    mtu = g("mtu")
    if mtu:
        lo = _mtu.MIN_MTU_V6 if ctx.has_ipv6 else _mtu.MIN_MTU
        if not lo <= mtu <= _mtu.MAX_MTU:
            errs.append(invalid(p + "mtu", mtu, f"must be 0 (auto-detect) or between {lo} and {_mtu.MAX_MTU}"
                                + (" (IPv6 needs at least 1280)" if ctx.has_ipv6 else "")))
    for name in ("prometheusMetricsPort", "typhaPrometheusMetricsPort"):
        port = g(name)
        if port and not 1 <= port <= 65535:
            errs.append(invalid(p + name, port, "must be a TCP port between 1 and 65535"))
    return errs


def build(spec: Any, options: dict[str, Any] | None, ctx: Context) -> SpecResult:
    """Normalise, default and validate. ``options`` maps snake_case option -> value (None: unset)."""
    user, errors = read_input(spec, options or {})
    errors = context_errors(ctx) + errors
    if any(e.startswith(("ip_family:", "cloud:")) for e in errors):
        return SpecResult({}, errors, [], user, {})
    merged = builder_defaults(user, ctx)
    errors += kops_errors(merged, ctx)
    eff = effective_spec(merged, ctx)
    warnings = []
    if user.get("crossSubnet") is not None:
        warnings.append("calico.crossSubnet is deprecated (kOps 1.22) and has no effect: cross-subnet "
                        "encapsulation is the default; use ipipMode/vxlanMode and awsSrcDstCheck")
    if user.get("awsSrcDstCheck") and not (ctx.cloud == "aws" and not ctx.ipv6_only):
        warnings.append(f"calico.awsSrcDstCheck={user['awsSrcDstCheck']} has no effect outside AWS IPv4 "
                        "clusters; DoNothing is applied")
    if eff["typhaReplicas"] and ctx.datastore_type != "kubernetes":
        warnings.append("calico.typhaReplicas only matters with the Kubernetes datastore; Felix talks to etcd "
                        "directly")
    return SpecResult(eff, errors, warnings, user, merged)


def validate(sr: SpecResult, pool_errors: list[str], host_mtu: int | None, as_number: int | None) -> list[str]:
    """Every error of a calico_network task that can be found without a datastore: the spec's
    (``build``), the pools' (``pools.pools_from_options``), host_mtu and as_number. validate_only
    reports these and a real run refuses to connect while there are any, so both say the same."""
    errors = sr.errors + pool_errors
    if host_mtu is not None and not _mtu.MIN_MTU <= host_mtu <= _mtu.MAX_MTU:
        errors.append(invalid("host_mtu", host_mtu, f"must be between {_mtu.MIN_MTU} and {_mtu.MAX_MTU}"))
    if as_number is not None and not 1 <= as_number <= 4294967295:
        errors.append(invalid("as_number", as_number, "must be between 1 and 4294967295"))
    return errors
