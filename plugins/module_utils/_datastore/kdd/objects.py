# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes objects other than Calico's resources: what a Calico installation is made of on the
Kubernetes datastore (the calico-node DaemonSet, ConfigMaps, RBAC, CRDs, ...), read, written with
server-side apply and deleted through the one transport (api.py).

Server-side apply as the Kubernetes API reference specifies
(https://kubernetes.io/docs/reference/using-api/server-side-apply/): PATCH with
``Content-Type: application/apply-patch+yaml``, ``fieldManager`` (required) and ``force``; the
server merges the applied configuration, tracks which manager owns which field, and removes the
fields this manager applied before and no longer applies. ``dryRun=All`` runs every stage except the
write (check mode; ``DryRun`` in dryrun.py calls ``apply(..., dry_run=True)``).
"""

from __future__ import annotations

from ansible_collections.netops.calico.plugins.module_utils._datastore.errors import (
    ConflictError,
    DatastoreError,
    NotFoundError,
    ValidationError,
)
from ansible_collections.netops.calico.plugins.module_utils._datastore.kdd.api import ApiStatus, KubeAPI, causes

# (apiVersion, kind) -> (plural, namespaced): the kinds a Calico installation is made of
KINDS: dict[tuple[str, str], tuple[str, bool]] = {
    ("v1", "ConfigMap"): ("configmaps", True),
    ("v1", "Namespace"): ("namespaces", False),
    ("v1", "Node"): ("nodes", False),
    ("v1", "Pod"): ("pods", True),
    ("v1", "Service"): ("services", True),
    ("v1", "ServiceAccount"): ("serviceaccounts", True),
    ("apps/v1", "DaemonSet"): ("daemonsets", True),
    ("apps/v1", "Deployment"): ("deployments", True),
    ("policy/v1", "PodDisruptionBudget"): ("poddisruptionbudgets", True),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): ("clusterroles", False),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): ("clusterrolebindings", False),
    ("rbac.authorization.k8s.io/v1", "Role"): ("roles", True),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): ("rolebindings", True),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"): ("customresourcedefinitions", False),
}


def ref(obj: dict) -> str:
    """``Kind namespace/name`` (or ``Kind name``), how messages and diffs name an object."""
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace")
    return f"{obj.get('kind')} {ns + '/' if ns else ''}{meta.get('name')}"


def path_of(api_version: str, kind: str, name: str = "", namespace: str | None = None) -> str:
    """The REST path of an object (or of its collection when ``name`` is empty)."""
    try:
        plural, namespaced = KINDS[(api_version, kind)]
    except KeyError:
        known = ", ".join(f"{k} ({v})" for v, k in sorted(KINDS))
        raise DatastoreError(f"{api_version} {kind} is not a kind this collection manages.",
                             f"Use one of: {known}.") from None
    if namespaced and not namespace and name:
        raise DatastoreError(f"{kind} {name!r} needs metadata.namespace.", "Set the object's namespace.")
    base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
    if namespaced and namespace:
        base += f"/namespaces/{namespace}"
    return f"{base}/{plural}" + (f"/{name}" if name else "")


class KubeObjects:
    """get / list / apply / delete of Kubernetes objects by apiVersion, kind, name, namespace."""

    def __init__(self, api: KubeAPI) -> None:
        self.api = api

    def _fail(self, exc: ApiStatus, what: str) -> DatastoreError:
        if exc.code == 401:
            return DatastoreError(f"The Kubernetes API at {self.api.server} rejected the credentials while "
                                  f"{what} (401 Unauthorized).",
                                  "Check the user in the kubeconfig: its token or client certificate may be "
                                  "wrong or expired.")
        if exc.code == 403:
            return DatastoreError(f"The Kubernetes API refused {what}: {exc.message.rstrip('.')}.",
                                  "Use a kubeconfig whose user may install cluster add-ons (cluster-admin, as "
                                  "kubeadm's admin.conf).")
        if exc.code == 409:
            return ConflictError(f"{what}: {exc.message}",
                                 "Another field manager owns these fields; set force_conflicts: true to take them "
                                 "over, or change them with that manager.")
        if exc.code in (400, 422):
            return ValidationError(causes(exc, what) or [f"{what}: {exc.message}"])
        if exc.code == 404:
            return NotFoundError(f"{what}: {exc.message}.",
                                 "The API server does not serve this path: check the Kubernetes version and that "
                                 "the namespace exists.")
        return DatastoreError(f"The Kubernetes API refused {what}: {exc.code} {exc.reason}: {exc.message}")

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> dict | None:
        what = f"reading {kind} {name}"
        try:
            return self.api.call(what, self.api.request, "GET", path_of(api_version, kind, name, namespace))
        except ApiStatus as exc:
            if exc.code == 404:
                return None
            raise self._fail(exc, what) from None

    def list(self, api_version: str, kind: str, namespace: str | None = None,
             label_selector: str | None = None) -> list[dict]:
        """Every object of a kind (in a namespace), following ``continue`` tokens."""
        what = f"listing {kind}"
        items: list[dict] = []
        query: dict[str, str] = {"limit": "500"}
        if label_selector:
            query["labelSelector"] = label_selector
        try:
            while True:
                page = self.api.call(what, self.api.request, "GET", path_of(api_version, kind, "", namespace),
                                     dict(query))
                items.extend(page.get("items") or [])
                token = (page.get("metadata") or {}).get("continue")
                if not token:
                    return items
                query["continue"] = token
        except ApiStatus as exc:
            raise self._fail(exc, what) from None

    def apply(self, obj: dict, manager: str, force: bool = False, dry_run: bool = False) -> dict:
        """Server-side apply of ``obj`` (the fields this manager wants, nothing else); returns the
        object as stored (as it would be, with ``dry_run``). Repeating an apply is harmless, so a
        lost answer is simply retried."""
        meta = obj.get("metadata") or {}
        path = path_of(obj.get("apiVersion", ""), obj.get("kind", ""), meta.get("name", ""), meta.get("namespace"))
        query = {"fieldManager": manager, "force": "true" if force else "false"}
        if dry_run:
            query["dryRun"] = "All"
        what = f"applying {ref(obj)}"
        try:
            return self.api.call(what, self.api.request, "PATCH", path, query, obj,
                                 "application/apply-patch+yaml")
        except ApiStatus as exc:
            raise self._fail(exc, what) from None

    def delete(self, api_version: str, kind: str, name: str, namespace: str | None = None,
               dry_run: bool = False) -> bool:
        """Delete (foreground propagation, so a workload's pods go with it). False when absent."""
        what = f"deleting {kind} {name}"
        query = {"dryRun": "All"} if dry_run else None
        body = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Foreground"}
        try:
            self.api.call(what, self.api.request, "DELETE", path_of(api_version, kind, name, namespace), query, body)
            return True
        except ApiStatus as exc:
            if exc.code == 404:
                return False
            raise self._fail(exc, what) from None
