"""Fakes shared by the calico_node / calico_wireguard unit tests (no tests here): a host as a
directory tree (fake /proc, /sys, /lib/modules, /etc) with scripted commands, and an in-memory
datastore with the backend's get/create/update/delete contract."""

from __future__ import annotations

import copy
import gzip
import json
import os
from pathlib import Path

import pytest

from ansible_collections.netops.calico.plugins.module_utils._datastore import model
from ansible_collections.netops.calico.plugins.module_utils._datastore.errors import ConflictError, NotFoundError
from ansible_collections.netops.calico.plugins.module_utils._host import netinfo
from ansible_collections.netops.calico.plugins.module_utils._host.system import Host
from ansible_collections.netops.calico.plugins.module_utils._node import options as node_options

RELEASE = "6.1.0-18-amd64"


class FakeHost(Host):
    """``root`` is a tmp dir; ``responses`` maps a command (basename + args, joined by spaces; the
    longest matching prefix wins) to (rc, out, err) or a callable(argv) -> (rc, out, err).
    Every call is recorded in ``calls`` as the argv with the binary's basename. A command with no
    response fails the test: a wrong command line must not pass."""

    def __init__(self, root: Path, release: str = RELEASE) -> None:
        super().__init__(str(root), runner=self._run_fake, warn=self._warn)
        self.tree = Path(root)
        self.responses: dict[str, object] = {}
        self.calls: list[list[str]] = []
        self.warnings: list[str] = []
        self.release_name = release
        self.write("/proc/sys/kernel/osrelease", release + "\n")
        self.write("/proc/sys/kernel/hostname", "Node-1\n")
        self.write("/proc/version", f"Linux version {release} (debian-kernel@lists.debian.org) #1 SMP\n")
        self.write("/proc/mounts", "sysfs /sys sysfs rw 0 0\nproc /proc proc rw 0 0\n")
        self.write("/proc/filesystems", "nodev\tsysfs\nnodev\tproc\nnodev\tbpf\n")

    def _warn(self, msg: str) -> None:
        self.warnings.append(msg)

    # -- tree -------------------------------------------------------------------------------
    def write(self, path: str, content: str | bytes, mode: int | None = None) -> Path:
        p = self.tree / path.lstrip("/")
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content)
        if mode is not None:
            os.chmod(p, mode)
        return p

    def mkdir(self, path: str) -> None:
        (self.tree / path.lstrip("/")).mkdir(parents=True, exist_ok=True)

    def file(self, path: str) -> str | None:
        p = self.tree / path.lstrip("/")
        return p.read_text() if p.exists() else None

    def tool(self, *names: str, where: str = "/usr/sbin") -> None:
        for n in names:
            self.write(f"{where}/{n}", "#!/bin/sh\n", mode=0o755)

    def which(self, name, extra=()):
        # only the fake tree counts (the machine running the tests has its own ip, modprobe...)
        for d in ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"):
            real = self.tree / d.lstrip("/") / name
            if real.is_file() and os.access(real, os.X_OK):
                return f"{d}/{name}"
        return None

    # -- kernel shapes ----------------------------------------------------------------------
    def modules_kernel(self, loaded=(), builtin=(), available=()) -> None:
        """A distribution kernel with loadable module support."""
        self.write("/proc/modules", "".join(f"{m} 16384 0 - Live 0x0000000000000000\n" for m in loaded))
        self.write(f"/lib/modules/{self.release_name}/modules.builtin",
                   "".join(f"kernel/net/{m}.ko\n" for m in builtin))
        self.write(f"/lib/modules/{self.release_name}/modules.dep",
                   "".join(f"kernel/net/{m}.ko.xz: kernel/net/dep.ko.xz\n" for m in available))

    def kconfig(self, **symbols: str) -> None:
        text = "".join(f"# {k} is not set\n" if v == "n" else f"{k}={v}\n" for k, v in symbols.items())
        self.write("/proc/config.gz", gzip.compress(text.encode()))

    def sysmodule(self, name: str, loadable: bool = False) -> None:
        self.mkdir(f"/sys/module/{name}/parameters")
        if loadable:
            self.write(f"/sys/module/{name}/initstate", "live\n")

    def interfaces(self, links: list[dict]) -> None:
        """``ip -json address show`` output."""
        self.tool("ip")
        self.responses["ip -json address show"] = (0, json.dumps(links), "")

    # -- commands ----------------------------------------------------------------------------
    def _run_fake(self, argv, **kwargs):
        argv = [os.path.basename(argv[0])] + [str(a) for a in argv[1:]]
        self.calls.append(argv)
        line = " ".join(argv)
        best = None
        for key in self.responses:
            if (line == key or line.startswith(key + " ")) and (best is None or len(key) > len(best)):
                best = key
        if best is None:
            pytest.fail(f"FakeHost: no response scripted for the command {line!r}", pytrace=False)
        resp = self.responses[best]
        return resp(argv) if callable(resp) else resp

    def ran(self, prefix: str) -> list[list[str]]:
        return [c for c in self.calls if " ".join(c).startswith(prefix)]


