"""What a user checks on a Calico host after roles/calico_node (testinfra, podman backend), and
the Node resources in the lab etcd (read from the controller with etcd3gw)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_shared"))

from labcheck import env_file, eth0  # noqa: E402  # pylint: disable=wrong-import-position

ETCD_CONTAINER = "calico-node-lab-etcd"
NODE_KEY = "/calico/resources/v3/projectcalico.org/nodes/{}"
FELIX_KEY = "/calico/resources/v3/projectcalico.org/felixconfigurations/node.{}"
IP6 = {"node2": "fd00:198:18:201::12/64"}


def short(host):
    return host.check_output("hostname")


def podman_ip(container):
    out = subprocess.run(["podman", "inspect", "--format",
                          "{{range .NetworkSettings.Networks}}{{.IPAddress}}/{{.IPPrefixLen}}{{end}}", container],
                         check=True, capture_output=True, text=True).stdout.strip()
    return out


def etcd_get(key):
    from etcd3gw.client import Etcd3Client
    values = Etcd3Client(host=podman_ip(ETCD_CONTAINER).split("/")[0], port=2379, timeout=5).get(key)
    return json.loads(values[0]) if values else None


def test_env_file(host):
    name = short(host)
    env = env_file(host)
    assert env["DATASTORE_TYPE"] == "etcdv3"
    assert env["ETCD_ENDPOINTS"] == "http://calico-node-lab-etcd:2379"
    assert env["CALICO_NODENAME"] == name
    assert env["CALICO_NETWORKING_BACKEND"] == "bird"
    assert env["CALICO_IP"] == eth0(host)
    assert env["CALICO_IP"].startswith("198.18.")
    assert env["CALICO_IP6"] == IP6.get(name, "")
    assert env["NO_DEFAULT_POOLS"] == "true"
    if name == "node2":
        assert env["CALICO_AS"] == "64601"
        assert env["ETCD_CA_CERT_FILE"] == "/etc/calico/pki/ca.pem"
        assert env["FELIX_LOGSEVERITYSCREEN"] == "info"


def test_unit_accepted_by_systemd(host):
    unit = host.file("/etc/systemd/system/calico-node.service")
    assert unit.exists and unit.mode == 0o644
    text = unit.content_string
    assert "EnvironmentFile=/etc/calico/calico.env" in text
    assert "/usr/bin/podman run --net=host --privileged --rm --name=calico-node" in text
    assert "Restart=on-failure" in text
    assert "-e NODENAME=${CALICO_NODENAME}" in text
    host.run_expect([0], "systemd-analyze verify /etc/systemd/system/calico-node.service")
    assert host.check_output("systemctl show --property=LoadState --value calico-node.service") == "loaded"
    if short(host) == "node2":
        assert "-v /etc/calico/pki/ca.pem:/etc/calico/pki/ca.pem:ro" in text
        assert "quay.io/calico/node:v3.31.7" in text


def test_service_state(host):
    svc = host.service("calico-node.service")
    if short(host) == "node1":         # state=started with the stand-in image
        assert svc.is_enabled and svc.is_running
        ps = json.loads(host.check_output("podman ps --format json --filter name=calico-node"))
        assert [c["Image"] for c in ps] == ["localhost/calico-node-standin:test"]
        # no crash loop: systemd never had to restart it
        assert host.check_output("systemctl show --property=NRestarts --value calico-node.service") == "0"
    else:                               # state=present: configuration only
        assert not svc.is_enabled and not svc.is_running


def test_sysctls(host):
    assert host.sysctl("net.ipv4.ip_forward") == 1
    assert host.sysctl("net.ipv4.conf.all.rp_filter") in (0, 1)
    conf = host.file("/etc/sysctl.d/90-calico.conf").content_string
    assert "net.ipv4.ip_forward = 1" in conf
    if short(host) == "node2":
        assert host.sysctl("net.ipv6.conf.all.forwarding") == 1
        assert "net.ipv6.conf.all.forwarding = 1" in conf


def test_networkmanager(host):
    f = host.file("/etc/NetworkManager/conf.d/calico.conf")
    if short(host) == "node1":
        assert f.exists
        assert ("unmanaged-devices=interface-name:cali*;interface-name:tunl*;interface-name:vxlan.calico;"
                "interface-name:vxlan-v6.calico;interface-name:wireguard.cali;interface-name:wg-v6.cali") in f.content_string
    else:
        assert not host.file("/etc/NetworkManager").exists


def test_tls_file_copied(host):
    if short(host) != "node2":
        pytest.skip("TLS copy is configured on node2")
    f = host.file("/etc/calico/pki/ca.pem")
    assert f.exists and f.mode == 0o600 and host.file("/etc/calico/pki").mode == 0o700


def test_wireguard_packages_without_a_kernel_image(host):
    if short(host) != "node2":
        assert not host.package("wireguard-tools").is_installed
        return
    assert host.package("wireguard-tools").is_installed
    # Debian's wireguard metapackage would pull a kernel image into a host without one
    assert not host.package("wireguard").is_installed
    assert host.run("dpkg-query --show 'linux-image-*'").rc != 0


def test_no_kernel_modules_file_on_builtin_kernel(host):
    # vxlan, ip_set and xt_set are built into this kernel: nothing to load at boot
    assert not host.file("/etc/modules-load.d/calico.conf").exists


def test_node_resource_in_etcd(host):
    name = short(host)
    node = etcd_get(NODE_KEY.format(name))
    assert node is not None, f"no Node {name} in the lab etcd"
    assert node["kind"] == "Node" and node["apiVersion"] == "projectcalico.org/v3"
    assert list(node) == ["kind", "apiVersion", "metadata", "spec", "status"]
    bgp = node["spec"]["bgp"]
    assert bgp["ipv4Address"] == eth0(host)
    assert node["metadata"]["labels"]["lab"] == "molecule"
    if name == "node2":
        assert bgp == {"asNumber": 64601, "ipv4Address": eth0(host),
                       "ipv6Address": "fd00:198:18:201::12/64", "routeReflectorClusterID": "244.0.0.1"}
        assert node["metadata"]["labels"] == {"lab": "molecule", "route-reflector": "true"}
        assert etcd_get(FELIX_KEY.format(name)) is None
    else:
        assert set(bgp) == {"ipv4Address"}
        felix = etcd_get(FELIX_KEY.format(name))
        assert felix["spec"]["logSeverityScreen"] == "Debug"
