# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel parameters: the live value in /proc/sys and a sysctl.d file that sets it at boot."""

from __future__ import annotations

from ansible_collections.netops.calico.plugins.module_utils._host.system import Host


def proc_path(key: str) -> str:
    """``net.ipv4.conf.all.rp_filter`` -> ``/proc/sys/net/ipv4/conf/all/rp_filter``.

    Our keys have no dots inside a component (interface names like vxlan.calico would need
    ``/`` as the separator), so a plain replace is exact."""
    return "/proc/sys/" + key.replace(".", "/")


def read(host: Host, key: str) -> str | None:
    text = host.read(proc_path(key))
    return None if text is None else text.strip()


def write(host: Host, key: str, value: str) -> None:
    """Set the live value. Raises OSError (e.g. read-only /proc/sys in an unprivileged container)."""
    host.write_value(proc_path(key), f"{value}\n")


def parse_conf(text: str) -> dict[str, str]:
    """``key = value`` lines of a sysctl.d file (comments and blanks ignored, last one wins)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        key, sep, value = line.partition("=")
        if sep:
            out[key.strip().lstrip("-").replace("/", ".")] = value.strip()
    return out


def render_conf(values: dict[str, str], header: str) -> str:
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    lines += [f"{k} = {v}" for k, v in values.items()]
    return "\n".join(lines) + "\n"
