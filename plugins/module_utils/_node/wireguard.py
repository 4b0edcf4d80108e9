# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""WireGuard on a Calico host: the packages per OS, then proof that the running kernel can make a
WireGuard link (Felix creates ``wireguard.cali`` itself; it only needs the kernel side).

Packages, as kubespray (roles/network_plugin/calico/vars/*.yml) and the distributions ship them:
- Debian, Ubuntu: ``wireguard`` (metapackage) and ``wireguard-tools``. Installed without
  recommends: on Debian ``wireguard`` recommends a kernel image.
- EL 8/9 (RHEL, Rocky, Alma, Oracle, CentOS Stream), Fedora, Amazon Linux: ``wireguard-tools``.
- Kernels older than 5.6 have no WireGuard: EL 8 kernels before 4.18.0-240 take ``kmod-wireguard``
  (ELRepo), Amazon Linux 2 on its 4.14 kernel ``wireguard-dkms`` (+ headers), Debian/Ubuntu
  ``wireguard-dkms`` (+ headers). Those repositories are the user's to enable.

No key is ever generated, read or returned here: Felix makes the node's key pair itself.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.netops.calico.plugins.module_utils._host import kernel, linkprobe, packages
from ansible_collections.netops.calico.plugins.module_utils._host.system import Host
from ansible_collections.netops.calico.plugins.module_utils._resource.changes import Changes

PACKAGES = {
    "debian": ["wireguard", "wireguard-tools"],
    "redhat": ["wireguard-tools"],
    "amazon": ["wireguard-tools"],
}
IN_KERNEL_SINCE = (5, 6)
SUPPORT_PHRASE = "WireGuard is not supported by the running kernel"


class WireguardError(Exception):
    def __init__(self, msg: str, result: dict | None = None) -> None:
        super().__init__(msg)
        self.result = result or {}


def old_kernel_packages(osi: packages.OSInfo, release: str) -> list[str]:
    """What a kernel older than 5.6 needs for WireGuard (from repositories the user enables)."""
    if osi.family == "redhat":
        return ["kmod-wireguard"]
    if osi.family == "amazon":
        return ["wireguard-dkms", f"kernel-devel-{release}"]
    if osi.family == "debian":
        return ["wireguard-dkms", f"linux-headers-{release}"]
    return []


def default_packages(osi: packages.OSInfo, kstate: kernel.ModuleState, version: tuple[int, ...] | None,
                     release: str, kernel_provides_wireguard: bool = True) -> tuple[list[str], dict[str, str]]:
    """(packages to have, packages deliberately left out with the reason)."""
    base = list(PACKAGES.get(osi.family, []))
    skipped: dict[str, str] = {}
    if osi.family == "debian" and not kernel_provides_wireguard and "wireguard" in base:
        # Debian's wireguard metapackage Depends on wireguard-modules | wireguard-dkms, and only
        # distribution kernel packages provide wireguard-modules: with none installed (a custom
        # kernel, a container) apt would pull in a kernel image to satisfy it.
        base.remove("wireguard")
        skipped["wireguard"] = ("it depends on wireguard-modules, which no installed package provides (no "
                                "distribution kernel package: custom kernel or container), so apt would install "
                                "a kernel image for it; wireguard-tools alone is installed")
    if kstate.state == kernel.MISSING and version is not None and not kernel.version_at_least(version, IN_KERNEL_SINCE):
        base += old_kernel_packages(osi, release)
    return base, skipped


def fix_for(osi: packages.OSInfo, k: kernel.Kernel, st: kernel.ModuleState) -> str:
    """How to get WireGuard into this kernel, for this OS."""
    rel = k.release
    version = k.version()
    fixes: list[str] = []
    if version is not None and not kernel.version_at_least(version, IN_KERNEL_SINCE):
        if osi.family == "debian" and osi.id == "ubuntu":
            fixes.append(f"kernel {rel} predates WireGuard (5.6): install the HWE kernel (linux-generic-hwe-{osi.version_id}) "
                         f"or wireguard-dkms with linux-headers-{rel}, then reboot")
        elif osi.family == "debian":
            fixes.append(f"kernel {rel} predates WireGuard (5.6): install a newer kernel from backports, or "
                         f"wireguard-dkms with linux-headers-{rel}, then reboot")
        elif osi.family == "redhat":
            fixes.append(f"kernel {rel} predates WireGuard: update to a RHEL 8.4+ kernel (it carries WireGuard) or install "
                         "kmod-wireguard from ELRepo, then reboot")
        elif osi.family == "amazon":
            fixes.append(f"kernel {rel} predates WireGuard: move to kernel 5.10 (amazon-linux-extras install kernel-5.10) "
                         "or install wireguard-dkms, then reboot")
        else:
            fixes.append(f"kernel {rel} predates WireGuard (5.6): boot a newer kernel")
    elif not k.modules_supported or st.evidence.startswith("CONFIG_WIREGUARD is not set"):
        fixes.append(f"kernel {rel} was built without WireGuard (CONFIG_WIREGUARD): boot a distribution kernel "
                     "(every Debian, Ubuntu, EL 9, Fedora and Amazon Linux 2023 kernel has it; EL 8.4+ too), "
                     + ("e.g. the HWE kernel, " if osi.id == "ubuntu" else "") + "then reboot")
    elif not k.host.isdir(k.modules_dir):
        fixes.append(f"{k.modules_dir} is missing: the kernel was updated and the running one's modules are gone; "
                     "reboot into the new kernel")
    else:
        if osi.id == "ubuntu":
            fixes.append(f"install linux-modules-extra-{rel} (the wireguard module is there on some kernel flavours)")
        elif osi.family == "redhat":
            fixes.append("install kernel-modules-extra for the running kernel, or update the kernel")
        else:
            fixes.append("install the kernel modules package of the running kernel, or boot a newer kernel")
        fixes.append("if the kernel was just updated, reboot into it")
    fixes.append("or turn WireGuard off (FelixConfiguration wireguardEnabled: false)")
    return "; ".join(fixes)


def ensure(host: Host, p: dict[str, Any]) -> dict[str, Any]:
    """Install what is missing, load the module, prove a link can be made (in check mode ``host`` is
    a ``DryRunHost``, which records the installs and the load instead). Returns the result;
    raises WireguardError when kernel support is missing and p['on_missing_kernel_feature'] is
    'fail' (the message is the result's ``msg``)."""
    osi = packages.os_info(host)
    k = kernel.Kernel(host)
    before = k.status("wireguard")
    res: dict[str, Any] = {"changed": False, "os": osi.as_dict(), "packages": {}, "installed": [],
                           "kernel": {"release": k.release}, "supported": False, "tools": {}}
    changes = Changes()
    try:
        _ensure(host, p, osi, k, before, res, changes)
    finally:
        res["diff"] = changes.diff()
    return res


def _ensure(host: Host, p: dict[str, Any], osi: packages.OSInfo, k: kernel.Kernel, before: kernel.ModuleState,
            res: dict[str, Any], changes: Changes) -> None:
    """Packages, then the module and the proof; each change recorded in ``changes``."""
    _ensure_packages(host, p, osi, k, before, res)
    for name in res["installed"]:
        changes.record_view(f"Package/{name}", {}, {"name": name, "state": "installed"})
    res["tools"] = {"wg": host.which("wg")}
    k = kernel.Kernel(host)   # fresh: a package may have added a module
    st = _load_and_probe(host, p, k, res)
    kinfo = res["kernel"]
    if kinfo["loaded_now"]:
        changes.record_view("KernelModule/wireguard", {"name": "wireguard", "state": kernel.LOADABLE},
                            {"name": "wireguard", "state": kernel.LOADED})
    kernel_pkgs = set(old_kernel_packages(osi, k.release))
    if not res["supported"] and host.simulated and kernel_pkgs & set(res["installed"]):
        res["supported"] = None
        res["msg"] = ("Check mode: the packages that bring WireGuard to this kernel are not installed yet, so "
                      "kernel support cannot be proven before a real run.")
        return
    if not res["supported"]:
        probe = kinfo.get("link_probe") or {}
        detail = f"module: {st.evidence}"
        if st.checked:
            detail += f" (checked: {'; '.join(st.checked)})"
        if probe.get("error"):
            detail += f"; creating a test link ({probe['method']}) failed: {probe['error'].rstrip('.')}"
        present = [f"{n} {v}" for n, v in res["packages"].items() if v]
        res["msg"] = (f"{SUPPORT_PHRASE} ({k.release}): {detail.rstrip('.')}. Fix: {fix_for(osi, k, st)}."
                      + (f" Installed packages: {', '.join(present)}." if present else ""))
        if p.get("on_missing_kernel_feature", "fail") == "fail":
            raise WireguardError(res["msg"], res)


def _ensure_packages(host: Host, p: dict[str, Any], osi: packages.OSInfo, k: kernel.Kernel,
                     before: kernel.ModuleState, res: dict[str, Any]) -> None:
    """The packages (given, or the OS's default list for this kernel), installed when missing."""
    skipped: dict[str, str] = {}
    if p.get("packages"):
        wanted = list(p["packages"])
    else:
        provides = bool(packages.installed_provides(host, "wireguard-modules")) if osi.family == "debian" else True
        wanted, skipped = default_packages(osi, before, k.version(), k.release, provides)
    res["skipped_packages"] = skipped
    if not wanted and p.get("install", True):
        raise WireguardError(f"No WireGuard package list for {osi.pretty_name or osi.id} (OS family {osi.family!r}); "
                             "set packages.", res)
    if not wanted:
        return
    try:
        versions = packages.installed_versions(host, osi.family, wanted)
    except packages.PackageError as exc:
        raise WireguardError(str(exc), res) from None
    missing = [n for n, v in versions.items() if v is None]
    if missing and p.get("install", True):
        res["changed"] = True
        res["installed"] = missing
        try:
            packages.install(host, osi.family, missing, install_recommends=p.get("install_recommends", False))
        except packages.PackageError as exc:
            raise WireguardError(f"Installing WireGuard failed: {exc}", res) from None
        versions = packages.installed_versions(host, osi.family, wanted)
    res["packages"] = versions


def _load_and_probe(host: Host, p: dict[str, Any], k: kernel.Kernel, res: dict[str, Any]) -> kernel.ModuleState:
    """Load the module if it is loadable, then prove support by creating a link."""
    st = k.status("wireguard")
    kinfo = res["kernel"]
    kinfo["module"] = st.as_dict()
    kinfo["loaded_now"] = False
    if st.state == kernel.LOADABLE:
        res["changed"] = True
        kinfo["loaded_now"] = True
        ok, err = k.load("wireguard")
        if not ok:
            st = kernel.ModuleState("wireguard", kernel.MISSING, f"modprobe wireguard failed: {err}", st.checked)
            kinfo["module"], kinfo["loaded_now"] = st.as_dict(), False
    # The link is the proof. Skipped only where creating it would change the kernel in check mode
    # (a module that is not loaded yet would be loaded by it): a read that would see a change.
    if host.simulated and st.state == kernel.LOADABLE:
        kinfo["link_probe"] = {"kind": "wireguard", "ok": None, "method": "skipped in check mode (module not loaded yet)",
                               "error": ""}
        res["supported"] = True
    elif p.get("probe_link", True):
        pr = linkprobe.probe(host, "wireguard")
        kinfo["link_probe"] = pr.as_dict()
        res["supported"] = pr.ok
        if pr.ok and st.state == kernel.MISSING:
            kinfo["module"] = kernel.ModuleState("wireguard", kernel.BUILTIN, "a wireguard link could be created",
                                                 st.checked).as_dict()
    else:
        kinfo["link_probe"] = None
        res["supported"] = st.state != kernel.MISSING
    return st
