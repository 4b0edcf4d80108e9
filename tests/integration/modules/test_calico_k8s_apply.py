"""calico_k8s_apply through the real ``kubernetes`` client against the local Kubernetes API
stand-in (fake_kube_api.FakeKubeCluster; no kube-apiserver runs on these machines): server-side
apply, a rerun that changes nothing, check mode as the server's dry run, field ownership, the
rollout wait naming the nodes that are not ready, and the kube-proxy handover of the eBPF mode."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.netops.calico.plugins.module_utils._datastore.kdd import api as kdd

from fake_kube_api import FakeKubeCluster, kube_cluster, kube_cluster_server  # noqa: F401  # pylint: disable=unused-import

pytestmark = pytest.mark.skipif(not kdd.HAS_KUBERNETES, reason="the kubernetes Python client is not installed")

CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "calico-config", "namespace": "kube-system"},
      "data": {"calico_backend": "bird", "veth_mtu": "1480"}}
DS = {"apiVersion": "apps/v1", "kind": "DaemonSet",
      "metadata": {"name": "calico-node", "namespace": "kube-system", "labels": {"k8s-app": "calico-node"}},
      "spec": {"selector": {"matchLabels": {"k8s-app": "calico-node"}},
               "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
               "template": {"metadata": {"labels": {"k8s-app": "calico-node"}},
                            "spec": {"nodeSelector": {"kubernetes.io/os": "linux"},
                                     "containers": [{"name": "calico-node", "image": "quay.io/calico/node:v3.31.7",
                                                     "env": [{"name": "CALICO_NETWORKING_BACKEND",
                                                              "value": "bird"}]}]}}}}
KUBE_PROXY = {"apiVersion": "apps/v1", "kind": "DaemonSet",
              "metadata": {"name": "kube-proxy", "namespace": "kube-system"},
              "spec": {"selector": {"matchLabels": {"k8s-app": "kube-proxy"}},
                       "template": {"metadata": {"labels": {"k8s-app": "kube-proxy"}},
                                    "spec": {"nodeSelector": {"kubernetes.io/os": "linux"},
                                             "containers": [{"name": "kube-proxy", "image": "kube-proxy"}]}}}}
HANDOVER = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "kube-proxy", "namespace": "kube-system"},
            "spec": {"template": {"spec": {"nodeSelector": {"non-calico": "true"}}}}}
RELEASE = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "kube-proxy", "namespace": "kube-system"}}


def add_nodes(kube, *names):
    for name in names:
        kube.put_object("v1", "nodes", {"apiVersion": "v1", "kind": "Node",
                                        "metadata": {"name": name, "labels": {"kubernetes.io/os": "linux"}}})


def args(kube, objects, **extra):
    return dict({"datastore_type": "kubernetes", "kubeconfig": kube.kubeconfig_path, "objects": objects}, **extra)


def writes(kube):
    return [(m, p) for m, p in kube.requests if m in ("POST", "PUT", "PATCH", "DELETE")]


def test_check_apply_rerun_modify(kube_cluster, run_module):
    kube = kube_cluster
    add_nodes(kube, "node-a", "node-b")
    check = run_module("calico_k8s_apply", args(kube, [CM, DS], wait=True), check=True)
    assert not check.get("failed"), check.get("msg")
    assert check["changed"] and check["objects"] == {"ConfigMap kube-system/calico-config": "created",
                                                     "DaemonSet kube-system/calico-node": "created"}
    assert "rollout" not in check                        # nothing was written, nothing to wait for
    assert kube.get_object("v1", "configmaps", "calico-config", "kube-system") is None
    assert all("dryRun=All" in p for _m, p in writes(kube))
    assert [d["after_header"] for d in check["diff"]] == ["ConfigMap kube-system/calico-config",
                                                          "DaemonSet kube-system/calico-node"]

    done = run_module("calico_k8s_apply", args(kube, [CM, DS], wait=True))
    assert done["changed"] and set(done["objects"].values()) == {"created"}
    assert done["rollout"] == {"DaemonSet kube-system/calico-node": "2 of 2 pods available"}
    stored = kube.get_object("v1", "configmaps", "calico-config", "kube-system")
    assert stored["data"] == CM["data"]
    assert [m["manager"] for m in stored["metadata"]["managedFields"]] == ["netops.calico"]

    kube.requests.clear()
    again = run_module("calico_k8s_apply", args(kube, [CM, DS], wait=True))
    assert not again["changed"] and set(again["objects"].values()) == {"unchanged"} and again["diff"] == []
    again_check = run_module("calico_k8s_apply", args(kube, [CM, DS]), check=True)
    assert not again_check["changed"]
    assert kube.get_object("v1", "configmaps", "calico-config", "kube-system")["metadata"]["resourceVersion"] == \
        stored["metadata"]["resourceVersion"]

    cm2 = copy.deepcopy(CM)
    cm2["data"]["veth_mtu"] = "1450"
    del cm2["data"]["calico_backend"]                    # a field this manager no longer applies goes
    modified = run_module("calico_k8s_apply", args(kube, [cm2, DS]))
    assert modified["objects"]["ConfigMap kube-system/calico-config"] == "updated"
    assert kube.get_object("v1", "configmaps", "calico-config", "kube-system")["data"] == {"veth_mtu": "1450"}
    diff = modified["diff"][0]
    assert diff["before"]["data"]["veth_mtu"] == "1480" and diff["after"]["data"] == {"veth_mtu": "1450"}


def test_absent_deletes_and_then_is_unchanged(kube_cluster, run_module):
    kube = kube_cluster
    run_module("calico_k8s_apply", args(kube, [CM]))
    gone = run_module("calico_k8s_apply", args(kube, [], absent=[CM]), check=True)
    assert gone["changed"] and gone["objects"] == {"ConfigMap kube-system/calico-config": "deleted"}
    assert kube.get_object("v1", "configmaps", "calico-config", "kube-system") is not None
    run_module("calico_k8s_apply", args(kube, [], absent=[CM]))
    assert kube.get_object("v1", "configmaps", "calico-config", "kube-system") is None
    again = run_module("calico_k8s_apply", args(kube, [], absent=[CM]))
    assert not again["changed"] and again["objects"] == {"ConfigMap kube-system/calico-config": "absent"}


def test_rollout_timeout_names_the_nodes_not_ready(kube_cluster, run_module):
    kube = kube_cluster
    add_nodes(kube, "node-a", "node-b", "node-c")
    kube.unready_nodes = {"node-b"}
    out = run_module("calico_k8s_apply", args(kube, [DS], wait=True, wait_timeout=1))
    assert out.get("failed")
    assert "DaemonSet kube-system/calico-node did not finish rolling out within 1s" in out["msg"]
    assert "2 of 3 updated pods available" in out["msg"]
    assert "Not ready on 1 node(s): node-b (pod calico-node-node-b not ready, phase Pending)" in out["msg"]


def test_conflict_with_another_manager_is_refused_without_force(kube_cluster, run_module):
    kube = kube_cluster
    run_module("calico_k8s_apply", args(kube, [CM], field_manager="someone-else"))
    cm2 = copy.deepcopy(CM)
    cm2["data"]["veth_mtu"] = "1400"
    out = run_module("calico_k8s_apply", args(kube, [cm2], force_conflicts=False))
    assert out.get("failed") and 'conflict with "someone-else": .data.veth_mtu' in out["msg"]
    assert "force_conflicts" in out["msg"]
    taken = run_module("calico_k8s_apply", args(kube, [cm2]))
    assert taken["changed"]
    owners = {m["manager"]: m["fieldsV1"] for m in
              kube.get_object("v1", "configmaps", "calico-config", "kube-system")["metadata"]["managedFields"]}
    assert "f:veth_mtu" in owners["netops.calico"]["f:data"] and "f:veth_mtu" not in owners["someone-else"]["f:data"]


def test_kube_proxy_handover_and_back(kube_cluster, run_module):
    kube = kube_cluster
    handover = {"field_manager": "netops.calico-kube-proxy", "force_conflicts": False, "existing_only": True}
    absent = run_module("calico_k8s_apply", args(kube, [HANDOVER], **handover))
    assert not absent["changed"] and absent["objects"] == {"DaemonSet kube-system/kube-proxy": "absent, left alone"}
    assert kube.get_object("apps/v1", "daemonsets", "kube-proxy", "kube-system") is None

    kube.put_object("apps/v1", "daemonsets", KUBE_PROXY)      # as kubeadm created it
    off = run_module("calico_k8s_apply", args(kube, [HANDOVER], **handover))
    assert off["changed"]
    sel = kube.get_object("apps/v1", "daemonsets", "kube-proxy", "kube-system")["spec"]["template"]["spec"]
    assert sel["nodeSelector"] == {"kubernetes.io/os": "linux", "non-calico": "true"}
    assert sel["containers"] == KUBE_PROXY["spec"]["template"]["spec"]["containers"]
    assert not run_module("calico_k8s_apply", args(kube, [HANDOVER], **handover))["changed"]

    back = run_module("calico_k8s_apply", args(kube, [RELEASE], **handover))
    assert back["changed"]
    sel = kube.get_object("apps/v1", "daemonsets", "kube-proxy", "kube-system")["spec"]["template"]["spec"]
    assert sel["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert not run_module("calico_k8s_apply", args(kube, [RELEASE], **handover))["changed"]


def test_refusals_name_the_fix(kube_cluster, run_module, tmp_path):
    kube = kube_cluster
    out = run_module("calico_k8s_apply", {"datastore_type": "etcdv3", "etcd_endpoints": "http://198.18.0.1:2379",
                                          "objects": [CM]})
    assert out.get("failed") and "datastore_type: kubernetes" in out["msg"]
    other_ns = copy.deepcopy(CM)
    other_ns["metadata"]["namespace"] = "calico-system"
    out = run_module("calico_k8s_apply", args(kube, [other_ns]))
    assert out.get("failed") and 'namespaces "calico-system" not found' in out["msg"]
    out = run_module("calico_k8s_apply", args(kube, [{"apiVersion": "v1", "kind": "Secret",
                                                      "metadata": {"name": "x", "namespace": "kube-system"}}]))
    assert out.get("failed") and "v1 Secret is not a kind this collection manages" in out["msg"]


def test_fake_refuses_what_the_api_server_refuses(kube_cluster):
    """The stand-in is strict: apply without a field manager, an unknown media type, a bad dryRun."""
    from ansible_collections.netops.calico.plugins.module_utils._datastore.kdd.api import ApiStatus, KubeAPI
    api = KubeAPI.from_kubeconfig(kube_cluster.kubeconfig_path)
    path = "/api/v1/namespaces/kube-system/configmaps/calico-config"
    with pytest.raises(ApiStatus) as err:
        api.once(api.request, "PATCH", path, {}, CM, "application/apply-patch+yaml")
    assert err.value.code == 422 and "fieldManager" in err.value.message
    with pytest.raises(ApiStatus) as err:
        api.once(api.request, "PATCH", path, {"fieldManager": "x"}, "data: {}", "application/yaml")
    assert err.value.code == 415
    with pytest.raises(ApiStatus) as err:
        api.once(api.request, "PATCH", path, {"fieldManager": "x", "dryRun": "Some"}, CM, "application/apply-patch+yaml")
    assert err.value.code == 400
    with pytest.raises(ApiStatus) as err:
        api.once(api.request, "GET", "/apis/apps/v1/namespaces/kube-system/replicasets/x")
    assert err.value.code == 404
