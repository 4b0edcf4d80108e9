"""The calico role hands calico_network's node_settings.env to calico_node (roles/calico/tasks/nodes.yml
and vars/main.yml, templated by Ansible's own Templar), and calico_node writes it into calico.env:
FELIX_HEALTHENABLED (which the -felix-live/-felix-ready probes need) and FELIX_DEFAULTENDPOINTTOHOSTACTION
arrive there; the variables calico_node sets from its own options do not come twice."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ansible_collections.netops.calico.plugins.module_utils._network import settings as net_settings
from ansible_collections.netops.calico.plugins.module_utils._network.spec import Context
from ansible_collections.netops.calico.plugins.module_utils._network.validate import build
from ansible_collections.netops.calico.plugins.module_utils._node import options as node_options
from ansible_collections.netops.calico.plugins.module_utils._node.unit import env_values, render_env

ROLE = Path(__file__).resolve().parents[2] / "roles" / "calico"


@pytest.fixture()
def templar_cls():
    """Ansible's controller-side Templar. Importing the controller marks the process as the controller,
    after which module warnings go to the display instead of module results: imported here, not at
    collection, and the mark undone after the test so that the module tests keep their warnings."""
    from ansible.module_utils import _internal
    was = _internal.is_controller
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar, trust_as_template
    yield DataLoader, Templar, trust_as_template
    _internal.is_controller = was


def _role_env(templar_cls, node_settings: dict, extra: dict) -> dict:
    DataLoader, Templar, trust_as_template = templar_cls  # noqa: N806
    role_vars = yaml.safe_load((ROLE / "vars" / "main.yml").read_text())
    task_vars = yaml.safe_load((ROLE / "tasks" / "nodes.yml").read_text())[0]["vars"]
    variables = {k: trust_as_template(v) if isinstance(v, str) else v for k, v in role_vars.items()}
    variables.update(calico_settings={"node_settings": node_settings}, calico_node_environment=extra)
    return Templar(loader=DataLoader(), variables=variables).template(trust_as_template(task_vars["calico_node_env"]))


def test_felix_health_reaches_calico_env(templar_cls):
    ctx = Context(ip_family="ipv4")
    r = build({}, {}, ctx)
    ns = net_settings.node_settings(r.effective, ctx, r.backend, [], {"veth": 1480})
    env = _role_env(templar_cls, ns, {"FELIX_LOGSEVERITYSCREEN": "info"})
    assert env["FELIX_HEALTHENABLED"] == "true" and env["FELIX_DEFAULTENDPOINTTOHOSTACTION"] == "ACCEPT"
    assert not set(env) & set(node_options.RESERVED_ENV)
    params = {"datastore_type": "etcdv3", "etcd_endpoints": "https://198.18.0.1:2379", "env": env,
              "image": node_options.DEFAULT_IMAGE}
    assert node_options.validate(params) == []
    text = render_env(env_values(params, "node-1", {"ipv4": "198.18.0.11/24"}))
    assert "\nFELIX_HEALTHENABLED=true\n" in text and "\nFELIX_DEFAULTENDPOINTTOHOSTACTION=ACCEPT\n" in text
