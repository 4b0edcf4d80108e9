# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes datastore (KDD) backend: Calico's CRDs (crd.projectcalico.org/v1) and core/v1 Nodes
through the Kubernetes API (api.py), converted as libcalico-go does (convert.py, where the formats and
their upstream sources are described), with the same methods and semantics as ``EtcdBackend``.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Iterable, Iterator

from ansible_collections.netops.calico.plugins.module_utils._calico.validator import guard_delete, guard_write
from ansible_collections.netops.calico.plugins.module_utils._datastore import model
from ansible_collections.netops.calico.plugins.module_utils._datastore.etcd import Committed, Item, Write
from ansible_collections.netops.calico.plugins.module_utils._datastore.errors import (
    AlreadyExistsError,
    ConflictError,
    DatastoreError,
    NotFoundError,
    ValidationError,
)
from ansible_collections.netops.calico.plugins.module_utils._datastore.kdd.api import ApiStatus, KubeAPI, causes
from ansible_collections.netops.calico.plugins.module_utils._datastore.kdd.convert import (
    CRD_API_VERSION,
    CRD_KINDS,
    GROUP,
    IPAM_CRDS,
    METADATA_ANNOTATION,
    NODE_ANN,
    PAGE_SIZE,
    REFUSED_KINDS,
    VERSION,
    calico_node_annotations,
    crd_to_ipam,
    crd_to_v3,
    ipam_crd_name,
    ipam_to_crd,
    k8s_node_to_calico,
    masked_cidr,
    split_affinity,
    v3_to_crd,
)
from ansible_collections.netops.calico.plugins.module_utils._datastore.kdd.objects import KubeObjects


