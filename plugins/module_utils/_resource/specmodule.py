# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Modules whose options are a resource's spec fields in snake_case (FelixConfiguration,
BGPConfiguration, BGPPeer): the option table comes from fields.py (the Go structs), so every
field Calico has is an option, typed and with its enum, and the module DOCUMENTATION is
generated from the same table by scripts/gen_module_docs.py (kept in sync by CI)."""

from __future__ import annotations

import textwrap
from typing import Any, Callable

from ansible_collections.netops.calico.plugins.module_utils._calico import validator
from ansible_collections.netops.calico.plugins.module_utils._datastore import govalues
from ansible_collections.netops.calico.plugins.module_utils._datastore import fields as _fields
from ansible_collections.netops.calico.plugins.module_utils._module import datastore_module, run
from ansible_collections.netops.calico.plugins.module_utils._resource.ensure import (
    RESOURCE_OPTIONS,
    ensure_resource,
    snake,
    snake_0_1,
)

_TYPES = {"str": "str", "bool": "bool", "int": "int", "duration": "str", "list": "list",
          "dict": "dict", "object": "dict", "float": "float", "int_or_str": "raw"}

# options every such module has besides the spec fields
COMMON = ("name", "state", "labels")
# old option names (snake_case of 0.1.0, e.g. service_cluster_i_ps) stay accepted until then
ALIAS_REMOVED_IN = "2.0.0"


def spec_options(kind: str, exclude: tuple[str, ...] = ()) -> dict[str, tuple[str, dict[str, Any]]]:
    """snake_case option -> (camelCase field, argspec entry) for every spec field of ``kind``."""
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for f in _fields.SPEC_FIELDS[kind]:
        if f.json in exclude:
            continue
        opt = snake(f.json)
        entry: dict[str, Any] = {"type": _TYPES.get(f.type, "raw")}
        if entry["type"] == "list":
            go_elem = f.go_type[2:] if f.go_type.startswith("[]") else ""
            if f.fields:
                entry["elements"] = "dict"
            elif go_elem in ("int", "int32", "int64", "uint32", "uint16", "uint8"):
                entry["elements"] = "int"
            elif go_elem:
                entry["elements"] = "raw" if "IntOrString" in go_elem or "ProtoPort" in go_elem else "str"
            else:
                entry["elements"] = "raw"
        if f.enum and entry["type"] in ("str", "list"):
            entry["choices"] = list(f.enum)
        if "password" in opt:
            entry["no_log"] = False   # a reference to a Kubernetes secret, not the secret itself
        if opt in COMMON:
            opt = f"spec_{opt}"
        old = snake_0_1(f.json)
        if old != opt and old not in COMMON:
            entry["aliases"] = [old]
            entry["deprecated_aliases"] = [{"name": old, "version": ALIAS_REMOVED_IN,
                                            "collection_name": "netops.calico"}]
        out[opt] = (f.json, entry)
    return out


def run_spec_module(kind: str, name_default: str | None = None, exclude: tuple[str, ...] = (),
                    validate: Callable[[dict], list[str]] | None = None, result_key: str = "resource",
                    extra_options: dict[str, dict[str, Any]] | None = None,
                    defaults: Callable[[dict], dict] | None = None) -> None:
    opts = spec_options(kind, exclude)
    fields_by_json = {f.json: f for f in _fields.SPEC_FIELDS[kind]}
    argspec: dict[str, Any] = {
        "name": {"type": "str", "default": name_default} if name_default else {"type": "str", "required": True},
        **RESOURCE_OPTIONS,
    }
    argspec.update({opt: entry for opt, (_x, entry) in opts.items()})
    argspec.update(extra_options or {})
    module = datastore_module(argspec)
    p = module.params
    spec = {camel: _go_value(fields_by_json[camel], p[opt]) for opt, (camel, _x) in opts.items() if p[opt] is not None}
    if p["state"] == "present":
        # what can be checked without the datastore is checked before connecting; errors name the
        # option (and the Calico field), all at once
        errors = validator.name_errors(p["name"], "name") + validator.spec_errors(kind, spec)
        errors += validator.labels_errors(p["labels"], "labels")
        errors = [_option_error(e, opts) for e in errors] + (validate(spec) if validate else [])
        if errors:
            module.fail_json(msg=f"Invalid {kind} {p['name']!r}, nothing was written: " + "; ".join(errors),
                             errors=errors)

    def body(ds):
        res = ensure_resource(ds, kind, p["name"], p["state"], spec, labels=p["labels"],
                              defaults=defaults, purge_labels=p["purge_labels"])
        return {"changed": res["changed"], "diff": res["diff"], result_key: res["resource"]}

    run(module, body)


def _go_value(field, value: Any) -> Any:
    """The value as Calico stores it, so that a user's "90s" compares equal to a stored "1m30s"
    and a port "8080" to a stored 8080. A value Go cannot hold is left as given: the validator
    (``_calico/validator.py``) refuses it with the field named."""
    if field.type == "duration" and isinstance(value, str):
        try:
            return govalues.go_duration(value)
        except ValueError:
            return value
    return govalues.go_int_or_string(field.go_type, value)


def _option_error(error: str, opts: dict[str, tuple[str, dict[str, Any]]]) -> str:
    """``spec.listenPort: ...`` -> ``listen_port (spec.listenPort): ...``."""
    for opt, (camel, _x) in opts.items():
        for sep in (":", ".", "["):
            if error.startswith(f"spec.{camel}{sep}"):
                return f"{opt} ({error.split(':', 1)[0]}):{error.split(':', 1)[1]}"
    return error


def render_options_doc(kind: str, exclude: tuple[str, ...] = ()) -> str:
    """The YAML of the generated options, indented for a module's DOCUMENTATION."""
    docs = {f.json: f for f in _fields.SPEC_FIELDS[kind]}
    lines: list[str] = []
    for opt, (camel, entry) in spec_options(kind, exclude).items():
        f = docs[camel]
        text = (f.doc or "").strip() or f"The {camel} field of the {kind} spec."
        text = " ".join(text.split()).replace('"', "'")
        lines.append(f"  {opt}:")
        lines.append("    description:")
        wrapped = textwrap.wrap(text, 110)
        lines.append(f"      - \"{wrapped[0]}" + ("\"" if len(wrapped) == 1 else ""))
        for i, part in enumerate(wrapped[1:], 2):
            lines.append(f"        {part}" + ("\"" if i == len(wrapped) else ""))
        lines.append(f"      - Sets C(spec.{camel}).")
        if "aliases" in entry:
            lines.append(f"      - The alias O({entry['aliases'][0]}) is deprecated and will be removed in version "
                         f"{ALIAS_REMOVED_IN}.")
        lines.append(f"    type: {entry['type']}")
        if "elements" in entry:
            lines.append(f"    elements: {entry['elements']}")
        if "choices" in entry:
            lines.append(f"    choices: [{', '.join(_yaml_scalar(c) for c in entry['choices'])}]")
        if "aliases" in entry:
            lines.append(f"    aliases: [{', '.join(entry['aliases'])}]")
    return "\n".join(lines)


def _yaml_scalar(v: str) -> str:
    return f"'{v}'" if (v == "" or not v.replace("-", "").replace("_", "").isalnum() or v.lower() in (
        "yes", "no", "true", "false", "on", "off", "null")) else v
