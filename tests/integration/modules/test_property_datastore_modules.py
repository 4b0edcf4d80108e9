"""Property-based (hypothesis), issue 10: for every datastore module, any values of its options
either fail cleanly (fail_json, the option or its Calico field named, nothing written) or are
stored as values of their Go types. Never a traceback.

Each example runs the module's real main() in this process, through Ansible's argument parsing,
against the session's real etcd (wiped between examples). The stored objects are checked by a
small decoder written here from the Go types (independent of the validator under test): integers
in the range of their Go integer type, no floats, durations as Go's time.Duration.String() writes
them, numorstring ports as port.go's MarshalJSON writes them, map[string]string values strings.
calico_node is not driven here: its datastore part runs only after host work (systemd, files)
that cannot run in this process; its Node writes go through the same guarded client
(test_validation.py::test_guard_in_the_client)."""

from __future__ import annotations

import importlib
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.netops.calico.plugins.module_utils import _module
from ansible_collections.netops.calico.plugins.module_utils._datastore import fields as F
from ansible_collections.netops.calico.plugins.module_utils._datastore import govalues
from ansible_collections.netops.calico.plugins.module_utils._datastore.connection import DATASTORE_ARGSPEC
from ansible_collections.netops.calico.plugins.module_utils._datastore.etcd import EtcdKV

import conftest

MODULES = ["calico_ippool", "calico_felix_config", "calico_bgp_config", "calico_bgp_peer", "calico_network",
           "calico_info", "calico_decommission"]
# options not driven: the connection (tested in test_validation.py), and what reaches outside this
# machine (decommission's AWS and Kubernetes liveness sources)
SKIP = set(DATASTORE_ARGSPEC) | {"aws", "liveness", "kubernetes_kubeconfig", "kubernetes_context"}

# valid options each example starts from (then overridden by the drawn ones), so that examples
# reach the datastore and the stored bytes, not only the first missing required option
BASE = {"calico_ippool": {"name": "pool", "cidr": "198.18.0.0/16"},
        "calico_bgp_peer": {"name": "peer", "peer_ip": "198.18.0.1", "as_number": 64512}}

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


class _Captured(Exception):
    pass


def argspec_of(name: str) -> dict:
    """The module's argument spec, as its main() builds it."""
    mod = importlib.import_module(f"ansible_collections.netops.calico.plugins.modules.{name}")
    seen = {}

    def fake(argument_spec, **_kw):
        seen.update(argument_spec)
        raise _Captured()

    orig = _module.AnsibleModule
    _module.AnsibleModule = fake
    try:
        mod.main()
    except _Captured:
        pass
    finally:
        _module.AnsibleModule = orig
    return seen


SPECIALS = ["", "default", "90s", "1h", "soon", "-1s", "8080", "0100:0200", "100:50", "http", "70000",
            "Bad_Name", "a/../B", "peer/x", "node.worker-1", "198.18.0.0/24", "198.18.7.0/24", "fd00::/64",
            "FD00:AB::/64", "169.254.0.0/16", "[fd00::1]:179", "198.18.0.1", "TCP", "tcp", "Always", "Never",
            "CrossSubnet", "vxlan", "ipip", "none", "all()", "Enabled", "-1", "1e20", "4294967296", "true"]
scalars = st.one_of(
    st.integers(-(1 << 70), 1 << 70), st.integers(-2, 70000), st.sampled_from([0, 1, 255, 256, 65535, 65536,
                                                                              4294967295, 4294967296, -1]),
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none(),
    st.sampled_from(SPECIALS), st.text(max_size=8),
)
wild = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.one_of(st.sampled_from(["protocol", "port", "net", "name",
                                                                            "cidr", "min", "max", "all"]),
                                                           st.text(max_size=5)), inner, max_size=3)),
    max_leaves=6)


def value_for(entry: dict) -> st.SearchStrategy:
    """Mostly values of the option's own type (so the module gets past Ansible's checks and reaches
    the validator), sometimes anything at all."""
    t = entry.get("type", "str")
    typed = {"int": st.one_of(st.integers(-(1 << 65), 1 << 65), st.sampled_from([0, -1, 65536, 1 << 32, 1e20])),
             "float": st.floats(allow_nan=True, allow_infinity=True),
             "bool": st.booleans(), "str": st.sampled_from(SPECIALS) | st.text(max_size=10),
             "list": st.lists(scalars | wild, max_size=3), "dict": st.dictionaries(st.text(max_size=6), wild, max_size=3),
             "raw": wild, "path": st.sampled_from(["/nonexistent/x"])}.get(t, wild)
    if entry.get("choices"):
        choice = st.sampled_from(list(entry["choices"]))
        typed = st.lists(choice, max_size=2) if t == "list" else choice
    return st.one_of(typed, typed, typed, wild)


def options_strategy(spec: dict) -> st.SearchStrategy:
    names = sorted(k for k in spec if k not in SKIP)
    return st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True).flatmap(
        lambda chosen: st.fixed_dictionaries({k: value_for(spec[k]) for k in chosen}))


# ---------------------------------------------------------------------------------------------
# an independent check that a stored value decodes as its Go type

_INT = {"int": 63, "int64": 63, "int32": 31}
_UINT = {"uint64": 64, "uint32": 32, "uint16": 16, "uint8": 8, "numorstring.ASNumber": 32}


