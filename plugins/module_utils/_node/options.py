# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""calico_node's options: the argument spec, the constants they name, validation (every error at once)
and the per-node FelixConfiguration overrides."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from ansible_collections.netops.calico.plugins.module_utils._calico.ippool import ENCAPSULATIONS
from ansible_collections.netops.calico.plugins.module_utils._datastore import govalues
from ansible_collections.netops.calico.plugins.module_utils._datastore import fields as _fields
from ansible_collections.netops.calico.plugins.module_utils._host import netinfo
from ansible_collections.netops.calico.plugins.module_utils._resource.ensure import snake, snake_0_1


DEFAULT_IMAGE = "quay.io/calico/node:v3.31.7"
ENV_PATH = "/etc/calico/calico.env"
UNIT_NAME = "calico-node.service"
UNIT_PATH = f"/etc/systemd/system/{UNIT_NAME}"
CONTAINER_NAME = "calico-node"
SYSCTL_PATH = "/etc/sysctl.d/90-calico.conf"
MODULES_LOAD_PATH = "/etc/modules-load.d/calico.conf"
NODENAME_FILE = "/var/lib/calico/nodename"
HEADER = "Managed by netops.calico.calico_node; local changes are overwritten."

RP_FILTER = "net.ipv4.conf.all.rp_filter"
IP_FORWARD = "net.ipv4.ip_forward"
IP6_FORWARD = "net.ipv6.conf.all.forwarding"

BACKENDS = ("bird", "vxlan", "none")
DATAPLANES = ("iptables", "nftables", "bpf")

ARGSPEC: dict[str, dict[str, Any]] = {
    "name": {"type": "str"},
    "state": {"type": "str", "choices": ["present", "started"], "default": "present"},
    "scope": {"type": "str", "choices": ["all", "host", "datastore"], "default": "all"},
    "ipv4_address": {"type": "str"},
    "ipv4_autodetection_method": {"type": "str", "default": "first-found"},
    "ipv6_address": {"type": "str"},
    "ipv6_autodetection_method": {"type": "str"},
    "as_number": {"type": "int"},
    "route_reflector_cluster_id": {"type": "str"},
    "labels": {"type": "dict"},
    "purge_labels": {"type": "bool", "default": False},
    "networking_backend": {"type": "str", "choices": list(BACKENDS), "default": "bird"},
    "encapsulation": {"type": "str", "choices": list(ENCAPSULATIONS)},
    "dataplane": {"type": "str", "choices": list(DATAPLANES), "default": "iptables"},
    "wireguard": {"type": "bool", "default": False},
    "ignore_loose_rpf": {"type": "bool", "default": False},
    "on_missing_kernel_feature": {"type": "str", "choices": ["fail", "warn"], "default": "fail"},
    "networkmanager": {"type": "bool", "default": True},
    "felix_overrides": {"type": "dict"},
    "container_engine": {"type": "str", "choices": ["auto", "podman", "docker"], "default": "auto"},
    "image": {"type": "str", "default": DEFAULT_IMAGE},
    "image_pull": {"type": "bool", "default": True},
    "env": {"type": "dict", "default": {}},
    "no_default_pools": {"type": "bool", "default": True},
    "start_timeout": {"type": "int", "default": 30},
}


class NodeError(Exception):
    """A failure the user can act on: the message names what and the fix."""

    def __init__(self, msg: str, **details: Any) -> None:
        super().__init__(msg)
        self.details = details


# ---------------------------------------------------------------------------------------------
# options (pure)


def encapsulation(p: dict) -> str:
    """The encapsulation the kernel must support: as given, else what the backend implies
    (BIRD -> IP-in-IP as kOps defaults, VXLAN -> VXLAN, none -> none)."""
    if p.get("encapsulation"):
        return p["encapsulation"]
    return {"bird": "ipip", "vxlan": "vxlan"}.get(p.get("networking_backend") or "bird", "none")


