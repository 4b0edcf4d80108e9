# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel facts a Calico host needs, read from the kernel's own files.

Where a kernel module stands, from the strongest evidence to the weakest:

1. ``/proc/modules`` lists it: loaded.
2. ``/sys/module/<name>`` exists: loaded when it has ``initstate`` (only loadable modules have
   one), else built in. Built-in modules appear there only when they have parameters, so its
   absence proves nothing.
3. ``/lib/modules/<release>/modules.builtin`` lists it: built in.
4. The kernel config (``/proc/config.gz``, else ``/boot/config-<release>``) has ``CONFIG_X=y``:
   built in; ``=m``: a module; ``# CONFIG_X is not set``: not in this kernel at all.
5. ``modprobe --dry-run <name>`` (argv, no shell) resolves it: it can be loaded.

A kernel without ``/proc/modules`` was built without module support: anything not built in is
missing, whatever packages are installed.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass, field

from ansible_collections.netops.calico.plugins.module_utils._host.system import Host

LOADED = "loaded"
BUILTIN = "builtin"
LOADABLE = "loadable"
MISSING = "missing"

# module -> the Kconfig symbol that builds it
KCONFIG = {
    "ipip": "CONFIG_NET_IPIP",
    "vxlan": "CONFIG_VXLAN",
    "wireguard": "CONFIG_WIREGUARD",
    "ip_set": "CONFIG_IP_SET",
    "xt_set": "CONFIG_NETFILTER_XT_SET",
    "ip_tables": "CONFIG_IP_NF_IPTABLES",
    "ip6_tables": "CONFIG_IP6_NF_IPTABLES",
    "nf_tables": "CONFIG_NF_TABLES",
    "tun": "CONFIG_TUN",
    "sch_ingress": "CONFIG_NET_SCH_INGRESS",
    "cls_bpf": "CONFIG_NET_CLS_BPF",
}

_MOD_SUFFIX = re.compile(r"\.ko(\.(xz|zst|gz))?$")
# felix/environment/versionparse.go kernelVersionRegexp
_KVER = re.compile(r"Linux version (\d+\.\d+\.\d+(?:-\d+)?)")
_EL = re.compile(r"el(\d+_\d+)")


def _norm(name: str) -> str:
    return name.strip().replace("-", "_")


@dataclass
class ModuleState:
    name: str
    state: str
    evidence: str
    checked: list[str] = field(default_factory=list)

    @property
    def available(self) -> bool:
        return self.state in (LOADED, BUILTIN, LOADABLE)

    def as_dict(self) -> dict:
        return {"name": self.name, "state": self.state, "evidence": self.evidence, "checked": list(self.checked)}


def parse_version(text: str) -> tuple[int, ...] | None:
    """``5.15.0-91`` -> (5, 15, 0, 91): felix's convertVersionToIntSlice (split on . and -,
    at most 4 parts)."""
    parts = re.split(r"[.-]", text, maxsplit=3)
    try:
        return tuple(int(p) for p in parts)
    except ValueError:
        return None


def version_at_least(have: tuple[int, ...], want: tuple[int, ...]) -> bool:
    """felix Version.Compare: element-wise, then the longer slice is the newer."""
    for a, b in zip(have, want):
        if a != b:
            return a > b
    return len(have) >= len(want)


