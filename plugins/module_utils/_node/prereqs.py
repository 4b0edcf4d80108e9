# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host's kernel prerequisites for calico-node: modules, the eBPF dataplane's needs, sysctls."""

from __future__ import annotations

from typing import Any

from ansible_collections.netops.calico.plugins.module_utils._host import files, kernel, sysctl
from ansible_collections.netops.calico.plugins.module_utils._host.system import Host
from ansible_collections.netops.calico.plugins.module_utils._resource.changes import Changes
from ansible_collections.netops.calico.plugins.module_utils._node.options import (
    HEADER,
    IP6_FORWARD,
    IP_FORWARD,
    MODULES_LOAD_PATH,
    NodeError,
    RP_FILTER,
    SYSCTL_PATH,
    encapsulation,
)


def required_modules(p: dict) -> list[str]:
    mods: list[str] = []
    enc = encapsulation(p)
    if enc == "ipip":
        mods.append("ipip")
    elif enc == "vxlan":
        mods.append("vxlan")
    dp = p.get("dataplane") or "iptables"
    if dp == "iptables":
        mods += ["ip_set", "xt_set"]
    elif dp == "nftables":
        mods.append("nf_tables")
    if p.get("wireguard"):
        mods.append("wireguard")
    return mods


def missing_message(k: kernel.Kernel, st: kernel.ModuleState) -> str:
    need, alternative = FEATURES.get(st.name, (f"Calico (module {st.name})", ""))
    symbol = kernel.KCONFIG.get(st.name, f"the {st.name} module")
    rel = k.release
    checked = "; ".join(st.checked) or st.evidence
    if not k.modules_supported:
        fix = (f"boot a kernel built with {symbol} (every Debian, Ubuntu, RHEL and Amazon Linux distribution "
               f"kernel has it)")
    elif not k.host.isdir(k.modules_dir):
        fix = (f"{k.modules_dir} is missing, which happens after a kernel update removed the running kernel's "
               f"modules: reboot into the installed kernel")
    else:
        fix = (f"install the kernel modules package of the running kernel (Ubuntu: linux-modules-extra-{rel}; "
               f"RHEL/Rocky/Alma: kernel-modules-extra) or boot a kernel built with {symbol}, and reboot after "
               f"a kernel update")
    return (f"Kernel feature missing: {st.name} ({need}) is not available in kernel {rel}: {st.evidence} "
            f"(checked: {checked}). Fix: {fix}; {alternative}.")


def ensure_kernel(host: Host, p: dict, changes: Changes) -> dict[str, Any]:
    """Modules loaded (and listed in modules-load.d for boot), bpffs and the kernel version for
    eBPF. Every module is looked at before anything is loaded or written, so that a missing one
    fails the task (on_missing_kernel_feature=fail) with nothing changed. Returns changed, the
    report, missing (messages), files; the file is recorded in ``changes``."""
    k = kernel.Kernel(host)
    out: dict[str, Any] = {"changed": False, "release": k.release, "modules": {}, "missing": [], "files": {}}
    states = {name: k.status(name) for name in required_modules(p)}
    for st in states.values():
        out["modules"][st.name] = st.as_dict() | {"loaded_now": False}
        if st.state == kernel.MISSING:
            out["missing"].append(missing_message(k, st))
    if (p.get("dataplane") or "iptables") == "bpf":
        out["bpf"] = _check_bpf(k, out)
    if out["missing"] and p.get("on_missing_kernel_feature", "fail") == "fail":
        return out
    persist: list[str] = []
    for name, st in states.items():
        if st.state == kernel.LOADABLE:
            out["changed"] = True
            out["modules"][name]["loaded_now"] = True
            ok, err = k.load(name)
            if ok:
                out["modules"][name]["state"] = kernel.LOADED
            else:
                failed = kernel.ModuleState(name, kernel.MISSING, f"modprobe {name} failed: {err}", st.checked)
                out["modules"][name] = failed.as_dict() | {"loaded_now": False}
                out["missing"].append(missing_message(k, failed))
                continue
        if st.state in (kernel.LOADED, kernel.LOADABLE):
            persist.append(name)
    if persist:
        content = f"# {HEADER}\n# Kernel modules calico-node needs, loaded at boot by systemd-modules-load.\n"
        content += "".join(f"{m}\n" for m in sorted(set(persist)))
        fc = files.ensure_file(host, MODULES_LOAD_PATH, content, 0o644, changes=changes)
        out["files"]["modules_load"] = fc.as_dict()
        out["changed"] |= fc.changed
    if out.get("bpf") and out["bpf"]["ok"] and not out["bpf"]["bpffs_mounted"]:
        _mount_bpffs(host, out)
    return out


