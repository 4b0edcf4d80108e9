# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection options shared by every datastore module, named after calico's own variables and
falling back to them (DATASTORE_TYPE, ETCD_ENDPOINTS, ETCD_CA_CERT_FILE, ETCD_CERT_FILE,
ETCD_KEY_FILE, KUBECONFIG). Documented once in the ``netops.calico.datastore`` doc fragment."""

from __future__ import annotations

import os
from typing import Any, Callable

from ansible.module_utils.basic import env_fallback

from ansible_collections.netops.calico.plugins.module_utils._datastore.errors import DatastoreError

DATASTORE_ARGSPEC: dict[str, dict[str, Any]] = {
    "datastore_type": {"type": "str", "choices": ["etcdv3", "kubernetes"],
                       "fallback": (env_fallback, ["DATASTORE_TYPE"]), "default": "etcdv3"},
    "etcd_endpoints": {"type": "str", "fallback": (env_fallback, ["ETCD_ENDPOINTS"])},
    "etcd_ca_cert_file": {"type": "path", "fallback": (env_fallback, ["ETCD_CA_CERT_FILE"])},
    "etcd_cert_file": {"type": "path", "fallback": (env_fallback, ["ETCD_CERT_FILE"])},
    "etcd_key_file": {"type": "path", "no_log": False, "fallback": (env_fallback, ["ETCD_KEY_FILE"])},
    "kubeconfig": {"type": "path", "fallback": (env_fallback, ["KUBECONFIG"])},
    "datastore_timeout": {"type": "float", "default": 10.0},
}


def datastore_argspec(**extra: dict[str, Any]) -> dict[str, dict[str, Any]]:
    spec = {k: dict(v) for k, v in DATASTORE_ARGSPEC.items()}
    spec.update(extra)
    return spec


def check_key_file(path: str | None) -> None:
    """Refuse a client key that every user of this machine can read or write, as ssh refuses an
    "UNPROTECTED PRIVATE KEY FILE": whoever reads it is calico to etcd and can rewrite the whole
    cluster's network, and an attacker who can write it can swap in their own key. Unlike ssh, group
    access is allowed: etcd client keys are commonly shared with a group (e.g. 0640 root:etcd)."""
    if not path:
        return
    mode = os.stat(path).st_mode & 0o777
    if mode & 0o007:
        raise DatastoreError(
            f"etcd_key_file {path!r} is accessible to every user on this machine (mode {mode:04o}); refusing to "
            "use a private key anyone can read, as ssh does.",
            f"Restrict it, e.g. chmod 0600 {path} (or 0640 with a group that needs it).")


def connect(params: dict[str, Any], log: Callable[[str], None] | None = None):
    """A backend for the module's connection options. Raises DatastoreError with a fix."""
    dtype = params.get("datastore_type") or "etcdv3"
    timeout = params.get("datastore_timeout")
    timeout = 10.0 if timeout is None else timeout
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or not 0 < timeout < 86400:
        raise DatastoreError(f"datastore_timeout must be a number of seconds above 0 (and below a day), "
                             f"got {timeout!r}.", "Set datastore_timeout to e.g. 10.")
    timeout = float(timeout)
    if dtype == "etcdv3":
        from ansible_collections.netops.calico.plugins.module_utils._datastore.etcd import EtcdBackend, EtcdKV
        endpoints = params.get("etcd_endpoints")
        if not endpoints:
            raise DatastoreError("datastore_type is etcdv3 but no etcd endpoint is set.",
                                 "Set etcd_endpoints (or ETCD_ENDPOINTS), e.g. https://10.0.0.1:2379.")
        for opt in ("etcd_ca_cert_file", "etcd_cert_file", "etcd_key_file"):
            path = params.get(opt)
            if path and not os.path.isfile(path):
                raise DatastoreError(f"{opt} {path!r} does not exist or is not a file.")
        check_key_file(params.get("etcd_key_file"))
        kv = EtcdKV(endpoints, ca_cert=params.get("etcd_ca_cert_file"), cert=params.get("etcd_cert_file"),
                    key=params.get("etcd_key_file"), timeout=timeout, log=log)
        return EtcdBackend(kv)
    if dtype == "kubernetes":
        from ansible_collections.netops.calico.plugins.module_utils._datastore.kdd.backend import KubernetesBackend
        return KubernetesBackend.from_kubeconfig(params.get("kubeconfig"), timeout=timeout, log=log)
    raise DatastoreError(f"unknown datastore_type {dtype!r}; use etcdv3 or kubernetes.")
