# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The networking spec's input and defaults: kOps' ``CalicoNetworkingSpec`` fields, reading the kOps
block and the snake_case options, kOps' defaults. Validation is validate.py, what the spec means for
the datastore and hosts settings.py, the migration migration.py, writing it apply.py.

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
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.netops.calico.plugins.module_utils._network.fielderrors import forbidden, go_value, invalid

# ---------------------------------------------------------------------------------------------
# 1. fields

IP_FAMILIES = ("ipv4", "ipv6", "dual")
CLOUDS = ("aws", "gce", "azure", "openstack", "metal")
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


KOPS_FIELDS: tuple[SpecField, ...] = (
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
BY_CAMEL = {f.camel: f for f in KOPS_FIELDS}
BY_SNAKE = {f.snake: f for f in KOPS_FIELDS if f.snake}
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
