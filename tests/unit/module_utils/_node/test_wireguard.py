"""calico_wireguard's logic (_wireguard.py) on fake hosts: packages per OS, module detection, the
test link, check mode, and the messages on kernels without WireGuard."""

from __future__ import annotations

import pytest

from ansible_collections.netops.calico.plugins.module_utils._node import wireguard as _wireguard
from ansible_collections.netops.calico.plugins.module_utils._host import kernel, packages
from ansible_collections.netops.calico.plugins.module_utils._host.dryrun import DryRunHost
from fakes import FakeHost

DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n'
UBUNTU = 'PRETTY_NAME="Ubuntu 22.04.4 LTS"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="22.04"\n'
ROCKY8 = 'NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="8.9"\n'
ALMA9 = 'NAME="AlmaLinux"\nID="almalinux"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.3"\n'
AMZN2 = 'NAME="Amazon Linux"\nVERSION="2"\nID="amzn"\nID_LIKE="centos rhel fedora"\nVERSION_ID="2"\n'


def P(**kw):
    p = {"install": True, "packages": None, "install_recommends": False, "probe_link": True,
         "on_missing_kernel_feature": "fail"}
    p.update(kw)
    return p


def make(tmp_path, os_release=DEBIAN, release="6.1.0-18-amd64", installed=(), provides_wg=True):
    h = FakeHost(tmp_path / "root", release=release)
    h.write("/etc/os-release", os_release)
    h.tool("ip", "modprobe")
    h.tool("dpkg-query", "apt-get", "rpm", "dnf", where="/usr/bin")
    state = {"installed": set(installed)}

    def dpkg(argv):
        if argv[1:3] == ["--show", "--showformat=${db:Status-Status}\t${Package}\t${Provides}\n"]:
            kernel_pkg = "installed\tlinux-image-6.1.0-18-amd64\tlinux-image, wireguard-modules (= 1.0.0)\n"
            return 0, (kernel_pkg if provides_wg else "installed\tbash\t\n"), ""
        name = argv[-1]
        if name in state["installed"]:
            return 0, "installed 1.0.20210914-1", ""
        return 1, "", f"dpkg-query: no packages found matching {name}"

    def rpm(argv):
        name = argv[-1]
        return (0, "1.0.20210914-1.el9", "") if name in state["installed"] else (1, f"package {name} is not installed", "")

    def install(argv):
        state["installed"].update(a for a in argv if not a.startswith("-") and a not in (
            "apt-get", "dnf", "install", "Dpkg::Options::=--force-confdef", "Dpkg::Options::=--force-confold"))
        return 0, "", ""

    h.responses["dpkg-query"] = dpkg
    h.responses["rpm"] = rpm
    h.responses["apt-get install"] = install
    h.responses["dnf install"] = install
    h.write("/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages", "")
    h.state = state
    return h


def wg_kernel(h, state):
    """Put wireguard in the kernel in the given state."""
    rel = h.release_name
    if state == "loaded":
        h.modules_kernel(loaded=["wireguard"])
    elif state == "builtin":
        h.modules_kernel(builtin=["wireguard"])
    elif state == "loadable":
        h.modules_kernel(available=["wireguard"])
        h.kconfig(CONFIG_WIREGUARD="m")
        h.responses["modprobe --dry-run -- wireguard"] = (0, f"insmod /lib/modules/{rel}/kernel/net/wireguard.ko\n", "")
        h.responses["modprobe -- wireguard"] = (0, "", "")
    elif state == "absent-config":   # this lab: no module support, not configured
        h.kconfig(CONFIG_WIREGUARD="n")
    elif state == "module-not-installed":
        h.modules_kernel()
        h.kconfig(CONFIG_WIREGUARD="m")
        h.responses["modprobe --dry-run"] = (1, "", f"modprobe: FATAL: Module wireguard not found in directory "
                                                    f"/lib/modules/{rel}")


def link_ok(h):
    h.responses["ip link add"] = (0, "", "")
    h.responses["ip link delete"] = (0, "", "")


def link_unknown(h):
    h.responses["ip link add"] = (2, "", "Error: Unknown device type.\n")


@pytest.mark.parametrize("state", ["loaded", "builtin"])
def test_host_where_the_module_exists(tmp_path, state):
    h = make(tmp_path, installed=["wireguard", "wireguard-tools"])
    wg_kernel(h, state)
    link_ok(h)
    res = _wireguard.ensure(h, P())
    assert res["supported"] is True and res["changed"] is False
    assert res["kernel"]["module"]["state"] == state
    assert res["kernel"]["link_probe"]["ok"] and res["installed"] == []
    adds = h.ran("ip link add dev calprobe")
    assert len(adds) == 1 and adds[0][-2:] == ["type", "wireguard"]
    assert h.ran(f"ip link delete dev {adds[0][4]}")      # the throwaway link is removed
    assert not h.ran("apt-get")


