"""After reset.yml with calico_reset_purge_nodes: calico-node's unit, environment, kernel settings
and state are gone from every host, the hosts' Nodes are gone from the datastore, and the cluster's
pool and Felix configuration stay."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_shared"))

import labcheck  # noqa: E402


@pytest.mark.parametrize("path", ["/etc/systemd/system/calico-node.service", "/etc/calico/calico.env",
                                  "/etc/sysctl.d/90-calico.conf", "/var/lib/calico"])
def test_calico_node_files_gone(host, path):
    assert not host.file(path).exists


def test_unit_unknown_to_systemd(host):
    out = host.run("systemctl show -p LoadState calico-node.service")
    assert out.stdout.strip() == "LoadState=not-found"


def test_nodes_purged_cluster_config_kept(host):
    assert labcheck.names("nodes") == []
    assert labcheck.resource("ippools", "default-ipv4-ippool") is not None
    assert labcheck.resource("felixconfigurations", "default") is not None
