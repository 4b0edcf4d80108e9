"""calico_node end to end on a fake host tree with an in-memory datastore (node_calico_node.execute): kernel
modules, sysctls, NetworkManager, env file and unit, the Node merge, check mode, idempotence."""

from __future__ import annotations

import pytest

from ansible_collections.netops.calico.plugins.module_utils._datastore.dryrun import DryRun
from ansible_collections.netops.calico.plugins.module_utils._host.dryrun import DryRunHost
from ansible_collections.netops.calico.plugins.module_utils._node import calico_node as node_calico_node
from ansible_collections.netops.calico.plugins.module_utils._node import options as node_options
from ansible_collections.netops.calico.plugins.module_utils._datastore import model
from fakes import params
from fakes import RELEASE, FakeHost, MemoryDatastore, link


@pytest.fixture()
def host(tmp_path):
    h = FakeHost(tmp_path / "root")
    h.interfaces([link(1, "lo", "127.0.0.1/8"), link(2, "eth0", "198.18.128.11/24")])
    # a Debian-like kernel: vxlan built in, ip_set/xt_set loaded, ipip loadable
    h.modules_kernel(loaded=["ip_set", "xt_set"], available=["ipip"])
    h.kconfig(CONFIG_VXLAN="y", CONFIG_NET_IPIP="m", CONFIG_WIREGUARD="n")
    h.tool("modprobe", "mount")
    h.tool("podman", "mkdir", where="/usr/bin")
    h.responses["modprobe --dry-run"] = (0, f"insmod /lib/modules/{RELEASE}/kernel/net/ipv4/ipip.ko\n", "")
    h.responses["modprobe --"] = (0, "", "")
    h.responses["systemd-analyze verify"] = (0, "", "")
    for key, value in (("net/ipv4/ip_forward", "0"), ("net/ipv4/conf/all/rp_filter", "2"),
                       ("net/ipv6/conf/all/forwarding", "0")):
        h.write(f"/proc/sys/{key}", value + "\n")
    return h


def run(host, ds, check=False, dry=None, **kw):
    return node_calico_node.execute(dry or (DryRunHost(host) if check else host), params(**kw),
                                    host.warnings.append, DryRun(ds) if check and ds is not None else ds)


def test_check_mode_then_apply_then_idempotent(host):
    ds = MemoryDatastore()
    before = sorted(str(p) for p in host.tree.rglob("*"))
    dry = DryRunHost(host)
    res = run(host, ds, check=True, dry=dry, labels={"rack": "r1"})
    assert res["changed"]
    assert sorted(str(p) for p in host.tree.rglob("*")) == before       # nothing written
    assert ("run", "/usr/sbin/modprobe -- ipip") in dry.actions           # recorded instead
    assert ("write", "/proc/sys/net/ipv4/ip_forward") in dry.actions
    assert ds.writes == [] and not host.ran("modprobe -- ipip")
    assert res["kernel"]["modules"]["ipip"]["loaded_now"]                # would load
    assert res["node"]["spec"]["bgp"]["ipv4Address"] == "198.18.128.11/24"
    headers = [d["after_header"] for d in res["diffs"]]
    assert headers == ["/etc/modules-load.d/calico.conf", "/etc/sysctl.d/90-calico.conf", "/etc/calico/calico.env",
                       "/etc/systemd/system/calico-node.service", "Node node-1"]

    res = run(host, ds, labels={"rack": "r1"})
    assert res["changed"] and res["name"] == "node-1"
    assert ["modprobe", "--", "ipip"] in host.calls
    assert host.file("/proc/sys/net/ipv4/ip_forward") == "1\n"
    assert host.file("/proc/sys/net/ipv4/conf/all/rp_filter") == "1\n"      # loose -> strict
    assert host.file("/etc/modules-load.d/calico.conf").endswith("ip_set\nipip\nxt_set\n")
    env = host.file("/etc/calico/calico.env")
    assert "CALICO_NODENAME=node-1\n" in env and "CALICO_IP=198.18.128.11/24\n" in env
    assert oct((host.tree / "etc/calico/calico.env").stat().st_mode & 0o777) == "0o600"
    assert "ExecStart=/usr/bin/podman run --net=host --privileged" in host.file("/etc/systemd/system/calico-node.service")
    assert ds.writes == [("create", "Node", "node-1")]

    # the module loaded ipip: the kernel now lists it
    host.modules_kernel(loaded=["ip_set", "xt_set", "ipip"])
    res = run(host, ds, labels={"rack": "r1"})
    assert not res["changed"], res["diffs"]
    assert res["diffs"] == [] and len(ds.writes) == 1


