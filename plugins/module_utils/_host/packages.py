# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which OS this is (/etc/os-release) and its packages (dpkg-query/apt-get, rpm/dnf/yum), through
argv lists only."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from ansible_collections.netops.calico.plugins.module_utils._host.system import Host


class PackageError(Exception):
    pass


@dataclass
class OSInfo:
    id: str
    version_id: str
    id_like: tuple[str, ...]
    pretty_name: str

    @property
    def family(self) -> str:
        """debian (Debian, Ubuntu and derivatives), redhat (RHEL, CentOS, Rocky, Alma, Oracle,
        Fedora), amazon, or the os-release ID."""
        ids = (self.id,) + self.id_like
        if self.id == "amzn":
            return "amazon"
        if any(i in ("debian", "ubuntu") for i in ids):
            return "debian"
        if any(i in ("rhel", "centos", "fedora", "rocky", "almalinux", "ol") for i in ids):
            return "redhat"
        return self.id

    @property
    def major(self) -> int | None:
        head = self.version_id.split(".")[0]
        return int(head) if head.isdigit() else None

    def as_dict(self) -> dict:
        return {"id": self.id, "version_id": self.version_id, "family": self.family, "pretty_name": self.pretty_name}


def parse_os_release(text: str) -> OSInfo:
    """os-release(5): shell-style KEY=value lines."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _x, raw = line.partition("=")
        try:
            parts = shlex.split(raw)
        except ValueError:
            parts = [raw.strip("\"'")]
        values[key] = parts[0] if parts else ""
    return OSInfo(id=values.get("ID", "linux").lower(), version_id=values.get("VERSION_ID", ""),
                  id_like=tuple(values.get("ID_LIKE", "").lower().split()),
                  pretty_name=values.get("PRETTY_NAME", ""))


def os_info(host: Host) -> OSInfo:
    text = host.read("/etc/os-release") or host.read("/usr/lib/os-release") or ""
    return parse_os_release(text)


def installed_versions(host: Host, family: str, names: list[str]) -> dict[str, str | None]:
    """name -> installed version (None when not installed)."""
    out: dict[str, str | None] = {}
    if family == "debian":
        dpkg = host.which("dpkg-query")
        if not dpkg:
            raise PackageError("dpkg-query is missing on a Debian-family host")
        for name in names:
            rc, stdout, _err = host.run([dpkg, "--show", "--showformat=${db:Status-Status} ${Version}", name])
            status, _x, version = stdout.strip().partition(" ")
            out[name] = version if rc == 0 and status == "installed" else None
        return out
    rpm = host.which("rpm")
    if not rpm:
        raise PackageError(f"no package database tool for OS family {family!r} (rpm not found)")
    for name in names:
        rc, stdout, _err = host.run([rpm, "--query", "--queryformat", "%{VERSION}-%{RELEASE}", name])
        out[name] = stdout.strip() if rc == 0 else None
    return out


def installed_provides(host: Host, virtual: str) -> list[str]:
    """Installed Debian packages that provide ``virtual`` (dpkg's Provides field)."""
    dpkg = host.which("dpkg-query")
    if not dpkg:
        return []
    _rc, out, _err = host.run([dpkg, "--show", "--showformat=${db:Status-Status}\t${Package}\t${Provides}\n"])
    found = []
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and parts[0] == "installed":
            provides = [x.strip().split(" ")[0] for x in parts[2].split(",") if x.strip()]
            if virtual in provides:
                found.append(parts[1])
    return found


def _apt_lists_empty(host: Host) -> bool:
    return not any(f.endswith("_Packages") or f.endswith("_Packages.lz4") for f in host.listdir("/var/lib/apt/lists"))


def install(host: Host, family: str, names: list[str], install_recommends: bool = False) -> str:
    """Install ``names`` with the distribution's tool. Refreshes apt's lists first when they are
    empty, and once more when apt cannot find a package. Returns the tool's output."""
    if not names:
        return ""
    if family == "debian":
        apt = host.which("apt-get")
        if not apt:
            raise PackageError("apt-get is missing on a Debian-family host")
        env = {"DEBIAN_FRONTEND": "noninteractive"}
        argv = [apt, "install", "--yes", "--quiet", "-o", "Dpkg::Options::=--force-confdef",
                "-o", "Dpkg::Options::=--force-confold"]
        if not install_recommends:
            argv.append("--no-install-recommends")
        argv += names
        if _apt_lists_empty(host):
            _update_apt(host, apt, env)
        rc, out, err = host.change(argv, environ_update=env)
        if rc != 0 and ("Unable to locate package" in err or "has no installation candidate" in err):
            _update_apt(host, apt, env)
            rc, out, err = host.change(argv, environ_update=env)
        if rc != 0:
            raise PackageError(f"apt-get install {' '.join(names)} failed (exit {rc}): {_tail(err or out)}")
        return out
    tool = host.which("dnf") or host.which("yum")
    if not tool:
        raise PackageError(f"no package manager found for OS family {family!r} (dnf or yum)")
    argv = [tool, "install", "--assumeyes"]
    if not install_recommends and tool.endswith("dnf"):
        argv.append("--setopt=install_weak_deps=False")
    rc, out, err = host.change(argv + names)
    if rc != 0:
        raise PackageError(f"{tool} install {' '.join(names)} failed (exit {rc}): {_tail(err or out)}")
    return out


def _update_apt(host: Host, apt: str, env: dict) -> None:
    rc, out, err = host.change([apt, "update", "--quiet"], environ_update=env)
    if rc != 0:
        raise PackageError(f"apt-get update failed (exit {rc}): {_tail(err or out)}")


def _tail(text: str, n: int = 6) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return " | ".join(lines[-n:])
