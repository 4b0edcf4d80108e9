"""Modules with ``datastore_type: kubernetes``: the same rhythm as against etcd, through the real
``kubernetes`` client and a local stand-in for the Kubernetes API (``fake_kube_api``; no
kube-apiserver can run on this machine), with the stored custom resource checked after each write."""

from __future__ import annotations

import json

import pytest

from ansible_collections.netops.calico.plugins.module_utils._datastore.kdd import api as kdd_api
from ansible_collections.netops.calico.plugins.module_utils._datastore.kdd import convert as kdd

from fake_kube_api import GV, FakeKubeAPI, kube, kube_server  # noqa: F401  # pylint: disable=unused-import

pytestmark = pytest.mark.skipif(not kdd_api.HAS_KUBERNETES, reason="the kubernetes Python client is not installed")


def conn(kube):
    return {"datastore_type": "kubernetes", "kubeconfig": kube.kubeconfig_path}


def writes(kube):
    return [(m, p) for m, p in kube.requests if m in ("POST", "PUT", "PATCH", "DELETE")]


def test_ippool_rhythm_kdd(kube, run_module):
    args = {**conn(kube), "name": "pool-a", "cidr": "198.19.0.0/16", "ipip_mode": "CrossSubnet",
            "nat_outgoing": True, "labels": {"team": "net"}}

    # check: the change and the diff, nothing written
    r = run_module("calico_ippool", args, check=True)
    assert r["changed"] is True and not r.get("failed"), r
    assert r["diff"][0]["before"] == {} and r["diff"][0]["after"]["spec"]["cidr"] == "198.19.0.0/16"
    assert kube.names(GV, "ippools") == [] and writes(kube) == [], "check mode wrote something"

    # apply: a crd.projectcalico.org/v1 IPPool as libcalico-go writes it
    r = run_module("calico_ippool", args)
    assert r["changed"] is True, r
    cr = kube.get_object(GV, "ippools", "pool-a")
    assert cr["apiVersion"] == "crd.projectcalico.org/v1" and cr["kind"] == "IPPool"
    assert cr["spec"] == {"cidr": "198.19.0.0/16", "vxlanMode": "Never", "ipipMode": "CrossSubnet",
                          "natOutgoing": True, "blockSize": 26, "nodeSelector": "all()",
                          "allowedUses": ["Workload", "Tunnel"], "assignmentMode": "Automatic"}
    meta_ann = json.loads(cr["metadata"]["annotations"]["projectcalico.org/metadata"])
    assert meta_ann["labels"] == {"team": "net"} and meta_ann["creationTimestamp"].endswith("Z")
    assert "labels" not in cr["metadata"]                      # "team" is not ours: only in the annotation
    pool = r["ippool"]
    assert pool["apiVersion"] == "projectcalico.org/v3"
    assert pool["metadata"]["resourceVersion"] == cr["metadata"]["resourceVersion"]
    assert pool["metadata"]["uid"] == kdd.convert_uid(cr["metadata"]["uid"])
    assert pool["metadata"]["labels"] == {"team": "net"}
    rv = cr["metadata"]["resourceVersion"]

    # apply again: not changed, nothing written
    n_writes = len(writes(kube))
    r = run_module("calico_ippool", args, check=True)
    assert r["changed"] is False, r
    r = run_module("calico_ippool", args)
    assert r["changed"] is False, r
    assert len(writes(kube)) == n_writes
    assert kube.get_object(GV, "ippools", "pool-a")["metadata"]["resourceVersion"] == rv

    # modify: check mode shows it, apply writes it at the revision read
    mod = {**args, "ipip_mode": "Never", "vxlan_mode": "Always"}
    r = run_module("calico_ippool", mod, check=True)
    assert r["changed"] is True
    assert r["diff"][0]["before"]["spec"]["ipipMode"] == "CrossSubnet"
    assert r["diff"][0]["after"]["spec"]["vxlanMode"] == "Always"
    assert kube.get_object(GV, "ippools", "pool-a")["metadata"]["resourceVersion"] == rv
    r = run_module("calico_ippool", mod)
    assert r["changed"] is True, r
    cr2 = kube.get_object(GV, "ippools", "pool-a")
    assert cr2["spec"]["ipipMode"] == "Never" and cr2["spec"]["vxlanMode"] == "Always"
    assert cr2["metadata"]["uid"] == cr["metadata"]["uid"]
    assert int(cr2["metadata"]["resourceVersion"]) > int(rv)
    assert ("PUT", f"/apis/{GV}/ippools/pool-a") in writes(kube)

    # an immutable field is refused with nothing written
    r = run_module("calico_ippool", {**mod, "cidr": "198.20.0.0/16"})
    assert r.get("failed") and "cidr" in r["msg"]
    assert kube.get_object(GV, "ippools", "pool-a") == cr2

    # delete, then delete again: not changed
    absent = {**conn(kube), "name": "pool-a", "state": "absent"}
    r = run_module("calico_ippool", absent, check=True)
    assert r["changed"] is True and kube.get_object(GV, "ippools", "pool-a") is not None
    r = run_module("calico_ippool", absent)
    assert r["changed"] is True and r["diff"][0]["after"] == {}
    assert kube.get_object(GV, "ippools", "pool-a") is None
    r = run_module("calico_ippool", absent)
    assert r["changed"] is False, r