def test_node_merge_keeps_calico_node_fields(host):
    ds = MemoryDatastore()
    ds.put(model.normalise_resource({
        "kind": "Node", "metadata": {"name": "node-1", "uid": "u", "creationTimestamp": "2025-05-01T10:00:00Z"},
        "spec": {"bgp": {"ipv4Address": "198.18.128.11/24", "ipv4IPIPTunnelAddr": "100.96.0.1"},
                 "wireguard": {"interfaceIPv4Address": "100.96.0.2"}},
        "status": {"wireguardPublicKey": "BwoNEBMWGRwfIiUoKy4xNDc6PUBDRklMT1JVWFteYWQ="}}))
    res = run(host, ds, as_number=64513, encapsulation="vxlan")
    stored = ds.items[("Node", "node-1")][0]
    assert stored["spec"]["bgp"] == {"asNumber": 64513, "ipv4Address": "198.18.128.11/24",
                                     "ipv4IPIPTunnelAddr": "100.96.0.1"}
    assert stored["spec"]["wireguard"] == {"interfaceIPv4Address": "100.96.0.2"}
    assert stored["status"]["wireguardPublicKey"]
    node_diff = [d for d in res["diffs"] if d["after_header"] == "Node node-1"][0]
    assert "asNumber" not in node_diff["before"]["spec"]["bgp"] and node_diff["after"]["spec"]["bgp"]["asNumber"] == 64513


def test_felix_overrides_write_node_felixconfiguration(host):
    ds = MemoryDatastore()
    res = run(host, ds, encapsulation="vxlan", felix_overrides={"logSeverityScreen": "Debug"})
    fc = ds.items[("FelixConfiguration", "node.node-1")][0]
    assert fc["spec"]["logSeverityScreen"] == "Debug"
    assert res["felix_configuration"]["metadata"]["name"] == "node.node-1"
    again = run(host, ds, encapsulation="vxlan", felix_overrides={"logSeverityScreen": "Debug"})
    assert not again["changed"]


def test_missing_ipip_fails_with_the_fix(host):
    host.modules_kernel(loaded=["ip_set", "xt_set"])       # ipip nowhere
    host.kconfig(CONFIG_NET_IPIP="n", CONFIG_VXLAN="y")
    ds = MemoryDatastore()
    with pytest.raises(node_options.NodeError) as err:
        run(host, ds)
    msg = str(err.value)
    assert msg.startswith("Kernel feature missing: ipip (IP-in-IP encapsulation")
    assert "CONFIG_NET_IPIP is not set in /proc/config.gz" in msg
    assert "Fix:" in msg and "encapsulation: vxlan" in msg
    assert ds.writes == [] and host.file("/etc/calico/calico.env") is None
    assert err.value.details["kernel"]["modules"]["ipip"]["state"] == "missing"


def test_missing_feature_can_be_a_warning(host):
    host.modules_kernel(loaded=["ip_set", "xt_set"])
    host.kconfig(CONFIG_NET_IPIP="n", CONFIG_WIREGUARD="n", CONFIG_VXLAN="y")
    res = run(host, MemoryDatastore(), encapsulation="vxlan", wireguard=True, on_missing_kernel_feature="warn")
    assert res["kernel"]["missing"] and host.warnings[0].startswith("Kernel feature missing: wireguard")
    assert host.file("/etc/calico/calico.env") is not None


def test_kernel_missing_modules_dir_says_reboot(host):
    host.modules_kernel(loaded=["ip_set", "xt_set"])
    import shutil
    shutil.rmtree(host.tree / "lib/modules")
    host.write("/proc/config.gz", b"")      # no usable config
    (host.tree / "proc/config.gz").unlink()
    host.responses["modprobe --dry-run"] = (1, "", "modprobe: FATAL: Module ipip not found in directory "
                                                   f"/lib/modules/{RELEASE}")
    with pytest.raises(node_options.NodeError, match="reboot into the installed kernel"):
        run(host, MemoryDatastore())


def test_ignore_loose_rpf_leaves_it(host):
    run(host, MemoryDatastore(), encapsulation="vxlan", ignore_loose_rpf=True)
    assert host.file("/proc/sys/net/ipv4/conf/all/rp_filter") == "2\n"
    assert "net.ipv4.conf.all.rp_filter" not in host.file("/etc/sysctl.d/90-calico.conf")


