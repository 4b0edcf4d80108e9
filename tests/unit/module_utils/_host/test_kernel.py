"""Kernel module detection from fake /proc, /sys and /lib/modules trees (_host/kernel.py)."""

from __future__ import annotations

import pytest

from ansible_collections.netops.calico.plugins.module_utils._host import kernel
from fakes import RELEASE, FakeHost


@pytest.fixture()
def host(tmp_path):
    return FakeHost(tmp_path)


def test_loaded_from_proc_modules(host):
    host.modules_kernel(loaded=["wireguard", "ip_set"])
    st = kernel.Kernel(host).status("wireguard")
    assert (st.state, st.evidence) == (kernel.LOADED, "listed in /proc/modules")


def test_dash_and_underscore_are_the_same_module(host):
    host.modules_kernel(loaded=["xt_set"])
    assert kernel.Kernel(host).status("xt-set").state == kernel.LOADED


def test_loaded_from_sys_module_initstate(host):
    host.modules_kernel()
    host.sysmodule("vxlan", loadable=True)
    st = kernel.Kernel(host).status("vxlan")
    assert st.state == kernel.LOADED and "initstate" in st.evidence


def test_builtin_from_sys_module_without_initstate(host):
    host.sysmodule("vxlan")
    st = kernel.Kernel(host).status("vxlan")
    assert st.state == kernel.BUILTIN and "without initstate" in st.evidence


def test_builtin_from_modules_builtin(host):
    host.modules_kernel(builtin=["wireguard"])
    st = kernel.Kernel(host).status("wireguard")
    assert st.state == kernel.BUILTIN and st.evidence == f"listed in /lib/modules/{RELEASE}/modules.builtin"


def test_builtin_from_kernel_config(host):
    host.kconfig(CONFIG_NETFILTER_XT_SET="y")
    st = kernel.Kernel(host).status("xt_set")
    assert st.state == kernel.BUILTIN and st.evidence == "CONFIG_NETFILTER_XT_SET=y in /proc/config.gz"


def test_boot_config_is_read_when_proc_config_is_absent(host):
    host.write(f"/boot/config-{RELEASE}", "CONFIG_VXLAN=y\n")
    assert kernel.Kernel(host).status("vxlan").evidence == f"CONFIG_VXLAN=y in /boot/config-{RELEASE}"


def test_loadable_through_modprobe_dry_run_then_loaded(host):
    host.modules_kernel(available=["ipip"])
    host.kconfig(CONFIG_NET_IPIP="m")
    host.tool("modprobe")
    host.responses["modprobe --dry-run -- ipip"] = (0, f"insmod /lib/modules/{RELEASE}/kernel/net/ipv4/ipip.ko\n", "")
    host.responses["modprobe -- ipip"] = (0, "", "")
    k = kernel.Kernel(host)
    st = k.status("ipip")
    assert st.state == kernel.LOADABLE
    assert host.ran("modprobe --dry-run -- ipip")
    ok, err = k.load("ipip")
    assert ok and err == ""
    assert ["modprobe", "--", "ipip"] in host.calls    # argv list, no shell


def test_loadable_from_modules_dep_without_modprobe(host):
    host.modules_kernel(available=["wireguard"])
    st = kernel.Kernel(host).status("wireguard")
    assert st.state == kernel.LOADABLE and "modules.dep" in st.evidence


def test_missing_when_modprobe_cannot_find_it(host):
    host.modules_kernel()
    host.kconfig(CONFIG_WIREGUARD="m")
    host.tool("modprobe")
    host.responses["modprobe --dry-run"] = (1, "", f"modprobe: FATAL: Module wireguard not found in directory "
                                                   f"/lib/modules/{RELEASE}\n")
    st = kernel.Kernel(host).status("wireguard")
    assert st.state == kernel.MISSING
    assert "CONFIG_WIREGUARD=m in /proc/config.gz" in st.checked
    assert any("Module wireguard not found" in c for c in st.checked)


def test_missing_when_config_says_not_set(host):
    """This lab's kernel: ipip and wireguard are not configured at all."""
    host.modules_kernel()
    host.kconfig(CONFIG_NET_IPIP="n")
    host.tool("modprobe")
    st = kernel.Kernel(host).status("ipip")
    assert st.state == kernel.MISSING and st.evidence == "CONFIG_NET_IPIP is not set in /proc/config.gz"
    assert not host.ran("modprobe")     # the config already answers


def test_kernel_without_module_support(host):
    """No /proc/modules (CONFIG_MODULES=n): only built-ins exist, whatever is on disk."""
    host.sysmodule("vxlan")
    host.kconfig(CONFIG_NET_IPIP="n", CONFIG_VXLAN="y")
    host.tool("modprobe")
    k = kernel.Kernel(host)
    assert not k.modules_supported
    assert k.status("vxlan").state == kernel.BUILTIN
    st = k.status("ipip")
    assert st.state == kernel.MISSING
    assert st.evidence == "not built in, and this kernel cannot load modules"
    assert st.checked[0].startswith("no /proc/modules")


@pytest.mark.parametrize("text,want", [
    ("5.15.0-91", (5, 15, 0, 91)),
    ("4.18.0-193", (4, 18, 0, 193)),
    ("6.1.0", (6, 1, 0)),
    ("x.y", None),
])
def test_parse_version(text, want):
    assert kernel.parse_version(text) == want


@pytest.mark.parametrize("have,want,ok", [
    ((5, 3, 0), (5, 3, 0), True),
    ((5, 2, 21), (5, 3, 0), False),
    ((4, 18, 0, 193), (4, 18, 0, 193), True),
    ((4, 18, 0, 147), (4, 18, 0, 193), False),
    ((4, 18, 0), (4, 18, 0, 193), False),   # felix: the shorter slice is older
    ((6, 1, 0, 18), (5, 6), True),
])
def test_version_at_least(have, want, ok):
    assert kernel.version_at_least(have, want) is ok


@pytest.mark.parametrize("proc_version,want", [
    ("Linux version 5.15.0-91-generic (buildd@ubuntu) #101-Ubuntu SMP", ((5, 3, 0), "5.3.0")),
    ("Linux version 4.18.0-305.el8.x86_64 (mockbuild@x86-vm-07.build.eng.bos.redhat.com) (Red Hat 8.4.1-1)",
     ((4, 18, 0, 193), "4.18.0-193 (Red Hat kernels)")),
])
def test_bpf_min_version(host, proc_version, want):
    host.write("/proc/version", proc_version)
    assert kernel.Kernel(host).bpf_min_version() == want


def test_bpffs_mounted(host):
    k = kernel.Kernel(host)
    assert not k.bpffs_mounted()
    host.write("/proc/mounts", "bpffs /sys/fs/bpf bpf rw,nosuid,nodev,noexec,relatime,mode=700 0 0\n")
    assert kernel.Kernel(host).bpffs_mounted()
