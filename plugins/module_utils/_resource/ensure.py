# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Present/absent for one Calico v3 resource: compare only what the user set, after normalising
both sides; before/after for --diff from the same data. In check mode ``ds`` is a ``DryRun``, which
records the write instead of making it."""

from __future__ import annotations

import copy
import re
from typing import Any, Callable

from ansible_collections.netops.calico.plugins.module_utils._datastore import model
from ansible_collections.netops.calico.plugins.module_utils._datastore.errors import ValidationError
from ansible_collections.netops.calico.plugins.module_utils._resource.changes import Changes
from ansible_collections.netops.calico.plugins.module_utils._resource.labels import apply_labels

# the options of every one-resource module besides its own fields (doc fragment netops.calico.resource)
RESOURCE_OPTIONS: dict[str, dict[str, Any]] = {
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "labels": {"type": "dict"},
    "purge_labels": {"type": "bool", "default": False},
}

_ACRONYMS = (("IPv4", "Ipv4"), ("IPv6", "Ipv6"), ("MTUV6", "MtuV6"), ("V6", "V6"))


def snake(name: str) -> str:
    """``disableBGPExport`` -> ``disable_bgp_export``; ``interfaceIPv4Address`` ->
    ``interface_ipv4_address``; ``wireguardMTUV6`` -> ``wireguard_mtu_v6``."""
    for a, b in _ACRONYMS:
        name = name.replace(a, b)
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return name.lower()


def _normalise(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value


def ensure_resource(ds, kind_name: str, name: str, state: str, spec: dict[str, Any],
                    labels: dict[str, str | None] | None = None,
                    defaults: Callable[[dict], dict] | None = None,
                    immutable: dict[str, str] | None = None,
                    validate: Callable[[dict], list[str]] | None = None,
                    changes: Changes | None = None, purge_labels: bool = False) -> dict[str, Any]:
    """Make resource ``kind_name/name`` match ``spec`` (only the fields given; None means unset
    the field) and ``labels`` (merged, None removes a label; the exact set with ``purge_labels``:
    ``_resource.labels``), or remove it with state=absent.

    ``defaults`` fills what clientv3 would default, applied both to a new object and to the
    current one before comparing, so an unset field equal to its default is not a change.
    ``immutable`` maps field -> message: a change of such a field on an existing object is refused.
    ``validate`` gets the whole spec that would be written (defaults applied) and returns errors;
    any error refuses the change before anything is written.
    The change is recorded in ``changes`` (a new tracker when None) under ``Kind/name``.
    Returns changed, diff (this object's entries of ``Changes.diff``), resource (after).
    """
    changes = Changes() if changes is None else changes
    key = f"{kind_name}/{name}"
    current = ds.get(kind_name, name)
    if state == "absent":
        if current is not None:
            ds.delete(kind_name, name, current["metadata"]["resourceVersion"])
        after = None
    elif current is None:
        after = ds.create(_new(kind_name, name, spec, apply_labels(None, labels), defaults or (lambda s: s), validate))
    else:
        new_labels = apply_labels((current.get("metadata") or {}).get("labels"), labels, purge_labels)
        updated = _updated(current, spec, new_labels, defaults or (lambda s: s), immutable, validate)
        after = current if updated is None else ds.update(updated)
    changes.record(key, current, after, changed=after is not current)
    return {"changed": after is not current, "diff": changes.diff([key]), "resource": after}


def _new(kind_name: str, name: str, spec: dict[str, Any], labels: dict[str, str] | None,
         defaults: Callable[[dict], dict], validate: Callable[[dict], list[str]] | None) -> dict:
    new_spec = defaults({k: _normalise(v) for k, v in spec.items() if v is not None})
    errors = validate(new_spec) if validate else []
    if errors:
        raise ValidationError(errors)
    return model.new_resource(kind_name, name, new_spec, labels=labels)


def _updated(current: dict, spec: dict[str, Any], new_labels: dict[str, str], defaults: Callable[[dict], dict],
             immutable: dict[str, str] | None, validate: Callable[[dict], list[str]] | None) -> dict | None:
    """The resource to write over ``current``, or None when nothing differs."""
    kind_name = current["kind"]
    cur_spec = copy.deepcopy(current.get("spec") or {})
    effective = defaults(copy.deepcopy(cur_spec))
    new_spec = copy.deepcopy(cur_spec)
    errors = []
    for field, value in ((k, _normalise(v)) for k, v in spec.items()):
        if _normalise(effective.get(field)) == value:
            continue
        if immutable and field in immutable:
            errors.append(f"{field}: cannot change from {effective.get(field)!r} to {value!r} on an existing "
                          f"{kind_name}. {immutable[field]}")
            continue
        if value is None:
            new_spec.pop(field, None)
        else:
            new_spec[field] = value
    if not errors and validate and new_spec != cur_spec:
        errors = validate(defaults(copy.deepcopy(new_spec)))
    if errors:
        raise ValidationError(errors)
    meta = current.get("metadata") or {}
    if new_spec == cur_spec and new_labels == (meta.get("labels") or {}):
        return None
    updated = copy.deepcopy(current)
    updated["spec"] = new_spec
    updated.setdefault("metadata", {})["labels"] = new_labels
    if not new_labels:
        updated["metadata"].pop("labels", None)
    return model.with_revision(model.normalise_resource(updated), meta["resourceVersion"])