def test_loadable_module_is_loaded_then_probed(tmp_path):
    h = make(tmp_path, installed=["wireguard", "wireguard-tools"])
    wg_kernel(h, "loadable")
    link_ok(h)
    res = _wireguard.ensure(h, P())
    assert res["changed"] and res["kernel"]["loaded_now"] and res["supported"]
    assert ["modprobe", "--", "wireguard"] in h.calls


def test_check_mode_installs_and_loads_nothing(tmp_path):
    h = make(tmp_path)
    wg_kernel(h, "loadable")
    dry = DryRunHost(h)
    res = _wireguard.ensure(dry, P())
    assert res["changed"] and res["installed"] == ["wireguard", "wireguard-tools"]
    assert [d["after_header"] for d in res["diff"]] == ["Package wireguard", "Package wireguard-tools",
                                                        "KernelModule wireguard"]
    recorded = [what for verb, what in dry.actions if verb == "run"]
    assert any(" install " in a and a.endswith("wireguard wireguard-tools") for a in recorded), recorded
    assert recorded[-1].endswith("modprobe -- wireguard"), recorded
    assert res["supported"] is True and "skipped in check mode" in res["kernel"]["link_probe"]["method"]
    assert not h.ran("apt-get") and not h.ran("modprobe -- wireguard") and not h.ran("ip link add")


def test_debian_install_without_recommends(tmp_path):
    h = make(tmp_path)
    wg_kernel(h, "loaded")
    link_ok(h)
    res = _wireguard.ensure(h, P())
    (call,) = h.ran("apt-get install")
    assert "--no-install-recommends" in call and call[-2:] == ["wireguard", "wireguard-tools"]
    assert res["installed"] == ["wireguard", "wireguard-tools"]
    assert res["packages"] == {"wireguard": "1.0.20210914-1", "wireguard-tools": "1.0.20210914-1"}
    again = _wireguard.ensure(h, P())
    assert not again["changed"]


def test_debian_without_a_kernel_package_skips_the_metapackage(tmp_path):
    """Debian's wireguard Depends on wireguard-modules: without a distribution kernel package apt
    would install a kernel image for it (a container, a custom kernel)."""
    h = make(tmp_path, provides_wg=False)
    wg_kernel(h, "absent-config")
    link_unknown(h)
    with pytest.raises(_wireguard.WireguardError) as err:
        _wireguard.ensure(h, P())
    (call,) = h.ran("apt-get install")
    assert call[-1] == "wireguard-tools" and "wireguard" not in call
    assert "wireguard-modules" in err.value.result["skipped_packages"]["wireguard"]


def test_apt_lists_refreshed_when_empty(tmp_path):
    h = make(tmp_path)
    (h.tree / "var/lib/apt/lists").joinpath(
        "deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages").unlink()
    wg_kernel(h, "loaded")
    link_ok(h)
    h.responses["apt-get update"] = (0, "", "")
    _wireguard.ensure(h, P())
    names = [" ".join(c[:2]) for c in h.calls if c[0] == "apt-get"]
    assert names == ["apt-get update", "apt-get install"]


def test_this_lab_kernel_fails_with_the_fix(tmp_path):
    """No loadable modules, CONFIG_WIREGUARD not set: packages get installed, then a clear failure."""
    h = make(tmp_path, provides_wg=False)
    wg_kernel(h, "absent-config")
    link_unknown(h)
    with pytest.raises(_wireguard.WireguardError) as err:
        _wireguard.ensure(h, P())
    msg = str(err.value)
    assert msg.startswith(_wireguard.SUPPORT_PHRASE)
    assert "CONFIG_WIREGUARD is not set in /proc/config.gz" in msg
    assert "Error: Unknown device type" in msg
    assert "was built without WireGuard" in msg and "reboot" in msg
    assert "Installed packages: wireguard-tools 1.0.20210914-1." in msg
    res = err.value.result
    assert res["changed"] and res["supported"] is False


def test_warn_instead_of_fail(tmp_path):
    h = make(tmp_path, installed=["wireguard-tools"], provides_wg=False)
    wg_kernel(h, "absent-config")
    link_unknown(h)
    res = _wireguard.ensure(h, P(on_missing_kernel_feature="warn"))
    assert res["supported"] is False and res["msg"].startswith(_wireguard.SUPPORT_PHRASE) and not res["changed"]


def test_ubuntu_module_not_installed_suggests_modules_extra(tmp_path):
    h = make(tmp_path, os_release=UBUNTU, release="5.15.0-1051-kvm", installed=["wireguard", "wireguard-tools"])
    wg_kernel(h, "module-not-installed")
    link_unknown(h)
    with pytest.raises(_wireguard.WireguardError, match="install linux-modules-extra-5.15.0-1051-kvm"):
        _wireguard.ensure(h, P())


