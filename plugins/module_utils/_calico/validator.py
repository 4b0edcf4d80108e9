# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The generic part of Calico's validation of a whole v3 resource, run before every write.

Ported (in our own words) from projectcalico/calico at v3.31.7 (commit 94bd1d5b0e04):
- libcalico-go/lib/validator/v3/validator.go: ``validateObjectMeta`` (name: DNS-1123 subdomain
  of at most 253 characters), ``validateObjectMetaLabels``/``Annotations`` (keys are Kubernetes
  qualified names, label values valid label values, annotations at most 256 kB), the struct
  validators for ``numorstring.Port`` (``validatePort``), ``numorstring.Protocol``
  (``validateProtocol``) and ``RouteTableRange``, and the ``validate:"gte=..,lte=.."`` tags on the
  Go structs in api/pkg/apis/projectcalico/v3 (felixconfig.go, bgpconfig.go);
- what encoding/json can decode into the Go type of each field (the field tables in
  ``_datastore/fields.py`` record it as ``go_type``): a number that does not fit uint16 / uint8 /
  uint32 / int64, a float, a bool or a string where Go wants an integer, a non-string label
  value are all values calico-node would fail to decode; metav1.Duration must be a string
  time.ParseDuration accepts (k8s.io/apimachinery pkg/apis/meta/v1/duration.go);
- the enums the tables already hold (``validate:"oneof=..."`` tags and named validators).

