# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The networking spec: kOps' ``CalicoNetworkingSpec`` semantics, defaults and validation in one
place, what it means for the datastore and the hosts, and the staged IPIP <-> VXLAN migration.

Sources copied by rule (kubernetes/kops 268927e2, 2026-08-22):
- fields: pkg/apis/kops/networking.go:178-283 (CalicoNetworkingSpec);
- defaults: pkg/model/components/calico.go (CalicoOptionsBuilder: encapsulationMode ipip, none on
  IPv6-only, vxlan + vxlanMode Always on Azure, merged *under* the user's values by
  upup/pkg/fi/loader/options_loader.go), upup/pkg/fi/cloudup/template_functions.go:343-374
  (CalicoIPv4PoolIPIPMode / VXLANMode / IPv6PoolVXLANMode) and the ``or`` defaults of
  upup/models/cloudup/resources/addons/networking.projectcalico.org/k8s-1.25.yaml.template
  (calico_backend 82, probes 7420-7442, env 7255-7400);
- validation: pkg/apis/kops/validation/validation.go:1716-1887 (validateNetworkingCalico,
  validateCalicoAutoDetectionMethod, validateCalicoEncapsulationMode), messages and field paths
  kept, rendered the way k8s.io/apimachinery field.Error prints them.

Sections: 1. fields, 2. reading the input, 3. defaults, 4. validation, 5. what the spec means for
the datastore and the hosts, 6. the staged migration (pure), 7. applying it to a datastore.
"""

from __future__ import annotations

import copy
import difflib
import ipaddress
import json
import re
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.netops.calico.plugins.module_utils._calico import ippool as _ippool
from ansible_collections.netops.calico.plugins.module_utils._node import mtu as _mtu
from ansible_collections.netops.calico.plugins.module_utils._datastore import fields as _fields
from ansible_collections.netops.calico.plugins.module_utils._datastore import model
from ansible_collections.netops.calico.plugins.module_utils._datastore.errors import DatastoreError, ValidationError
from ansible_collections.netops.calico.plugins.module_utils._resource.ensure import ensure_resource

# ---------------------------------------------------------------------------------------------
# 1. fields

IP_FAMILIES = ("ipv4", "ipv6", "dual")
CLOUDS = ("aws", "gce", "azure", "openstack", "metal")
ENCAPSULATION_MODES = ("ipip", "vxlan", "none")
POOL_MODES = ("Always", "CrossSubnet", "Never")
AWS_SRC_DST_CHECK = ("Enable", "Disable", "DoNothing")
BPF_EXTERNAL_SERVICE_MODES = ("Tunnel", "DSR")
BPF_LOG_LEVELS = ("Off", "Info", "Debug")
CHAIN_INSERT_MODES = ("insert", "append")
IPTABLES_BACKENDS = ("Auto", "Legacy", "NFT")
NFTABLES_MODES = ("Disabled", "Enabled", "Auto")          # Felix's enum; kOps does not check it
LOG_SEVERITIES = ("Trace", "Debug", "Info", "Warning", "Error", "Fatal")  # Felix, case-insensitive
BACKENDS = {"ipip": "bird", "vxlan": "vxlan", "none": "none"}  # k8s-1.25.yaml.template:82

# Beyond kOps: above this many nodes a full BGP mesh (n*(n-1)/2 sessions) and Felix talking to the
# API server directly (no Typha) are the usual scaling limits (kops PR #6047; Calico docs).
SCALE_LIMIT = 50


@dataclass(frozen=True)
class SpecField:
    camel: str            # kOps JSON name
    snake: str | None     # module option (None: only inside ``spec``)
    type: str             # str | bool | optbool | int | optint | quantity


SPEC_FIELDS: tuple[SpecField, ...] = (
    SpecField("registry", None, "str"),
    SpecField("version", None, "str"),
    SpecField("allowIPForwarding", "allow_ip_forwarding", "bool"),
    SpecField("awsSrcDstCheck", "aws_src_dst_check", "str"),
    SpecField("bpfEnabled", "bpf_enabled", "bool"),
    SpecField("bpfExternalServiceMode", "bpf_external_service_mode", "str"),
    SpecField("bpfKubeProxyIptablesCleanupEnabled", "bpf_kube_proxy_iptables_cleanup_enabled", "bool"),
    SpecField("bpfLogLevel", "bpf_log_level", "str"),
    SpecField("chainInsertMode", "chain_insert_mode", "str"),
    SpecField("cpuRequest", None, "quantity"),
    SpecField("crossSubnet", "cross_subnet", "optbool"),
    SpecField("encapsulationMode", "encapsulation_mode", "str"),
    SpecField("ipipMode", "ipip_mode", "str"),
    SpecField("ipv4AutoDetectionMethod", "ipv4_auto_detection_method", "str"),
    SpecField("ipv6AutoDetectionMethod", "ipv6_auto_detection_method", "str"),
    SpecField("iptablesBackend", "iptables_backend", "str"),
    SpecField("logSeverityScreen", "log_severity_screen", "str"),
    SpecField("mtu", "mtu", "optint"),
    SpecField("nftablesMode", "nftables_mode", "str"),
    SpecField("prometheusMetricsEnabled", "prometheus_metrics_enabled", "bool"),
    SpecField("prometheusMetricsPort", "prometheus_metrics_port", "int"),
    SpecField("prometheusGoMetricsEnabled", "prometheus_go_metrics_enabled", "bool"),
    SpecField("prometheusProcessMetricsEnabled", "prometheus_process_metrics_enabled", "bool"),
    SpecField("typhaPrometheusMetricsEnabled", "typha_prometheus_metrics_enabled", "bool"),
    SpecField("typhaPrometheusMetricsPort", "typha_prometheus_metrics_port", "int"),
    SpecField("typhaReplicas", "typha_replicas", "int"),
    SpecField("vxlanMode", "vxlan_mode", "str"),
    SpecField("wireguardEnabled", "wireguard_enabled", "optbool"),
    SpecField("majorVersion", None, "str"),      # v1alpha2 only, unused by kOps
)
BY_CAMEL = {f.camel: f for f in SPEC_FIELDS}
BY_SNAKE = {f.snake: f for f in SPEC_FIELDS if f.snake}
SNAKE_OPTIONS = tuple(BY_SNAKE)


@dataclass
class Context:
    """What the spec depends on besides itself."""

    ip_family: str = "ipv4"
    cloud: str = "metal"
    kube_proxy: bool | None = None       # None: not known (kOps: spec.kubeProxy unset)
    node_count: int | None = None
    datastore_type: str = "etcdv3"

    @property
    def ipv6_only(self) -> bool:
        return self.ip_family == "ipv6"

    @property
    def has_ipv4(self) -> bool:
        return self.ip_family in ("ipv4", "dual")

    @property
    def has_ipv6(self) -> bool:
        return self.ip_family in ("ipv6", "dual")


@dataclass
class SpecResult:
    effective: dict[str, Any]
    errors: list[str]
    warnings: list[str]
    user: dict[str, Any] = field(default_factory=dict)      # what was set (camelCase)
    merged: dict[str, Any] = field(default_factory=dict)    # user over kOps' builder defaults

    @property
    def backend(self) -> str:
        return BACKENDS.get(self.effective.get("encapsulationMode"), "bird")


# ---------------------------------------------------------------------------------------------
# 2. reading the input


def go_value(value: Any) -> str:
    """A value the way field.Error prints it: strings quoted, the rest bare."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (int, float)) or value is None:
        return "null" if value is None else str(value)
    return json.dumps(value, default=str)