def test_ippool_written_by_calicoctl_keeps_unset_fields(kube, run_module):
    """A pool stored without our knowledge (as calicoctl/the operator would) keeps what we are not told."""
    kube.put_object(GV, "ippools", {
        "apiVersion": GV, "kind": "IPPool",
        "metadata": {"name": "pool-b", "annotations": {
            "projectcalico.org/metadata": '{"creationTimestamp":"2025-05-01T10:00:00Z"}'}},
        "spec": {"cidr": "198.19.0.0/16", "vxlanMode": "Never", "ipipMode": "Always", "natOutgoing": True,
                 "blockSize": 28, "nodeSelector": "all()"}})
    r = run_module("calico_ippool", {**conn(kube), "name": "pool-b", "nat_outgoing": True})
    assert r["changed"] is False, r
    r = run_module("calico_ippool", {**conn(kube), "name": "pool-b", "disabled": True})
    assert r["changed"] is True, r
    spec = kube.get_object(GV, "ippools", "pool-b")["spec"]
    assert spec["blockSize"] == 28 and spec["ipipMode"] == "Always" and spec["disabled"] is True


def test_unreachable_api_fails_the_task(tmp_path, run_module, monkeypatch):
    monkeypatch.setattr(kdd_api.KubeAPI, "BACKOFF", 0.01)
    srv = FakeKubeAPI().start()
    kubeconfig = srv.kubeconfig(tmp_path / "kubeconfig")
    srv.stop()
    r = run_module("calico_ippool", {"datastore_type": "kubernetes", "kubeconfig": kubeconfig,
                                     "datastore_timeout": 2, "name": "p", "cidr": "198.19.0.0/16"})
    assert r.get("failed") and "Kubernetes API" in r["msg"] and "kubeconfig" in r["msg"]


def test_ipam_check_on_kdd_does_not_call_pod_addresses_leaks(kube, run_module):
    """In KDD workload endpoints are pods, which are not listed: an allocation with a live handle
    must not be reported as "allocated but not in use"."""
    from ansible_collections.netops.calico.plugins.module_utils._datastore.connection import connect
    ds = connect({"datastore_type": "kubernetes", "kubeconfig": kube.kubeconfig_path})
    cidr = "198.19.7.0/26"
    ds.ipam_create("IPAMHandle", "k8s-pod-network.abc", {"block": {cidr: 1}, "deleted": False})
    ds.ipam_create("IPAMBlock", cidr, {
        "cidr": cidr, "affinity": None, "allocations": [0] + [None] * 63, "unallocated": list(range(1, 64)),
        "attributes": [{"handle_id": "k8s-pod-network.abc", "secondary": None}],
        "sequenceNumber": 0, "sequenceNumberForAllocation": {}, "deleted": False})
    r = run_module("calico_info", {**conn(kube), "gather_subset": ["ipam_check"]})
    assert not r.failed, r
    assert not r["ipam_check"].get("allocated_not_in_use"), r["ipam_check"]
    assert not r["ipam_check"]["missing_handles"] and not r["ipam_check"]["leaked_handles"]