def test_missing_modules_dir_says_reboot(tmp_path):
    h = make(tmp_path, installed=["wireguard", "wireguard-tools"])
    h.write("/proc/modules", "")
    h.tool("modprobe")
    h.responses["modprobe --dry-run"] = (1, "", "modprobe: FATAL: Module wireguard not found")
    link_unknown(h)
    with pytest.raises(_wireguard.WireguardError, match="the running one's modules are gone; reboot"):
        _wireguard.ensure(h, P())


def test_probe_can_find_support_the_files_do_not_show(tmp_path):
    """Built in without parameters, no modules.builtin, no config: the link proves it."""
    h = make(tmp_path, installed=["wireguard", "wireguard-tools"])
    h.write("/proc/modules", "")
    h.mkdir(f"/lib/modules/{h.release_name}")
    h.responses["modprobe --dry-run"] = (1, "", "not found")
    link_ok(h)
    res = _wireguard.ensure(h, P())
    assert res["supported"] and res["kernel"]["module"]["state"] == "builtin"


@pytest.mark.parametrize("os_release,release,want", [
    (DEBIAN, "6.1.0-18-amd64", ["wireguard", "wireguard-tools"]),
    (UBUNTU, "5.15.0-91-generic", ["wireguard", "wireguard-tools"]),
    (ALMA9, "5.14.0-362.el9.x86_64", ["wireguard-tools"]),
    (ROCKY8, "4.18.0-513.el8.x86_64", ["wireguard-tools"]),          # EL 8.4+ kernels carry WireGuard
    (AMZN2, "5.10.205-195.807.amzn2.x86_64", ["wireguard-tools"]),
])
def test_default_packages_modern_kernels(os_release, release, want):
    osi = packages.parse_os_release(os_release)
    st = kernel.ModuleState("wireguard", kernel.LOADABLE, "")
    assert _wireguard.default_packages(osi, st, kernel.parse_version(release.split("-")[0]), release)[0] == want


@pytest.mark.parametrize("os_release,release,version,extra", [
    (ROCKY8, "4.18.0-193.el8.x86_64", (4, 18, 0, 193), ["kmod-wireguard"]),
    (AMZN2, "4.14.336-257.562.amzn2.x86_64", (4, 14, 336, 257),
     ["wireguard-dkms", "kernel-devel-4.14.336-257.562.amzn2.x86_64"]),
    (DEBIAN, "4.19.0-26-amd64", (4, 19, 0, 26), ["wireguard-dkms", "linux-headers-4.19.0-26-amd64"]),
])
def test_default_packages_old_kernels(os_release, release, version, extra):
    osi = packages.parse_os_release(os_release)
    st = kernel.ModuleState("wireguard", kernel.MISSING, "")
    pkgs, _x = _wireguard.default_packages(osi, st, version, release)
    assert pkgs[-len(extra):] == extra


def test_el9_installs_with_dnf(tmp_path):
    h = make(tmp_path, os_release=ALMA9, release="5.14.0-362.el9.x86_64")
    wg_kernel(h, "loaded")
    link_ok(h)
    res = _wireguard.ensure(h, P())
    (call,) = h.ran("dnf install")
    assert call == ["dnf", "install", "--assumeyes", "--setopt=install_weak_deps=False", "wireguard-tools"]
    assert res["os"]["family"] == "redhat" and res["supported"]


def test_old_el8_kernel_message(tmp_path):
    h = make(tmp_path, os_release=ROCKY8, release="4.18.0-147.el8.x86_64", installed=["wireguard-tools", "kmod-wireguard"])
    h.write("/proc/version", "Linux version 4.18.0-147.el8.x86_64 (mockbuild@rocky) (Red Hat 8.3.1-5)")
    h.modules_kernel()
    h.responses["modprobe --dry-run"] = (1, "", "modprobe: FATAL: Module wireguard not found")
    link_unknown(h)
    with pytest.raises(_wireguard.WireguardError, match="update to a RHEL 8.4\\+ kernel .* kmod-wireguard from ELRepo"):
        _wireguard.ensure(h, P())


def test_no_key_material_in_results(tmp_path):
    h = make(tmp_path, installed=["wireguard", "wireguard-tools"])
    wg_kernel(h, "loaded")
    link_ok(h)
    text = repr(_wireguard.ensure(h, P())).lower()
    assert "private" not in text and "key" not in text
    assert not h.ran("wg ")


@pytest.mark.parametrize("text,family,major", [
    (DEBIAN, "debian", 12), (UBUNTU, "debian", 22), (ROCKY8, "redhat", 8), (ALMA9, "redhat", 9), (AMZN2, "amazon", 2),
])
def test_os_release(text, family, major):
    osi = packages.parse_os_release(text)
    assert osi.family == family and osi.major == major
