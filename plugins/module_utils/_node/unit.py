# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What calico-node runs with: /etc/calico/calico.env and the systemd unit (pure rendering;
calicoctl/calicoctl/commands/node/run.go and Calico's non-cluster host install)."""

from __future__ import annotations

import re
from typing import Any

from ansible_collections.netops.calico.plugins.module_utils._datastore import govalues
from ansible_collections.netops.calico.plugins.module_utils._node.options import (
    CONTAINER_NAME,
    ENV_PATH,
    HEADER,
    RESERVED_ENV,
)


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
    vals["CALICO_AS"] = str(govalues.go_asnumber(p["as_number"])) if p.get("as_number") else ""
    vals["NO_DEFAULT_POOLS"] = "true" if p.get("no_default_pools", True) else "false"
    for k, v in (p.get("env") or {}).items():
        vals[str(k)] = "" if v is None else (str(v).lower() if isinstance(v, bool) else str(v))
    return vals


MASK = "VALUE_HIDDEN"


def _env_lines(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.startswith("#"):
            out[key] = value
    return out


def mask_env_diff(before: str, after: str) -> tuple[str, str]:
    """calico.env's before/after for --diff with the values of the variables given in ``env`` (any
    variable but the module's own) replaced by a mask and the keys kept, as Ansible hides no_log
    values. A changed value shows as a changed line, never as its text."""
    old, new = _env_lines(before), _env_lines(after)

    def mask(text: str, this: dict[str, str], other: dict[str, str], mark: str) -> str:
        out = []
        for line in text.splitlines(keepends=True):
            key, sep, _value = line.partition("=")
            if sep and not line.startswith("#") and key not in RESERVED_ENV:
                differs = key in other and other[key] != this[key]
                line = f"{key}={MASK}{mark if differs else ''}" + ("\n" if line.endswith("\n") else "")
            out.append(line)
        return "".join(out)
    return mask(before, old, new, ""), mask(after, new, old, " (changed)")


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
