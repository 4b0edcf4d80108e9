"""playbooks/kubernetes.yml (the calico_kubernetes role) against the local Kubernetes API stand-in
(fake_kube_api.FakeKubeCluster: the real ``kubernetes`` client on the controller; no kube-apiserver
runs on these machines): check mode writes nothing, apply, a rerun and a second check change
nothing, Typha goes when typhaReplicas goes to 0, kube-proxy is kept off the nodes once eBPF runs
and comes back without it, a rollout that does not finish names the node and leaves kube-proxy
alone, and an invalid spec stops the play before anything connects. What the templates render is
tested without a cluster in tests/unit/test_calico_kubernetes_templates.py."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fake_kube_api import FakeKubeCluster

REPO = Path(__file__).resolve().parents[3]

# a small CRD bundle in the format of Calico's manifests/crds.yaml (two of its CRDs, trimmed)
CRDS = """\
---
# Source: calico/templates/kdd-crds.yaml
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: felixconfigurations.crd.projectcalico.org
spec:
  group: crd.projectcalico.org
  names: {kind: FelixConfiguration, listKind: FelixConfigurationList, plural: felixconfigurations,
          singular: felixconfiguration}
  preserveUnknownFields: false
  scope: Cluster
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            apiVersion: {type: string}
            kind: {type: string}
            metadata: {type: object}
            spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ippools.crd.projectcalico.org