def _addr_error(field: str, value: str, version: int) -> str | None:
    if value in ("autodetect", "none"):
        return None
    try:
        iface = ipaddress.ip_interface(value)
    except ValueError:
        return f"{field}: {value!r} is not an IPv{version} address or CIDR (or 'autodetect' / 'none')"
    if iface.version != version:
        return f"{field}: {value!r} is not an IPv{version} address"
    return None


_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
RESERVED_ENV = ("DATASTORE_TYPE", "ETCD_ENDPOINTS", "ETCD_CA_CERT_FILE", "ETCD_CERT_FILE", "ETCD_KEY_FILE",
                "KUBECONFIG", "CALICO_NODENAME", "NODENAME", "CALICO_NETWORKING_BACKEND", "CALICO_IP", "IP",
                "CALICO_IP6", "IP6", "CALICO_AS", "AS", "NO_DEFAULT_POOLS")


# Control characters (C0, DEL, C1): a newline in a calico.env value or in the unit would start a
# new line there (a new variable, or a new directive such as ExecStartPost=).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# An image reference (distribution/reference's grammar): [registry[:port]/]path[:tag][@digest].
_IMAGE = re.compile(r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*"
                    r"(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
                    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*"
                    r":[0-9a-fA-F]{32,})?")
# Files mounted into the container: each path is a word of ExecStart= and both halves of a
# "-v path:path:ro"; whitespace, ':', quotes, '\\', '$' and '%' (systemd specifiers) would break it.
_MOUNT_PATH = re.compile(r"[A-Za-z0-9_@+=,./~-]+")
_WRITTEN_PATHS = ("etcd_ca_cert_file", "etcd_cert_file", "etcd_key_file", "kubeconfig")


def _written_value_errors(p: dict) -> list[str]:
    """Values calico_node writes into calico.env or calico-node.service: each must stay on its line."""
    errors = []
    image = p.get("image")
    if image is not None and (len(image) > 255 or not _IMAGE.fullmatch(image)):
        errors.append(f"image: {image!r} is not an image reference (registry/path:tag or @sha256:digest, no "
                      "spaces or control characters), for example quay.io/calico/node:v3.31.7")
    endpoints = p.get("etcd_endpoints")
    if isinstance(endpoints, str) and (_CONTROL.search(endpoints) or " " in endpoints):
        errors.append("etcd_endpoints: contains a space or a control character (a newline?); give the URLs "
                      "separated by commas")
    for opt in _WRITTEN_PATHS:
        path = p.get(opt)
        if path and not _MOUNT_PATH.fullmatch(path):
            errors.append(f"{opt}: {path!r} is mounted into the calico-node container by the systemd unit, so it "
                          "may only hold letters, digits and _@+=,.~/- (no spaces, ':', quotes, '$', '%' or "
                          "control characters); move or link the file to such a path")
    return errors


