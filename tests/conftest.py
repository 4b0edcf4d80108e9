"""Shared pytest fixtures: the collection on sys.path, a real etcd on loopback, and a way to run a
module's main() in-process with Ansible's own argument handling (patch_module_args)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import importlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
COLLECTIONS = REPO / ".build" / "collections"
_link = COLLECTIONS / "ansible_collections" / "netops" / "calico"
if not _link.exists():
    _link.parent.mkdir(parents=True, exist_ok=True)
    _link.symlink_to(REPO, target_is_directory=True)
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))
# The tests mirror plugins/ (tests/unit/module_utils/_network/test_spec.py, ...); their helpers
# (fakes.py; calico_fixture.py, fake_kube_api.py, conftest_moto.py, tlsutil.py) stay at the top.
for _helpers in (REPO / "tests" / "unit", REPO / "tests" / "integration"):
    if str(_helpers) not in sys.path:
        sys.path.insert(0, str(_helpers))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process(proc: subprocess.Popen | None) -> None:
    """Terminate a server the tests started; kill it if it does not exit within 10 s."""
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_playbook(playbook: str, etcd, *extra: str, inventory: str | None = None) -> subprocess.CompletedProcess:
    """ansible-playbook <playbook> against an inventory (the lab's by default), pointed at the test's etcd."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", inventory or str(REPO / "playbooks/inventory/lab.yml"),
           str(REPO / "playbooks" / playbook), "-e", f"calico_etcd_endpoints={etcd.endpoint}", *extra]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, cwd=REPO, check=False)


class EtcdServer:
    """Debian's etcd (etcd-server) on a free loopback port with a throw-away data dir."""

    def __init__(self, workdir: Path, tls: dict | None = None) -> None:
        self.workdir = workdir
        self.tls = tls or {}
        self.port = free_port()
        self.peer = free_port()
        self.proc: subprocess.Popen | None = None
        scheme = "https" if self.tls else "http"
        self.endpoint = f"{scheme}://127.0.0.1:{self.port}"

    def start(self, fresh: bool = True) -> None:
        etcd = shutil.which("etcd")
        if not etcd:
            pytest.fail("etcd is not installed: run scripts/setup.sh (Debian package etcd-server)")
        data = self.workdir / "data"
        if fresh and data.exists():
            shutil.rmtree(data)
        args = [etcd, "--name", "t", "--data-dir", str(data),
                "--listen-client-urls", self.endpoint, "--advertise-client-urls", self.endpoint,
                "--listen-peer-urls", f"http://127.0.0.1:{self.peer}",
                "--initial-advertise-peer-urls", f"http://127.0.0.1:{self.peer}",
                "--initial-cluster", f"t=http://127.0.0.1:{self.peer}", "--initial-cluster-state", "new",
                "--log-level", "error", "--logger", "zap", "--quota-backend-bytes", str(4 * 1024 ** 3)]
        if self.tls:
            args += ["--cert-file", self.tls["cert"], "--key-file", self.tls["key"],
                     "--trusted-ca-file", self.tls["ca"], "--client-cert-auth"]
        self.log = open(self.workdir / "etcd.log", "ab")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"etcd exited: {(self.workdir / 'etcd.log').read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    pass
                if self._healthy():
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("etcd did not become healthy in 30 s")

    def _healthy(self) -> bool:
        if self.tls:
            return True
        import urllib.request
        try:
            with urllib.request.urlopen(f"{self.endpoint}/health", timeout=1) as r:
                return b"true" in r.read()
        except OSError:
            return False

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None


@pytest.fixture(scope="session")
def etcd_server(tmp_path_factory):
    srv = EtcdServer(tmp_path_factory.mktemp("etcd"))
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture()
def etcd(etcd_server):
    """A clean /calico/ tree in the session's etcd; yields the server. Wiped after the test."""
    from ansible_collections.netops.calico.plugins.module_utils._datastore.etcd import EtcdKV
    if etcd_server.proc is None or etcd_server.proc.poll() is not None:
        etcd_server.start(fresh=False)
    kv = EtcdKV(etcd_server.endpoint)
    _wipe(kv)
    yield etcd_server
    if etcd_server.proc is None or etcd_server.proc.poll() is not None:
        etcd_server.start(fresh=False)
    _wipe(EtcdKV(etcd_server.endpoint))


def _wipe(kv) -> None:
    from ansible_collections.netops.calico.plugins.module_utils._datastore.etcd import _b64, prefix_end
    kv.call("/kv/deleterange", {"key": _b64("/calico/"), "range_end": _b64(prefix_end("/calico/"))})


@pytest.fixture()
def raw(etcd):
    """Read raw keys: raw(key) -> parsed JSON or None; raw.bytes(key); raw.keys(prefix)."""
    from ansible_collections.netops.calico.plugins.module_utils._datastore.etcd import EtcdKV

    kv = EtcdKV(etcd.endpoint)

    class Raw:
        def __call__(self, key):
            item = kv.get(key)
            return None if item is None else json.loads(item.raw)

        def bytes(self, key):
            item = kv.get(key)
            return None if item is None else item.raw

        def item(self, key):
            return kv.get(key)

        def keys(self, prefix="/calico/"):
            return [i.key for i in kv.range(prefix)]

        def put(self, key, value):
            data = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
            from ansible_collections.netops.calico.plugins.module_utils._datastore.etcd import _b64
            kv.call("/kv/put", {"key": _b64(key), "value": _b64(data)})

        kv_client = kv

    return Raw()


class ModuleResult(dict):
    @property
    def failed(self):
        return bool(self.get("failed"))

    @property
    def diffs(self) -> dict:
        """The --diff list (one shape for every module) keyed by header: ``{"IPPool pool-a": {...}}``."""
        return {d["before_header"]: d for d in self.get("diff") or []}


@pytest.fixture()
def run_module(capsys):
    """run_module("calico_ippool", {...}, check=False, diff=True) -> the module's result dict.
    Runs the module's main() in this process through Ansible's real argument parsing."""
    from ansible.module_utils.testing import patch_module_args

    def _run(name: str, args: dict, check: bool = False, diff: bool = True) -> ModuleResult:
        mod = importlib.import_module(f"ansible_collections.netops.calico.plugins.modules.{name}")
        full = dict(args)
        full["_ansible_check_mode"] = check
        full["_ansible_diff"] = diff
        # a real module process starts with no warnings; in-process runs would accumulate them
        from ansible.module_utils.common import warnings as _warnings
        _warnings._global_warnings.clear()
        _warnings._global_deprecations.clear()
        capsys.readouterr()
        with patch_module_args(full):
            with pytest.raises(SystemExit):
                mod.main()
        out = capsys.readouterr().out
        return ModuleResult(json.loads(out))

    return _run