spec:
  group: crd.projectcalico.org
  names: {kind: IPPool, listKind: IPPoolList, plural: ippools, singular: ippool}
  preserveUnknownFields: false
  scope: Cluster
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
"""


def playbook(path: Path, *extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".build/collections"),
               ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    env.pop("KUBECONFIG", None)
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", str(path),
           "-e", "ansible_connection=local", "-e", f"ansible_python_interpreter={sys.executable}", *extra]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, cwd=REPO, check=False)


def recap(p: subprocess.CompletedProcess) -> tuple[int, int]:
    m = re.search(r"localhost\s*:\s*ok=\d+\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)", p.stdout)
    assert m, p.stdout[-4000:] + p.stderr[-3000:]
    return int(m.group(1)), int(m.group(2))


@pytest.fixture(scope="module")
def crds_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("crds") / "crds.yaml"
    path.write_text(CRDS)
    return path


def env_of(ds: dict) -> dict:
    container = ds["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


@pytest.fixture()
def cluster(tmp_path):
    srv = FakeKubeCluster().start()
    srv.put_object("v1", "namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system"}})
    for name in ("node-a", "node-b"):
        srv.put_object("v1", "nodes", {"apiVersion": "v1", "kind": "Node",
                                       "metadata": {"name": name, "labels": {"kubernetes.io/os": "linux"}}})
    srv.put_object("apps/v1", "daemonsets", {
        "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "kube-proxy", "namespace": "kube-system"},
        "spec": {"selector": {"matchLabels": {"k8s-app": "kube-proxy"}},
                 "template": {"metadata": {"labels": {"k8s-app": "kube-proxy"}},
                              "spec": {"nodeSelector": {"kubernetes.io/os": "linux"},
                                       "containers": [{"name": "kube-proxy", "image": "kube-proxy"}]}}}})
    srv.kubeconfig_path = srv.kubeconfig(tmp_path / "kubeconfig")
    yield srv
    srv.stop()


def run_site(cluster, crds_file, spec: dict, *extra: str) -> tuple[int, int, subprocess.CompletedProcess]:
    variables = {"calico_networking": spec, "calico_kubernetes_kubeconfig": cluster.kubeconfig_path,
                 "calico_kubernetes_crds_file": str(crds_file), "calico_kubernetes_api_host": "198.18.0.10",
                 "calico_kubernetes_rollout_timeout": 5}
    p = playbook(REPO / "playbooks/kubernetes.yml", "-e", json.dumps(variables), *extra)
    changed, failed = recap(p)
    return changed, failed, p


def kube_proxy_selector(cluster) -> dict:
    return cluster.get_object("apps/v1", "daemonsets", "kube-proxy", "kube-system")["spec"]["template"]["spec"][
        "nodeSelector"]


def test_check_apply_rerun(cluster, crds_file):
    spec = {"encapsulationMode": "vxlan", "typhaReplicas": 2}
    changed, failed, p = run_site(cluster, crds_file, spec, "--check", "--diff")
    assert failed == 0 and changed >= 2, p.stdout[-3000:]
    assert cluster.get_object("apps/v1", "daemonsets", "calico-node", "kube-system") is None
    assert cluster.names("apiextensions.k8s.io/v1", "customresourcedefinitions") == []
    assert "ConfigMap kube-system/calico-config" in p.stdout          # the diff names each object

    changed, failed, p = run_site(cluster, crds_file, spec)
    assert failed == 0 and changed == 2, p.stdout[-3000:]             # CRDs, then the objects
    assert sorted(cluster.names("apiextensions.k8s.io/v1", "customresourcedefinitions")) == [
        "felixconfigurations.crd.projectcalico.org", "ippools.crd.projectcalico.org"]
    ds = cluster.get_object("apps/v1", "daemonsets", "calico-node", "kube-system")
    assert env_of(ds)["CALICO_IPV4POOL_VXLAN"] == "CrossSubnet"
    assert cluster.get_object("apps/v1", "deployments", "calico-typha", "kube-system")["spec"]["replicas"] == 2
    assert kube_proxy_selector(cluster) == {"kubernetes.io/os": "linux"}
    rv = cluster.rv

    changed, failed, p = run_site(cluster, crds_file, spec)
    assert failed == 0 and changed == 0, p.stdout[-3000:]
    changed, failed, p = run_site(cluster, crds_file, spec, "--check")
    assert failed == 0 and changed == 0, p.stdout[-3000:]
    assert cluster.rv == rv                                             # nothing written at all

    changed, failed, p = run_site(cluster, crds_file, {"encapsulationMode": "vxlan", "typhaReplicas": 0})
    assert failed == 0 and changed == 1, p.stdout[-3000:]
    assert cluster.get_object("apps/v1", "deployments", "calico-typha", "kube-system") is None
    assert cluster.get_object("v1", "services", "calico-typha", "kube-system") is None
    node = cluster.get_object("apps/v1", "daemonsets", "calico-node", "kube-system")
    assert "FELIX_TYPHAK8SSERVICENAME" not in env_of(node)


def test_ebpf_hands_kube_proxy_over_and_back(cluster, crds_file):
    changed, failed, p = run_site(cluster, crds_file, {"bpfEnabled": True})
    assert failed == 0, p.stdout[-3000:]
    assert env_of(cluster.get_object("apps/v1", "daemonsets", "calico-node", "kube-system"))["FELIX_BPFENABLED"] == "true"
    assert cluster.get_object("v1", "configmaps", "kubernetes-services-endpoint", "kube-system")["data"][
        "KUBERNETES_SERVICE_HOST"] == "198.18.0.10"
    assert kube_proxy_selector(cluster) == {"kubernetes.io/os": "linux", "non-calico": "true"}
    changed, failed, p = run_site(cluster, crds_file, {"bpfEnabled": True})
    assert failed == 0 and changed == 0, p.stdout[-3000:]

    changed, failed, p = run_site(cluster, crds_file, {"bpfEnabled": False})
    assert failed == 0 and changed == 2, p.stdout[-3000:]              # calico-node first, then kube-proxy
    assert env_of(cluster.get_object("apps/v1", "daemonsets", "calico-node", "kube-system"))["FELIX_BPFENABLED"] == "false"
    assert kube_proxy_selector(cluster) == {"kubernetes.io/os": "linux"}


def test_ebpf_leaves_kube_proxy_running_while_calico_node_is_not_ready(cluster, crds_file):
    cluster.unready_nodes = {"node-b"}
    changed, failed, p = run_site(cluster, crds_file, {"bpfEnabled": True})
    assert failed == 1
    assert "DaemonSet kube-system/calico-node did not finish rolling out within 5s" in p.stdout
    assert "node-b (pod calico-node-node-b not ready" in p.stdout and "node-a" not in p.stdout.split("Not ready")[1]
    assert kube_proxy_selector(cluster) == {"kubernetes.io/os": "linux"}    # kube-proxy untouched


def test_invalid_spec_stops_before_anything(tmp_path, crds_file):
    variables = {"calico_networking": {"encapsulationMode": "none"},          # none needs IPv6 (kOps)
                 "calico_kubernetes_kubeconfig": str(tmp_path / "missing"), "calico_kubernetes_crds_file": str(crds_file)}
    p = playbook(REPO / "playbooks/kubernetes.yml", "-e", json.dumps(variables))
    assert p.returncode != 0 and "calico.encapsulationMode" in p.stdout and "nothing was touched" in p.stdout