def go_problems(path: str, v, f) -> list[str]:
    if v is None:
        return []
    go = f.go_type.lstrip("*")
    if go.startswith("[]") or f.type == "list":
        elem = F.Field(f.json, "", True, fields=f.fields, go_type=go[2:] if go.startswith("[]") else "struct")
        return ([f"{path}: not a list"] if not isinstance(v, list) else
                [p for i, x in enumerate(v) for p in go_problems(f"{path}[{i}]", x, elem)])
    if go.startswith("map["):
        if not isinstance(v, dict):
            return [f"{path}: not a map"]
        if list(v) != sorted(v):
            return [f"{path}: map keys not sorted as encoding/json writes them"]
        return [f"{path}.{k}: not a string" for k, x in v.items() if go.endswith("]string") and not isinstance(x, str)]
    if f.fields:
        if not isinstance(v, dict):
            return [f"{path}: not an object"]
        by = {g.json: g for g in f.fields}
        return [p for k, x in v.items() if k in by for p in go_problems(f"{path}.{k}", x, by[k])]
    if isinstance(v, float):
        return [f"{path}: a float {v!r} where Go has {go}"]
    if go in _INT or go in _UINT:
        lo, hi = ((-(1 << _INT[go]), (1 << _INT[go]) - 1) if go in _INT else (0, (1 << _UINT[go]) - 1))
        ok = isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi
        return [] if ok else [f"{path}: {v!r} is not a Go {go}"]
    if go == "bool":
        return [] if isinstance(v, bool) else [f"{path}: {v!r} is not a bool"]
    if go == "metav1.Duration":
        ok = isinstance(v, str) and govalues.format_go_duration(govalues.parse_go_duration(v)) == v
        return [] if ok else [f"{path}: {v!r} is not a duration as Go writes it"]
    if go == "numorstring.Port":
        ok = (isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 65535) or (
            isinstance(v, str) and (re.fullmatch(r"[1-9][0-9]*:[1-9][0-9]*", v) or re.fullmatch(r"[a-zA-Z0-9_.-]+", v)
                                    and not v.isdigit()))
        return [] if ok else [f"{path}: {v!r} is not a numorstring.Port as Go writes it"]
    if go in ("numorstring.Protocol", "numorstring.DSCP"):
        ok = (isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255) or (isinstance(v, str) and not (
            v.isdigit() and int(v) < 256))
        return [] if ok else [f"{path}: {v!r} is not a numorstring value as Go writes it"]
    return [] if isinstance(v, str) else [f"{path}: {v!r} is not a string"]


NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def stored_problems(kv: EtcdKV) -> list[str]:
    out = []
    for item in kv.range("/calico/resources/v3/"):
        obj = json.loads(item.raw)
        kind = obj.get("kind")
        meta = obj["metadata"]
        if not NAME_RE.match(meta["name"]) or not item.key.endswith("/" + meta["name"]):
            out.append(f"{item.key}: name {meta['name']!r}")
        for k, v in (meta.get("labels") or {}).items():
            if not isinstance(v, str):
                out.append(f"{item.key}: label {k}={v!r}")
        for f in F.SPEC_FIELDS.get(kind, ()):
            if f.json in (obj.get("spec") or {}):
                out += [f"{item.key}: {p}" for p in go_problems(f"spec.{f.json}", obj["spec"][f.json], f)]
    return out


def run(name: str, args: dict, capsys) -> dict:
    from ansible.module_utils.common import warnings as _warnings
    from ansible.module_utils.testing import patch_module_args
    mod = importlib.import_module(f"ansible_collections.netops.calico.plugins.modules.{name}")
    _warnings._global_warnings.clear()
    _warnings._global_deprecations.clear()
    capsys.readouterr()
    with patch_module_args(args):
        try:
            mod.main()
        except SystemExit:
            pass
        # any other exception is a traceback: it propagates and fails the property
    return json.loads(capsys.readouterr().out)


def _words(opt: str) -> set[str]:
    camel = re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), opt)
    return {opt, camel, opt.replace("_", "")}


@pytest.mark.parametrize("name", MODULES)
def test_any_value_fails_cleanly_or_is_stored_as_its_go_type(name, etcd, capsys):
    spec = argspec_of(name)
    kv = EtcdKV(etcd.endpoint)

    @SETTINGS
    @given(opts=options_strategy(spec), check=st.booleans())
    def prop(opts, check):
        conftest._wipe(kv)
        args = {"etcd_endpoints": etcd.endpoint, **BASE.get(name, {}), **opts, "_ansible_check_mode": check,
                "_ansible_diff": True}
        if "name" in spec and spec["name"].get("required") and "name" not in opts:
            args["name"] = "prop"
        before = kv.revision()
        r = run(name, args, capsys)
        if r.get("failed"):
            msg = r.get("msg", "")
            assert "Traceback" not in msg and "exception" not in r, r
            assert kv.revision() == before, f"a failed run wrote something: {msg}"
            low = msg.lower().replace("_", "")
            # the option (given, or required and missing) or its Calico field
            named = [o for o in spec if any(w.lower().replace("_", "") in low for w in _words(o))]
            assert named or "metadata.name" in msg or "required" in msg, (opts, msg)
        else:
            if check:
                assert kv.revision() == before, "check mode wrote something"
            problems = stored_problems(kv)
            assert problems == [], (opts, problems)

    prop()
    conftest._wipe(kv)
