"""_node/unit.py: the env file and the systemd unit (pure)."""

from __future__ import annotations

from ansible_collections.netops.calico.plugins.module_utils._node import unit as node_unit
from fakes import params


# -- env file and unit ---------------------------------------------------------------------------

def test_env_file_layout_and_quoting():
    p = params(etcd_ca_cert_file="/etc/calico/pki/ca.pem", as_number=64512,
               env={"FELIX_LOGSEVERITYSCREEN": "info", "CALICO_STARTUP_LOGLEVEL": "a b$c", "FELIX_X": True})
    vals = node_unit.env_values(p, "node-1", {"ipv4": "198.18.10.5/24", "ipv6": None})
    assert list(vals)[:10] == ["DATASTORE_TYPE", "ETCD_ENDPOINTS", "ETCD_CA_CERT_FILE", "CALICO_NODENAME",
                               "CALICO_NETWORKING_BACKEND", "CALICO_IP", "CALICO_IP6", "CALICO_AS",
                               "NO_DEFAULT_POOLS", "FELIX_LOGSEVERITYSCREEN"]
    text = node_unit.render_env(vals)
    assert "CALICO_IP=198.18.10.5/24\n" in text and "CALICO_AS=64512\n" in text
    assert 'CALICO_STARTUP_LOGLEVEL="a b\\$c"\n' in text and "FELIX_X=true\n" in text
    assert "NO_DEFAULT_POOLS=true\n" in text and "CALICO_IP6=\n" in text


def test_unit_podman_maps_every_variable_and_mounts():
    p = params(etcd_ca_cert_file="/etc/calico/pki/ca.pem")
    vals = node_unit.env_values(p, "node-1", {"ipv4": "198.18.10.5/24"})
    unit = node_unit.render_unit("podman", "/usr/bin/podman", "/usr/bin/mkdir", "quay.io/calico/node:v3.31.7",
                                 list(vals), node_unit.container_volumes(p, True))
    assert "ExecStart=/usr/bin/podman run --net=host --privileged --rm --name=calico-node" in unit
    assert "-e NODENAME=${CALICO_NODENAME}" in unit and "-e IP=${CALICO_IP}" in unit
    assert "-e ETCD_CA_CERT_FILE=${ETCD_CA_CERT_FILE}" in unit
    assert "-v /etc/calico/pki/ca.pem:/etc/calico/pki/ca.pem:ro" in unit
    assert "-v /lib/modules:/lib/modules:ro" in unit
    assert "Restart=on-failure" in unit and "StartLimitBurst=3" in unit and "EnvironmentFile=/etc/calico/calico.env" in unit
    assert "docker.service" not in unit


def test_unit_docker_requires_the_daemon_and_skips_missing_lib_modules():
    unit = node_unit.render_unit("docker", "/usr/bin/docker", "/bin/mkdir", "img", ["DATASTORE_TYPE"],
                                 node_unit.container_volumes(params(), False))
    assert "Requires=docker.service" in unit and "After=network-online.target docker.service" in unit
    assert "/lib/modules" not in unit