Each error names the field as a path (``spec.listenPort``, ``metadata.name``) and says the fix.
Per-kind rules that need more than the object itself (IPPool overlap, BGPPeer filters) live in
the per-kind modules of this package.
"""

from __future__ import annotations

import math
import re
from typing import Any

from ansible_collections.netops.calico.plugins.module_utils._datastore import fields as _fields
from ansible_collections.netops.calico.plugins.module_utils._datastore import govalues
from ansible_collections.netops.calico.plugins.module_utils._datastore.errors import ValidationError

# validator.go: nameLabelFmt / nameSubdomainFmt / nameRegex; k8s DNS1123SubdomainMaxLength
_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
NAME_FMT = _LABEL_FMT + r"(\." + _LABEL_FMT + ")*"
_NAME_RE = re.compile("^" + NAME_FMT + "$")
NAME_MAX = 253
# k8s.io/apimachinery/pkg/util/validation: IsQualifiedName / IsValidLabelValue
_QNAME_RE = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_QNAME_MAX = 63
ANNOTATIONS_MAX = 256 * 1024          # validator.go totalAnnotationSizeLimitB

# Go integer types: (min, max)
INT_RANGES: dict[str, tuple[int, int]] = {
    "int": (-(1 << 63), (1 << 63) - 1), "int64": (-(1 << 63), (1 << 63) - 1),
    "int32": (-(1 << 31), (1 << 31) - 1), "uint64": (0, (1 << 64) - 1), "uint32": (0, (1 << 32) - 1),
    "uint16": (0, (1 << 16) - 1), "uint8": (0, 255), "numorstring.ASNumber": (0, (1 << 32) - 1),
}

# ``validate:"gte=..,lte=.."`` (and gt/lt) tags of the v3.31.7 structs, as inclusive bounds.
# felixconfig.go: DebugPort 0..65535, BPFExtToServiceConnmark 0..4294967295, BPFKubeProxyHealthzPort
# 1..65535, BPFMapSizeConntrackCleanupQueue >=1, WireguardListeningPort[V6] gt=0,lte=65535,
# WireguardRoutingRulePriority gt=0,lt=32766, GoGCThreshold/GoMemoryLimitMB/GoMaxProcs >=-1;
# +kubebuilder:validation:Minimum/Maximum on LogActionRateLimitBurst 0..9999.
# bgpconfig.go: ListenPort gt=0. RouteTableRange (validateRouteTableRange): 1..250 each end;
# RouteTableIDRange (validateRouteTableIDRange): 1..0xffffffff.
TAG_BOUNDS: dict[str, dict[str, tuple[int | None, int | None]]] = {
    "FelixConfiguration": {
        "debugPort": (0, 65535), "bpfExtToServiceConnmark": (0, 4294967295),
        "bpfKubeProxyHealthzPort": (1, 65535), "bpfMapSizeConntrackCleanupQueue": (1, None),
        "wireguardListeningPort": (1, 65535), "wireguardListeningPortV6": (1, 65535),
        "wireguardRoutingRulePriority": (1, 32765), "goGCThreshold": (-1, None),
        "goMemoryLimitMB": (-1, None), "goMaxProcs": (-1, None), "logActionRateLimitBurst": (0, 9999),
        "routeTableRange.min": (1, 250), "routeTableRange.max": (1, 250),
        "routeTableRanges.min": (1, 4294967295), "routeTableRanges.max": (1, 4294967295),
        # STRICTER THAN CALICO'S VALIDATOR (which has no tag here; the CRD says only "integer"):
        # a VXLAN VNI is 24 bits (RFC 7348) and Felix fails to create the device with any other
        # value, so we refuse it up front (issue 10 asks for vxlanVNI -1 to be refused).
        "vxlanVNI": (0, (1 << 24) - 1),
    },
    "BGPConfiguration": {"listenPort": (1, 65535)},
}

# enums the CRD matches case-insensitively (fields.py notes: pattern ^(?i)(...)?$)
_CASELESS_ENUMS = frozenset(("chainInsertMode", "bpfMapSizeConntrackScaling", "bpfEnforceRPF", "routeSource"))

# numorstring (api/pkg/lib/numorstring): port.go nameRegex; validator.go protocolRegex
_PORT_NAME_RE = re.compile(r"^[a-zA-Z0-9_.-]{1,128}$")
_PORT_RANGE_RE = re.compile(r"^(\d+):(\d+)$")
_INTERFACE_RE = re.compile(r"^[a-zA-Z0-9_.-]{1,15}$")         # validator.go interfaceRegex
_INTERFACE_KEYED = frozenset(("bpfLogFilters",))
_PROTOCOL_NAMES = ("TCP", "UDP", "ICMP", "ICMPv6", "SCTP", "UDPLite")


def name_errors(name: Any, field: str = "metadata.name") -> list[str]:
    """validator.go validateObjectMeta: a DNS-1123 subdomain of at most 253 characters."""
    if not isinstance(name, str) or name == "":
        return [f"{field}: a name is required; use lower case letters, digits, '-' and '.' "
                f"(a DNS-1123 subdomain, e.g. 'my-pool')"]
    out = []
    if len(name) > NAME_MAX:
        out.append(f"{field}: {name[:40]!r}...: name is too long by {len(name) - NAME_MAX} bytes; "
                   f"use at most {NAME_MAX} characters")
    if not _NAME_RE.match(name):
        fix = re.sub(r"[-.]*\.[-.]*", ".", re.sub(r"[^a-z0-9.]+", "-", name.lower()))
        fix = re.sub(r"-*\.-*", ".", fix).strip("-.")[:NAME_MAX]
        hint = f"use e.g. {fix!r}" if _NAME_RE.match(fix) else "use e.g. 'my-name'"
        out.append(f"{field}: {name!r}: name must consist of lower case alphanumeric characters, '-' or '.' "
                   f"(regex: {NAME_FMT}); {hint}")
    return out


def _qualified_name_errors(key: Any, field: str) -> list[str]:
    """k8s validation.IsQualifiedName: [prefix/]name, prefix a DNS-1123 subdomain, name <= 63."""
    if not isinstance(key, str):
        return [f"{field}: key {key!r} must be a string"]
    prefix, _x, name = key.rpartition("/")
    out = []
    if "/" in key and (not prefix or not _NAME_RE.match(prefix) or len(prefix) > NAME_MAX or key.count("/") > 1):
        out.append(f"{field}: {key!r}: the prefix before '/' must be a DNS-1123 subdomain (e.g. 'example.com/')")
    if not name or len(name) > _QNAME_MAX or not _QNAME_RE.match(name):
        out.append(f"{field}: {key!r}: name part must be at most {_QNAME_MAX} characters of alphanumerics, "
                   f"'-', '_' or '.', starting and ending with an alphanumeric (e.g. 'MyName', 'my.name', '123-abc')")
    return out


def labels_errors(labels: Any, field: str = "metadata.labels") -> list[str]:
    """validator.go validateObjectMetaLabels: qualified-name keys, valid label values, strings only."""
    if labels is None:
        return []
    if not isinstance(labels, dict):
        return [f"{field}: must be a mapping of strings to strings (Go map[string]string)"]
    out = []
    for k, v in labels.items():
        out += _qualified_name_errors(k, field)
        if not isinstance(v, str):
            out.append(f"{field}.{k}: {_describe(v)} is not a string; Calico labels are map[string]string, "
                       f"quote the value")
        elif v and (len(v) > _QNAME_MAX or not _QNAME_RE.match(v)):
            out.append(f"{field}.{k}: {v!r}: a label value must be empty or at most {_QNAME_MAX} "
                       "characters of alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric")
    return out


def metadata_errors(meta: Any) -> list[str]:
    """Name, labels and annotations of ObjectMeta (validator.go validateObjectMeta*)."""
    if not isinstance(meta, dict):
        return ["metadata: must be a mapping with at least a name"]
    out = name_errors(meta.get("name"))
    if meta.get("namespace") is not None:
        out += name_errors(meta.get("namespace"), "metadata.namespace")
    out += labels_errors(meta.get("labels"))
    annotations = meta.get("annotations")
    if annotations is not None:
        if not isinstance(annotations, dict):
            out.append("metadata.annotations: must be a mapping of strings to strings (Go map[string]string)")
        else:
            size = 0
            for k, v in annotations.items():
                out += _qualified_name_errors(k.lower() if isinstance(k, str) else k, "metadata.annotations")
                if not isinstance(v, str):
                    out.append(f"metadata.annotations.{k}: {v!r} is not a string; quote the value")
                    continue
                size += len(str(k).encode()) + len(v.encode())
            if size > ANNOTATIONS_MAX:
                out.append(f"metadata.annotations: total size of annotations is too large by "
                           f"{size - ANNOTATIONS_MAX} bytes; keep them under 256 kB")
    return out


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _describe(v: Any) -> str:
    if isinstance(v, bool):
        return f"the boolean {str(v).lower()}"
    if isinstance(v, float):
        return "not a number" if math.isnan(v) else ("infinite" if math.isinf(v) else f"the non-integer {v!r}")
    if isinstance(v, str):
        return f"the string {v!r}"
    return f"{type(v).__name__} {v!r}"


def _int_errors(path: str, v: Any, go: str, bounds: tuple[int | None, int | None] | None) -> list[str]:
    lo, hi = INT_RANGES[go]
    if bounds:
        lo = lo if bounds[0] is None else max(lo, bounds[0])
        hi = hi if bounds[1] is None else min(hi, bounds[1])
    if not _is_int(v):
        return [f"{path}: {_describe(v)} is not an integer (Go {go}); give a whole number in {lo}..{hi}"]
    if not lo <= v <= hi:
        return [f"{path}: {v} is out of range (Go {go}{', validate' if bounds else ''}); "
                f"give a whole number in {lo}..{hi}"]
    return []


def port_errors(path: str, v: Any) -> list[str]:
    """numorstring.Port: UnmarshalJSON (port.go PortFromString) then validator.go validatePort."""
    if _is_int(v):
        return [] if 1 <= v <= 65535 else [f"{path}: {v}: port number must be between 1 and 65535"]
    if not isinstance(v, str):
        return [f"{path}: {_describe(v)} is not a port; give a number 1-65535, a range 'min:max' or a port name"]
    if v.isdigit() and v.isascii():
        return port_errors(path, int(v)) if int(v) < 1 << 16 else [f"{path}: invalid port format ({v}); use 1-65535"]
    m = _PORT_RANGE_RE.match(v)
    if m:
        lo, hi = int(m.group(1)), int(m.group(2))
        if lo >= 1 << 16 or hi >= 1 << 16 or lo < 1 or hi < 1:
            return [f"{path}: {v!r}: port range invalid, port numbers must be between 1 and 65535"]
        if lo > hi:
            return [f"{path}: {v!r}: minimum port number ({lo}) is greater than maximum port number ({hi}); "
                    f"write '{hi}:{lo}'"]
        return []
    if not _PORT_NAME_RE.match(v):
        return [f"{path}: invalid name for named port ({v}); give a number 1-65535, a range 'min:max' or a name"]
    return []


def _uint8_or_string_errors(path: str, v: Any, protocol: bool) -> list[str]:
    """numorstring.Uint8OrString (Protocol, DSCP); Protocol then validator.go validateProtocol."""
    if isinstance(v, str):
        if v.isdigit() and v.isascii() and int(v) < 256:
            v = int(v)
        elif protocol and not any(v.lower() == p.lower() for p in _PROTOCOL_NAMES):
            return [f"{path}: {v!r}: protocol name invalid; use one of {', '.join(_PROTOCOL_NAMES)} or 1-255"]
        else:
            return []
    if not _is_int(v):
        return [f"{path}: {_describe(v)} is neither a number 0-255 nor a name"]
    if not (1 if protocol else 0) <= v <= 255:
        return [f"{path}: {v}: {'protocol number invalid' if protocol else 'out of range'}; "
                f"use {'1' if protocol else '0'}-255"]
    return []


def value_errors(path: str, v: Any, f: _fields.Field, bounds: dict[str, tuple] | None = None,
                 rel: str = "") -> list[str]:
    """Errors of ``v`` as the Go type of field ``f`` (``rel`` is the spec-relative path for TAG_BOUNDS)."""
    if v is None:                       # JSON null leaves a Go value at its zero: decodes fine
        return []
    go = f.go_type.lstrip("*")
    bounds = bounds or {}
    if go.startswith("[]") or f.type == "list":
        if not isinstance(v, list):
            return [f"{path}: {_describe(v)} is not a list (Go {f.go_type})"]
        elem = go[2:].lstrip("*") if go.startswith("[]") else f"{go} item"
        item = _fields.Field(f.json, "object" if f.fields else "", True, fields=f.fields, go_type=elem,
                             enum=f.enum if f.type == "list" else None)
        out: list[str] = []
        for i, x in enumerate(v):
            if x is None and go.startswith("[]*"):
                continue
            out += value_errors(f"{path}[{i}]", x, item, bounds, rel)
        return out
    if go.startswith("map["):
        if not isinstance(v, dict):
            return [f"{path}: {_describe(v)} is not a mapping (Go {f.go_type})"]
        vt = go.split("]", 1)[1]
        out = []
        for k, x in v.items():
            if not isinstance(k, str):
                out.append(f"{path}: key {k!r} is not a string (Go {f.go_type})")
            elif f.json in _INTERFACE_KEYED and not _INTERFACE_RE.match(k):
                out.append(f"{path}: key {k!r} is not an interface name (validator.go validateBPFLogFilters: "
                           "1-15 of letters, digits, '_', '.', '-', or 'all')")
            if vt == "string" and not isinstance(x, str):
                out.append(f"{path}.{k}: {_describe(x)} is not a string (Go {f.go_type}); quote the value")
            elif vt in INT_RANGES:
                out += _int_errors(f"{path}.{k}", x, vt, None)
        return out
    if f.fields:
        if not isinstance(v, dict):
            return [f"{path}: {_describe(v)} is not a mapping (Go struct {go})"]
        return struct_errors(path, v, f.fields, bounds, rel)
    if go in INT_RANGES:
        tag = bounds.get(rel)
        if tag and v == 0 and _is_int(v) and not f.go_type.startswith("*") and "." not in rel:
            # a validate:"omitempty,..." tag skips a non-pointer's zero value (the nested bounds
            # are struct validators, which have no omitempty)
            tag = None
        return _int_errors(path, v, go, tag)
    if go == "bool":
        return [] if isinstance(v, bool) else [f"{path}: {_describe(v)} is not a boolean; use true or false"]
    if go == "metav1.Duration":
        if not isinstance(v, str):
            return [f"{path}: {_describe(v)} is not a duration; give a string like '90s', '1m30s' or '2h'"]
        try:
            govalues.parse_go_duration(v)
        except ValueError as exc:
            return [f"{path}: {exc}; give a duration like '90s', '1m30s' or '2h'"]
        return []
    if go == "numorstring.Port":
        return port_errors(path, v)
    if go in ("numorstring.Protocol", "numorstring.DSCP"):
        return _uint8_or_string_errors(path, v, go == "numorstring.Protocol")
    # every other Go type in the tables is a string type (string, named string enums, net.IPNet)
    if not isinstance(v, str):
        return [f"{path}: {_describe(v)} is not a string (Go {go})"]
    if f.enum and v != "":
        if f.json in _CASELESS_ENUMS:
            ok = v.lower() in (e.lower() for e in f.enum)
        else:
            ok = v in f.enum
        if not ok:
            return [f"{path}: {v!r} is not one of {', '.join(f.enum)}"]
    return []


def struct_errors(path: str, obj: dict, fields: tuple[_fields.Field, ...], bounds: dict[str, tuple] | None = None,
                  rel: str = "", unknown: bool = True) -> list[str]:
    """Every field of ``obj`` checked against its Go type; with ``unknown`` a key the struct does
    not have is an error too (Go would drop it silently, so it is a typo)."""
    by_json = {f.json: f for f in fields}
    out: list[str] = []
    for k, v in obj.items():
        f = by_json.get(k)
        if f is None:
            if unknown:
                out.append(f"{path}.{k}: unknown field; {path} has {', '.join(sorted(by_json))}")
            continue
        out += value_errors(f"{path}.{k}", v, f, bounds, f"{rel}.{k}" if rel else k)
    return out


def spec_errors(kind_name: str, spec: Any) -> list[str]:
    """The spec of a ``kind_name`` object, field by field (top-level unknown keys are kept: they
    may be fields of a newer Calico, and Go keeps nothing it does not know, so they are harmless)."""
    fields = _fields.SPEC_FIELDS.get(kind_name)
    if fields is None or spec is None:
        return []
    if not isinstance(spec, dict):
        return [f"spec: {_describe(spec)} is not a mapping (Go struct {kind_name}Spec)"]
    return struct_errors("spec", spec, fields, TAG_BOUNDS.get(kind_name), unknown=False)


def resource_errors(resource: dict) -> list[str]:
    """Every error Calico's generic validation finds in a whole v3 resource (kind, metadata, spec).
    An empty list means the object may be written."""
    if not isinstance(resource, dict):
        return [f"resource: {_describe(resource)} is not a mapping"]
    kind_name = resource.get("kind")
    out = metadata_errors(resource.get("metadata"))
    return out + spec_errors(kind_name, resource.get("spec"))


def check_resource(resource: dict) -> None:
    """Raise ValidationError (every error at once) when ``resource`` must not be written."""
    errors = resource_errors(resource)
    if errors:
        meta = resource.get("metadata") if isinstance(resource, dict) else None
        name = meta.get("name") if isinstance(meta, dict) else None
        kind_name = resource.get("kind") if isinstance(resource, dict) else None
        raise ValidationError([f"{kind_name} {name!r}: {e}" for e in errors])


def check_name(kind_name: str, name: Any) -> None:
    """Raise ValidationError for a name no object of ``kind_name`` can have (a delete or read of
    it would address something else, e.g. the collection URL for an empty name)."""
    errors = name_errors(name)
    if errors:
        raise ValidationError([f"{kind_name} {name!r}: {e}" for e in errors])


# The datastore client's guard: every backend (etcd, Kubernetes, and DryRun in check mode) calls
# these before a v3 write, so no writer (calico_network, calico_node, the spec modules, ...) can
# store what Calico's validator refuses. IPAM objects are raw model structs, not v3 resources.
def guard_write(resource: dict) -> None:
    kind_name = resource.get("kind") if isinstance(resource, dict) else None
    if kind_name in _fields.SPEC_FIELDS or kind_name in _V3_KINDS_WITHOUT_TABLE:
        check_resource(resource)


def guard_delete(kind_name: str, name: Any) -> None:
    if kind_name in _fields.SPEC_FIELDS or kind_name in _V3_KINDS_WITHOUT_TABLE:
        check_name(kind_name, name)


# v3 kinds the client knows (model.KINDS) that have no spec table here: names and labels only
_V3_KINDS_WITHOUT_TABLE = frozenset(("BGPFilter", "IPReservation", "Profile", "GlobalNetworkPolicy",
                                     "NetworkPolicy"))
