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

# the options of every one-resource module besides its own fields (doc fragment netops.calico.resource)
RESOURCE_OPTIONS: dict[str, dict[str, Any]] = {
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "labels": {"type": "dict"},
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


def _view(resource: dict | None) -> dict:
    """What --diff shows: name, labels, spec (not uid/timestamps/revision)."""
    if not resource:
        return {}
    meta = resource.get("metadata") or {}
    out: dict[str, Any] = {"name": meta.get("name")}
    if meta.get("labels"):
        out["labels"] = meta["labels"]
    out["spec"] = resource.get("spec") or {}
    return out


def ensure_resource(ds, kind_name: str, name: str, state: str, spec: dict[str, Any],
                    labels: dict[str, str] | None = None,
                    defaults: Callable[[dict], dict] | None = None,
                    immutable: dict[str, str] | None = None,
                    validate: Callable[[dict], list[str]] | None = None) -> dict[str, Any]:
    """Make resource ``kind_name/name`` match ``spec`` (only the fields given; None means unset
    the field) and ``labels`` (exact set, when not None), or remove it with state=absent.

    ``defaults`` fills what clientv3 would default, applied both to a new object and to the
    current one before comparing, so an unset field equal to its default is not a change.
    ``immutable`` maps field -> message: a change of such a field on an existing object is refused.
    ``validate`` gets the whole spec that would be written (defaults applied) and returns errors;
    any error refuses the change before anything is written.
    Returns changed, diff, resource (after) and the current object before any change.
    """
    current = ds.get(kind_name, name)
    result: dict[str, Any] = {"changed": False, "diff": {"before": _view(current), "after": _view(current)}}
    defaults = defaults or (lambda s: s)

    if state == "absent":
        if current is not None:
            result["changed"] = True
            result["diff"]["after"] = {}
            ds.delete(kind_name, name, current["metadata"]["resourceVersion"])
        result["resource"] = None
        return result

    wanted = {k: _normalise(v) for k, v in spec.items()}
    if current is None:
        new_spec = defaults({k: v for k, v in wanted.items() if v is not None})
        errors = validate(new_spec) if validate else []
        if errors:
            raise ValidationError(errors)
        resource = model.new_resource(kind_name, name, new_spec, labels=labels)
        result["changed"] = True
        result["diff"]["after"] = _view(resource)
        resource = ds.create(resource)
        result["resource"] = resource
        return result

    cur_spec = copy.deepcopy(current.get("spec") or {})
    effective = defaults(copy.deepcopy(cur_spec))
    new_spec = copy.deepcopy(cur_spec)
    errors = []
    for field, value in wanted.items():
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
    new_labels = meta.get("labels") or {}
    if labels is not None:
        new_labels = dict(labels)
    if new_spec == cur_spec and new_labels == (meta.get("labels") or {}):
        result["resource"] = current
        return result

    updated = copy.deepcopy(current)
    updated["spec"] = new_spec
    updated.setdefault("metadata", {})["labels"] = new_labels
    if not new_labels:
        updated["metadata"].pop("labels", None)
    updated = model.with_revision(model.normalise_resource(updated), meta["resourceVersion"])
    result["changed"] = True
    result["diff"]["after"] = _view(updated)
    updated = ds.update(updated)
    result["resource"] = updated
    return result