def _check_bpf(k: kernel.Kernel, out: dict) -> dict[str, Any]:
    """Kernel version (felix's SupportsBPFDataplane), BPF syscall and bpf filesystem."""
    want, want_text = k.bpf_min_version()
    have = k.version()
    rep: dict[str, Any] = {"kernel_version": ".".join(map(str, have)) if have else None, "min_version": want_text,
                           "bpffs_mounted": k.bpffs_mounted(), "mounted_now": False, "ok": False}
    if have is None or not kernel.version_at_least(have, want):
        out["missing"].append(f"Kernel feature missing: the eBPF dataplane needs kernel {want_text} or newer, this "
                              f"host runs {k.release}. Fix: upgrade the kernel (Ubuntu: the HWE kernel) and reboot, "
                              "or use dataplane: iptables.")
        return rep
    config, source = k.config()
    if source and config.get("CONFIG_BPF_SYSCALL") != "y":
        out["missing"].append(f"Kernel feature missing: the eBPF dataplane needs CONFIG_BPF_SYSCALL, which is not set "
                              f"in {source}. Fix: boot a distribution kernel, or use dataplane: iptables.")
        return rep
    if not rep["bpffs_mounted"] and not k.bpf_filesystem_known():
        out["missing"].append("Kernel feature missing: the bpf filesystem is not in /proc/filesystems. Fix: boot a "
                              "kernel with CONFIG_BPF_SYSCALL, or use dataplane: iptables.")
        return rep
    rep["ok"] = True
    return rep


def _mount_bpffs(host: Host, out: dict) -> None:
    """Mount bpffs at /sys/fs/bpf now; systemd mounts it at every boot (mount-setup)."""
    out["changed"] = True
    out["bpf"]["mounted_now"] = True
    mount = host.which("mount")
    if not mount:
        raise NodeError("bpffs is not mounted at /sys/fs/bpf and the mount command is missing (util-linux)")
    rc, _o, err = host.change([mount, "-t", "bpf", "bpffs", "/sys/fs/bpf"])
    if rc != 0:
        raise NodeError(f"Mounting bpffs at /sys/fs/bpf failed: {' '.join(err.split())}. Mount it (systemd does so "
                        "at boot) or use dataplane: iptables.")
    out["bpf"]["bpffs_mounted"] = True


def ensure_sysctls(host: Host, p: dict, ipv6: bool, changes: Changes) -> dict[str, Any]:
    """Forwarding on, rp_filter a value Felix accepts; live and in sysctl.d for boot."""
    out: dict[str, Any] = {"changed": False, "values": {}, "files": {}}
    existing = sysctl.parse_conf(host.read(SYSCTL_PATH) or "")
    want: dict[str, str] = {IP_FORWARD: "1"}
    if ipv6:
        want[IP6_FORWARD] = "1"
    rp = sysctl.read(host, RP_FILTER)
    if existing.get(RP_FILTER) in ("0", "1"):
        want[RP_FILTER] = existing[RP_FILTER]
    elif rp is not None and rp not in ("0", "1") and not p.get("ignore_loose_rpf"):
        want[RP_FILTER] = "1"   # loose (2) -> strict; Felix refuses loose RPF
    for key, value in want.items():
        live = sysctl.read(host, key)
        entry = {"before": live, "after": value, "changed": live != value}
        if live is None:
            raise NodeError(f"{sysctl.proc_path(key)} does not exist: the kernel has no "
                            f"{'IPv6' if 'ipv6' in key else 'IPv4'} support for {key}.")
        if live != value:
            out["changed"] = True
            try:
                sysctl.write(host, key, value)
            except OSError as exc:
                raise NodeError(f"Cannot set {key}={value}: {exc}. /proc/sys is read-only here (an unprivileged "
                                "container?): run on the host, or give the container --privileged.") from None
        out["values"][key] = entry
    text = sysctl.render_conf(want, f"{HEADER}\nKernel parameters calico-node needs (Felix refuses rp_filter=2).")
    fc = files.ensure_file(host, SYSCTL_PATH, text, 0o644, changes=changes)
    out["files"]["sysctl"] = fc.as_dict()
    out["changed"] |= fc.changed
    return out


FEATURES: dict[str, tuple[str, str]] = {
    # module: (what needs it, how to do without it)
    "ipip": ("IP-in-IP encapsulation (encapsulation: ipip)",
             "or use VXLAN (encapsulation: vxlan, with the IP pools' vxlanMode) instead of IP-in-IP"),
    "vxlan": ("VXLAN encapsulation (encapsulation: vxlan)",
              "or route without encapsulation (encapsulation: none, networking_backend: bird)"),
    "ip_set": ("Felix's iptables dataplane (policy is programmed as ipsets)", "or use dataplane: nftables"),
    "xt_set": ("Felix's iptables dataplane (iptables rules match ipsets with xt_set)", "or use dataplane: nftables"),
    "nf_tables": ("Felix's nftables dataplane (dataplane: nftables)", "or use dataplane: iptables"),
    "wireguard": ("WireGuard encryption (wireguard: true)",
                  "install it with netops.calico.calico_wireguard, or set wireguard: false"),
}
