# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check mode, once for every module: a datastore wrapper that records writes instead of making
them. Reads see the datastore as it would be after the writes so far, so the same code decides the
same way in both modes; only the writes are skipped (``writes`` lists them)."""

from __future__ import annotations

import copy
from typing import Any, Iterable

from ansible_collections.netops.calico.plugins.module_utils._calico.validator import guard_delete, guard_write
from ansible_collections.netops.calico.plugins.module_utils._datastore import model
from ansible_collections.netops.calico.plugins.module_utils._datastore.etcd import Committed, Item, Write

# backend methods that only read, passed through unchanged
_READS = ("snapshot", "raw_get", "datastore_type", "kubernetes_node_names", "objects")


class DryRun:
    """Wraps a backend (``EtcdBackend`` or ``KubernetesBackend``)."""

    def __init__(self, ds: Any) -> None:
        self.ds = ds
        self.writes: list[tuple[str, str]] = []           # (verb, what), in order
        self._objs: dict[tuple[str, str, str | None], dict | None] = {}
        self._keys: dict[str, Any] = {}                   # etcd key -> Item, or None when deleted
        self._ipam: dict[tuple[str, str], dict | None] = {}  # (IPAM kind, name) -> entry, None when deleted
        self._revision = 1 << 62                          # revisions of simulated writes

    def __getattr__(self, name: str) -> Any:
        if name in _READS:
            return getattr(self.ds, name)
        raise AttributeError(f"DryRun does not simulate {name!r}")

    # v3 resources -----------------------------------------------------------------------------
    @staticmethod
    def _id(resource: dict) -> tuple[str, str, str | None]:
        meta = resource.get("metadata") or {}
        return resource["kind"], meta["name"], meta.get("namespace")

    def get(self, kind_name: str, name: str, namespace: str | None = None) -> dict | None:
        if (kind_name, name, namespace) in self._objs:
            return copy.deepcopy(self._objs[(kind_name, name, namespace)])
        return self.ds.get(kind_name, name, namespace)

    def list(self, kind_name: str, namespace: str | None = None) -> list[dict]:
        out = [r for r in self.ds.list(kind_name, namespace) if self._id(r) not in self._objs]
        out += [copy.deepcopy(r) for (k, _n, ns), r in self._objs.items()
                if k == kind_name and r is not None and namespace in (None, ns)]
        return out

    def create(self, resource: dict) -> dict:
        guard_write(resource)                     # check mode refuses what a real run refuses
        stored = model.with_revision(resource, "0")
        self._objs[self._id(resource)] = stored
        self.writes.append(("create", f"{resource['kind']}/{resource['metadata']['name']}"))
        return copy.deepcopy(stored)

    def update(self, resource: dict) -> dict:
        guard_write(resource)
        self._objs[self._id(resource)] = copy.deepcopy(resource)
        self.writes.append(("update", f"{resource['kind']}/{resource['metadata']['name']}"))
        return copy.deepcopy(resource)

    def delete(self, kind_name: str, name: str, revision: str, namespace: str | None = None) -> None:
        guard_delete(kind_name, name)
        self._objs[(kind_name, name, namespace)] = None
        self.writes.append(("delete", f"{kind_name}/{name}"))

    # IPAM objects (the backends' ipam_* methods; entries are {name, key, value, revision}) --------
    def _ipam_entry(self, kind_name: str, name: str, value: Any) -> dict:
        self._revision += 1
        entry = {"name": name, "key": model.ipam_key(kind_name, name), "value": copy.deepcopy(value),
                 "revision": str(self._revision)}
        self._ipam[(kind_name, name)] = entry
        return copy.deepcopy(entry)

    def ipam_get(self, kind_name: str, name: str) -> dict | None:
        if (kind_name, name) in self._ipam:
            return copy.deepcopy(self._ipam[(kind_name, name)])
        return self.ds.ipam_get(kind_name, name)

    def ipam_list(self, kind_name: str, node: str | None = None) -> list[dict]:
        out = [e for e in self.ds.ipam_list(kind_name, node) if (kind_name, e.get("name")) not in self._ipam]
        for (k, name), e in self._ipam.items():
            if k == kind_name and e is not None and (node is None or name.partition("/")[0] == node):
                out.append(copy.deepcopy(e))
        return out

    def ipam_create(self, kind_name: str, name: str, value: Any) -> dict:
        self.writes.append(("create", f"{kind_name}/{name}"))
        return self._ipam_entry(kind_name, name, value)

    def ipam_update(self, kind_name: str, name: str, value: Any, revision: str) -> dict:
        self.writes.append(("update", f"{kind_name}/{name}"))
        return self._ipam_entry(kind_name, name, value)

    def ipam_delete(self, kind_name: str, name: str, revision: str) -> None:
        self._ipam[(kind_name, name)] = None
        self.writes.append(("delete", f"{kind_name}/{name}"))

    # etcd keys (EtcdBackend's multi-key methods) -----------------------------------------------
    def read_prefix(self, prefix: str, keys_only: bool = False) -> list[Item]:
        out = [i for i in self.ds.read_prefix(prefix, keys_only=keys_only) if i.key not in self._keys]
        return out + [i for k, i in self._keys.items() if k.startswith(prefix) and i is not None]

    def read_keys(self, keys: Iterable[str]) -> dict[str, Item | None]:
        keys = list(keys)
        out = self.ds.read_keys([k for k in keys if k not in self._keys])
        out.update({k: self._keys[k] for k in keys if k in self._keys})
        return out

    def read_prefixes(self, prefixes: Iterable[str]) -> dict[str, list[Item]]:
        return {p: self.read_prefix(p) for p in dict.fromkeys(prefixes)}

    def commit(self, writes: list[Write]) -> Committed:
        self._revision += 1
        for w in writes:
            self._keys[w.key] = None if w.value is None else Item(w.key, w.value, str(self._revision))
            self.writes.append(("delete" if w.value is None else "put", w.key))
        return Committed(True, self._revision, {})

    # Kubernetes objects (KubernetesBackend): the API server's own dry run, so admission, defaulting
    # and server-side apply's merge decide what would change; nothing is stored
    def apply_object(self, obj: dict, manager: str, force: bool = False) -> dict:
        self.writes.append(("apply", f"{obj.get('kind')}/{(obj.get('metadata') or {}).get('name')}"))
        return self.ds.apply_object(obj, manager, force, dry_run=True)

    def delete_object(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> bool:
        self.writes.append(("delete", f"{kind}/{name}"))
        return self.ds.delete_object(api_version, kind, name, namespace, dry_run=True)