class Kernel:
    """Reads are cached per instance; build a new one after loading modules."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self._loaded: set[str] | None = None
        self._builtin: set[str] | None = None
        self._dep: set[str] | None = None
        self._config: tuple[dict[str, str], str] | None = None

    # -- basic facts -----------------------------------------------------------------------
    @property
    def release(self) -> str:
        rel = (self.host.read("/proc/sys/kernel/osrelease") or "").strip()
        if rel:
            return rel
        import os
        return os.uname().release if self.host.root in ("", "/") else ""

    @property
    def proc_version(self) -> str:
        return (self.host.read("/proc/version") or "").strip()

    def version(self) -> tuple[int, ...] | None:
        """The kernel version as felix parses it from /proc/version, else from the release."""
        m = _KVER.search(self.proc_version)
        text = m.group(1) if m else None
        if text is None:
            m = re.match(r"(\d+\.\d+\.\d+(?:-\d+)?)", self.release)
            text = m.group(1) if m else None
        return parse_version(text) if text else None

    def is_redhat(self) -> bool:
        """felix/environment GetDistFromString: 'red hat' or an ``el8_4``-style tag."""
        s = self.proc_version.lower()
        return "red hat" in s or bool(_EL.search(s))

    @property
    def modules_supported(self) -> bool:
        return self.host.exists("/proc/modules")

    @property
    def modules_dir(self) -> str:
        return f"/lib/modules/{self.release}"

    def loaded_modules(self) -> set[str]:
        if self._loaded is None:
            text = self.host.read("/proc/modules") or ""
            self._loaded = {_norm(line.split()[0]) for line in text.splitlines() if line.split()}
        return self._loaded

    def builtin_modules(self) -> set[str]:
        if self._builtin is None:
            text = self.host.read(f"{self.modules_dir}/modules.builtin") or ""
            self._builtin = {_norm(_MOD_SUFFIX.sub("", line.strip().rsplit("/", 1)[-1]))
                             for line in text.splitlines() if line.strip()}
        return self._builtin

    def available_modules(self) -> set[str]:
        """Loadable modules installed for the running kernel (modules.dep)."""
        if self._dep is None:
            text = self.host.read(f"{self.modules_dir}/modules.dep") or ""
            names = set()
            for line in text.splitlines():
                path = line.split(":", 1)[0].strip()
                if path:
                    names.add(_norm(_MOD_SUFFIX.sub("", path.rsplit("/", 1)[-1])))
            self._dep = names
        return self._dep

    def config(self) -> tuple[dict[str, str], str]:
        """(symbol -> 'y'|'m'|'n', source path); empty when no config file is readable."""
        if self._config is None:
            values: dict[str, str] = {}
            source = ""
            for path in ("/proc/config.gz", f"/boot/config-{self.release}"):
                raw = self.host.read_bytes(path)
                if raw is None:
                    continue
                try:
                    text = gzip.decompress(raw).decode("utf-8", "replace") if path.endswith(".gz") else raw.decode(
                        "utf-8", "replace")
                except OSError:
                    continue
                source = path
                for line in text.splitlines():
                    m = re.match(r"^(CONFIG_[A-Za-z0-9_]+)=(.*)$", line)
                    if m:
                        values[m.group(1)] = m.group(2).strip('"')
                        continue
                    m = re.match(r"^# (CONFIG_[A-Za-z0-9_]+) is not set", line)
                    if m:
                        values[m.group(1)] = "n"
                break
            self._config = (values, source)
        return self._config

    # -- modules ---------------------------------------------------------------------------
    def status(self, name: str) -> ModuleState:
        """Where module ``name`` stands (see the module docstring for the order)."""
        n = _norm(name)
        checked: list[str] = []
        if self.modules_supported:
            if n in self.loaded_modules():
                return ModuleState(n, LOADED, "listed in /proc/modules")
            checked.append("not in /proc/modules")
        else:
            checked.append("no /proc/modules: the kernel was built without loadable module support")
        sysmod = f"/sys/module/{n}"
        if self.host.isdir(sysmod):
            if self.host.exists(f"{sysmod}/initstate"):
                return ModuleState(n, LOADED, f"{sysmod}/initstate exists")
            return ModuleState(n, BUILTIN, f"{sysmod} exists without initstate (built into the kernel)")
        checked.append(f"no {sysmod}")
        builtin_file = f"{self.modules_dir}/modules.builtin"
        if n in self.builtin_modules():
            return ModuleState(n, BUILTIN, f"listed in {builtin_file}")
        checked.append(f"not in {builtin_file}" if self.host.exists(builtin_file) else f"no {builtin_file}")
        symbol = KCONFIG.get(n)
        config, source = self.config()
        kval = config.get(symbol) if symbol else None
        if symbol and source:
            if kval == "y":
                return ModuleState(n, BUILTIN, f"{symbol}=y in {source}")
            checked.append(f"{symbol}={kval} in {source}" if kval and kval != "n" else f"{symbol} is not set in {source}")
        if not self.modules_supported:
            return ModuleState(n, MISSING, "not built in, and this kernel cannot load modules", checked)
        if symbol and source and kval in (None, "n"):
            return ModuleState(n, MISSING, f"{symbol} is not set in {source}", checked)
        modprobe = self.host.which("modprobe")
        if modprobe:
            rc, _out, err = self.host.run([modprobe, "--dry-run", "--", n])
            if rc == 0:
                return ModuleState(n, LOADABLE, "modprobe --dry-run resolves it", checked)
            checked.append(f"modprobe --dry-run: {' '.join(err.split()) or f'exit {rc}'}")
            return ModuleState(n, MISSING, "modprobe cannot find it", checked)
        if n in self.available_modules():
            return ModuleState(n, LOADABLE, f"listed in {self.modules_dir}/modules.dep", checked)
        checked.append(f"not in {self.modules_dir}/modules.dep; no modprobe to ask")
        return ModuleState(n, MISSING, "no evidence it exists", checked)

    def load(self, name: str) -> tuple[bool, str]:
        """modprobe the module (argv, no shell). Returns (ok, error text)."""
        modprobe = self.host.which("modprobe")
        if not modprobe:
            return False, "modprobe is not installed (package kmod)"
        rc, _out, err = self.host.change([modprobe, "--", _norm(name)])
        self._loaded = None
        return rc == 0, " ".join(err.split())

    # -- bpf -------------------------------------------------------------------------------
    def mounts(self) -> list[tuple[str, str, str]]:
        """(source, mount point, fs type) from /proc/mounts."""
        out = []
        for line in (self.host.read("/proc/mounts") or "").splitlines():
            parts = line.split()
            if len(parts) >= 3:
                out.append((parts[0], parts[1].replace("\\040", " "), parts[2]))
        return out

    def bpffs_mounted(self, where: str = "/sys/fs/bpf") -> bool:
        return any(mp == where and fstype == "bpf" for _src, mp, fstype in self.mounts())

    def bpf_filesystem_known(self) -> bool:
        return any(line.split()[-1] == "bpf" for line in (self.host.read("/proc/filesystems") or "").splitlines()
                   if line.split())

    def bpf_min_version(self) -> tuple[tuple[int, ...], str]:
        """felix/bpf/bpf.go SupportsBPFDataplane: 4.18.0-193 on Red Hat kernels, else 5.3.0."""
        if self.is_redhat():
            return (4, 18, 0, 193), "4.18.0-193 (Red Hat kernels)"
        return (5, 3, 0), "5.3.0"
