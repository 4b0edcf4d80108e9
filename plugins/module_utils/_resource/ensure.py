# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Present/absent for one Calico v3 resource: compare only what the user set, after normalising
both sides; before/after for --diff from the same data. In check mode ``ds`` is a ``DryRun``, which
records the write instead of making it."""

from __future__ import annotations

import copy
import re
from typing import Any, Callable

from ansible_collections.netops.calico.plugins.module_utils._calico import ippool as _ippool
from ansible_collections.netops.calico.plugins.module_utils._calico import kinds as _kinds
from ansible_collections.netops.calico.plugins.module_utils._calico import validator
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

# acronyms and words that are one word in snake_case: plurals (IPs, CIDRs) and WireGuard
_ACRONYMS = (("CIDRs", "Cidrs"), ("IPs", "Ips"), ("WireGuard", "Wireguard"), ("IPv4", "Ipv4"), ("IPv6", "Ipv6"),
             ("MTUV6", "MtuV6"), ("V6", "V6"))
# the table before the plurals and WireGuard were words (service_cluster_i_ps, ...): deprecated aliases
_ACRONYMS_0_1 = (("IPv4", "Ipv4"), ("IPv6", "Ipv6"), ("MTUV6", "MtuV6"), ("V6", "V6"))


def snake(name: str, acronyms: tuple[tuple[str, str], ...] = _ACRONYMS) -> str:
    """``disableBGPExport`` -> ``disable_bgp_export``; ``interfaceIPv4Address`` ->
    ``interface_ipv4_address``; ``wireguardMTUV6`` -> ``wireguard_mtu_v6``; ``serviceClusterIPs``
    -> ``service_cluster_ips``; ``prometheusWireGuardMetricsEnabled`` ->
    ``prometheus_wireguard_metrics_enabled``."""
    for a, b in acronyms:
        name = name.replace(a, b)
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return name.lower()


def snake_0_1(name: str) -> str:
    """The option name collection 0.1.0 gave ``name`` (``serviceClusterIPs`` ->
    ``service_cluster_i_ps``); kept as a deprecated alias where it differs from ``snake(name)``."""
    return snake(name, _ACRONYMS_0_1)


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

    ``defaults`` fills what clientv3 would default on Create and Update (the kind's own,
    ``_calico.kinds.defaults``, when None). It is written on both, and the comparison is made after
    it on both sides, so an unset field equal to its default is not a change, a value Calico stores
    in another spelling (an IPv6 cidr) compares equal, and a field the defaulting derives from
    another (FelixConfiguration's bpfConnectTimeLoadBalancing) is written as Calico writes it.
    ``immutable`` maps field -> message: a change of such a field on an existing object is refused.
    ``validate`` gets the whole spec that would be written (defaults applied) and returns errors;
    the kind's own rules (``_calico.kinds``, reading what they need through ``ds``) run as well; any
    error refuses the change before anything is written. An IPPool is deleted as clientv3 does it
    (``_calico.ippool.delete_pool``: disabled, its block affinities released, then deleted).
    The change is recorded in ``changes`` (a new tracker when None) under ``Kind/name``.
    Returns changed, diff (this object's entries of ``Changes.diff``), resource (after).
    """
    changes = Changes() if changes is None else changes
    validator.check_name(kind_name, name)       # before any read: '' would address the collection
    defaults = defaults or _kinds.defaults(kind_name)
    key = f"{kind_name}/{name}"
    current = ds.get(kind_name, name)
    if state == "absent":
        if current is not None:
            if kind_name == "IPPool":
                _ippool.delete_pool(ds, current)
            else:
                ds.delete(kind_name, name, current["metadata"]["resourceVersion"])
        after = None
    elif current is None:
        new, errors = _new(kind_name, name, spec, apply_labels(None, labels), defaults, validate)
        # every error at once: Calico's generic rules (Go types, names, labels) and the kind's own
        _refuse(validator.resource_errors(new) + errors + _kinds.check(ds, new, create=True))
        after = ds.create(new)
    else:
        new_labels = apply_labels((current.get("metadata") or {}).get("labels"), labels, purge_labels)
        updated = _updated(current, spec, new_labels, defaults, immutable, validate)
        if updated is not None:
            _refuse(validator.resource_errors(updated) + _kinds.check(ds, updated))
        after = current if updated is None else ds.update(updated)
    changes.record(key, current, after, changed=after is not current)
    return {"changed": after is not current, "diff": changes.diff([key]), "resource": after}