def test_ipv6_forwarding_when_the_node_has_ipv6(host):
    res = run(host, MemoryDatastore(), encapsulation="vxlan", ipv6_address="fd00:198:18::11/64")
    assert host.file("/proc/sys/net/ipv6/conf/all/forwarding") == "1\n"
    assert "net.ipv6.conf.all.forwarding = 1" in host.file("/etc/sysctl.d/90-calico.conf")
    assert res["node"]["spec"]["bgp"]["ipv6Address"] == "fd00:198:18::11/64"


def test_networkmanager_file_only_where_networkmanager_is(host):
    res = run(host, MemoryDatastore(), encapsulation="vxlan")
    assert res["networkmanager"] == {"present": False, "managed": False, "reloaded": False}
    host.mkdir("/etc/NetworkManager/conf.d")
    res = run(host, MemoryDatastore(), encapsulation="vxlan")
    conf = host.file("/etc/NetworkManager/conf.d/calico.conf")
    assert conf.splitlines()[1:] == [
        "[keyfile]",
        "unmanaged-devices=interface-name:cali*;interface-name:tunl*;interface-name:vxlan.calico;"
        "interface-name:vxlan-v6.calico;interface-name:wireguard.cali;interface-name:wg-v6.cali"]
    assert res["networkmanager"]["managed"]


def test_bpf_needs_a_new_kernel(host):
    host.write("/proc/version", "Linux version 4.19.0-26-amd64 (debian-kernel@lists.debian.org)")
    with pytest.raises(node_options.NodeError, match="eBPF dataplane needs kernel 5.3.0 or newer"):
        run(host, MemoryDatastore(), encapsulation="vxlan", dataplane="bpf")


def test_bpf_mounts_bpffs(host):
    host.kconfig(CONFIG_VXLAN="y", CONFIG_BPF_SYSCALL="y")
    host.responses["mount -t bpf"] = (0, "", "")
    res = run(host, MemoryDatastore(), encapsulation="vxlan", dataplane="bpf")
    assert res["kernel"]["bpf"]["mounted_now"]
    assert ["mount", "-t", "bpf", "bpffs", "/sys/fs/bpf"] in host.calls


def test_no_container_engine(host):
    (host.tree / "usr/bin/podman").unlink()
    with pytest.raises(node_options.NodeError, match="No container engine"):
        run(host, MemoryDatastore(), encapsulation="vxlan")


def test_kubernetes_datastore_writes_no_service_and_needs_the_node(host):
    ds = MemoryDatastore()
    ds.datastore_type = "kubernetes"
    with pytest.raises(node_options.NodeError, match="The Kubernetes Node 'node-1' does not exist"):
        run(host, ds, datastore_type="kubernetes", encapsulation="vxlan")
    assert host.file("/etc/calico/calico.env") is None


def test_scope_host_and_scope_datastore(host):
    res = run(host, None, scope="host", encapsulation="vxlan")
    assert res["node"] is None and res["addresses"]["ipv4"] == "198.18.128.11/24"
    ds = MemoryDatastore()
    res2 = node_calico_node.execute(None, params(scope="datastore", name=res["name"], ipv4_address=res["addresses"]["ipv4"]),
                                    print, ds)
    assert ds.items[("Node", "node-1")][0]["spec"]["bgp"]["ipv4Address"] == "198.18.128.11/24"
    assert res2["kernel"] is None and res2["service"] is None


def test_started_needs_systemd(host):
    with pytest.raises(node_options.NodeError, match="needs systemd as the init system"):
        run(host, MemoryDatastore(), encapsulation="vxlan", state="started")
    # configuration was written before the service step
    assert host.file("/etc/calico/calico.env") is not None


class FakeSystemd:
    """systemctl show/enable/start/restart/daemon-reload over a small state machine."""

    def __init__(self, host):
        self.state = {"LoadState": "loaded", "ActiveState": "inactive", "SubState": "dead",
                      "UnitFileState": "disabled", "Result": "success", "ExecMainStatus": "0", "NRestarts": "0"}
        host.mkdir("/run/systemd/system")
        host.tool("systemctl", "systemd-analyze", "journalctl", where="/usr/bin")
        host.responses["systemctl show"] = lambda argv: (0, "".join(f"{k}={v}\n" for k, v in self.state.items()), "")
        host.responses["systemctl enable"] = lambda argv: self._set(UnitFileState="enabled")
        host.responses["systemctl daemon-reload"] = (0, "", "")
        host.responses["systemctl start"] = lambda argv: self._set(ActiveState="active", SubState="running")
        host.responses["systemctl restart"] = lambda argv: self._set(ActiveState="active", SubState="running")

    def _set(self, **kw):
        self.state.update(kw)
        return 0, "", ""