def link(index: int, name: str, *cidrs: str) -> dict:
    info = []
    for c in cidrs:
        addr, plen = c.split("/")
        info.append({"family": "inet6" if ":" in addr else "inet", "local": addr, "prefixlen": int(plen)})
    return {"ifindex": index, "ifname": name, "addr_info": info}


class MemoryDatastore:
    """Backend contract of _datastore (etcd.py EtcdBackend) for v3 resources, in memory."""

    datastore_type = "etcdv3"

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], tuple[dict, int]] = {}
        self.rev = 10
        self.writes: list[tuple[str, str, str]] = []

    def get(self, kind, name, namespace=None):
        item = self.items.get((kind, name))
        if item is None:
            return None
        return model.with_revision(copy.deepcopy(item[0]), item[1])

    def create(self, resource):
        key = (resource["kind"], resource["metadata"]["name"])
        if key in self.items:
            raise ConflictError("exists")
        self.rev += 1
        stored = json.loads(model.serialise(resource["kind"], resource))
        self.items[key] = (stored, self.rev)
        self.writes.append(("create", *key))
        return self.get(*key)

    def update(self, resource):
        key = (resource["kind"], resource["metadata"]["name"])
        if key not in self.items:
            raise NotFoundError("gone")
        if str(self.items[key][1]) != str(resource["metadata"]["resourceVersion"]):
            raise ConflictError("changed")
        self.rev += 1
        self.items[key] = (json.loads(model.serialise(resource["kind"], resource)), self.rev)
        self.writes.append(("update", *key))
        return self.get(*key)

    def delete(self, kind, name, revision, namespace=None):
        key = (kind, name)
        if key not in self.items:
            raise NotFoundError("gone")
        if str(self.items[key][1]) != str(revision):
            raise ConflictError("changed")
        del self.items[key]
        self.writes.append(("delete", kind, name))

    def list(self, kind, namespace=None):
        return [self.get(k, n) for (k, n) in sorted(self.items) if k == kind]

    # IPAM objects: {name, key, value, revision}, every write guarded by the revision read
    def _ipam_store(self) -> dict:
        if not hasattr(self, "ipam"):
            self.ipam: dict = {}
        return self.ipam

    def ipam_put(self, kind, name, value) -> None:
        """Store an IPAM object as-is (what calico-node wrote)."""
        self.rev += 1
        self._ipam_store()[(kind, name)] = (copy.deepcopy(value), self.rev)

    def ipam_get(self, kind, name):
        item = self._ipam_store().get((kind, name))
        if item is None:
            return None
        return {"name": name, "key": model.ipam_key(kind, name), "value": copy.deepcopy(item[0]),
                "revision": str(item[1])}

    def ipam_list(self, kind, node=None):
        return [self.ipam_get(k, n) for (k, n) in sorted(self._ipam_store())
                if k == kind and (node is None or n.partition("/")[0] == node)]

    def ipam_update(self, kind, name, value, revision):
        store = self._ipam_store()
        if (kind, name) not in store:
            raise NotFoundError("gone")
        if str(store[(kind, name)][1]) != str(revision):
            raise ConflictError("changed")
        self.rev += 1
        store[(kind, name)] = (json.loads(model.serialise(kind, value)), self.rev)
        self.writes.append(("ipam_update", kind, name))
        return self.ipam_get(kind, name)

    def ipam_delete(self, kind, name, revision):
        store = self._ipam_store()
        if (kind, name) not in store:
            raise NotFoundError("gone")
        if str(store[(kind, name)][1]) != str(revision):
            raise ConflictError("changed")
        del store[(kind, name)]
        self.writes.append(("ipam_delete", kind, name))

    def put(self, resource: dict) -> None:
        """Store as-is (what calico-node wrote), bypassing the module."""
        self.rev += 1
        self.items[(resource["kind"], resource["metadata"]["name"])] = (copy.deepcopy(resource), self.rev)


# -- calico_node's inputs ------------------------------------------------------------------------

def params(**kw):
    """calico_node's options as Ansible passes them (argspec defaults, an etcd endpoint), with ``kw``."""
    p = {k: v.get("default") for k, v in node_options.ARGSPEC.items()}
    p.update({"datastore_type": "etcdv3", "etcd_endpoints": "http://198.18.0.1:2379", "etcd_ca_cert_file": None,
              "etcd_cert_file": None, "etcd_key_file": None, "kubeconfig": None})
    p.update(kw)
    return p


# a host's interfaces as ``ip -json address show`` reports them (calico-node's autodetection tests)
IFACES = netinfo.parse_ip_json(json.dumps([
    link(1, "lo", "127.0.0.1/8", "::1/128"),
    link(2, "eth0", "198.18.10.5/24", "fe80::1/64", "fd00:10::5/64"),
    link(3, "eth1", "198.18.20.5/24"),
    link(4, "docker0", "198.19.0.1/16"),
    link(5, "cali1234", "169.254.1.1/32"),
    link(6, "vxlan.calico", "198.18.99.1/32"),
]))
