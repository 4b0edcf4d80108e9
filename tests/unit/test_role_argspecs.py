"""The roles' meta/argument_specs.yml, which ansible-doc shows and which refuses bad role variables
before a role runs: every variable typed and described, every default documented, every record
(a dict, or a list of dicts) with its keys listed so a typo in a key is refused, not dropped, and
calico_networking taking exactly kOps' networking.calico fields."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ansible_collections.netops.calico.plugins.module_utils._network import spec as _spec

ROLES = Path(__file__).resolve().parents[2] / "roles"
# maps whose keys are data, not settings: any key is valid
FREE_FORM = {"calico_kubernetes_crds_checksums", "calico_node_labels", "calico_node_env", "calico_node_felix_overrides", "calico_node_environment",
             "filters"}


def specs():
    for path in sorted(ROLES.glob("*/meta/argument_specs.yml")):
        yield path.parts[-3], yaml.safe_load(path.read_text())["argument_specs"]["main"]["options"]


def walk(options, trail=()):
    for name, opt in options.items():
        yield trail + (name,), opt
        yield from walk(opt.get("options") or {}, trail + (name,))


@pytest.mark.parametrize("role, options", list(specs()), ids=[r for r, _o in specs()])
def test_every_variable_typed_and_described(role, options):
    for trail, opt in walk(options):
        assert opt.get("type"), f"{role}: {'.'.join(trail)} has no type"
        assert opt.get("description"), f"{role}: {'.'.join(trail)} has no description"
        records = opt["type"] == "dict" or (opt["type"] == "list" and opt.get("elements") == "dict")
        if records and trail[-1] not in FREE_FORM:
            assert opt.get("options"), f"{role}: {'.'.join(trail)} lists no keys (options)"


@pytest.mark.parametrize("role, options", list(specs()), ids=[r for r, _o in specs()])
def test_defaults_and_spec_agree(role, options):
    defaults = yaml.safe_load((ROLES / role / "defaults/main.yml").read_text()) or {}
    assert set(defaults) <= set(options), f"{role}: undocumented defaults {set(defaults) - set(options)}"


def test_calico_networking_is_kops_networking_calico():
    options = dict(specs())["calico"]["calico_networking"]["options"]
    assert list(options) == [f.camel for f in _spec.KOPS_FIELDS]
    kinds = {"str": "str", "bool": "bool", "optbool": "bool", "int": "int", "optint": "int", "quantity": "raw"}
    assert {k: v["type"] for k, v in options.items()} == {f.camel: kinds[f.type] for f in _spec.KOPS_FIELDS}