def validate(p: dict) -> list[str]:
    """Every problem with the options, each naming the option (no I/O)."""
    errors: list[str] = _written_value_errors(p)
    enc = encapsulation(p)
    backend = p.get("networking_backend") or "bird"
    if enc == "ipip" and backend != "bird":
        errors.append(f"encapsulation: IP-in-IP routes are programmed by BIRD; with networking_backend "
                      f"{backend!r} use encapsulation vxlan (or networking_backend bird)")
    for fld, ver in (("ipv4_address", 4), ("ipv6_address", 6)):
        if p.get(fld):
            err = _addr_error(fld, p[fld], ver)
            if err:
                errors.append(err)
    for fld in ("ipv4_autodetection_method", "ipv6_autodetection_method"):
        err = netinfo.validate_method(p.get(fld))
        if err:
            errors.append(f"{fld}: {err}")
    rr = p.get("route_reflector_cluster_id")
    if rr:
        try:
            ipaddress.IPv4Address(rr)
        except ValueError:
            errors.append(f"route_reflector_cluster_id: {rr!r} must be an IPv4 address (e.g. 244.0.0.1), or '' to remove it")
    asn = p.get("as_number")
    if asn is not None and not 0 <= asn < 1 << 32:
        errors.append(f"as_number: {asn} is outside 0-4294967295 (0 removes the node's own AS number)")
    for key, value in (p.get("labels") or {}).items():
        if value is not None and not isinstance(value, str):
            errors.append(f"labels: the value of {key!r} must be a string (or null to remove the label)")
    for key, value in (p.get("env") or {}).items():
        if not _ENV_NAME.match(str(key)):
            errors.append(f"env: {key!r} is not a valid environment variable name")
        elif key in RESERVED_ENV:
            errors.append(f"env: {key} is set from the module's own options; use those instead")
        elif _CONTROL.search(str(value)):
            errors.append(f"env: the value of {key} contains a control character (a newline?); calico.env holds "
                          "one variable per line")
    if p.get("felix_overrides"):
        _spec, ferr = felix_spec(p["felix_overrides"])
        errors += ferr
    scope = p.get("scope") or "all"
    if scope == "datastore":
        if not p.get("name"):
            errors.append("name: required with scope=datastore (the module is not on the host, so it cannot "
                          "read the host's name); pass the host part's result name")
        if not p.get("ipv4_address") or p["ipv4_address"] == "autodetect":
            errors.append("ipv4_address: required with scope=datastore (autodetection runs on the host); pass "
                          "the host part's result addresses.ipv4, or 'none'")
        if p.get("ipv6_autodetection_method") or p.get("ipv6_address") == "autodetect":
            errors.append("ipv6_address: give the address with scope=datastore (autodetection runs on the host)")
        if p.get("state") == "started":
            errors.append("state: started manages the host's service; it needs scope all or host")
    if p.get("state") == "started" and p.get("datastore_type") == "kubernetes":
        errors.append("state: started runs calico-node as a systemd service, which is for hosts outside "
                      "Kubernetes (datastore_type etcdv3); in a cluster the calico-node DaemonSet runs it")
    if p.get("datastore_type") == "etcdv3" and scope != "datastore" and not p.get("etcd_endpoints"):
        errors.append("etcd_endpoints: calico-node on this host needs the etcd endpoints (or ETCD_ENDPOINTS)")
    return errors


def felix_spec(overrides: dict) -> tuple[dict, list[str]]:
    """felix_overrides (FelixConfiguration fields, camelCase or snake_case) -> the spec as Calico
    stores it (durations normalised), and errors for unknown fields."""
    by_json = {f.json: f for f in _fields.SPEC_FIELDS["FelixConfiguration"]}
    by_snake = {snake_0_1(j): j for j in by_json} | {snake(j): j for j in by_json}
    spec: dict[str, Any] = {}
    errors = []
    for key, value in overrides.items():
        camel = key if key in by_json else by_snake.get(key)
        if camel is None:
            errors.append(f"felix_overrides: {key!r} is not a FelixConfiguration field")
            continue
        f = by_json[camel]
        if value is not None and f.type == "duration":
            try:
                value = govalues.go_duration(str(value))
            except ValueError as exc:
                errors.append(f"felix_overrides: {key}: {exc}")
                continue
        if value is not None and f.enum and f.type == "str" and value not in f.enum:
            errors.append(f"felix_overrides: {key}: {value!r} is not one of {', '.join(f.enum)}")
            continue
        spec[camel] = value
    return spec, errors


def check_node_name(name: str) -> str | None:
    """Calico resource names: a lower-case RFC 1123 subdomain (libcalico-go validator)."""
    if not name:
        return "name: the node name is empty (no hostname?); set name"
    if len(name) > 253 or not re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", name):
        return (f"name: {name!r} is not a valid Calico node name (lower-case letters, digits, '-' and '.', "
                "starting and ending with a letter or digit)")
    return None