class KubernetesBackend:
    """Calico objects in the Kubernetes datastore: v3 resources and IPAM objects, by kind and name.

    Same public methods and semantics as ``EtcdBackend``: reads carry ``metadata.resourceVersion``
    (the CR's), create only if absent (AlreadyExistsError), update/delete only at the revision read
    (ConflictError; NotFoundError when it is gone). See the module docstring for what is stored how,
    and for Nodes: read from core/v1 Nodes; ``update`` patches only Calico's Node annotations;
    ``create``/``delete`` of a Node are refused with an explanation.
    """

    datastore_type = "kubernetes"

    def __init__(self, api: KubeAPI) -> None:
        self.api = api

    @classmethod
    def from_kubeconfig(cls, path: str | None, timeout: float = 10.0, log: Callable[[str], None] | None = None,
                        context: str | None = None) -> "KubernetesBackend":
        """Connect with a kubeconfig (see ``KubeAPI.from_kubeconfig``)."""
        return cls(KubeAPI.from_kubeconfig(path, timeout=timeout, log=log, context=context))

    # -- helpers ------------------------------------------------------------------------------
    @staticmethod
    def _crd_kind(kind_name: str) -> str:
        model.kind(kind_name)                   # ValueError for an unknown kind, as etcd
        if kind_name in REFUSED_KINDS:
            raise DatastoreError(f"{kind_name}: {REFUSED_KINDS[kind_name]}.")
        if kind_name not in CRD_KINDS:
            raise DatastoreError(f"{kind_name} is not supported with the Kubernetes datastore.")
        return model.KINDS[kind_name].plural

    @staticmethod
    def _path(plural: str, name: str = "") -> str:
        return f"/apis/{CRD_API_VERSION}/{plural}" + (f"/{name}" if name else "")

    def _fail(self, exc: ApiStatus, what: str, plural: str, name: str = "", verb: str = "") -> DatastoreError:
        """A DatastoreError subclass for a non-retryable API answer."""
        target = f"{plural}.{GROUP}" if plural != "nodes" else "nodes"
        if exc.code == 401:
            return DatastoreError(
                f"The Kubernetes API at {self.api.server} rejected the credentials while {what} (401 Unauthorized).",
                "Check the user in the kubeconfig: its token or client certificate may be wrong or expired.")
        if exc.code == 403:
            return DatastoreError(
                f"The Kubernetes API refused {what}: {exc.message.rstrip('.')}.",
                f"Give the kubeconfig's user RBAC permission to {verb or 'access'} {target} "
                f"(e.g. a ClusterRole with get, list, create, update, delete on crd.projectcalico.org resources "
                f"and get, list, patch on nodes and nodes/status), or use a kubeconfig that has it.")
        if exc.code == 404 and not (exc.body.get("details") or {}).get("name"):
            return DatastoreError(
                f"The Kubernetes API at {self.api.server} does not serve {target}: {exc.message}.",
                "Install Calico (its CRDs crd.projectcalico.org/v1) in this cluster first, or check that "
                "kubeconfig points at the right cluster.")
        if exc.code in (400, 422):
            return ValidationError(causes(exc, name) or [f"{name or target}: {exc.message}"])
        return DatastoreError(f"The Kubernetes API refused {what}: {exc.code} {exc.reason}: {exc.message}")

    # raw CR access (cluster scoped) -----------------------------------------------------------
    def _cr_get(self, plural: str, name: str) -> dict | None:
        what = f"reading {plural}/{name}"
        try:
            return self.api.call(what, self.api.custom.get_cluster_custom_object, GROUP, VERSION, plural, name)
        except ApiStatus as exc:
            if exc.code == 404:                    # the object, or the whole CRD (not installed): nothing there
                return None
            raise self._fail(exc, what, plural, name, "get") from None

    def _paged(self, what: str, plural: str, fn: Callable[..., dict], *args: Any,
               crd: bool = False) -> list[dict]:
        """Every item of a list call, following ``continue`` tokens (limit PAGE_SIZE). An expired
        token (410) restarts the listing, at most twice. For a CRD (``crd``), a 404 on the whole
        list means the CRD is not installed: no objects, as upstream List does."""
        for restart in range(3):
            items: list[dict] = []
            token = None
            try:
                while True:
                    kwargs: dict[str, Any] = {"limit": PAGE_SIZE}
                    if token:
                        kwargs["_continue"] = token
                    page = self.api.call(what, fn, *args, **kwargs)
                    items.extend(page.get("items") or [])
                    token = (page.get("metadata") or {}).get("continue")
                    if not token:
                        return items
            except ApiStatus as exc:
                if exc.code == 410 and restart < 2:
                    self.api.log(f"kubernetes {what}: continue token expired, listing again")
                    continue
                if crd and exc.code == 404 and not (exc.body.get("details") or {}).get("name"):
                    return []
                raise self._fail(exc, what, plural, verb="list") from None
        raise DatastoreError(f"Listing {plural} kept expiring.")  # pragma: no cover

    def _cr_list(self, plural: str) -> list[dict]:
        return self._paged(f"listing {plural}", plural, self.api.custom.list_cluster_custom_object,
                           GROUP, VERSION, plural, crd=True)

    def _cr_create(self, plural: str, body: dict, same: Callable[[dict], bool]) -> dict:
        name = body["metadata"]["name"]
        what = f"creating {plural}/{name}"

        def do() -> dict:
            return self.api.once(self.api.custom.create_cluster_custom_object, GROUP, VERSION, plural, body)

        def verify() -> dict | None:
            cur = self._cr_get(plural, name)
            if cur is None:
                return None
            if same(cur):
                return cur
            raise AlreadyExistsError(f"{plural}/{name} already exists.",
                                     "Another writer created it; run again to compare with it.")

        try:
            return self.api.write(what, do, verify)
        except ApiStatus as exc:
            if exc.code == 409:
                raise AlreadyExistsError(f"{plural}/{name} already exists.",
                                         "Another writer created it; run again to compare with it.") from None
            raise self._fail(exc, what, plural, name, "create") from None

    def _cr_replace(self, plural: str, body: dict, same: Callable[[dict], bool]) -> dict:
        name = body["metadata"]["name"]
        rev = body["metadata"].get("resourceVersion")
        what = f"updating {plural}/{name}"

        def do() -> dict:
            return self.api.once(self.api.custom.replace_cluster_custom_object, GROUP, VERSION, plural, name, body)

        def verify() -> dict | None:
            cur = self._cr_get(plural, name)
            if cur is None:
                raise self._gone(plural, name, rev)
            if cur["metadata"].get("resourceVersion") == rev:
                return None
            if same(cur):
                return cur
            raise self._changed(plural, name, rev)

        try:
            return self.api.write(what, do, verify)
        except ApiStatus as exc:
            if exc.code == 404 and (exc.body.get("details") or {}).get("name"):
                raise self._gone(plural, name, rev) from None
            if exc.code == 409:
                if "UID in precondition" in exc.message:   # errors.go: deleted and re-created
                    raise self._gone(plural, name, rev) from None
                raise self._changed(plural, name, rev) from None
            raise self._fail(exc, what, plural, name, "update") from None

    def _cr_delete(self, plural: str, name: str, revision: str) -> None:
        self._guarded_delete(plural, name, revision,
                             lambda opts: self.api.once(self.api.custom.delete_cluster_custom_object, GROUP, VERSION,
                                                        plural, name, body=opts),
                             lambda: self._cr_get(plural, name))

    def _guarded_delete(self, plural: str, name: str, revision: str, send: Callable[[Any], dict],
                        read: Callable[[], dict | None]) -> None:
        """DELETE with a resourceVersion precondition (a compare-and-delete); a lost answer is
        resolved by reading back."""
        what = f"deleting {plural}/{name}"
        opts = self.api.delete_options(revision)

        def verify() -> dict | None:
            cur = read()
            if cur is None:
                return {}
            if cur["metadata"].get("resourceVersion") == str(revision):
                return None
            raise ConflictError(f"{plural}/{name} changed since it was read (revision {revision}); not deleted.",
                                "Run again to re-read the current state.")

        try:
            self.api.write(what, lambda: send(opts), verify)
        except ApiStatus as exc:
            if exc.code == 404:
                raise NotFoundError(f"{plural}/{name} does not exist.") from None
            if exc.code == 409:
                raise ConflictError(f"{plural}/{name} changed since it was read (revision {revision}); not deleted.",
                                    "Run again to re-read the current state.") from None
            raise self._fail(exc, what, plural, name, "delete") from None

    @staticmethod
    def _gone(plural: str, name: str, rev: Any) -> NotFoundError:
        return NotFoundError(f"{plural}/{name} was deleted since it was read (revision {rev}).",
                             "Run again to re-read the current state.")

    @staticmethod
    def _changed(plural: str, name: str, rev: Any) -> ConflictError:
        return ConflictError(f"{plural}/{name} changed since it was read (revision {rev}).",
                             "Another writer updated it; run again to re-read the current state.")

    @staticmethod
    def _same_as(body: dict) -> Callable[[dict], bool]:
        """Whether a stored CR holds what ``body`` wrote (spec and our metadata annotation)."""
        def same(cur: dict) -> bool:
            ann = (cur.get("metadata") or {}).get("annotations") or {}
            return (cur.get("spec") == body.get("spec")
                    and ann.get(METADATA_ANNOTATION) == body["metadata"]["annotations"].get(METADATA_ANNOTATION))
        return same

    # -- nodes ---------------------------------------------------------------------------------
    def _node_get(self, name: str) -> dict | None:
        what = f"reading node {name}"
        try:
            return self.api.call(what, self.api.core.read_node, name)
        except ApiStatus as exc:
            if exc.code == 404:
                return None
            raise self._fail(exc, what, "nodes", name, "get") from None

    def _node_list(self) -> list[dict]:
        return self._paged("listing nodes", "nodes", self.api.core.list_node)

    def kubernetes_node_names(self) -> set[str]:
        """The names of the Kubernetes Nodes (core/v1), for liveness checks."""
        return {(n.get("metadata") or {}).get("name") for n in self._node_list()} - {None}

    def delete_kubernetes_node(self, name: str, revision: str) -> None:
        """Delete the Kubernetes Node ``name`` (core/v1) if it is still at ``revision``: what
        ``kubectl delete node`` does, guarded. ``delete("Node", ...)`` stays refused, as libcalico-go's
        KDD node client refuses Delete (resources/node.go); only calico_decommission calls this, and
        only when told to (delete_kubernetes_node)."""
        self._guarded_delete("nodes", name, revision,
                             lambda opts: self.api.once(self.api.core.delete_node, name, body=opts),
                             lambda: self._node_get(name))

    def _node_update(self, resource: dict) -> dict:
        meta = resource.get("metadata") or {}
        name = meta["name"]
        rev = str(meta["resourceVersion"])
        anns = calico_node_annotations(resource)
        try:
            inherited = json.loads((meta.get("annotations") or {}).get(NODE_ANN["kubelabels"]) or "{}") or {}
        except ValueError:
            inherited = {}
        for key, value in (meta.get("labels") or {}).items():
            if key in inherited and inherited[key] != value:   # restoreCalicoLabels warns the same way
                self.api.log(f"node {name}: label {key}={value!r} is shadowed by the Kubernetes label "
                             f"{key}={inherited[key]!r} and is not written")
        patch = {"metadata": {"resourceVersion": rev, "annotations": anns}}
        what = f"updating node {name}"

        def do() -> dict:
            try:
                return self.api.once(self.api.core.patch_node_status, name, patch,
                                     _content_type="application/merge-patch+json")
            except TypeError:
                # kubernetes < 36 has no _content_type: it sends a dict body as a strategic merge
                # patch, which for annotations (a map of strings) means the same thing.
                return self.api.once(self.api.core.patch_node_status, name, patch)

        def verify() -> dict | None:
            cur = self._node_get(name)
            if cur is None:
                raise self._gone("nodes", name, rev)
            if cur["metadata"].get("resourceVersion") == rev:
                return None
            have = cur["metadata"].get("annotations") or {}
            if all(have.get(k) == v for k, v in anns.items()):
                return cur
            raise self._changed("nodes", name, rev)

        try:
            out = self.api.write(what, do, verify)
        except ApiStatus as exc:
            if exc.code == 404:
                raise self._gone("nodes", name, rev) from None
            if exc.code == 409:
                raise self._changed("nodes", name, rev) from None
            raise self._fail(exc, what, "nodes", name, "patch") from None
        return k8s_node_to_calico(out)

    # -- v3 resources ----------------------------------------------------------------------------
    def get(self, kind_name: str, name: str, namespace: str | None = None) -> dict | None:
        if kind_name in model.IPAM_KINDS:
            return self.ipam_get(kind_name, name)
        if kind_name == "Node":
            node = self._node_get(name)
            return None if node is None else k8s_node_to_calico(node)
        plural = self._crd_kind(kind_name)
        obj = self._cr_get(plural, name)
        return None if obj is None else crd_to_v3(kind_name, obj)

    def list(self, kind_name: str, namespace: str | None = None) -> list[dict]:
        if kind_name in model.IPAM_KINDS:
            return self.ipam_list(kind_name)
        if kind_name == "Node":
            return [k8s_node_to_calico(n) for n in self._node_list()]
        plural = self._crd_kind(kind_name)
        out = []
        for obj in self._cr_list(plural):
            try:
                out.append(crd_to_v3(kind_name, obj))
            except (DatastoreError, ValueError, KeyError, TypeError) as exc:
                # pagedList: an object that does not convert is skipped with a warning
                self.api.log(f"skipping {plural}/{(obj.get('metadata') or {}).get('name')}: {exc}")
        return out

    def create(self, resource: dict) -> dict:
        guard_write(resource)
        kind_name = resource["kind"]
        meta = resource.get("metadata") or {}
        if kind_name == "Node":
            raise DatastoreError(
                f"Node {meta.get('name')!r}: with the Kubernetes datastore a Calico Node is the Kubernetes Node, "
                "which the kubelet creates when the host joins the cluster; nothing was written.",
                "Join the node to the cluster first, then update its Calico settings.")
        plural = self._crd_kind(kind_name)
        if not meta.get("uid"):
            resource = model.new_resource(kind_name, meta["name"], resource.get("spec") or {},
                                          meta.get("labels"), meta.get("annotations"), meta.get("namespace"))
        body = v3_to_crd(resource, for_update=False)
        try:
            obj = self._cr_create(plural, body, self._same_as(body))
        except AlreadyExistsError:
            raise AlreadyExistsError(f"{kind_name} {meta['name']!r} already exists ({self._path(plural, meta['name'])}).",
                                     "Another writer created it; run again to compare with it.") from None
        return crd_to_v3(kind_name, obj)

    def update(self, resource: dict) -> dict:
        guard_write(resource)
        kind_name = resource["kind"]
        meta = resource.get("metadata") or {}
        rev = model.revision_to_update(resource)
        if kind_name == "Node":
            return self._node_update(resource)
        plural = self._crd_kind(kind_name)
        body = v3_to_crd(resource, for_update=True)
        return crd_to_v3(kind_name, self._cr_replace(plural, body, self._same_as(body)))

    def delete(self, kind_name: str, name: str, revision: str, namespace: str | None = None) -> None:
        if kind_name in model.IPAM_KINDS:
            return self.ipam_delete(kind_name, name, revision)
        guard_delete(kind_name, name)             # '' would DELETE the collection URL
        if kind_name == "Node":
            raise DatastoreError(
                f"Node {name!r}: with the Kubernetes datastore a Calico Node is the Kubernetes Node; "
                "nothing was deleted.",
                f"Remove it with 'kubectl delete node {name}' (calico-kube-controllers then releases its IPAM).")
        self._cr_delete(self._crd_kind(kind_name), name, revision)

    # -- IPAM objects ---------------------------------------------------------------------------
    def _entry(self, kind_name: str, obj: dict) -> tuple[dict, bool]:
        plural = IPAM_CRDS[kind_name][0]
        name, value, deleted = crd_to_ipam(kind_name, obj)
        meta = obj.get("metadata") or {}
        return ({"name": name, "key": self._path(plural, meta.get("name", "")), "value": value,
                 "revision": str(meta.get("resourceVersion", ""))}, deleted)

    @staticmethod
    def _ipam_plural(kind_name: str) -> str:
        if kind_name not in IPAM_CRDS:
            if kind_name in model.IPAM_KINDS:
                raise DatastoreError(f"{kind_name} has no equivalent in the Kubernetes datastore "
                                     "(it exists only in etcd); nothing was written.")
            raise ValueError(f"unknown IPAM kind {kind_name!r}")
        return IPAM_CRDS[kind_name][0]

    def _ipam_matches(self, kind_name: str, name: str, entry: dict) -> bool:
        """The CR found under a derived name really is this object (hashed or lower-cased names)."""
        if kind_name == "BlockAffinity":
            node, cidr = split_affinity(name)
            return entry["name"] == f"{node}/{masked_cidr(cidr)}"
        if kind_name == "IPAMHandle":
            return entry["name"] == name
        return True

    def ipam_get(self, kind_name: str, name: str) -> dict | None:
        if kind_name == "IPAMHost":
            return None                            # no such object in KDD
        plural = self._ipam_plural(kind_name)
        obj = self._cr_get(plural, ipam_crd_name(kind_name, name))
        if obj is None:
            return None
        entry, deleted = self._entry(kind_name, obj)
        if deleted or not self._ipam_matches(kind_name, name, entry):
            return None                            # upstream Get: a marked object reads as not found
        return entry

    def ipam_list(self, kind_name: str, node: str | None = None) -> list[dict]:
        if kind_name not in ("IPAMBlock", "BlockAffinity", "IPAMHandle"):
            raise ValueError(f"{kind_name} has no list prefix")
        out = []
        for obj in self._cr_list(self._ipam_plural(kind_name)):
            try:
                entry, deleted = self._entry(kind_name, obj)
            except (KeyError, ValueError, TypeError) as exc:
                self.api.log(f"skipping {kind_name} {(obj.get('metadata') or {}).get('name')}: {exc}")
                continue
            if kind_name == "BlockAffinity":
                if deleted:                        # blockAffinityClient.List leaves marked ones out
                    continue
                if node and entry["name"].partition("/")[0] != node:
                    continue
            out.append(entry)
        return out

    def ipam_create(self, kind_name: str, name: str, value: Any) -> dict:
        plural = self._ipam_plural(kind_name)
        body = ipam_to_crd(kind_name, name, value)
        crname = body["metadata"]["name"]
        for attempt in range(2):
            try:
                obj = self._cr_create(plural, body, self._same_as(body))
                return self._entry(kind_name, obj)[0]
            except AlreadyExistsError:
                cur = self._cr_get(plural, crname)
                if attempt == 0 and cur is not None:
                    entry, deleted = self._entry(kind_name, cur)
                    if deleted:                    # finish a marked deletion, as upstream Get does
                        try:
                            self._cr_delete(plural, crname, entry["revision"])
                        except NotFoundError:
                            pass
                        continue
                raise AlreadyExistsError(f"{kind_name} {name!r} already exists ({self._path(plural, crname)}).",
                                         "Another writer created it; run again to compare with it.") from None
        raise AlreadyExistsError(f"{kind_name} {name!r} already exists ({self._path(plural, crname)}).")

    def ipam_update(self, kind_name: str, name: str, value: Any, revision: str) -> dict:
        plural = self._ipam_plural(kind_name)
        body = ipam_to_crd(kind_name, name, value)
        body["metadata"]["resourceVersion"] = str(revision)
        return self._entry(kind_name, self._cr_replace(plural, body, self._same_as(body)))[0]

    def ipam_delete(self, kind_name: str, name: str, revision: str) -> None:
        plural = self._ipam_plural(kind_name)
        self._cr_delete(plural, ipam_crd_name(kind_name, name), revision)

    # -- the etcd key view: reports (snapshot) and calico_decommission's plan and writes ---------------
    # Every object under the key and with the JSON Calico would store in etcd (model.py), with its
    # resourceVersion as revision: the same reads and guarded writes as EtcdBackend, so the code that
    # plans on etcd keys runs unchanged on the Kubernetes datastore.

    BULK_READ = 32     # read_keys: more keys of one kind than this are read with one list, not GETs

    @staticmethod
    def _kinds_under(prefixes: Iterable[str]) -> list[str]:
        """The kinds whose etcd-equivalent keys can lie under one of ``prefixes``."""
        prefixes = list(prefixes)

        def overlaps(kp: str) -> bool:
            return any(kp.startswith(p) or p.startswith(kp) for p in prefixes)
        out = [k for k in ("Node",) + CRD_KINDS if overlaps(model.resource_prefix(k))]
        out += [k for k in ("IPAMBlock", "BlockAffinity", "IPAMHandle") if overlaps(model.ipam_prefix(k))]
        if any(model.IPAM_CONFIG_KEY.startswith(p) for p in prefixes):
            out.append("IPAMConfig")
        return out

    def _kind_items(self, kind_name: str) -> Iterator[Item]:
        """Every object of a kind as an etcd Item (key, Calico's etcd JSON, resourceVersion)."""
        if kind_name == "IPAMConfig":
            entry = self.ipam_get("IPAMConfig", "default")
            if entry is not None:
                yield Item(model.IPAM_CONFIG_KEY, model.serialise("IPAMConfig", entry["value"]).encode("utf-8"),
                           entry["revision"])
        elif kind_name in model.IPAM_KINDS:
            for entry in self.ipam_list(kind_name):
                yield Item(model.ipam_key(kind_name, entry["name"]),
                           model.serialise(kind_name, entry["value"]).encode("utf-8"), entry["revision"])
        else:
            for res in self.list(kind_name):
                yield Item(model.resource_key(kind_name, res["metadata"]["name"]),
                           model.serialise(kind_name, res).encode("utf-8"), res["metadata"]["resourceVersion"])

    def snapshot(self, prefix: str = "/calico/") -> Iterator[tuple[str, bytes, str]]:
        """Every object as (etcd-equivalent key, the JSON Calico would store in etcd, revision), for
        keys under ``prefix``. Not one consistent revision: each kind is listed separately."""
        for item in self.read_prefix(prefix):
            yield item.key, item.raw, item.revision

    def read_prefix(self, prefix: str, keys_only: bool = False) -> list[Item]:
        """Every object whose etcd-equivalent key starts with ``prefix`` (one list per kind; values
        always included). Keys with no KDD equivalent (WorkloadEndpoints, which are pods; Felix's
        status reports; ``/calico/ipam/v2/host/<node>``) are never found."""
        return self.read_prefixes([prefix])[prefix]

    def read_prefixes(self, prefixes: Iterable[str]) -> dict[str, list[Item]]:
        """Many prefixes, each kind listed once."""
        prefixes = list(dict.fromkeys(prefixes))
        out: dict[str, list[Item]] = {p: [] for p in prefixes}
        for kind_name in self._kinds_under(prefixes):
            for item in self._kind_items(kind_name):
                for p in prefixes:
                    if item.key.startswith(p):
                        out[p].append(item)
        return out

    def read_keys(self, keys: Iterable[str]) -> dict[str, Item | None]:
        """Many exact keys: a GET each, or one list for a kind with more than BULK_READ keys."""
        keys = list(dict.fromkeys(keys))
        by_kind: dict[str, list[str]] = {}
        for k in keys:
            parsed = model.parse_key(k)
            by_kind.setdefault(parsed[0] if parsed else "", []).append(k)
        out: dict[str, Item | None] = {}
        for kind_name, ks in by_kind.items():
            if len(ks) > self.BULK_READ and kind_name in self._kinds_under(ks):
                listed = {i.key: i for i in self._kind_items(kind_name)}
                out.update({k: listed.get(k) for k in ks})
            else:
                out.update({k: self.raw_get(k) for k in ks})
        return out

    def raw_get(self, key: str) -> Item | None:
        """The object at an etcd-equivalent key, as an etcd Item (key, raw, revision, value)."""
        parsed = model.parse_key(key)
        if parsed is None:
            return None
        kind_name, name, namespace = parsed
        if kind_name in model.IPAM_KINDS:
            entry = self.ipam_get(kind_name, name)
            if entry is None:
                return None
            return Item(key, model.serialise(kind_name, entry["value"]).encode("utf-8"), entry["revision"])
        if kind_name in REFUSED_KINDS:
            return None
        res = self.get(kind_name, name, namespace)
        if res is None:
            return None
        return Item(key, model.serialise(kind_name, res).encode("utf-8"), res["metadata"]["resourceVersion"])

    def commit(self, writes: list[Write]) -> Committed:
        """Guarded writes at etcd-equivalent keys: IPAM objects created (``rev`` 0), updated or
        deleted, v3 resources deleted, a Node deleted (the Kubernetes Node: delete_kubernetes_node),
        each only if its resourceVersion is still ``rev``.

        The Kubernetes API has no multi-object transaction: the writes are made one by one, in the
        order given (the block before its handles, as lib/ipam/ipam.go releaseIPsFromBlock does on
        this datastore). At the first write whose guard fails, the rest are not made and the answer
        is not ok, with every key as it is now in ``current`` (the writes before it stand, listed in
        ``revisions``), so the caller plans again from there."""
        revisions: dict[str, str] = {}
        for w in writes:
            try:
                rev = self._write_key(w)
            except (ConflictError, NotFoundError, AlreadyExistsError) as exc:
                self.api.log(f"kubernetes: {exc.msg}; reading the {len(writes)} object(s) of this step again")
                return Committed(False, 0, self.read_keys([x.key for x in writes]), revisions)
            revisions[w.key] = rev
        return Committed(True, 0, {}, revisions)

    def _write_key(self, w: Write) -> str:
        """One guarded write; the new resourceVersion ("" for a deletion)."""
        parsed = model.parse_key(w.key)
        kind_name = parsed[0] if parsed else None
        if parsed is None or kind_name == "IPAMHost" or (kind_name not in IPAM_CRDS and w.value is not None):
            raise DatastoreError(f"{w.key}: netops.calico does not write this through the etcd key view of the "
                                 "Kubernetes datastore; nothing was written.")
        _kind, name, namespace = parsed
        rev = str(w.rev)
        if w.value is None:
            if kind_name in IPAM_CRDS:
                self.ipam_delete(kind_name, name, rev)
            elif kind_name == "Node":
                self.delete_kubernetes_node(name, rev)
            else:
                self.delete(kind_name, name, rev, namespace)
            return ""
        value = json.loads(w.value)
        if rev in ("0", ""):
            return self.ipam_create(kind_name, name, value)["revision"]
        return self.ipam_update(kind_name, name, value, rev)["revision"]

    # -- Kubernetes objects of the installation (kdd/objects.py) ----------------------------------
    @property
    def objects(self) -> KubeObjects:
        """get / list / apply (server-side) / delete of any object of objects.KINDS."""
        return KubeObjects(self.api)

    def apply_object(self, obj: dict, manager: str, force: bool = False, dry_run: bool = False) -> dict:
        return self.objects.apply(obj, manager, force, dry_run)

    def delete_object(self, api_version: str, kind: str, name: str, namespace: str | None = None,
                      dry_run: bool = False) -> bool:
        return self.objects.delete(api_version, kind, name, namespace, dry_run)
