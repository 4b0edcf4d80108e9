"""The layout issue's acceptance, kept true (issue 9): sizes counted without module-level literals
(docs strings, Go tables), one datastore client that nothing bypasses, and no module_utils file
reaching for another file's private function. Each test names every offender at once."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PLUGINS = REPO / "plugins"
MODULE_UTILS = PLUGINS / "module_utils"
DATASTORE = MODULE_UTILS / "_datastore"

MAX_FILE_LINES = 800
MAX_FUNCTION_LINES = 80
CLIENT_LIBRARIES = ("etcd3gw", "kubernetes")
# what only a writer of etcd's gRPC-JSON gateway requests would spell out (etcd.py builds them)
GATEWAY_WORDS = {"request_put", "request_range", "request_delete_range", "range_end", "mod_revision",
                 "create_revision"}
GATEWAY_PATH_PREFIXES = ("/kv/", "/v3/kv/")


def sources(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def rel(path: Path) -> str:
    return str(path.relative_to(REPO)) if REPO in path.parents else str(path)


def _is_literal(value: ast.AST | None) -> bool:
    """A constant or a display (dict/list/tuple/set) whose items are literals or calls (a Go table is
    a list of ``Field(...)``); a bare call (``logging.getLogger()``) is code."""
    if isinstance(value, ast.Constant):
        return True
    if isinstance(value, ast.Dict):
        return all(k is None or _is_literal(k) or isinstance(k, (ast.Name, ast.Attribute)) for k in value.keys) and all(
            _is_literal(v) or isinstance(v, (ast.Call, ast.Name, ast.Attribute)) for v in value.values)
    if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
        return all(_is_literal(e) or isinstance(e, (ast.Call, ast.Name, ast.Attribute)) for e in value.elts)
    return False


def counted_lines(path: Path, tree: ast.Module) -> int:
    """Lines of the file minus module-level literal statements (docs strings, tables)."""
    total = len(path.read_text(encoding="utf-8").splitlines())
    literal = 0
    for node in tree.body:
        value = getattr(node, "value", None) if isinstance(node, (ast.Assign, ast.AnnAssign, ast.Expr)) else None
        if _is_literal(value):
            literal += node.end_lineno - node.lineno + 1
    return total - literal


def long_functions(path: Path, tree: ast.Module) -> list[str]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                out.append(f"{rel(path)}:{node.lineno} {node.name}() is {length} lines")
    return out


def imported_modules(tree: ast.Module) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.append((node.lineno, node.module))
    return out


def private_name_imports(path: Path, tree: ast.Module) -> list[str]:
    """``from <module> import _name`` where ``_name`` is not itself a module or package."""
    out = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.ImportFrom) and node.module and node.level == 0):
            continue
        if not node.module.startswith("ansible_collections.netops.calico.plugins."):
            continue
        base = REPO / Path(*node.module.split(".")[3:])
        for alias in node.names:
            name = alias.name
            if not name.startswith("_") or name.startswith("__"):
                continue
            if (base / f"{name}.py").is_file() or (base / name / "__init__.py").is_file():
                continue
            out.append(f"{rel(path)}:{node.lineno} imports {name} from {node.module}")
    return out


def gateway_json(path: Path, tree: ast.Module) -> list[str]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
            if text in GATEWAY_WORDS or text.startswith(GATEWAY_PATH_PREFIXES):
                out.append(f"{rel(path)}:{node.lineno} spells the gateway's {text!r}")
    return out


FILES = sources(PLUGINS)


def test_the_scan_sees_the_collection():
    # a wrong root would make every other test here pass on nothing
    assert len(FILES) > 50 and (MODULE_UTILS / "_datastore" / "etcd.py") in FILES


def test_no_file_in_plugins_over_800_counted_lines():
    over = [f"{rel(p)}: {n} lines" for p in FILES if (n := counted_lines(p, parse(p))) > MAX_FILE_LINES]
    assert not over, over


def test_no_function_in_plugins_over_80_lines():
    over = [line for p in FILES for line in long_functions(p, parse(p))]
    assert not over, over


def test_only_the_datastore_client_imports_etcd3gw_or_kubernetes():
    found = [f"{rel(p)}:{line} imports {mod}" for p in FILES if DATASTORE not in p.parents
             for line, mod in imported_modules(parse(p)) if mod.split(".")[0] in CLIENT_LIBRARIES]
    assert not found, found


def test_only_the_datastore_client_builds_gateway_json():
    found = [line for p in FILES if DATASTORE not in p.parents for line in gateway_json(p, parse(p))]
    assert not found, found


def test_no_module_utils_file_imports_another_files_private_function():
    found = [line for p in sources(MODULE_UTILS) for line in private_name_imports(p, parse(p))]
    assert not found, found


# the checks themselves, on small sources, so that none of them can pass by never matching

def _tree(text: str) -> ast.Module:
    return ast.parse(text)


def test_checks_catch_what_they_are_for(tmp_path):
    src = tmp_path / "x.py"
    body = "\n".join(f"    x = {i}" for i in range(MAX_FUNCTION_LINES))
    src.write_text(f'"""doc\nstring"""\nTABLE = [\n    Field("a"),\n    Field("b"),\n]\ndef f():\n{body}\n')
    tree = parse(src)
    assert counted_lines(src, tree) == 1 + MAX_FUNCTION_LINES          # docstring and table not counted
    assert [m.split()[1] for m in long_functions(src, tree)] == ["f()"]
    assert imported_modules(_tree("import etcd3gw.client\nfrom kubernetes import client\n")) == [
        (1, "etcd3gw.client"), (2, "kubernetes")]
    gw = tmp_path / "gw.py"
    gw.write_text('payload = {"compare": [], "success": [{"request_put": {"key": k}}]}\nkv.call("/kv/txn", payload)\n')
    assert sorted(m.rsplit(" ", 1)[1] for m in gateway_json(gw, parse(gw))) == ["'/kv/txn'", "'request_put'"]


@pytest.mark.parametrize("line, offends", [
    ("from ansible_collections.netops.calico.plugins.module_utils._datastore.etcd import _b64", True),
    ("from ansible_collections.netops.calico.plugins.module_utils._datastore.etcd import EtcdKV", False),
    ("from ansible_collections.netops.calico.plugins.module_utils._datastore import _nothere", True),
    ("from ansible_collections.netops.calico.plugins.module_utils import _aws", False),          # a module
    ("from ansible_collections.netops.calico.plugins.module_utils import _datastore", False),    # a package
])
def test_private_import_check(line, offends):
    found = private_name_imports(MODULE_UTILS / "_probe.py", _tree(line))
    assert bool(found) is offends, found
