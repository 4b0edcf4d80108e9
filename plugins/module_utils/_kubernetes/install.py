# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Apply a set of Kubernetes objects with server-side apply, delete the ones that must go, and
report per object what changed. Decided the same way in check mode: the datastore is then a
``DryRun``, whose apply is the API server's dry run (dryRun=All), so the answer compared is the
object as the server would store it."""

from __future__ import annotations

from typing import Any

from ansible_collections.netops.calico.plugins.module_utils._datastore.errors import DatastoreError
from ansible_collections.netops.calico.plugins.module_utils._datastore.kdd.objects import ref
from ansible_collections.netops.calico.plugins.module_utils._resource.changes import Changes

# metadata the server or the controllers maintain: never part of the comparison or the diff
SERVER_METADATA = ("uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink")
# annotations the controllers add (DaemonSet template generation, Deployment revision)
SERVER_ANNOTATIONS = ("deprecated.daemonset.template.generation", "deployment.kubernetes.io/revision")


def view(obj: dict | None) -> dict:
    """What --diff shows and ``changed`` compares: the object without status and server metadata."""
    if not obj:
        return {}
    out = {k: v for k, v in obj.items() if k != "status"}
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in SERVER_METADATA}
    anns = {k: v for k, v in (meta.get("annotations") or {}).items() if k not in SERVER_ANNOTATIONS}
    if anns:
        meta["annotations"] = anns
    else:
        meta.pop("annotations", None)
    out["metadata"] = meta
    return out


def _identity(obj: Any, what: str) -> tuple[str, str, str, str | None]:
    if not isinstance(obj, dict):
        raise DatastoreError(f"{what}: every object must be a mapping, got {type(obj).__name__}.")
    meta = obj.get("metadata") or {}
    missing = [k for k, v in (("apiVersion", obj.get("apiVersion")), ("kind", obj.get("kind")),
                              ("metadata.name", meta.get("name"))) if not v]
    if missing:
        raise DatastoreError(f"{what}: an object has no {', '.join(missing)} ({str(obj)[:120]}).",
                             "Give every object apiVersion, kind and metadata.name.")
    return obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace")


def apply_objects(ds: Any, objects: list[dict], absent: list[dict], manager: str, force: bool,
                  existing_only: bool = False) -> dict[str, Any]:
    """Apply ``objects`` in order and delete ``absent`` ones that exist. ``existing_only``: an
    object that does not exist is left alone (a handover of someone else's object, never a
    partial object created). Returns changed, diff (Ansible's list), objects (ref -> action)."""
    for obj in objects:
        _identity(obj, "objects")
    for obj in absent:
        _identity(obj, "absent")
    changes = Changes(view_fn=view)
    actions: dict[str, str] = {}
    for obj in objects:
        api_version, kind, name, namespace = _identity(obj, "objects")
        key = ref(obj)
        before = ds.objects.get(api_version, kind, name, namespace)
        if before is None and existing_only:
            actions[key] = "absent, left alone"
            continue
        after = ds.apply_object(obj, manager, force)
        changed = view(before) != view(after)
        changes.record(key.replace(" ", "/", 1), before, after, changed)
        actions[key] = ("created" if before is None else "updated") if changed else "unchanged"
    for obj in absent:
        api_version, kind, name, namespace = _identity(obj, "absent")
        key = ref(obj)
        before = ds.objects.get(api_version, kind, name, namespace)
        if before is None:
            actions[key] = "absent"
            continue
        ds.delete_object(api_version, kind, name, namespace)
        changes.record(key.replace(" ", "/", 1), before, None, True)
        actions[key] = "deleted"
    return {"changed": changes.changed, "diff": changes.diff(), "objects": actions}