def unsupported(path: str, value: Any, valid: tuple[str, ...] | list[str]) -> str:
    return f"{path}: Unsupported value: {go_value(value)}: supported values: " + ", ".join(go_value(v) for v in valid)


def invalid(path: str, value: Any, detail: str) -> str:
    return f"{path}: Invalid value: {go_value(value)}: {detail}"


def forbidden(path: str, detail: str) -> str:
    return f"{path}: Forbidden: {detail}"


def _coerce(kind: str, value: Any) -> tuple[Any, str | None]:
    if kind == "str":
        return (value, None) if isinstance(value, str) else (None, "must be a string")
    if kind in ("bool", "optbool"):
        if isinstance(value, bool):
            return value, None
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true", None
        return None, "must be true or false"
    if kind in ("int", "optint"):
        if isinstance(value, bool):
            return None, "must be an integer"
        if isinstance(value, int):
            return value, None
        if isinstance(value, float) and value.is_integer():
            return int(value), None
        if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value.strip()):
            return int(value), None
        return None, "must be an integer"
    if kind == "quantity":
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            return None, "must be a Kubernetes quantity such as 250m"
        return str(value), None
    raise ValueError(kind)


def read_input(spec: Any, options: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The user's settings in kOps' camelCase from ``spec`` (the kOps block verbatim) and the
    snake_case options (None = not set). Returns (settings, errors); a setting given in both
    places with different values is an error."""
    errors: list[str] = []
    user: dict[str, Any] = {}
    if spec is None:
        spec = {}
    if not isinstance(spec, dict):
        return {}, [invalid("calico", spec, "must be a mapping (the networking.calico block of a kOps cluster spec)")]
    for key, value in spec.items():
        f = BY_CAMEL.get(key)
        if f is None:
            hint = ""
            if key in BY_SNAKE:
                hint = f"; inside spec use the kOps name {BY_SNAKE[key].camel!r}"
            else:
                close = difflib.get_close_matches(str(key), list(BY_CAMEL), n=1)
                if close:
                    hint = f"; did you mean {close[0]!r}?"
            errors.append(forbidden(f"calico.{key}", f"unknown field: not a kOps CalicoNetworkingSpec field{hint}"))
            continue
        if value is None:
            continue
        v, err = _coerce(f.type, value)
        if err:
            errors.append(invalid(f"calico.{key}", value, err))
            continue
        user[key] = v
    for opt, value in options.items():
        if value is None:
            continue
        f = BY_SNAKE.get(opt)
        if f is None:
            raise ValueError(f"not a spec option: {opt}")
        v, err = _coerce(f.type, value)
        if err:
            errors.append(invalid(f"calico.{f.camel}", value, f"{err} (option {opt})"))
            continue
        if f.camel in user and user[f.camel] != v:
            errors.append(invalid(f"calico.{f.camel}", v, f"option {opt} conflicts with spec.{f.camel}="
                                  f"{go_value(user[f.camel])}; set it in one place"))
            continue
        user[f.camel] = v
    return user, errors


def context_errors(ctx: Context) -> list[str]:
    errors = []
    if ctx.ip_family not in IP_FAMILIES:
        errors.append(unsupported("ip_family", ctx.ip_family, IP_FAMILIES))
    if ctx.cloud not in CLOUDS:
        errors.append(unsupported("cloud", ctx.cloud, CLOUDS))
    if ctx.node_count is not None and ctx.node_count < 0:
        errors.append(invalid("node_count", ctx.node_count, "must not be negative"))
    return errors


# ---------------------------------------------------------------------------------------------
# 3. defaults


def builder_defaults(user: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """CalicoOptionsBuilder's values with the user's merged over them (JSONMergeStruct: a user
    field that is set, i.e. not the Go zero value, wins)."""
    builder: dict[str, Any] = {"encapsulationMode": "none" if ctx.ipv6_only else "ipip"}
    if ctx.cloud == "azure":
        builder = {"encapsulationMode": "vxlan", "vxlanMode": "Always"}
    merged = dict(user)
    for k, v in builder.items():
        if not merged.get(k):
            merged[k] = v
    return merged


def effective_spec(merged: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Every field as it reaches calico-node (template functions and ``or`` defaults)."""
    g = merged.get
    encap = g("encapsulationMode") or "ipip"
    eff: dict[str, Any] = {}
    for k in ("registry", "version", "cpuRequest", "majorVersion"):
        if g(k):
            eff[k] = g(k)
    eff["allowIPForwarding"] = bool(g("allowIPForwarding"))
    # tmpl:7357 - only AWS IPv4 clusters get anything but DoNothing
    eff["awsSrcDstCheck"] = (g("awsSrcDstCheck") or "Disable") if ctx.cloud == "aws" and not ctx.ipv6_only \
        else "DoNothing"
    eff["bpfEnabled"] = bool(g("bpfEnabled"))
    eff["bpfExternalServiceMode"] = g("bpfExternalServiceMode") or "Tunnel"
    eff["bpfKubeProxyIptablesCleanupEnabled"] = bool(g("bpfKubeProxyIptablesCleanupEnabled"))
    eff["bpfLogLevel"] = g("bpfLogLevel") or "Off"
    eff["chainInsertMode"] = g("chainInsertMode") or "insert"
    if g("crossSubnet") is not None:
        eff["crossSubnet"] = g("crossSubnet")           # deprecated, no effect
    eff["encapsulationMode"] = encap
    # CalicoIPv4PoolIPIPMode
    if encap != "ipip":
        eff["ipipMode"] = "Never"
    else:
        eff["ipipMode"] = g("ipipMode") or ("Always" if ctx.cloud == "openstack" else "CrossSubnet")
    eff["ipv4AutoDetectionMethod"] = g("ipv4AutoDetectionMethod") or ("none" if ctx.ipv6_only else "first-found")
    eff["ipv6AutoDetectionMethod"] = g("ipv6AutoDetectionMethod") or ("first-found" if ctx.has_ipv6 else "none")
    eff["iptablesBackend"] = g("iptablesBackend") or "Auto"
    eff["logSeverityScreen"] = g("logSeverityScreen") or "info"
    eff["mtu"] = g("mtu") or 0
    if g("nftablesMode"):
        eff["nftablesMode"] = g("nftablesMode")         # unset: the env var is not rendered
    eff["prometheusMetricsEnabled"] = bool(g("prometheusMetricsEnabled"))
    eff["prometheusMetricsPort"] = g("prometheusMetricsPort") or 9091
    eff["prometheusGoMetricsEnabled"] = bool(g("prometheusGoMetricsEnabled"))
    eff["prometheusProcessMetricsEnabled"] = bool(g("prometheusProcessMetricsEnabled"))
    eff["typhaPrometheusMetricsEnabled"] = bool(g("typhaPrometheusMetricsEnabled"))
    eff["typhaPrometheusMetricsPort"] = g("typhaPrometheusMetricsPort") or 9093
    eff["typhaReplicas"] = g("typhaReplicas") or 0
    # CalicoIPv4PoolVXLANMode
    eff["vxlanMode"] = "Never" if encap != "vxlan" else (g("vxlanMode") or "CrossSubnet")
    eff["wireguardEnabled"] = bool(g("wireguardEnabled"))   # WithDefaultBool ... false
    return eff


# ---------------------------------------------------------------------------------------------
# 4. validation

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


def validate(merged: dict[str, Any], ctx: Context) -> list[str]:
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
        if encap not in ENCAPSULATION_MODES:
            errs.append(unsupported(p + "encapsulationMode", encap, ENCAPSULATION_MODES))
        if encap != "none" and ctx.ipv6_only:
            errs.append(forbidden(p + "encapsulationMode", 'IPv6 requires an encapsulationMode of "none"'))
        elif encap == "none" and not ctx.ipv6_only:
            errs.append(forbidden(p + "encapsulationMode", 'encapsulationMode "none" is only supported for IPv6 clusters'))
        if encap != "vxlan" and ctx.cloud == "azure":
            errs.append(forbidden(p + "encapsulationMode", 'Azure requires an encapsulationMode of "vxlan"'))
    if g("ipipMode"):
        if g("ipipMode") not in POOL_MODES:
            errs.append(unsupported(p + "ipipMode", g("ipipMode"), POOL_MODES))
        if g("ipipMode") != "Never" and encap and encap != "ipip":
            errs.append(forbidden(p + "ipipMode", "IP-in-IP encapsulation requires use of Calico's \"ipip\" "
                                                  "encapsulation mode"))
    if g("vxlanMode"):
        if g("vxlanMode") not in POOL_MODES:
            errs.append(unsupported(p + "vxlanMode", g("vxlanMode"), POOL_MODES))
        if g("vxlanMode") != "Never" and encap and encap != "vxlan":
            errs.append(forbidden(p + "vxlanMode", "VXLAN encapsulation requires use of Calico's \"vxlan\" "
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
    errors += validate(merged, ctx)
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


def scale_warnings(eff: dict[str, Any], ctx: Context, node_count: int | None, mesh: bool,
                   route_reflectors: int = 0) -> list[str]:
    """Beyond kOps: the two usual reasons a growing cluster falls over."""
    out = []
    if not node_count or node_count <= SCALE_LIMIT:
        return out
    if BACKENDS.get(eff.get("encapsulationMode")) == "bird" and mesh:
        sessions = node_count * (node_count - 1) // 2
        rr = (f" ({route_reflectors} route reflector(s) exist but the mesh is still on)" if route_reflectors
              else " without route reflectors")
        out.append(f"{node_count} nodes run a full BGP mesh ({sessions} sessions){rr}: above {SCALE_LIMIT} nodes "
                   "use route reflectors and set bgp_mesh: false")
    if ctx.datastore_type == "kubernetes" and not eff.get("typhaReplicas"):
        out.append(f"{node_count} nodes run without Typha on the Kubernetes datastore: every Felix watches the "
                   f"API server; above {SCALE_LIMIT} nodes set typhaReplicas (about one per 100 nodes, at least 3)")
    return out


# ---------------------------------------------------------------------------------------------
# 5. what the spec means for the datastore and the hosts


@dataclass
class PoolWant:
    """A pool this module manages. ``cidr`` may be None for a default pool we only adjust."""

    name: str
    version: int
    cidr: str | None = None
    block_size: int | None = None
    nat_outgoing: bool | None = None
    node_selector: str | None = None
    disabled: bool | None = None

    def spec(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.cidr:
            out["cidr"] = self.cidr
        if self.block_size is not None:
            out["blockSize"] = self.block_size
        if self.nat_outgoing is not None:
            out["natOutgoing"] = self.nat_outgoing
        if self.node_selector is not None:
            out["nodeSelector"] = self.node_selector
        if self.disabled is not None:
            out["disabled"] = self.disabled
        return out


DEFAULT_POOL_NAMES = {4: "default-ipv4-ippool", 6: "default-ipv6-ippool"}


def pools_from_options(pools: list[dict] | None, ipv4_cidr: str | None, ipv6_cidr: str | None,
                       nat_outgoing: bool | None, nat_outgoing_ipv6: bool | None,
                       ctx: Context) -> tuple[list[PoolWant], list[str]]:
    """The pools to manage: the ``pools`` list, else calico-node's default pools by name with an
    optional CIDR each. Errors name the option."""
    errors: list[str] = []
    out: list[PoolWant] = []
    nat = {4: True if nat_outgoing is None else nat_outgoing, 6: bool(nat_outgoing_ipv6)}
    families = [v for v, on in ((4, ctx.has_ipv4), (6, ctx.has_ipv6)) if on]

    def parse(path: str, cidr: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
        if not isinstance(cidr, str) or not cidr:
            errors.append(f"{path}: Required value: a CIDR such as 100.96.0.0/11")
            return None
        net, errs = _ippool.parse_cidr(cidr, path)
        errors.extend(e.replace(f"{path}: ", f"{path}: Invalid value: ", 1) for e in errs)
        if net is not None and net.version not in families:
            errors.append(forbidden(path, f"an IPv{net.version} pool in a cluster with ip_family {ctx.ip_family}"))
        return net

    if pools:
        if ipv4_cidr or ipv6_cidr:
            errors.append(forbidden("ipv4_pool_cidr", "give pool CIDRs either in pools or in "
                                                      "ipv4_pool_cidr/ipv6_pool_cidr, not both"))
        seen = set()
        for i, item in enumerate(pools):
            path = f"pools[{i}]"
            name = item.get("name")
            if not name:
                errors.append(f"{path}.name: Required value")
                continue
            if name in seen:
                errors.append(f"{path}.name: Duplicate value: {go_value(name)}")
            seen.add(name)
            net = parse(f"{path}.cidr", item.get("cidr"))
            if net is None:
                continue
            bs = item.get("block_size")
            if bs is not None:
                lo, hi = _fields.IPPOOL_BLOCK_SIZE_RANGE[net.version]
                if not lo <= bs <= hi:
                    errors.append(invalid(f"{path}.block_size", bs, f"must be between {lo} and {hi} for an "
                                                                    f"IPv{net.version} pool"))
                elif bs < net.prefixlen:
                    errors.append(invalid(f"{path}.block_size", bs, f"the pool (/{net.prefixlen}) is smaller "
                                                                    "than one block"))
            out.append(PoolWant(name, net.version, str(net), bs,
                                nat[net.version] if item.get("nat_outgoing") is None else item["nat_outgoing"],
                                item.get("node_selector"), item.get("disabled")))
        for v in families:
            if not any(p.version == v for p in out):
                errors.append(invalid("pools", [p.name for p in out], f"no IPv{v} pool for ip_family {ctx.ip_family}"))
        return out, errors
    for v, cidr, opt in ((4, ipv4_cidr, "ipv4_pool_cidr"), (6, ipv6_cidr, "ipv6_pool_cidr")):
        if cidr and v not in families:
            errors.append(forbidden(opt, f"an IPv{v} pool in a cluster with ip_family {ctx.ip_family}"))
            continue
        if v not in families:
            continue
        net = parse(opt, cidr) if cidr else None
        out.append(PoolWant(DEFAULT_POOL_NAMES[v], v, str(net) if net else None, None, nat[v]))
    return out, errors


def pool_modes(eff: dict[str, Any], version: int) -> dict[str, str]:
    """A pool's modes for the effective spec. IPv4: the template functions. IPv6: IPIP is
    impossible; with the vxlan backend the pool follows vxlanMode (kOps would leave it Never when
    vxlanMode is unset, which only dual-stack can reach and which leaves IPv6 pod routes
    undistributed without BGP)."""
    if version == 4:
        return {"ipipMode": eff["ipipMode"], "vxlanMode": eff["vxlanMode"]}
    return {"ipipMode": "Never", "vxlanMode": eff["vxlanMode"] if eff["encapsulationMode"] == "vxlan" else "Never"}


def steady_flags(eff: dict[str, Any]) -> dict[str, bool]:
    encap = eff["encapsulationMode"]
    return {"ipipEnabled": encap == "ipip", "vxlanEnabled": encap == "vxlan"}


def felix_spec(eff: dict[str, Any], ctx: Context, tunnels: dict[str, int | None]) -> dict[str, Any]:
    """FelixConfiguration ``default`` fields this module owns (flags for ipip/vxlan are added by
    the migration logic). Values in the spellings Felix's Go code writes."""
    out: dict[str, Any] = {
        "wireguardEnabled": eff["wireguardEnabled"],
        "bpfEnabled": eff["bpfEnabled"],
        "bpfExternalServiceMode": eff["bpfExternalServiceMode"],
        "bpfLogLevel": eff["bpfLogLevel"],
        "bpfKubeProxyIptablesCleanupEnabled": eff["bpfKubeProxyIptablesCleanupEnabled"],
        "awsSrcDstCheck": eff["awsSrcDstCheck"],
        "chainInsertMode": eff["chainInsertMode"].capitalize(),
        "iptablesBackend": eff["iptablesBackend"],
        "logSeverityScreen": eff["logSeverityScreen"].capitalize(),
        "prometheusMetricsEnabled": eff["prometheusMetricsEnabled"],
        "prometheusMetricsPort": eff["prometheusMetricsPort"],
        "prometheusGoMetricsEnabled": eff["prometheusGoMetricsEnabled"],
        "prometheusProcessMetricsEnabled": eff["prometheusProcessMetricsEnabled"],
    }
    if ctx.ip_family == "dual":
        out["wireguardEnabledV6"] = eff["wireguardEnabled"]
    if eff.get("nftablesMode"):
        out["nftablesMode"] = eff["nftablesMode"]
    out.update(_mtu.felix_mtu_fields(tunnels))
    return out


def enabled_encapsulations(felix: dict[str, Any], pools_v6_vxlan: bool, eff: dict[str, Any],
                           ctx: Context) -> list[str]:
    """What Felix counts in determinePodMTU, from the FelixConfiguration flags and the pools."""
    out = []
    if felix.get("ipipEnabled"):
        out.append("ipip")
    if felix.get("vxlanEnabled"):
        out.append("vxlan")
    if pools_v6_vxlan:
        out.append("vxlan_v6")
    if eff["wireguardEnabled"] and ctx.has_ipv4:
        out.append("wireguard")
    if eff["wireguardEnabled"] and ctx.ip_family == "dual":
        out.append("wireguard_v6")
    return out


def node_settings(eff: dict[str, Any], ctx: Context, backend: str, pools: list[PoolWant],
                  mtu: dict[str, int | None]) -> dict[str, Any]:
    """What calico-node on every host needs (calico_node consumes this)."""
    v4, v6 = pool_modes(eff, 4), pool_modes(eff, 6)
    env = {
        "CALICO_NETWORKING_BACKEND": backend,
        "IP": "autodetect" if ctx.has_ipv4 else "none",
        "IP6": "autodetect" if ctx.has_ipv6 else "none",
        "IP_AUTODETECTION_METHOD": eff["ipv4AutoDetectionMethod"],
        "IP6_AUTODETECTION_METHOD": eff["ipv6AutoDetectionMethod"],
        "CALICO_IPV4POOL_IPIP": v4["ipipMode"],
        "CALICO_IPV4POOL_VXLAN": v4["vxlanMode"],
        "CALICO_IPV6POOL_VXLAN": v6["vxlanMode"],
        "FELIX_IPV6SUPPORT": "true" if ctx.has_ipv6 else "false",
    }
    for p in pools:
        key = f"CALICO_IPV{p.version}POOL_CIDR"
        if p.cidr and key not in env:
            env[key] = p.cidr
    if ctx.ipv6_only:
        env["CALICO_ROUTER_ID"] = "hash"          # no IPv4 address to take a BGP router id from
    if eff["typhaReplicas"]:
        env["FELIX_TYPHAK8SSERVICENAME"] = "calico-typha"
    live, ready = ["-felix-live"], ["-felix-ready"]
    if backend == "bird":                          # tmpl:7420-7442: BIRD checks only with BIRD
        if ctx.has_ipv4:
            live.append("-bird-live")
            ready.append("-bird-ready")
        if ctx.has_ipv6:
            live.append("-bird6-live")
            ready.append("-bird6-ready")
    return {
        "backend": backend,
        "env": env,
        "probes": {"liveness": live, "readiness": ready},
        "cni": {"mtu": mtu.get("veth") or 0, "allow_ip_forwarding": eff["allowIPForwarding"]},
        "typha": {"replicas": eff["typhaReplicas"],
                  "service_name": "calico-typha" if eff["typhaReplicas"] else "none",
                  "prometheus_metrics_enabled": eff["typhaPrometheusMetricsEnabled"],
                  "prometheus_metrics_port": eff["typhaPrometheusMetricsPort"]},
    }


# ---------------------------------------------------------------------------------------------
# 6. the staged migration between IP-in-IP (BIRD) and VXLAN
#
# Calico refuses a pool with both ipipMode and vxlanMode enabled, so a pool flips in one write.
# The order follows Calico's and kubespray's documented procedure (tigera/docs
# calico/getting-started/kubernetes/self-managed-onprem/config-options.mdx "Switching from
# IP-in-IP to VXLAN"; kubespray docs/CNI/calico.md "Migrating from IP in IP to VXLAN"):
# Felix gets the new encapsulation first, the pools flip, the old encapsulation goes only once
# every node has the new tunnel (calico-node's allocate-tunnel-addrs writes the Node's tunnel
# address, node/pkg/allocateip), and BIRD stops last. The reverse starts BIRD first.
# The stage is derived from the datastore alone (pool modes + Felix's explicit flags), so a rerun
# resumes where the last one stopped.

STAGES: dict[str, tuple[tuple[str, str], ...]] = {
    "ipip->vxlan": (
        ("vxlan-enabled", "FelixConfiguration default: vxlanEnabled true with ipipEnabled pinned true, so "
                          "Felix on every node takes VXLAN while IP-in-IP keeps working"),
        ("pools-vxlan", "each pool in one write: ipipMode Never, vxlanMode as the spec says; calico-node "
                        "allocates a VXLAN tunnel address on every node"),
        ("ipip-disabled", "once every Node has its VXLAN tunnel address: FelixConfiguration ipipEnabled false"),
        ("backend-vxlan", "node_settings switch to CALICO_NETWORKING_BACKEND=vxlan without BIRD probes: apply "
                          "them on every host (BIRD stops)"),
    ),
    "vxlan->ipip": (
        ("bird-started", "FelixConfiguration default: ipipEnabled true with vxlanEnabled pinned true; "
                         "node_settings switch to CALICO_NETWORKING_BACKEND=bird with BIRD probes: apply them on "
                         "every host, then rerun with nodes_converged: true"),
        ("pools-ipip", "each pool in one write: vxlanMode Never, ipipMode as the spec says; calico-node "
                       "allocates an IP-in-IP tunnel address on every node"),
        ("vxlan-disabled", "once every Node has its IP-in-IP tunnel address: FelixConfiguration vxlanEnabled false"),
    ),
}


def pool_encap(spec: dict[str, Any] | None) -> str:
    spec = spec or {}
    if (spec.get("ipipMode") or "Never") != "Never":
        return "ipip"
    if (spec.get("vxlanMode") or "Never") != "Never":
        return "vxlan"
    return "none"


def classify(v4_specs: list[dict[str, Any]]) -> str:
    """The IPv4 pools' encapsulation: new (no pool yet), ipip, vxlan, none or mixed."""
    if not v4_specs:
        return "new"
    kinds = {pool_encap(s) for s in v4_specs} - {"none"}
    if not kinds:
        return "none"
    if len(kinds) > 1:
        return "mixed"
    return kinds.pop()


def derive_stage(target: str, pool_class: str, felix: dict[str, Any] | None) -> tuple[str | None, int | None]:
    """(direction, next stage number 1-3) or (None, None) when no migration is under way."""
    felix = felix or {}
    ipip_on = felix.get("ipipEnabled") is True
    vxlan_on = felix.get("vxlanEnabled") is True
    if target == "vxlan":
        if pool_class in ("ipip", "mixed"):
            return "ipip->vxlan", (2 if ipip_on and vxlan_on else 1)
        if pool_class == "vxlan" and ipip_on:
            return "ipip->vxlan", 3
    elif target == "ipip":
        if pool_class in ("vxlan", "mixed"):
            return "vxlan->ipip", (2 if ipip_on and vxlan_on else 1)
        if pool_class == "ipip" and vxlan_on:
            return "vxlan->ipip", 3
    return None, None


def nodes_missing_tunnel(nodes: list[dict], direction: str, v4: bool, v6: bool) -> list[str]:
    """Nodes calico-node has not yet given the new tunnel address (Node spec fields written by
    node/pkg/allocateip updateNodeWithAddress)."""
    missing = []
    for n in nodes:
        spec = n.get("spec") or {}
        name = (n.get("metadata") or {}).get("name", "?")
        if direction == "ipip->vxlan":
            if (v4 and not spec.get("ipv4VXLANTunnelAddr")) or (v6 and not spec.get("ipv6VXLANTunnelAddr")):
                missing.append(name)
        elif not ((spec.get("bgp") or {}).get("ipv4IPIPTunnelAddr")):
            missing.append(name)
    return sorted(missing)


# ---------------------------------------------------------------------------------------------
# 7. applying it to a datastore


class Refused(DatastoreError):
    """A change this module will not make without an explicit option; nothing was written."""


class _CheckModeStore:
    """The datastore as it would be: reads fall through, writes stay in memory. Lets check mode
    run every stage exactly as a real run would, skipping only the writes."""

    def __init__(self, ds) -> None:
        self.ds = ds
        self.objs: dict[tuple[str, str], dict] = {}

    def get(self, kind_name: str, name: str, namespace: str | None = None):
        if (kind_name, name) in self.objs:
            return copy.deepcopy(self.objs[(kind_name, name)])
        return self.ds.get(kind_name, name, namespace)

    def list(self, kind_name: str, namespace: str | None = None):
        return self.ds.list(kind_name, namespace)

    def create(self, resource: dict) -> dict:
        out = model.with_revision(resource, "0")
        self.objs[(resource["kind"], resource["metadata"]["name"])] = out
        return copy.deepcopy(out)

    def update(self, resource: dict) -> dict:
        self.objs[(resource["kind"], resource["metadata"]["name"])] = copy.deepcopy(resource)
        return copy.deepcopy(resource)


@dataclass
class ApplyOptions:
    host_mtu: int | None = None
    host_mtu_nodes: list[str] | None = None                 # the nodes host_mtu was measured on
    bgp: dict[str, Any] = field(default_factory=dict)       # BGPConfiguration default fields
    migrate: bool = False
    force: bool = False
    nodes_converged: bool = False
    acknowledge_dataplane_switch: bool = False


class _Tracker:
    """changed and before/after for --diff over several resources and several writes."""

    def __init__(self) -> None:
        self.changed = False
        self.before: dict[str, Any] = {}
        self.after: dict[str, Any] = {}
        self.resources: dict[str, Any] = {}

    def add(self, key: str, res: dict[str, Any]) -> dict | None:
        self.changed = self.changed or res["changed"]
        self.before.setdefault(key, res["diff"]["before"])
        self.after[key] = res["diff"]["after"]
        self.resources[key] = res["resource"]
        return res["resource"]


def _spec_of(resource: dict | None) -> dict[str, Any] | None:
    return None if resource is None else (resource.get("spec") or {})


def preflight_pools(pools: list[PoolWant], current: dict[str, dict | None]) -> list[str]:
    """Pool changes Calico refuses, found before anything is written."""
    errors = []
    for p in pools:
        cur = _spec_of(current.get(p.name))
        if cur is None:
            if p.cidr:
                spec = _ippool.default_pool_spec(p.spec())
                errors += [f"IPPool {p.name}: {e}" for e in _ippool.validate_pool_spec(spec)]
            continue
        have = _fields.ippool_spec_from_storage(cur)
        if p.cidr and have.get("cidr") and ipaddress.ip_network(have["cidr"], strict=False) != ipaddress.ip_network(p.cidr):
            errors.append(f"IPPool {p.name}: cidr: cannot change from {have['cidr']} to {p.cidr}. "
                          + _ippool.IMMUTABLE["cidr"])
        elif p.cidr and have.get("cidr") and have["cidr"] != p.cidr:
            p.cidr = have["cidr"]                  # same network, other spelling: keep what is stored
        if p.block_size is not None and have.get("blockSize") != p.block_size:
            errors.append(f"IPPool {p.name}: blockSize: cannot change from {have.get('blockSize')} to "
                          f"{p.block_size}. " + _ippool.IMMUTABLE["blockSize"])
    return errors


def apply(ds, sr: SpecResult, ctx: Context, pools: list[PoolWant], opts: ApplyOptions,
          check_mode: bool) -> dict[str, Any]:
    """Make the datastore match the spec, one safe stage at a time. Returns the module result."""
    eff = sr.effective
    target = eff["encapsulationMode"]
    store = _CheckModeStore(ds) if check_mode else ds
    t = _Tracker()
    warnings = list(sr.warnings)

    felix = ds.get("FelixConfiguration", "default")
    bgpconf = ds.get("BGPConfiguration", "default")
    current = {p.name: ds.get("IPPool", p.name) for p in pools}
    nodes = ds.list("Node")

    # what we cannot manage, and scale
    managed = []
    for p in pools:
        if current[p.name] is None and not p.cidr:
            opt = "ipv4_pool_cidr" if p.version == 4 else "ipv6_pool_cidr"
            warnings.append(f"IPPool {p.name} does not exist and {opt} is not set: nothing to create")
            continue
        managed.append(p)
    errors = preflight_pools(managed, current)
    if opts.bgp.get("asNumber") is not None and not 1 <= opts.bgp["asNumber"] <= 4294967295:
        errors.append(invalid("as_number", opts.bgp["asNumber"], "must be between 1 and 4294967295"))
    if errors:
        raise ValidationError(errors)
    mesh = opts.bgp.get("nodeToNodeMeshEnabled")
    if mesh is None:
        mesh = (_spec_of(bgpconf) or {}).get("nodeToNodeMeshEnabled")
    mesh = True if mesh is None else mesh
    rrs = sum(1 for n in nodes if ((n.get("spec") or {}).get("bgp") or {}).get("routeReflectorClusterID"))
    node_count = ctx.node_count if ctx.node_count is not None else len(nodes)
    warnings += scale_warnings(eff, ctx, node_count, mesh, rrs)
    if sr.backend == "bird" and not mesh and not rrs and len(nodes) > 1 and not ds.list("BGPPeer"):
        warnings.append("BIRD will have no BGP peers: nodeToNodeMeshEnabled is false and there are no route "
                        "reflectors or BGPPeers, so no pod routes are exchanged; set bgp_mesh: true or add peers")

    pool_state = {p.name: _spec_of(current[p.name]) for p in managed}
    felix_state = _spec_of(felix)

    def v4_specs() -> list[dict]:
        return [s for p in managed if p.version == 4 and (s := pool_state[p.name]) is not None]

    direction, stage = derive_stage(target, classify(v4_specs()), felix_state)
    start_direction, start_stage = direction, stage

    refusals = []
    if direction and not (opts.migrate or opts.force):
        frm = "IP-in-IP (BIRD)" if direction == "ipip->vxlan" else "VXLAN"
        steps = "; ".join(f"{i}. {n}" for i, (n, _d) in enumerate(STAGES[direction], 1))
        where = "starting" if stage == 1 else f"at stage {stage} ({STAGES[direction][stage - 1][0]})"
        refusals.append(f"The cluster's pools use {frm} and the spec asks for {target}: switching in one shot "
                        f"drops traffic between nodes that have not yet picked up the new configuration. Set "
                        f"migrate: true to run the staged migration ({steps}; {where}) and rerun until "
                        f"migration.complete, or force: true to switch at once.")
    cur_bpf = bool((felix_state or {}).get("bpfEnabled"))
    existing = bool(nodes) or any(current.values())
    if existing and cur_bpf != eff["bpfEnabled"] and not opts.acknowledge_dataplane_switch:
        refusals.append(f"Switching the eBPF dataplane {'on' if eff['bpfEnabled'] else 'off'} in a running cluster "
                        "replaces every node's dataplane and resets existing connections (and needs kube-proxy "
                        "removed before / restored after). Set acknowledge_dataplane_switch: true to do it.")
    if refusals:
        raise Refused(" ".join(refusals) + " Nothing was written.")

    host_mtu, clamped = _mtu.clamp_host_mtu(opts.host_mtu, felix_state or {}, opts.host_mtu_nodes,
                                            [(n.get("metadata") or {}).get("name", "") for n in nodes])
    if clamped:
        warnings.append(clamped)
    tunnels = _mtu.tunnel_mtus(host_mtu, eff["mtu"] or None)
    done_now: list[int] = []
    waiting: str | None = None
    missing: list[str] = []

    # 1. BGPConfiguration first, so BIRD has the right mesh before pools change
    if opts.bgp:
        t.add("BGPConfiguration/default",
              ensure_resource(store, "BGPConfiguration", "default", "present", opts.bgp, False))

    # 2. FelixConfiguration: everything we own; during a migration both encapsulations on
    flags = {"ipipEnabled": True, "vxlanEnabled": True} if direction else steady_flags(eff)
    res = t.add("FelixConfiguration/default",
                ensure_resource(store, "FelixConfiguration", "default", "present",
                                {**felix_spec(eff, ctx, tunnels), **flags}, False,
                                defaults=_fields.default_felixconfiguration_spec))
    felix_state = _spec_of(res)
    if direction and stage == 1:
        done_now.append(1)
    direction, stage = derive_stage(target, classify(v4_specs()), felix_state)

    # 3. pools: other fields always converge; modes flip only when the stage allows
    flip = direction is None or stage == 3
    if direction and stage == 2:
        if direction == "ipip->vxlan" or opts.force:
            flip = True
        elif opts.nodes_converged and 1 not in done_now:
            flip = True
        else:
            waiting = ("every host to run BIRD: apply node_settings (CALICO_NETWORKING_BACKEND=bird) on every "
                       "host, then rerun with nodes_converged: true")
    from_modes = {v: next(({"ipipMode": s.get("ipipMode") or "Never", "vxlanMode": s.get("vxlanMode") or "Never"}
                           for p in managed if p.version == v and (s := pool_state[p.name]) is not None), None)
                  for v in (4, 6)}
    flipped_now = False
    for p in managed:
        want = p.spec()
        if flip:
            want.update(pool_modes(eff, p.version))
        elif pool_state[p.name] is None:
            want.update(from_modes[p.version] or pool_modes(eff, p.version))
        before_encap = pool_encap(pool_state[p.name]) if pool_state[p.name] is not None else None
        res = t.add(f"IPPool/{p.name}",
                    ensure_resource(store, "IPPool", p.name, "present", want, False,
                                    defaults=_ippool.default_pool_spec, immutable=_ippool.IMMUTABLE,
                                    validate=_ippool.validate_pool_spec))
        pool_state[p.name] = _spec_of(res)
        if before_encap is not None and before_encap != pool_encap(pool_state[p.name]):
            flipped_now = True
    if direction and stage == 2 and flip:
        done_now.append(2)
    direction, stage = derive_stage(target, classify(v4_specs()), felix_state)

    # 4. the old encapsulation goes once every node has the new tunnel
    if direction and stage == 3:
        v6_vxlan = any(p.version == 6 and pool_encap(pool_state[p.name]) == "vxlan" for p in managed)
        v4_new = any(p.version == 4 for p in managed)
        missing = nodes_missing_tunnel(nodes, direction, v4_new, v6_vxlan if direction == "ipip->vxlan" else False)
        selective = any((pool_state[p.name] or {}).get("nodeSelector", "all()") not in ("all()", "")
                        for p in managed)
        tunnel = "VXLAN" if direction == "ipip->vxlan" else "IP-in-IP"
        if opts.force:
            ok = True
        elif flipped_now and nodes:
            ok, waiting = False, (f"calico-node on every node to allocate its {tunnel} tunnel address after the "
                                  "pools changed in this run: rerun")
        elif selective:
            ok = opts.nodes_converged
            if not ok:
                waiting = (f"a pool selects only some nodes, so {tunnel} tunnel addresses cannot prove every node "
                           "is ready: rerun with nodes_converged: true once the nodes carry the new tunnels")
        else:
            ok = not missing
            if not ok:
                waiting = (f"calico-node on {len(missing)} node(s) to allocate a {tunnel} tunnel address: "
                           f"{', '.join(missing[:20])}{' ...' if len(missing) > 20 else ''} (rerun; a node that "
                           "no longer exists must be decommissioned first)")
        if ok:
            res = t.add("FelixConfiguration/default",
                        ensure_resource(store, "FelixConfiguration", "default", "present",
                                        {**felix_spec(eff, ctx, tunnels), **steady_flags(eff)}, False,
                                        defaults=_fields.default_felixconfiguration_spec))
            felix_state = _spec_of(res)
            done_now.append(3)
            missing = []
        direction, stage = derive_stage(target, classify(v4_specs()), felix_state)

    backend = sr.backend if direction is None else "bird"
    v6_vxlan = any(p.version == 6 and pool_encap(pool_state[p.name]) == "vxlan" for p in managed)
    if not managed:
        v6_vxlan = ctx.has_ipv6 and pool_modes(eff, 6)["vxlanMode"] != "Never"
    enabled = enabled_encapsulations(felix_state or {}, v6_vxlan, eff, ctx)
    mtu = _mtu.compute(host_mtu, eff["mtu"] or None, enabled)
    warnings += _mtu.mtu_warnings(host_mtu, eff["mtu"] or None, enabled)

    migration = migration_report(start_direction, start_stage, direction, stage, done_now, waiting, missing,
                                 target, check_mode)
    return {
        "changed": t.changed,
        "diff": {"before": t.before, "after": t.after},
        "effective": eff,
        "backend": backend,
        "mtu": mtu,
        "node_settings": node_settings(eff, ctx, backend, managed or pools, mtu),
        "migration": migration,
        "warnings": warnings,
        "errors": [],
        "resources": t.resources,
    }


def migration_report(start_direction: str | None, start_stage: int | None, direction: str | None,
                     stage: int | None, done_now: list[int], waiting: str | None, missing: list[str],
                     target: str, check_mode: bool) -> dict[str, Any]:
    """The plan: every stage of the migration under way with its status."""
    if start_direction is None:
        return {"needed": False, "direction": None, "from": None, "to": target, "stages": [], "complete": True,
                "waiting_for": None, "nodes_pending": []}
    frm, to = start_direction.split("->")
    stages = []
    for i, (name, desc) in enumerate(STAGES[start_direction], 1):
        if i < start_stage:
            status = "done"
        elif i in done_now:
            status = "would run now" if check_mode else "done now"
        elif i == 4:                               # the hosts' stage of ipip->vxlan
            status = "apply node_settings on every host" if direction is None else "pending"
        elif direction is not None and i == stage and waiting:
            status = "waiting"
        else:
            status = "pending"
        stages.append({"stage": i, "name": name, "description": desc, "status": status})
    return {"needed": True, "direction": start_direction, "from": frm, "to": to, "stages": stages,
            "complete": direction is None, "waiting_for": None if direction is None else waiting,
            "nodes_pending": missing}


def validate_only(sr: SpecResult, ctx: Context, pools: list[PoolWant], host_mtu: int | None,
                  bgp_mesh: bool | None, pool_errors: list[str]) -> dict[str, Any]:
    """The result without any datastore: the spec's steady state."""
    eff = sr.effective
    errors = sr.errors + pool_errors
    out: dict[str, Any] = {"changed": False, "valid": not errors, "errors": errors, "warnings": list(sr.warnings),
                           "effective": eff}
    if not eff:
        return out
    flags = steady_flags(eff)
    v6_vxlan = ctx.has_ipv6 and pool_modes(eff, 6)["vxlanMode"] != "Never"
    enabled = enabled_encapsulations(flags, v6_vxlan, eff, ctx)
    mtu = _mtu.compute(host_mtu, eff["mtu"] or None, enabled)
    out["warnings"] += scale_warnings(eff, ctx, ctx.node_count, True if bgp_mesh is None else bgp_mesh)
    out["warnings"] += _mtu.mtu_warnings(host_mtu, eff["mtu"] or None, enabled)
    out.update(backend=sr.backend, mtu=mtu, node_settings=node_settings(eff, ctx, sr.backend, pools, mtu))
    return out
