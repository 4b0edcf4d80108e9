"""The calico role's AWS step (site.yml --tags calico_aws) through ansible-playbook against moto's EC2
server on loopback: with calico_cloud aws, kOps' default awsSrcDstCheck Disable turns the
source/destination check off on every host's primary ENI (each host names its instance with
calico_aws_instance), once, from the controller; a rerun changes nothing. The hosts are never
contacted (they do not exist: the step runs on the controller)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import yaml

from conftest import COLLECTIONS, REPO
from conftest_moto import aws_env, moto, moto_server  # noqa: F401  # pylint: disable=unused-import


def run(tmp_path, inventory, extra):
    """site.yml with --tags calico_aws: the validation (which always runs) and the AWS step only."""
    (tmp_path / "inv.yml").write_text(yaml.safe_dump(inventory))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
               ANSIBLE_NOCOLOR="1", AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    p = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i",
                        str(tmp_path / "inv.yml"), str(REPO / "playbooks/site.yml"), "--tags", "calico_aws",
                        "-e", json.dumps(extra)],
                       env=env, capture_output=True, text=True, timeout=300, check=False)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:]
    return p.stdout


def test_aws_step_disables_the_check_on_every_hosts_primary_eni(moto, tmp_path):
    instances = moto.launch(3)
    hosts = {f"aws-ghost-{i}": {"calico_aws_instance": inst["InstanceId"]} for i, inst in enumerate(instances)}
    inventory = {"all": {"children": {"calico_nodes": {
        "hosts": hosts, "vars": {"ansible_connection": "containers.podman.podman"}}}}}
    extra = {"calico_cloud": "aws", "calico_aws_region": "eu-west-1", "calico_aws_endpoint_url": moto.endpoint}
    enis = [moto.primary(i) for i in instances]

    out = run(tmp_path, inventory, extra)
    assert moto.eni_flags(enis) == {e: False for e in enis}
    assert re.search(r"changed: \[aws-ghost-0 -> localhost\]", out), out[-2000:]
    assert "UNREACHABLE" not in out

    out = run(tmp_path, inventory, extra)
    assert re.search(r"ok: \[aws-ghost-0 -> localhost\]", out) and "changed: [" not in out, out[-2000:]