@pytest.fixture()
def clock(monkeypatch):
    """A fake clock: sleeping advances it (wait_running's settle time costs nothing)."""
    now = [1000.0]
    monkeypatch.setattr("time.monotonic", lambda: now[0])
    monkeypatch.setattr("time.sleep", lambda s: now.__setitem__(0, now[0] + s))
    return now


def test_started_enables_starts_and_restarts_only_on_change(host, clock):
    sd = FakeSystemd(host)
    host.responses["podman image exists"] = (1, "", "")
    host.responses["podman pull"] = (0, "", "")
    ds = MemoryDatastore()
    res = run(host, ds, encapsulation="vxlan", state="started")
    svc = res["service"]
    assert svc["image_pulled"] and svc["enabled_now"] and svc["started"] and not svc["restarted"]
    assert svc["daemon_reloaded"]
    assert host.ran("systemd-analyze verify")
    host.responses["podman image exists"] = (0, "", "")
    res = run(host, ds, encapsulation="vxlan", state="started")
    assert not res["changed"] and not host.ran("systemctl restart")
    res = run(host, ds, encapsulation="vxlan", state="started", env={"FELIX_LOGSEVERITYSCREEN": "debug"})
    assert res["service"]["restarted"] and host.ran("systemctl restart calico-node.service")
    assert sd.state["ActiveState"] == "active"


def test_started_service_that_dies_reports_its_log(host, clock):
    sd = FakeSystemd(host)
    host.responses["podman image exists"] = (0, "", "")
    host.responses["systemctl start"] = lambda argv: sd._set(ActiveState="failed", SubState="failed", Result="exit-code")
    host.responses["journalctl"] = (0, "calico-node: ERROR: no etcd\n", "")
    with pytest.raises(node_options.NodeError, match="did not stay running .*Result=exit-code.*no etcd"):
        run(host, MemoryDatastore(), encapsulation="vxlan", state="started")


def test_started_image_that_cannot_be_pulled(host):
    FakeSystemd(host)
    host.responses["podman image exists"] = (1, "", "")
    host.responses["podman pull"] = (125, "", "Error: initializing source docker://quay.io/calico/node:v3.31.7: "
                                              "pinging container registry quay.io: no such host")
    with pytest.raises(node_options.NodeError, match="is not on this host and could not be pulled") as err:
        run(host, MemoryDatastore(), encapsulation="vxlan", state="started")
    assert "was not started" in str(err.value) and err.value.details["changed"]
    assert not host.ran("systemctl start")


def test_unit_refused_by_systemd_analyze_is_not_written(host):
    FakeSystemd(host)
    host.responses["systemd-analyze verify"] = lambda argv: (
        1, "", f"{argv[2]}: Command /usr/bin/podman is not executable: No such file or directory\n"
               "other.service: unrelated warning\n")
    with pytest.raises(node_options.NodeError, match="systemd-analyze verify refuses") as err:
        run(host, MemoryDatastore(), encapsulation="vxlan")
    assert "unrelated" not in str(err.value)
    assert host.file("/etc/systemd/system/calico-node.service") is None


def test_invalid_node_name(host):
    host.write("/proc/sys/kernel/hostname", "Bad_Name\n")
    with pytest.raises(node_options.NodeError, match="is not a valid Calico node name"):
        run(host, MemoryDatastore(), encapsulation="vxlan")


def test_nothing_is_loaded_when_another_feature_is_missing(host):
    """ipip is loadable but wireguard is missing: fail before loading or writing anything."""
    with pytest.raises(node_options.NodeError, match="Kernel feature missing: wireguard") as err:
        run(host, MemoryDatastore(), wireguard=True)
    assert not host.ran("modprobe -- ipip")
    assert host.file("/etc/modules-load.d/calico.conf") is None
    assert err.value.details["kernel"]["modules"]["ipip"]["state"] == "loadable"


def test_modprobe_failure_is_a_missing_feature(host):
    host.responses["modprobe -- ipip"] = (1, "", "modprobe: ERROR: could not insert 'ipip': Operation not permitted")
    with pytest.raises(node_options.NodeError, match="modprobe ipip failed: modprobe: ERROR: could not insert 'ipip'"):
        run(host, MemoryDatastore())
