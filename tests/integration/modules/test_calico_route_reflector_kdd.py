"""calico_route_reflector with ``datastore_type: kubernetes``: the same two steps each way through
the real ``kubernetes`` client and the local Kubernetes API stand-in (fake_kube_api; no
kube-apiserver runs here). Reflector nodes get Calico's annotations (RouteReflectorClusterID and the
Calico-only label), never Kubernetes labels; reruns write nothing."""

from __future__ import annotations

import json

import pytest

from ansible_collections.netops.calico.plugins.module_utils._datastore.kdd import api as kdd

from fake_kube_api import GV, FakeKubeAPI, kube, kube_server  # noqa: F401  # pylint: disable=unused-import

pytestmark = pytest.mark.skipif(not kdd.HAS_KUBERNETES, reason="the kubernetes Python client is not installed")


def k8s_node(name: str, ip: str, zone: str) -> dict:
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name,
                                                  "topology.kubernetes.io/zone": zone},
                         "annotations": {"projectcalico.org/IPv4Address": f"{ip}/24"}},
            "spec": {}, "status": {"addresses": [{"type": "InternalIP", "address": ip}]}}


def writes(kube):
    return [(m, p) for m, p in kube.requests if m in ("POST", "PUT", "PATCH", "DELETE")]


def test_switch_on_the_kubernetes_datastore(kube, run_module):
    for i in range(1, 6):
        kube.put_object("v1", "nodes", k8s_node(f"n{i}", f"198.18.0.{i}", "ab"[i % 2]))
    conn = {"datastore_type": "kubernetes", "kubeconfig": kube.kubeconfig_path}
    auto = {**conn, "target": "reflectors", "threshold": 5, "count": 3}

    plan = run_module("calico_route_reflector", auto, check=True)
    assert not plan.failed, plan
    assert plan["plan"]["reflectors"] == ["n1", "n2", "n4"]          # zones b, a, a: the emptier zone first
    assert sorted(plan["plan"]["zones"].values()) == ["a", "a", "b"]
    assert plan["plan"]["sessions"]["full_mesh"] == 10 and plan["plan"]["sessions"]["reflector_design"] == 9
    assert writes(kube) == [], "check mode wrote something"

    r = run_module("calico_route_reflector", {**auto, "step": "prepare"})
    assert r["changed"] is True, r
    ann = kube.get_object("v1", "nodes", "n1")["metadata"]["annotations"]
    assert ann["projectcalico.org/RouteReflectorClusterID"] == "244.0.0.1"
    assert json.loads(ann["projectcalico.org/labels"]) == {"route-reflector": "true"}
    assert "route-reflector" not in kube.get_object("v1", "nodes", "n1")["metadata"]["labels"]
    assert sorted(kube.names(GV, "bgppeers")) == ["route-reflectors-clients", "route-reflectors-mesh"]
    n = len(writes(kube))
    assert run_module("calico_route_reflector", {**auto, "step": "prepare"})["changed"] is False
    assert len(writes(kube)) == n

    r = run_module("calico_route_reflector", {**auto, "step": "finish"})
    assert r["changed"] is True
    assert kube.get_object(GV, "bgpconfigurations", "default")["spec"]["nodeToNodeMeshEnabled"] is False
    assert r["expected_sessions"]["n5"] == ["Node_198_18_0_1", "Node_198_18_0_2", "Node_198_18_0_4"]

    back = {**conn, "target": "mesh"}
    assert run_module("calico_route_reflector", {**back, "step": "finish"}).failed
    assert run_module("calico_route_reflector", {**back, "step": "prepare"})["changed"] is True
    r = run_module("calico_route_reflector", {**back, "step": "finish"})
    assert r["changed"] is True
    assert kube.names(GV, "bgppeers") == []
    ann = kube.get_object("v1", "nodes", "n1")["metadata"]["annotations"]
    assert "projectcalico.org/RouteReflectorClusterID" not in ann
    assert json.loads(ann.get("projectcalico.org/labels", "{}")) == {}
    assert run_module("calico_route_reflector", {**back, "step": "finish"})["changed"] is False