def _refuse(errors: list[str]) -> None:
    if errors:
        raise ValidationError(errors)


def _defaulted(defaults: Callable[[dict], dict], spec: dict) -> dict:
    """``defaults(spec)``; a spec the defaulting cannot even start on (an IPPool without a valid
    cidr) is refused with the defaulting's own sentence."""
    try:
        return defaults(copy.deepcopy(spec))
    except ValueError as exc:
        raise ValidationError([str(exc)]) from None
    except (TypeError, KeyError) as exc:
        raise ValidationError([f"spec: {exc}; set the field it names to a valid value"]) from None


def _new(kind_name: str, name: str, spec: dict[str, Any], labels: dict[str, str] | None,
         defaults: Callable[[dict], dict], validate: Callable[[dict], list[str]] | None) -> tuple[dict, list[str]]:
    """The resource to create and the errors of ``validate`` and of the defaulting's overrides."""
    asked = {k: _normalise(v) for k, v in spec.items() if v is not None}
    new_spec = _defaulted(defaults, asked)
    errors = validate(new_spec) if validate else []
    errors += _overrides(kind_name, asked, new_spec)
    return model.new_resource(kind_name, name, new_spec, labels=labels), errors


def _overrides(kind_name: str, asked: dict[str, Any], written: dict[str, Any]) -> list[str]:
    check = _kinds.OVERRIDES.get(kind_name)
    return check(asked, written) if check else []


def _stored(kind_name: str, spec: dict) -> dict:
    """The spec as it would be stored (Go struct order, omitempty empties dropped), so that an
    explicit ``natOutgoing: false`` equals a stored pool without the field."""
    return model.normalise_resource({"kind": kind_name, "metadata": {"name": "-"}, "spec": spec})["spec"]


def _updated(current: dict, spec: dict[str, Any], new_labels: dict[str, str], defaults: Callable[[dict], dict],
             immutable: dict[str, str] | None, validate: Callable[[dict], list[str]] | None) -> dict | None:
    """The resource to write over ``current``, or None when nothing differs after defaulting."""
    kind_name = current["kind"]
    cur_spec = copy.deepcopy(current.get("spec") or {})
    try:
        effective = defaults(copy.deepcopy(cur_spec))
    except ValueError:
        effective = copy.deepcopy(cur_spec)       # a stored object the defaulting refuses: compare as stored
    merged = copy.deepcopy(cur_spec)
    asked = {k: _normalise(v) for k, v in spec.items()}
    for field, value in asked.items():
        if value is None:
            merged.pop(field, None)
        else:
            merged[field] = value
    new_spec = _defaulted(defaults, merged)
    errors = []
    for field in asked:
        if immutable and field in immutable and _normalise(new_spec.get(field)) != _normalise(effective.get(field)):
            errors.append(f"{field}: cannot change from {effective.get(field)!r} to {asked[field]!r} on an existing "
                          f"{kind_name}. {immutable[field]}")
    # a value the defaulting replaces is refused even when the result equals what is stored
    errors += _overrides(kind_name, {k: v for k, v in asked.items() if v is not None}, new_spec)
    _refuse(errors)
    spec_changed = _stored(kind_name, new_spec) != _stored(kind_name, effective)
    if spec_changed and validate:
        _refuse(validate(copy.deepcopy(new_spec)))
    meta = current.get("metadata") or {}
    if not spec_changed and new_labels == (meta.get("labels") or {}):
        return None
    updated = copy.deepcopy(current)
    updated["spec"] = new_spec              # clientv3's Update writes its defaults too
    updated.setdefault("metadata", {})["labels"] = new_labels
    if not new_labels:
        updated["metadata"].pop("labels", None)
    return model.with_revision(model.normalise_resource(updated), meta["resourceVersion"])
