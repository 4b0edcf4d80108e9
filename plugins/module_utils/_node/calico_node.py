# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""calico-node on one host: kernel prerequisites, the systemd service that runs the calico/node
image (hosts outside Kubernetes, etcdv3), and the host's Calico ``Node`` resource (plus its
per-node ``FelixConfiguration``) in the datastore.

The host part and the datastore part are separate (``scope``): the datastore part only needs the
node name and addresses, so it can run where the datastore is reachable (``delegate_to``) with
the addresses the host part returned.

Upstream references (projectcalico/calico):
- node/pkg/lifecycle/startup/startup.go configureIPsAndSubnets: IP/IP6 semantics ("autodetect",
  "none", blank keeps the Node's value), IPv6 only when asked for.
- node/pkg/lifecycle/utils/utils.go DetermineNodeName: NODENAME, /var/lib/calico/nodename, the
  lower-cased hostname.
- calicoctl/calicoctl/commands/node/run.go: the container calico-node runs in (--net=host
  --privileged, the log/run/lib/modules mounts, --rm under an init system).
- felix/dataplane/linux/int_dataplane.go: Felix refuses net.ipv4.conf.all.rp_filter > 1 unless
  IgnoreLooseRPF is set.
- felix/bpf/bpf.go SupportsBPFDataplane: kernel >= 5.3.0 (4.18.0-193 on Red Hat kernels).
- Calico docs "Install on non-cluster hosts" (docker container install): /etc/calico/calico.env
  and calico-node.service with Restart=on-failure, StartLimitBurst=3, StartLimitInterval=60s.
"""

from __future__ import annotations

import copy
import ipaddress
import re
from typing import Any

from ansible_collections.netops.calico.plugins.module_utils._datastore import fields as _fields
from ansible_collections.netops.calico.plugins.module_utils._datastore import model
from ansible_collections.netops.calico.plugins.module_utils._datastore.errors import DatastoreError, NotFoundError
from ansible_collections.netops.calico.plugins.module_utils._host import files, kernel, netinfo, networkmanager, sysctl
from ansible_collections.netops.calico.plugins.module_utils._host.system import Host
from ansible_collections.netops.calico.plugins.module_utils._host.systemd import Systemd, SystemdError
from ansible_collections.netops.calico.plugins.module_utils._resource.ensure import ensure_resource, snake

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
ENCAPSULATIONS = ("ipip", "vxlan", "none")
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


def validate(p: dict) -> list[str]:
    """Every problem with the options, each naming the option (no I/O)."""
    errors: list[str] = []
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
        elif "\n" in str(value):
            errors.append(f"env: the value of {key} contains a newline")
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
    by_snake = {snake(j): j for j in by_json}
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
                value = _fields.go_duration(str(value))
            except ValueError as exc:
                errors.append(f"felix_overrides: {key}: {exc}")
                continue
        if value is not None and f.enum and f.type == "str" and value not in f.enum:
            errors.append(f"felix_overrides: {key}: {value!r} is not one of {', '.join(f.enum)}")
            continue
        spec[camel] = value
    return spec, errors


# ---------------------------------------------------------------------------------------------
# node name and addresses


def node_name(host: Host, p: dict) -> str:
    """utils.DetermineNodeName: the option, else the name calico-node stored, else the hostname
    in lower case."""
    if p.get("name"):
        return p["name"].strip()
    stored = (host.read(NODENAME_FILE) or "").strip()
    if stored:
        return stored
    hostname = (host.read("/proc/sys/kernel/hostname") or "").strip()
    if not hostname and host.root in ("", "/"):
        import socket
        hostname = socket.gethostname()
    return hostname.strip().lower()


def resolve_addresses(p: dict, ifaces: list[netinfo.Interface] | None, reach=netinfo.reach_source) -> dict[str, Any]:
    """The node's BGP addresses as calico-node would compute them. ``ipv4``/``ipv6`` are
    "address/prefix", "none" (leave the Node's value alone) or None (not used)."""
    out: dict[str, Any] = {"ipv4": None, "ipv4_interface": None, "ipv4_source": None,
                           "ipv6": None, "ipv6_interface": None, "ipv6_source": None}
    plan = (
        (4, p.get("ipv4_address") or "autodetect", p.get("ipv4_autodetection_method") or "first-found"),
        (6, p.get("ipv6_address") or ("autodetect" if p.get("ipv6_autodetection_method") else None),
         p.get("ipv6_autodetection_method") or "first-found"),
    )
    for version, value, method in plan:
        key = f"ipv{version}"
        if value is None:
            continue
        if value == "none":
            out[key], out[f"{key}_source"] = "none", "none: the Node's address is left as it is"
            continue
        if value == "autodetect":
            if ifaces is None:
                raise NodeError(f"ipv{version}_address: autodetection needs the host's interfaces; give the address")
            try:
                iface, cidr = netinfo.autodetect(method, version, ifaces, reach=reach)
            except netinfo.AutodetectError as exc:
                raise NodeError(f"Could not autodetect the node's IPv{version} address: {exc}. Choose another "
                                f"ipv{version}_autodetection_method (e.g. interface=eth0, can-reach=<peer>, "
                                f"cidr=<subnet>) or set ipv{version}_address.") from None
            out[key], out[f"{key}_interface"], out[f"{key}_source"] = cidr, iface, f"autodetected ({method})"
            continue
        out[key] = netinfo.local_cidr(value, version, ifaces or [])
        out[f"{key}_source"] = "given"
        for i in ifaces or []:
            if any(ipaddress.ip_interface(c).ip == ipaddress.ip_interface(out[key]).ip for c in i.cidrs):
                out[f"{key}_interface"] = i.name
    return out


# ---------------------------------------------------------------------------------------------
# Node resource (pure)


def desired_bgp(p: dict, addrs: dict[str, Any]) -> dict[str, Any]:
    """spec.bgp fields this module manages: value None removes the field; a field not in the
    dict is left alone (tunnel addresses are calico-node's and are never in here)."""
    bgp: dict[str, Any] = {}
    for version in (4, 6):
        v = addrs.get(f"ipv{version}")
        if v and v != "none":
            bgp[f"ipv{version}Address"] = v
    if p.get("as_number") is not None:
        bgp["asNumber"] = _fields.go_asnumber(p["as_number"]) if p["as_number"] else None
    if p.get("route_reflector_cluster_id") is not None:
        bgp["routeReflectorClusterID"] = p["route_reflector_cluster_id"] or None
    return bgp


def merge_node(current: dict | None, name: str, bgp: dict[str, Any],
               labels: dict[str, str | None] | None) -> tuple[dict, bool]:
    """The Node after merging ``bgp`` into spec.bgp and ``labels`` into metadata.labels (None
    removes); every other field (tunnel addresses, wireguard, interfaces, orchRefs, status) is
    kept. Returns (resource, changed)."""
    if current is None:
        spec_bgp = {k: v for k, v in bgp.items() if v is not None}
        spec = {"bgp": spec_bgp} if spec_bgp else {}
        new_labels = {k: v for k, v in (labels or {}).items() if v is not None}
        return model.new_resource("Node", name, spec, labels=new_labels or None), True
    new = copy.deepcopy(current)
    spec = new.setdefault("spec", {}) or {}
    new["spec"] = spec
    spec_bgp = dict(spec.get("bgp") or {})
    for k, v in bgp.items():
        if v is None:
            spec_bgp.pop(k, None)
        else:
            spec_bgp[k] = v
    if spec_bgp:
        spec["bgp"] = spec_bgp
    else:
        spec.pop("bgp", None)
    meta = new.setdefault("metadata", {})
    cur_labels = dict(meta.get("labels") or {})
    new_labels = dict(cur_labels)
    for k, v in (labels or {}).items():
        if v is None:
            new_labels.pop(k, None)
        else:
            new_labels[k] = v
    if new_labels:
        meta["labels"] = new_labels
    else:
        meta.pop("labels", None)
    changed = spec_bgp != dict((current.get("spec") or {}).get("bgp") or {}) or new_labels != cur_labels
    if not changed:
        return current, False
    rev = (current.get("metadata") or {}).get("resourceVersion")
    out = model.normalise_resource(new)
    return (model.with_revision(out, rev) if rev else out), True


def node_view(resource: dict | None) -> dict:
    if not resource:
        return {}
    meta = resource.get("metadata") or {}
    out: dict[str, Any] = {"name": meta.get("name")}
    if meta.get("labels"):
        out["labels"] = meta["labels"]
    out["spec"] = resource.get("spec") or {}
    return out


def ensure_node_resource(ds, p: dict, name: str, addrs: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    """The Node resource (merge) and, when felix_overrides is given, FelixConfiguration node.<name>."""
    result: dict[str, Any] = {"changed": False, "diffs": []}
    current = ds.get("Node", name)
    if current is None and getattr(ds, "datastore_type", "etcdv3") == "kubernetes":
        raise NodeError(f"The Kubernetes Node {name!r} does not exist, so Calico has no Node to configure. Join the "
                        "host to the cluster first (kubeadm join), or check name (it must be the Kubernetes node name).")
    new, changed = merge_node(current, name, desired_bgp(p, addrs), p.get("labels"))
    if changed:
        result["changed"] = True
        result["diffs"].append({"before_header": f"Node {name}", "after_header": f"Node {name}",
                                "before": node_view(current), "after": node_view(new)})
        if not check_mode:
            new = ds.create(new) if current is None else ds.update(new)
    result["node"] = new
    result["felix_configuration"] = None
    if p.get("felix_overrides"):
        spec, errors = felix_spec(p["felix_overrides"])
        if errors:
            raise NodeError("; ".join(errors))
        res = ensure_resource(ds, "FelixConfiguration", f"node.{name}", "present", spec, check_mode,
                              defaults=_fields.default_felixconfiguration_spec)
        if res["changed"]:
            result["changed"] = True
            d = dict(res["diff"])
            d["before_header"] = d["after_header"] = f"FelixConfiguration node.{name}"
            result["diffs"].append(d)
        result["felix_configuration"] = res["resource"]
    return result


# ---------------------------------------------------------------------------------------------
# env file and unit (pure)

_SAFE = re.compile(r"^[A-Za-z0-9_@%+=:,./\-]*$")


def env_quote(value: str) -> str:
    """A value for a systemd EnvironmentFile line: bare when safe, else double-quoted with
    backslash escapes (systemd.exec(5) "EnvironmentFile=")."""
    if _SAFE.match(value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$").replace("`", "\\`") + '"'


def env_values(p: dict, name: str, addrs: dict[str, Any]) -> dict[str, str]:
    """calico.env in the layout of Calico's non-cluster-host guide."""
    vals: dict[str, str] = {"DATASTORE_TYPE": p.get("datastore_type") or "etcdv3"}
    if vals["DATASTORE_TYPE"] == "etcdv3":
        vals["ETCD_ENDPOINTS"] = p.get("etcd_endpoints") or ""
        for opt, env in (("etcd_ca_cert_file", "ETCD_CA_CERT_FILE"), ("etcd_cert_file", "ETCD_CERT_FILE"),
                         ("etcd_key_file", "ETCD_KEY_FILE")):
            if p.get(opt):
                vals[env] = p[opt]
    elif p.get("kubeconfig"):
        vals["KUBECONFIG"] = p["kubeconfig"]
    vals["CALICO_NODENAME"] = name
    vals["CALICO_NETWORKING_BACKEND"] = p.get("networking_backend") or "bird"
    vals["CALICO_IP"] = addrs.get("ipv4") or ""
    vals["CALICO_IP6"] = addrs.get("ipv6") or ""
    vals["CALICO_AS"] = str(_fields.go_asnumber(p["as_number"])) if p.get("as_number") else ""
    vals["NO_DEFAULT_POOLS"] = "true" if p.get("no_default_pools", True) else "false"
    for k, v in (p.get("env") or {}).items():
        vals[str(k)] = "" if v is None else (str(v).lower() if isinstance(v, bool) else str(v))
    return vals


def render_env(values: dict[str, str]) -> str:
    lines = [f"# {HEADER}", "# calico-node's settings, read by calico-node.service (EnvironmentFile=)."]
    lines += [f"{k}={env_quote(v)}" for k, v in values.items()]
    return "\n".join(lines) + "\n"


# env file variable -> the variable calico-node reads inside the container
CONTAINER_ENV = {"CALICO_NODENAME": "NODENAME", "CALICO_IP": "IP", "CALICO_IP6": "IP6", "CALICO_AS": "AS"}


def container_volumes(p: dict, host_has_lib_modules: bool) -> list[str]:
    """calicoctl node run's mounts; TLS files are mounted read-only at the same path, so the
    paths in calico.env are right inside and outside the container."""
    vols = ["/var/log/calico:/var/log/calico", "/var/run/calico:/var/run/calico",
            "/var/lib/calico:/var/lib/calico"]
    if host_has_lib_modules:
        vols.append("/lib/modules:/lib/modules:ro")
    vols.append("/run:/run")
    tls = [p.get(o) for o in ("etcd_ca_cert_file", "etcd_cert_file", "etcd_key_file")]
    if (p.get("datastore_type") or "etcdv3") == "kubernetes" and p.get("kubeconfig"):
        tls.append(p["kubeconfig"])
    for path in tls:
        if path:
            vols.append(f"{path}:{path}:ro")
    return vols


def render_unit(engine: str, engine_path: str, mkdir_path: str, image: str, env_keys: list[str],
                volumes: list[str]) -> str:
    """calico-node.service as Calico's guide writes it, for podman or docker."""
    dep = ["After=network-online.target", "Wants=network-online.target"]
    if engine == "docker":
        dep = ["After=network-online.target docker.service", "Wants=network-online.target",
               "Requires=docker.service"]
    run = [f"{engine_path} run --net=host --privileged --rm --name={CONTAINER_NAME}"]
    for key in env_keys:
        run.append(f"-e {CONTAINER_ENV.get(key, key)}=${{{key}}}")
    for v in volumes:
        run.append(f"-v {v}")
    run.append(image)
    exec_start = " \\\n  ".join(run)
    return "\n".join([
        f"# {HEADER}",
        "[Unit]",
        "Description=calico-node: Calico networking and network policy agent",
        "Documentation=https://docs.tigera.io/calico/latest/getting-started/bare-metal/about",
        *dep,
        "StartLimitIntervalSec=60s",
        "StartLimitBurst=3",
        "",
        "[Service]",
        f"EnvironmentFile={ENV_PATH}",
        f"ExecStartPre=-{engine_path} rm --force {CONTAINER_NAME}",
        f"ExecStartPre={mkdir_path} -p /var/lib/calico /var/run/calico /var/log/calico",
        f"ExecStart={exec_start}",
        f"ExecStop=-{engine_path} stop {CONTAINER_NAME}",
        "Restart=on-failure",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ])


# ---------------------------------------------------------------------------------------------
# kernel prerequisites

FEATURES: dict[str, tuple[str, str]] = {
    # module: (what needs it, how to do without it)
    "ipip": ("IP-in-IP encapsulation (encapsulation: ipip)",
             "or use VXLAN (encapsulation: vxlan, with the IP pools' vxlanMode) instead of IP-in-IP"),
    "vxlan": ("VXLAN encapsulation (encapsulation: vxlan)",
              "or route without encapsulation (encapsulation: none, networking_backend: bird)"),
    "ip_set": ("Felix's iptables dataplane (policy is programmed as ipsets)", "or use dataplane: nftables"),
    "xt_set": ("Felix's iptables dataplane (iptables rules match ipsets with xt_set)", "or use dataplane: nftables"),
    "nf_tables": ("Felix's nftables dataplane (dataplane: nftables)", "or use dataplane: iptables"),
    "wireguard": ("WireGuard encryption (wireguard: true)",
                  "install it with netops.calico.calico_wireguard, or set wireguard: false"),
}


def required_modules(p: dict) -> list[str]:
    mods: list[str] = []
    enc = encapsulation(p)
    if enc == "ipip":
        mods.append("ipip")
    elif enc == "vxlan":
        mods.append("vxlan")
    dp = p.get("dataplane") or "iptables"
    if dp == "iptables":
        mods += ["ip_set", "xt_set"]
    elif dp == "nftables":
        mods.append("nf_tables")
    if p.get("wireguard"):
        mods.append("wireguard")
    return mods


def missing_message(k: kernel.Kernel, st: kernel.ModuleState) -> str:
    need, alternative = FEATURES.get(st.name, (f"Calico (module {st.name})", ""))
    symbol = kernel.KCONFIG.get(st.name, f"the {st.name} module")
    rel = k.release
    checked = "; ".join(st.checked) or st.evidence
    if not k.modules_supported:
        fix = (f"boot a kernel built with {symbol} (every Debian, Ubuntu, RHEL and Amazon Linux distribution "
               f"kernel has it)")
    elif not k.host.isdir(k.modules_dir):
        fix = (f"{k.modules_dir} is missing, which happens after a kernel update removed the running kernel's "
               f"modules: reboot into the installed kernel")
    else:
        fix = (f"install the kernel modules package of the running kernel (Ubuntu: linux-modules-extra-{rel}; "
               f"RHEL/Rocky/Alma: kernel-modules-extra) or boot a kernel built with {symbol}, and reboot after "
               f"a kernel update")
    return (f"Kernel feature missing: {st.name} ({need}) is not available in kernel {rel}: {st.evidence} "
            f"(checked: {checked}). Fix: {fix}; {alternative}.")


def ensure_kernel(host: Host, p: dict, check_mode: bool) -> dict[str, Any]:
    """Modules loaded (and listed in modules-load.d for boot), bpffs and the kernel version for
    eBPF. Every module is looked at before anything is loaded or written, so that a missing one
    fails the task (on_missing_kernel_feature=fail) with nothing changed. Returns changed, the
    report, missing (messages), files, diffs."""
    k = kernel.Kernel(host)
    out: dict[str, Any] = {"changed": False, "release": k.release, "modules": {}, "missing": [], "diffs": [],
                           "files": {}}
    states = {name: k.status(name) for name in required_modules(p)}
    for st in states.values():
        out["modules"][st.name] = st.as_dict() | {"loaded_now": False}
        if st.state == kernel.MISSING:
            out["missing"].append(missing_message(k, st))
    if (p.get("dataplane") or "iptables") == "bpf":
        out["bpf"] = _check_bpf(k, out)
    if out["missing"] and p.get("on_missing_kernel_feature", "fail") == "fail":
        return out
    persist: list[str] = []
    for name, st in states.items():
        if st.state == kernel.LOADABLE:
            out["changed"] = True
            out["modules"][name]["loaded_now"] = True
            if not check_mode:
                ok, err = k.load(name)
                if ok:
                    out["modules"][name]["state"] = kernel.LOADED
                else:
                    failed = kernel.ModuleState(name, kernel.MISSING, f"modprobe {name} failed: {err}", st.checked)
                    out["modules"][name] = failed.as_dict() | {"loaded_now": False}
                    out["missing"].append(missing_message(k, failed))
                    continue
        if st.state in (kernel.LOADED, kernel.LOADABLE):
            persist.append(name)
    if persist:
        content = f"# {HEADER}\n# Kernel modules calico-node needs, loaded at boot by systemd-modules-load.\n"
        content += "".join(f"{m}\n" for m in sorted(set(persist)))
        fc = files.ensure_file(host, MODULES_LOAD_PATH, content, 0o644, check_mode)
        out["files"]["modules_load"] = fc.as_dict()
        if fc.changed:
            out["changed"] = True
            out["diffs"].append(fc.diff)
    if out.get("bpf") and out["bpf"]["ok"] and not out["bpf"]["bpffs_mounted"]:
        _mount_bpffs(host, check_mode, out)
    return out


def _check_bpf(k: kernel.Kernel, out: dict) -> dict[str, Any]:
    """Kernel version (felix's SupportsBPFDataplane), BPF syscall and bpf filesystem."""
    want, want_text = k.bpf_min_version()
    have = k.version()
    rep: dict[str, Any] = {"kernel_version": ".".join(map(str, have)) if have else None, "min_version": want_text,
                           "bpffs_mounted": k.bpffs_mounted(), "mounted_now": False, "ok": False}
    if have is None or not kernel.version_at_least(have, want):
        out["missing"].append(f"Kernel feature missing: the eBPF dataplane needs kernel {want_text} or newer, this "
                              f"host runs {k.release}. Fix: upgrade the kernel (Ubuntu: the HWE kernel) and reboot, "
                              "or use dataplane: iptables.")
        return rep
    config, source = k.config()
    if source and config.get("CONFIG_BPF_SYSCALL") != "y":
        out["missing"].append(f"Kernel feature missing: the eBPF dataplane needs CONFIG_BPF_SYSCALL, which is not set "
                              f"in {source}. Fix: boot a distribution kernel, or use dataplane: iptables.")
        return rep
    if not rep["bpffs_mounted"] and not k.bpf_filesystem_known():
        out["missing"].append("Kernel feature missing: the bpf filesystem is not in /proc/filesystems. Fix: boot a "
                              "kernel with CONFIG_BPF_SYSCALL, or use dataplane: iptables.")
        return rep
    rep["ok"] = True
    return rep


def _mount_bpffs(host: Host, check_mode: bool, out: dict) -> None:
    """Mount bpffs at /sys/fs/bpf now; systemd mounts it at every boot (mount-setup)."""
    out["changed"] = True
    out["bpf"]["mounted_now"] = True
    if check_mode:
        return
    mount = host.which("mount")
    if not mount:
        raise NodeError("bpffs is not mounted at /sys/fs/bpf and the mount command is missing (util-linux)")
    rc, _o, err = host.run([mount, "-t", "bpf", "bpffs", "/sys/fs/bpf"])
    if rc != 0:
        raise NodeError(f"Mounting bpffs at /sys/fs/bpf failed: {' '.join(err.split())}. Mount it (systemd does so "
                        "at boot) or use dataplane: iptables.")
    out["bpf"]["bpffs_mounted"] = True


def ensure_sysctls(host: Host, p: dict, ipv6: bool, check_mode: bool) -> dict[str, Any]:
    """Forwarding on, rp_filter a value Felix accepts; live and in sysctl.d for boot."""
    out: dict[str, Any] = {"changed": False, "values": {}, "diffs": [], "files": {}}
    existing = sysctl.parse_conf(host.read(SYSCTL_PATH) or "")
    want: dict[str, str] = {IP_FORWARD: "1"}
    if ipv6:
        want[IP6_FORWARD] = "1"
    rp = sysctl.read(host, RP_FILTER)
    if existing.get(RP_FILTER) in ("0", "1"):
        want[RP_FILTER] = existing[RP_FILTER]
    elif rp is not None and rp not in ("0", "1") and not p.get("ignore_loose_rpf"):
        want[RP_FILTER] = "1"   # loose (2) -> strict; Felix refuses loose RPF
    for key, value in want.items():
        live = sysctl.read(host, key)
        entry = {"before": live, "after": value, "changed": live != value}
        if live is None:
            raise NodeError(f"{sysctl.proc_path(key)} does not exist: the kernel has no "
                            f"{'IPv6' if 'ipv6' in key else 'IPv4'} support for {key}.")
        if live != value:
            out["changed"] = True
            if not check_mode:
                try:
                    sysctl.write(host, key, value)
                except OSError as exc:
                    raise NodeError(f"Cannot set {key}={value}: {exc}. /proc/sys is read-only here (an unprivileged "
                                    "container?): run on the host, or give the container --privileged.") from None
        out["values"][key] = entry
    text = sysctl.render_conf(want, f"{HEADER}\nKernel parameters calico-node needs (Felix refuses rp_filter=2).")
    fc = files.ensure_file(host, SYSCTL_PATH, text, 0o644, check_mode)
    out["files"]["sysctl"] = fc.as_dict()
    if fc.changed:
        out["changed"] = True
        out["diffs"].append(fc.diff)
    return out


# ---------------------------------------------------------------------------------------------
# the service


def find_engine(host: Host, choice: str) -> tuple[str, str]:
    for engine in (("podman", "docker") if choice == "auto" else (choice,)):
        path = host.which(engine)
        if path:
            return engine, path
    wanted = "podman or docker" if choice == "auto" else choice
    raise NodeError(f"No container engine: calico-node runs from the calico/node image and needs {wanted} on this host. "
                    f"Install it (Debian/Ubuntu/EL: the podman package) or set container_engine.")


def image_present(host: Host, engine: str, engine_path: str, image: str) -> bool:
    if engine == "podman":
        rc, _o, err = host.run([engine_path, "image", "exists", image])
        if rc not in (0, 1):
            raise NodeError(f"podman cannot look up images: {' '.join(err.split())}")
        return rc == 0
    rc, _o, err = host.run([engine_path, "image", "inspect", "--format", "{{.Id}}", image])
    if rc != 0 and "No such image" not in err and "no such image" not in err.lower():
        raise NodeError(f"docker cannot look up images: {' '.join(err.split())}")
    return rc == 0


def ensure_service_files(host: Host, p: dict, name: str, addrs: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    engine, engine_path = find_engine(host, p.get("container_engine") or "auto")
    values = env_values(p, name, addrs)
    env_text = render_env(values)
    unit_text = render_unit(engine, engine_path, host.which("mkdir") or "/bin/mkdir", p.get("image") or DEFAULT_IMAGE,
                            list(values), container_volumes(p, host.isdir("/lib/modules")))
    sd = Systemd(host)
    problems = sd.verify(UNIT_NAME, unit_text)
    if problems:
        raise NodeError(f"systemd-analyze verify refuses the {UNIT_NAME} this module would write: "
                        f"{'; '.join(problems)}. Nothing was written.")
    out: dict[str, Any] = {"changed": False, "diffs": [], "files": {}, "engine": engine, "engine_path": engine_path,
                           "unit_changed": False, "config_changed": False}
    fe = files.ensure_file(host, ENV_PATH, env_text, 0o600, check_mode)
    fu = files.ensure_file(host, UNIT_PATH, unit_text, 0o644, check_mode)
    out["files"]["env"] = fe.as_dict()
    out["files"]["unit"] = fu.as_dict()
    for fc in (fe, fu):
        if fc.changed:
            out["changed"] = True
            out["diffs"].append(fc.diff)
    out["unit_changed"] = fu.content_changed
    out["config_changed"] = fe.content_changed or fu.content_changed
    out["env"] = values
    return out


def ensure_service_state(host: Host, p: dict, svc: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    """daemon-reload after a unit change; with state=started also the image, enabled, and running,
    restarted only when this run changed its configuration."""
    sd = Systemd(host)
    out: dict[str, Any] = {"changed": False, "name": UNIT_NAME, "daemon_reloaded": False, "enabled_now": False,
                           "started": False, "restarted": False, "image_pulled": False, "restart_needed": False}
    if not sd.running:
        if p.get("state") == "started":
            raise NodeError("state=started needs systemd as the init system, and systemd is not running here "
                            "(/run/systemd/system is missing). Use state=present and start calico-node yourself.")
        out["systemd"] = False
        return out
    out["systemd"] = True
    if svc["unit_changed"] and not check_mode:
        sd.daemon_reload()
        out["daemon_reloaded"] = True
    st = sd.state(UNIT_NAME)
    active = st.get("ActiveState") in ("active", "activating", "reloading")
    if p.get("state") != "started":
        if active and svc["config_changed"]:
            out["restart_needed"] = True
        out["state"] = st
        return out
    engine, engine_path, image = svc["engine"], svc["engine_path"], p.get("image") or DEFAULT_IMAGE
    if not image_present(host, engine, engine_path, image):
        if not p.get("image_pull", True):
            raise NodeError(f"The image {image} is not on this host and image_pull is false. Load it "
                            f"({engine} load -i calico-node.tar) or allow pulling.")
        out["changed"] = out["image_pulled"] = True
        if not check_mode:
            rc, _o, err = host.run([engine_path, "pull", image])
            if rc != 0:
                raise NodeError(f"The image {image} is not on this host and could not be pulled: "
                                f"{' '.join(err.split())[-600:]}. Make it available ({engine} load -i calico-node.tar, "
                                f"or a registry mirror this host reaches) or set image. The configuration was written; "
                                f"{UNIT_NAME} was not started.")
    if st.get("UnitFileState") not in ("enabled", "enabled-runtime", "static", "alias"):
        out["changed"] = out["enabled_now"] = True
        if not check_mode:
            sd.enable(UNIT_NAME)
    if not active:
        out["changed"] = out["started"] = True
        if not check_mode:
            sd.start(UNIT_NAME)
    elif svc["config_changed"]:
        out["changed"] = out["restarted"] = True
        if not check_mode:
            sd.restart(UNIT_NAME)
    if (out["started"] or out["restarted"]) and not check_mode:
        st = sd.wait_running(UNIT_NAME, timeout=float(p.get("start_timeout") or 30))
        if not (st.get("ActiveState") == "active" and st.get("SubState") == "running"):
            raise NodeError(f"{UNIT_NAME} did not stay running (ActiveState={st.get('ActiveState')}, "
                            f"SubState={st.get('SubState')}, Result={st.get('Result')}). Its last log lines: "
                            f"{sd.journal(UNIT_NAME)[-1500:]}")
    out["state"] = sd.state(UNIT_NAME) if not check_mode else st
    return out


# ---------------------------------------------------------------------------------------------
# the whole module


def check_node_name(name: str) -> str | None:
    """Calico resource names: a lower-case RFC 1123 subdomain (libcalico-go validator)."""
    if not name:
        return "name: the node name is empty (no hostname?); set name"
    if len(name) > 253 or not re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", name):
        return (f"name: {name!r} is not a valid Calico node name (lower-case letters, digits, '-' and '.', "
                "starting and ending with a letter or digit)")
    return None


def _merge(res: dict, part: dict) -> None:
    res["changed"] |= bool(part.get("changed"))
    res["diffs"] += part.get("diffs", [])
    res["files"].update(part.get("files", {}))


def execute(host: Host | None, p: dict, check_mode: bool, warn, ds=None) -> dict[str, Any]:
    """The whole task. ``host`` is None for scope=datastore, ``ds`` None for scope=host.
    Order: host prerequisites and configuration files, then the datastore, then the service (so
    calico-node starts against the Node this task wrote). Raises NodeError carrying the partial
    result in ``details``."""
    scope = p.get("scope") or "all"
    res: dict[str, Any] = {"changed": False, "diffs": [], "files": {}, "name": None, "addresses": None,
                           "kernel": None, "sysctl": None, "networkmanager": None, "service": None,
                           "node": None, "felix_configuration": None}
    try:
        res["name"] = node_name(host, p) if host is not None else p["name"]
        err = check_node_name(res["name"])
        if err:
            raise NodeError(err)
        svc = None
        if host is not None:
            res["addresses"] = resolve_addresses(p, netinfo.list_interfaces(host))
            kern = ensure_kernel(host, p, check_mode)
            res["kernel"] = {k: v for k, v in kern.items() if k not in ("diffs", "changed", "files")}
            _merge(res, kern)
            if kern["missing"]:
                if p.get("on_missing_kernel_feature", "fail") == "fail":
                    raise NodeError(" ".join(kern["missing"]))
                for m in kern["missing"]:
                    warn(m)
            ipv6 = bool(res["addresses"].get("ipv6") and res["addresses"]["ipv6"] != "none")
            sres = ensure_sysctls(host, p, ipv6, check_mode)
            res["sysctl"] = sres["values"]
            _merge(res, sres)
            res["networkmanager"] = nm = {"present": networkmanager.present(host), "managed": False, "reloaded": False}
            if p.get("networkmanager", True) and nm["present"]:
                fc = files.ensure_file(host, networkmanager.CONF_PATH, networkmanager.render(), 0o644, check_mode)
                nm["managed"] = True
                _merge(res, {"changed": fc.changed, "diffs": [fc.diff] if fc.changed else [],
                             "files": {"networkmanager": fc.as_dict()}})
                if fc.changed and not check_mode:
                    nm["reloaded"], nm["message"] = networkmanager.reload(host)
            if (p.get("datastore_type") or "etcdv3") == "etcdv3":
                svc = ensure_service_files(host, p, res["name"], res["addresses"], check_mode)
                _merge(res, svc)
        else:
            res["addresses"] = resolve_addresses(p, None)
        if ds is not None:
            dres = ensure_node_resource(ds, p, res["name"], res["addresses"], check_mode)
            res["node"], res["felix_configuration"] = dres["node"], dres["felix_configuration"]
            _merge(res, dres)
        if svc is not None:
            state = ensure_service_state(host, p, svc, check_mode)
            res["changed"] |= state["changed"]
            res["service"] = {"engine": svc["engine"], "image": p.get("image") or DEFAULT_IMAGE,
                              "env_file": ENV_PATH, "unit_file": UNIT_PATH} | {
                                  k: v for k, v in state.items() if k != "changed"}
            if state.get("restart_needed"):
                warn(f"{UNIT_NAME} is running with its previous configuration; restart it (state=started "
                     "does) to apply the new one.")
    except NodeError as exc:
        exc.details = res
        raise
    except (DatastoreError, SystemdError, netinfo.AutodetectError, OSError) as exc:
        msg = str(exc)
        if isinstance(exc, NotFoundError):
            msg += " Run the task again to re-read the current state."
        raise NodeError(msg, **res) from None
    return res
