"""KubernetesBackend (KDD) against a local stand-in for the Kubernetes API.

No kube-apiserver can run on this machine, so these tests run the real ``kubernetes`` Python client
(as the backend uses it: kubeconfig loading, CustomObjectsApi, CoreV1Api, urllib3) against
``fake_kube_api.FakeKubeAPI``, a small local HTTP server that answers as the Kubernetes API reference
specifies for the paths the client uses (resourceVersion, server-set uid/creationTimestamp, Status
errors, preconditions, list paging with continue tokens). What the stand-in does not emulate
(schema validation, watch, RBAC beyond a token check and a forbidden list) is listed in its
docstring; what is stored is compared with what libcalico-go writes (see kubernetes.py).
"""

from __future__ import annotations

import json
import socket

import pytest

from ansible_collections.netops.calico.plugins.module_utils._datastore.kdd import api as kdd_api
from ansible_collections.netops.calico.plugins.module_utils._datastore.kdd import convert as kdd
from ansible_collections.netops.calico.plugins.module_utils._datastore import model
from ansible_collections.netops.calico.plugins.module_utils._datastore.connection import connect
from ansible_collections.netops.calico.plugins.module_utils._datastore.errors import (
    AlreadyExistsError,
    ConflictError,
    DatastoreError,
    DatastoreTLSError,
    DatastoreUnavailable,
    NotFoundError,
    ValidationError,
)

from fake_kube_api import GV, FakeKubeAPI, kube, kube_server  # noqa: F401  # pylint: disable=unused-import
from tlsutil import make_pki

pytestmark = pytest.mark.skipif(not kdd_api.HAS_KUBERNETES, reason="the kubernetes Python client is not installed")


@pytest.fixture()
def logs():
    return []


@pytest.fixture()
def ds(kube, logs, monkeypatch):
    monkeypatch.setattr(kdd_api.KubeAPI, "BACKOFF", 0.01)
    return connect({"datastore_type": "kubernetes", "kubeconfig": kube.kubeconfig_path, "datastore_timeout": 5.0},
                   log=logs.append)


def _cr(kube, plural, name):
    return kube.get_object(GV, plural, name)


# ---------------------------------------------------------------------------------------------
# v3 resources

CASES = [
    ("IPPool", "ippools", "pool-a",
     {"cidr": "10.244.0.0/16", "vxlanMode": "Never", "ipipMode": "CrossSubnet", "natOutgoing": True,
      "blockSize": 26, "nodeSelector": "all()", "allowedUses": ["Workload", "Tunnel"], "assignmentMode": "Automatic"},
     {"natOutgoing": False, "ipipMode": "Always"}),
    ("FelixConfiguration", "felixconfigurations", "default",
     {"bpfLogLevel": "", "logSeverityScreen": "Info", "reportingInterval": "0s", "wireguardEnabled": False},
     {"logSeverityScreen": "Debug", "wireguardEnabled": True}),
    ("BGPPeer", "bgppeers", "rr-peer",
     {"nodeSelector": "!has(route-reflector)", "peerSelector": "has(route-reflector)"},
     {"peerSelector": "route-reflector == 'true'"}),
]


@pytest.mark.parametrize("kind,plural,name,spec,change", CASES, ids=[c[0] for c in CASES])
def test_create_get_list_update_delete(ds, kube, kind, plural, name, spec, change):
    res = model.new_resource(kind, name, spec, labels={"team": "net", "projectcalico.org/zone": "a"},
                             annotations={"note": "x"})
    created = ds.create(res)
    cr = _cr(kube, plural, name)

    # what is stored is what libcalico-go's ConvertCalicoResourceToK8sResource writes
    assert cr["apiVersion"] == "crd.projectcalico.org/v1" and cr["kind"] == kind
    assert cr["spec"] == model.normalise_resource(res)["spec"]
    assert cr["metadata"]["labels"] == {"projectcalico.org/zone": "a"}   # only "ours" on the CR
    stored_meta = cr["metadata"]["annotations"]["projectcalico.org/metadata"]
    assert stored_meta == model.go_json({"creationTimestamp": res["metadata"]["creationTimestamp"],
                                         "labels": {"projectcalico.org/zone": "a", "team": "net"},
                                         "annotations": {"note": "x"}})
    assert set(cr["metadata"]["annotations"]) == {"projectcalico.org/metadata"}

    # reads: uid from the server (converted), resourceVersion from the server
    assert created["metadata"]["uid"] == kdd.convert_uid(cr["metadata"]["uid"])
    assert created["metadata"]["uid"] != res["metadata"]["uid"]
    assert created["metadata"]["resourceVersion"] == cr["metadata"]["resourceVersion"]
    assert created["metadata"]["labels"] == {"team": "net", "projectcalico.org/zone": "a"}
    assert created["metadata"]["annotations"] == {"note": "x"}
    assert created["apiVersion"] == "projectcalico.org/v3" and created["kind"] == kind
    got = ds.get(kind, name)
    assert got == created
    assert [r["metadata"]["name"] for r in ds.list(kind)] == [name]

    # update at the revision read
    upd = json.loads(json.dumps(got))
    upd["spec"].update(change)
    after = ds.update(upd)
    assert int(after["metadata"]["resourceVersion"]) > int(got["metadata"]["resourceVersion"])
    assert ds.get(kind, name)["spec"] == model.normalise_resource(upd)["spec"]
    assert after["metadata"]["uid"] == created["metadata"]["uid"]
    assert after["metadata"]["creationTimestamp"] == created["metadata"]["creationTimestamp"]

    # delete at the revision read
    ds.delete(kind, name, after["metadata"]["resourceVersion"])
    assert ds.get(kind, name) is None
    assert ds.list(kind) == []


def test_stale_revision_conflicts(ds):
    first = ds.create(model.new_resource("IPPool", "p", {"cidr": "10.1.0.0/16"}))
    second = json.loads(json.dumps(first))
    second["spec"]["natOutgoing"] = True
    current = ds.update(second)

    stale = json.loads(json.dumps(first))
    stale["spec"]["disabled"] = True
    with pytest.raises(ConflictError) as err:
        ds.update(stale)
    assert "changed since it was read" in str(err.value)
    with pytest.raises(ConflictError):
        ds.delete("IPPool", "p", first["metadata"]["resourceVersion"])
    assert ds.get("IPPool", "p") == current                  # nothing was written


def test_update_after_delete_and_recreate_is_not_found(ds):
    """A PUT carrying the old uid hits the server's uid precondition; libcalico-go's errors.go maps
    that Conflict to 'does not exist'."""
    old = ds.create(model.new_resource("BGPPeer", "peer", {"peerIP": "192.0.2.1", "asNumber": 64512}))
    ds.delete("BGPPeer", "peer", old["metadata"]["resourceVersion"])
    ds.create(model.new_resource("BGPPeer", "peer", {"peerIP": "192.0.2.2", "asNumber": 64512}))
    old["spec"]["asNumber"] = 64513
    with pytest.raises(NotFoundError):
        ds.update(old)


def test_not_found(ds):
    assert ds.get("IPPool", "missing") is None
    assert ds.get("Node", "missing") is None
    with pytest.raises(NotFoundError):
        ds.delete("IPPool", "missing", "5")
    gone = model.with_revision(model.new_resource("IPPool", "missing", {"cidr": "10.9.0.0/16"}), "5")
    with pytest.raises(NotFoundError):
        ds.update(gone)


def test_duplicate_create_is_409(ds, kube):
    ds.create(model.new_resource("IPPool", "dup", {"cidr": "10.2.0.0/16"}))
    with pytest.raises(AlreadyExistsError) as err:
        ds.create(model.new_resource("IPPool", "dup", {"cidr": "10.3.0.0/16"}))
    assert "already exists" in str(err.value)
    assert _cr(kube, "ippools", "dup")["spec"]["cidr"] == "10.2.0.0/16"


def test_invalid_name_is_a_validation_error(ds):
    with pytest.raises(ValidationError) as err:
        ds.create(model.new_resource("IPPool", "Not_A_Name", {"cidr": "10.4.0.0/16"}))
    assert "metadata.name" in str(err.value)


def test_ippool_v1_fields_are_converted_on_read(ds, kube):
    """resources/ippool.go IPPoolv1v3Converter: spec.ipip and spec.nat-outgoing from Calico v2 days."""
    kube.put_object(GV, "ippools", {"apiVersion": GV, "kind": "IPPool", "metadata": {"name": "old"},
                                    "spec": {"cidr": "10.5.0.0/16", "ipip": {"enabled": True, "mode": "cross-subnet"},
                                             "nat-outgoing": True}})
    spec = ds.get("IPPool", "old")["spec"]
    assert spec["ipipMode"] == "CrossSubnet" and spec["natOutgoing"] is True
    assert "ipip" not in spec and "nat-outgoing" not in spec


def test_kinds_not_in_kdd_are_refused(ds):
    with pytest.raises(DatastoreError, match="pods"):
        ds.list("WorkloadEndpoint")
    with pytest.raises(DatastoreError, match="kubelet"):
        ds.create(model.new_resource("Node", "n1", {}))
    with pytest.raises(DatastoreError, match="kubectl delete node n1"):
        ds.delete("Node", "n1", "1")


# ---------------------------------------------------------------------------------------------
# list paging


def _block_cr(i: int) -> dict:
    cidr = f"10.{64 + i // 256}.{i % 256}.0/26"
    return kdd.ipam_to_crd("IPAMBlock", cidr, {
        "cidr": cidr, "affinity": f"host:node-{i % 7}", "allocations": [None] * 64, "unallocated": list(range(64)),
        "attributes": None, "sequenceNumber": 1, "sequenceNumberForAllocation": {}, "deleted": False})


def test_list_follows_continue_tokens(ds, kube):
    for i in range(1200):
        kube.put_object(GV, "ipamblocks", _block_cr(i))
    blocks = ds.ipam_list("IPAMBlock")
    assert len(blocks) == 1200
    assert len({b["name"] for b in blocks}) == 1200
    lists = [p for m, p in kube.requests if m == "GET" and p.startswith(f"/apis/{GV}/ipamblocks?")]
    assert len(lists) == 3
    assert all("limit=500" in p for p in lists)
    assert "continue=" not in lists[0] and all("continue=" in p for p in lists[1:])


def test_list_restarts_when_the_continue_token_expired(ds, kube, logs):
    for i in range(600):
        kube.put_object(GV, "ipamblocks", _block_cr(i))
    real = ds.api.custom.list_cluster_custom_object
    calls = []

    def first_page_then_compact(*args, **kwargs):
        out = real(*args, **kwargs)
        calls.append(kwargs.get("_continue"))
        if len(calls) == 1:        # between the pages: a new block, and etcd compacts the old revision
            kube.put_object(GV, "ipamblocks", _block_cr(600))
            kube.compact()
        return out

    ds.api.custom.list_cluster_custom_object = first_page_then_compact
    blocks = ds.ipam_list("IPAMBlock")
    assert len(blocks) == 601          # the second listing saw a consistent, newer state
    assert any("expired" in line for line in logs)


# ---------------------------------------------------------------------------------------------
# IPAM objects


def test_ipam_round_trip_with_calico_names(ds, kube):
    v4 = {"cidr": "10.96.3.64/26", "affinity": "host:node-1", "allocations": [0, None] + [None] * 62,
          "unallocated": list(range(1, 64)),
          "attributes": [{"handle_id": "ipip-tunnel-addr-node-1", "secondary": {"node": "node-1", "type": "ipipTunnelAddress"}}],
          "sequenceNumber": 7, "sequenceNumberForAllocation": {"0": 6}, "deleted": False}
    block = ds.ipam_create("IPAMBlock", "10.96.3.64/26", v4)
    assert block["name"] == "10.96.3.64/26" and block["value"] == v4
    assert block["key"] == f"/apis/{GV}/ipamblocks/10-96-3-64-26"
    cr = _cr(kube, "ipamblocks", "10-96-3-64-26")
    assert cr["spec"] == {"cidr": "10.96.3.64/26", "affinity": "host:node-1", "allocations": v4["allocations"],
                          "unallocated": v4["unallocated"], "attributes": v4["attributes"], "sequenceNumber": 7,
                          "sequenceNumberForAllocation": {"0": 6}, "deleted": False, "strictAffinity": False}
    assert cr["metadata"]["annotations"] == {"projectcalico.org/metadata": '{"creationTimestamp":null}'}

    v6 = {"cidr": "fd00:10:96::/122", "affinity": None, "allocations": [None] * 64, "unallocated": list(range(64)),
          "attributes": None, "sequenceNumber": 0, "sequenceNumberForAllocation": None, "deleted": False}
    ds.ipam_create("IPAMBlock", "fd00:10:96::/122", v6)
    assert _cr(kube, "ipamblocks", "fd00-10-96---122")["spec"]["cidr"] == "fd00:10:96::/122"
    assert "affinity" not in _cr(kube, "ipamblocks", "fd00-10-96---122")["spec"]
    # IPAMBlockV1toV3 / V3toV1 (k8s/resources/ipam_block.go) convert through an empty slice: [] not null
    assert _cr(kube, "ipamblocks", "fd00-10-96---122")["spec"]["attributes"] == []
    assert ds.ipam_get("IPAMBlock", "fd00:10:96::/122")["value"] == {**v6, "attributes": []}

    aff = ds.ipam_create("BlockAffinity", "node-1/10.96.3.64/26", {"state": "pending", "deleted": False})
    assert aff["name"] == "node-1/10.96.3.64/26"
    acr = _cr(kube, "blockaffinities", "node-1-10-96-3-64-26")
    assert acr["spec"] == {"state": "pending", "node": "node-1", "type": "host", "cidr": "10.96.3.64/26",
                           "deleted": "false"}
    assert acr["metadata"]["labels"] == {"projectcalico.org/affinity-type": "host",
                                         "projectcalico.org/hostname-hash": kdd.hostname_hash("node-1"),
                                         "projectcalico.org/ip-version": "4"}
    aff = ds.ipam_update("BlockAffinity", "node-1/10.96.3.64/26", {"state": "confirmed", "deleted": False},
                         aff["revision"])
    assert ds.ipam_get("BlockAffinity", "node-1/10.96.3.64/26")["value"] == {"state": "confirmed", "deleted": False}
    ds.ipam_create("BlockAffinity", "node-2/fd00:10:96::/122", {"state": "confirmed", "deleted": False})
    assert [a["name"] for a in ds.ipam_list("BlockAffinity", node="node-1")] == ["node-1/10.96.3.64/26"]
    assert len(ds.ipam_list("BlockAffinity")) == 2
    assert _cr(kube, "blockaffinities", "node-2-fd00-10-96---122")["metadata"]["labels"][
        "projectcalico.org/ip-version"] == "6"

    handle = ds.ipam_create("IPAMHandle", "k8s-pod-network.ABCdef", {"block": {"10.96.3.64/26": 1}, "deleted": False})
    assert handle["name"] == "k8s-pod-network.ABCdef"
    hcr = _cr(kube, "ipamhandles", "k8s-pod-network.abcdef")
    assert hcr["spec"] == {"handleID": "k8s-pod-network.ABCdef", "block": {"10.96.3.64/26": 1}, "deleted": False}
    assert ds.ipam_get("IPAMHandle", "k8s-pod-network.ABCdef")["value"] == {"block": {"10.96.3.64/26": 1},
                                                                            "deleted": False}
    assert [h["name"] for h in ds.ipam_list("IPAMHandle")] == ["k8s-pod-network.ABCdef"]

    cfg = ds.ipam_create("IPAMConfig", "default", {"strict_affinity": True, "maxBlocksPerHost": 4})
    assert _cr(kube, "ipamconfigs", "default")["spec"] == {"strictAffinity": True, "autoAllocateBlocks": False,
                                                           "maxBlocksPerHost": 4}
    assert cfg["value"] == {"strict_affinity": True, "maxBlocksPerHost": 4}

    # guarded writes
    with pytest.raises(ConflictError):
        ds.ipam_update("IPAMHandle", "k8s-pod-network.ABCdef", {"block": {}, "deleted": False}, "1")
    with pytest.raises(ConflictError):
        ds.ipam_delete("IPAMBlock", "10.96.3.64/26", "1")
    with pytest.raises(AlreadyExistsError):
        ds.ipam_create("IPAMBlock", "10.96.3.64/26", v4)
    ds.ipam_delete("IPAMBlock", "10.96.3.64/26", block["revision"])
    ds.ipam_delete("BlockAffinity", "node-1/10.96.3.64/26", aff["revision"])
    ds.ipam_delete("IPAMHandle", "k8s-pod-network.ABCdef", handle["revision"])
    assert ds.ipam_get("IPAMBlock", "10.96.3.64/26") is None
    assert ds.ipam_get("BlockAffinity", "node-1/10.96.3.64/26") is None
    assert ds.ipam_get("IPAMHandle", "k8s-pod-network.ABCdef") is None
    with pytest.raises(NotFoundError):
        ds.ipam_delete("IPAMHandle", "k8s-pod-network.ABCdef", handle["revision"])
    assert ds.ipam_get("IPAMHost", "node-1") is None         # etcd-only object


def test_marked_deleted_ipam_objects(ds, kube):
    """libcalico-go marks IPAM CRs deleted before deleting them; such objects read as absent."""
    body = kdd.ipam_to_crd("BlockAffinity", "node-3/10.7.0.0/26", {"state": "confirmed", "deleted": True})
    kube.put_object(GV, "blockaffinities", body)
    assert ds.ipam_get("BlockAffinity", "node-3/10.7.0.0/26") is None
    assert ds.ipam_list("BlockAffinity") == []
    fresh = ds.ipam_create("BlockAffinity", "node-3/10.7.0.0/26", {"state": "pending", "deleted": False})
    assert fresh["value"] == {"state": "pending", "deleted": False}
    assert kube.names(GV, "blockaffinities") == ["node-3-10-7-0-0-26"]


def test_long_node_name_affinity():
    node = "n" * 250
    name = kdd.affinity_name(node, "10.0.0.0/26")
    assert len(name) < 253 and name.endswith("-10-0-0-0-26-" + name[-11:])
    assert name.startswith("n" * (252 - len("10-0-0-0-26") - 13) + "-10-0-0-0-26-")


# ---------------------------------------------------------------------------------------------
# Nodes


K8S_NODE = {
    "apiVersion": "v1", "kind": "Node",
    "metadata": {
        "name": "worker-1",
        "labels": {"kubernetes.io/hostname": "worker-1", "kubernetes.io/os": "linux"},
        "annotations": {
            "projectcalico.org/IPv4Address": "198.18.0.11/24",
            "projectcalico.org/IPv4IPIPTunnelAddr": "10.244.7.0",
            "projectcalico.org/ASNumber": "64512",
            "projectcalico.org/RouteReflectorClusterID": "224.0.0.1",
            "projectcalico.org/IPv4VXLANTunnelAddr": "not-an-ip",
            "projectcalico.org/WireguardPublicKey": "jlkVyQYooZYzI2wFfNhSZez5eWh44yfq1wKVjLvSXgY=",
            "projectcalico.org/labels": '{"calico-only":"yes"}',
            "node.alpha.kubernetes.io/ttl": "0",
        },
    },
    "spec": {"podCIDR": "10.244.7.0/24", "podCIDRs": ["10.244.7.0/24"]},
    "status": {"addresses": [{"type": "InternalIP", "address": "198.18.0.11"},
                             {"type": "Hostname", "address": "worker-1"}]},
}


def test_node_from_kubernetes_node(ds, kube):
    stored = kube.put_object("v1", "nodes", json.loads(json.dumps(K8S_NODE)))
    node = ds.get("Node", "worker-1")
    assert node == {
        "kind": "Node", "apiVersion": "projectcalico.org/v3",
        "metadata": {
            "name": "worker-1", "uid": stored["metadata"]["uid"],
            "creationTimestamp": stored["metadata"]["creationTimestamp"],
            "labels": {"calico-only": "yes", "kubernetes.io/hostname": "worker-1", "kubernetes.io/os": "linux"},
            "annotations": {"projectcalico.org/kube-labels":
                            '{"kubernetes.io/hostname":"worker-1","kubernetes.io/os":"linux"}'},
            "resourceVersion": stored["metadata"]["resourceVersion"],
        },
        "spec": {
            "bgp": {"asNumber": 64512, "ipv4Address": "198.18.0.11/24", "ipv4IPIPTunnelAddr": "10.244.7.0",
                    "routeReflectorClusterID": "224.0.0.1"},
            "orchRefs": [{"nodeName": "worker-1", "orchestrator": "k8s"}],
            "addresses": [{"address": "198.18.0.11/24", "type": "CalicoNodeIP"},
                          {"address": "198.18.0.11", "type": "InternalIP"}],
        },
        "status": {"wireguardPublicKey": "jlkVyQYooZYzI2wFfNhSZez5eWh44yfq1wKVjLvSXgY=",
                   "podCIDRs": ["10.244.7.0/24"]},
    }
    assert [n["metadata"]["name"] for n in ds.list("Node")] == ["worker-1"]


def test_node_update_patches_only_calico_annotations(ds, kube):
    kube.put_object("v1", "nodes", json.loads(json.dumps(K8S_NODE)))
    node = ds.get("Node", "worker-1")
    node["spec"]["bgp"]["routeReflectorClusterID"] = "224.0.0.2"
    node["spec"]["bgp"].pop("ipv4IPIPTunnelAddr")
    node["metadata"]["labels"]["route-reflector"] = "true"
    after = ds.update(node)
    k8s = kube.get_object("v1", "nodes", "worker-1")
    ann = k8s["metadata"]["annotations"]
    assert ann["projectcalico.org/RouteReflectorClusterID"] == "224.0.0.2"
    assert "projectcalico.org/IPv4IPIPTunnelAddr" not in ann
    assert json.loads(ann["projectcalico.org/labels"]) == {"calico-only": "yes", "route-reflector": "true"}
    assert ann["node.alpha.kubernetes.io/ttl"] == "0"                      # not Calico's: untouched
    assert k8s["metadata"]["labels"] == K8S_NODE["metadata"]["labels"]     # Kubernetes labels never written
    assert k8s["spec"] == K8S_NODE["spec"]
    assert after["metadata"]["labels"]["route-reflector"] == "true"
    assert after["spec"]["bgp"]["routeReflectorClusterID"] == "224.0.0.2"
    assert any(m == "PATCH" and p.startswith("/api/v1/nodes/worker-1/status") for m, p in kube.requests)
    with pytest.raises(ConflictError):
        ds.update(node)                                                    # node's revision is stale now


# ---------------------------------------------------------------------------------------------
# transport: retries, lost answers, errors


def test_retries_429_and_503(ds, kube, logs):
    ds.create(model.new_resource("IPPool", "p", {"cidr": "10.6.0.0/16"}))
    kube.inject("GET", "/ippools/p", 429, count=2, retry_after=0)
    kube.inject("GET", "/ippools/p", 503, count=1)
    assert ds.get("IPPool", "p")["spec"]["cidr"] == "10.6.0.0/16"
    assert len([line for line in logs if "attempt" in line]) == 3


def test_persistent_5xx_is_unavailable(ds, kube):
    kube.inject("GET", "/ippools", 503, count=10)
    with pytest.raises(DatastoreUnavailable) as err:
        ds.list("IPPool")
    assert "503" in str(err.value) and "kubeconfig" in str(err.value)


def test_lost_answers_are_resolved_by_reading_back(ds, kube, logs):
    kube.inject("POST", "/ippools", drop_after_apply=True)
    created = ds.create(model.new_resource("IPPool", "lost", {"cidr": "10.8.0.0/16"}))
    assert kube.names(GV, "ippools") == ["lost"]
    assert created["spec"]["cidr"] == "10.8.0.0/16"

    kube.inject("PUT", "/ippools/lost", drop_after_apply=True)
    created["spec"]["natOutgoing"] = True
    updated = ds.update(created)
    assert updated["spec"]["natOutgoing"] is True

    kube.inject("DELETE", "/ippools/lost", drop_after_apply=True)
    ds.delete("IPPool", "lost", updated["metadata"]["resourceVersion"])
    assert kube.names(GV, "ippools") == []
    assert sum("read-back shows it applied" in line for line in logs) == 3


def test_server_down_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(kdd_api.KubeAPI, "BACKOFF", 0.01)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = FakeKubeAPI()
    srv.port = port                                              # never started: nothing listens there
    ds = connect({"datastore_type": "kubernetes", "kubeconfig": srv.kubeconfig(tmp_path / "kc"),
                  "datastore_timeout": 2.0})
    with pytest.raises(DatastoreUnavailable) as err:
        ds.get("IPPool", "p")
    msg = str(err.value)
    assert f"127.0.0.1:{port}" in msg and "after 4 tries" in msg and "kubeconfig" in msg


def test_unauthorized_and_forbidden(tmp_path, monkeypatch):
    srv = FakeKubeAPI(token="right").start()
    try:
        bad = connect({"datastore_type": "kubernetes", "kubeconfig": srv.kubeconfig(tmp_path / "bad", token="wrong")})
        with pytest.raises(DatastoreError) as err:
            bad.get("IPPool", "p")
        assert "401" in str(err.value) and "token or client certificate" in str(err.value)

        good = connect({"datastore_type": "kubernetes", "kubeconfig": srv.kubeconfig(tmp_path / "good")})
        srv.forbidden.add(("list", "ippools"))
        with pytest.raises(DatastoreError) as err:
            good.list("IPPool")
        assert "forbidden" in str(err.value) and "RBAC" in str(err.value)
        assert good.get("IPPool", "p") is None
    finally:
        srv.stop()


def test_tls_verification_failure(tmp_path):
    server_pki = make_pki(tmp_path / "server", "server-ca")
    other_pki = make_pki(tmp_path / "other", "other-ca")
    srv = FakeKubeAPI(tls={"cert": server_pki["cert"], "key": server_pki["key"]}).start()
    try:
        wrong = connect({"datastore_type": "kubernetes", "datastore_timeout": 3.0,
                         "kubeconfig": srv.kubeconfig(tmp_path / "wrong", ca_file=other_pki["ca"])})
        with pytest.raises(DatastoreTLSError) as err:
            wrong.get("IPPool", "p")
        assert "certificate-authority" in str(err.value)
        right = connect({"datastore_type": "kubernetes",
                         "kubeconfig": srv.kubeconfig(tmp_path / "right", ca_file=server_pki["ca"])})
        assert right.get("IPPool", "p") is None
    finally:
        srv.stop()


def test_crd_not_installed(ds, kube):
    saved = kube.resources.pop((GV, "bgpfilters"))
    try:
        assert ds.list("BGPFilter") == []
        with pytest.raises(DatastoreError) as err:
            ds.create(model.new_resource("BGPFilter", "f", {}))
        assert "Install Calico" in str(err.value)
    finally:
        kube.resources[(GV, "bgpfilters")] = saved


def test_missing_kubeconfig(tmp_path):
    with pytest.raises(DatastoreError) as err:
        connect({"datastore_type": "kubernetes", "kubeconfig": str(tmp_path / "nope")})
    assert "does not exist" in str(err.value) and "KUBECONFIG" in str(err.value)


def test_snapshot_uses_etcd_layout(ds, kube):
    ds.create(model.new_resource("IPPool", "snap", {"cidr": "10.10.0.0/16"}))
    ds.ipam_create("IPAMHandle", "h1", {"block": {}, "deleted": False})
    keys = {k: raw for k, raw, _x in ds.snapshot()}
    assert "/calico/resources/v3/projectcalico.org/ippools/snap" in keys
    assert keys["/calico/ipam/v2/handle/h1"] == b'{"block":{},"deleted":false}'
    item = ds.raw_get("/calico/resources/v3/projectcalico.org/ippools/snap")
    assert item.value["spec"]["cidr"] == "10.10.0.0/16"


# ---------------------------------------------------------------------------------------------
# the etcd key view: what calico_decommission plans and writes on


def _block(cidr: str, node: str) -> dict:
    return {"cidr": cidr, "affinity": f"host:{node}", "allocations": [None] * 64, "unallocated": list(range(64)),
            "attributes": None, "sequenceNumber": 1, "sequenceNumberForAllocation": {}, "deleted": False}


def test_key_view_reads_the_same_with_gets_and_with_one_list(ds, kube, monkeypatch):
    cidrs = [f"198.19.{i}.0/26" for i in range(6)]
    for c in cidrs:
        ds.ipam_create("IPAMBlock", c, _block(c, "n1"))
        ds.ipam_create("BlockAffinity", f"n1/{c}", {"state": "confirmed", "deleted": False})
    keys = [model.block_key(c) for c in cidrs] + [model.block_key("198.19.99.0/26"), "/calico/felix/v2/x"]
    by_get = ds.read_keys(keys)
    kube.requests.clear()
    monkeypatch.setattr(type(ds), "BULK_READ", 2)
    by_list = ds.read_keys(keys)
    assert [p for _m, p in kube.requests if "ipamblocks" in p] == [
        f"/apis/{GV}/ipamblocks?limit={kdd.PAGE_SIZE}"]                    # one list instead of six GETs
    assert {k: (i.raw, i.revision) if i else None for k, i in by_get.items()} == \
        {k: (i.raw, i.revision) if i else None for k, i in by_list.items()}
    assert by_get[model.block_key("198.19.99.0/26")] is None and by_get["/calico/felix/v2/x"] is None
    # prefixes: each kind listed once, items under each prefix; WorkloadEndpoints (pods) have none
    got = ds.read_prefixes(["/calico/ipam/v2/host/n1/", "/calico/ipam/v2/host/n2/",
                            model.resource_prefix("WorkloadEndpoint")])
    assert len(got["/calico/ipam/v2/host/n1/"]) == 6 and got["/calico/ipam/v2/host/n2/"] == []
    assert got[model.resource_prefix("WorkloadEndpoint")] == []


def test_commit_is_guarded_write_by_write(ds, kube):
    from ansible_collections.netops.calico.plugins.module_utils._datastore.etcd import Write
    a, b = "198.19.0.0/26", "198.19.0.64/26"
    for c in (a, b):
        ds.ipam_create("IPAMBlock", c, _block(c, "n1"))
    ka, kb = model.block_key(a), model.block_key(b)
    cur = ds.read_keys([ka, kb])
    new_a = dict(cur[ka].value, sequenceNumber=2)
    done = ds.commit([Write(ka, cur[ka].rev, model.serialise("IPAMBlock", new_a).encode()),
                      Write(kb, cur[kb].rev, None)])
    assert done.ok and set(done.revisions) == {ka, kb}
    assert done.revisions[ka] == _cr(kube, "ipamblocks", "198-19-0-0-26")["metadata"]["resourceVersion"]
    assert _cr(kube, "ipamblocks", "198-19-0-64-26") is None
    # a stale revision on the second write: the first stands, the answer carries both as they are now
    ds.ipam_create("IPAMBlock", b, _block(b, "n1"))
    cur = ds.read_keys([ka, kb])
    ds.ipam_update("IPAMBlock", b, dict(cur[kb].value, sequenceNumber=5), cur[kb].revision)
    done = ds.commit([Write(ka, cur[ka].rev, None), Write(kb, cur[kb].rev, None)])
    assert not done.ok and list(done.revisions) == [ka]
    assert done.current[ka] is None and done.current[kb].value["sequenceNumber"] == 5
    # a Node key deletes the Kubernetes Node, guarded; other v3 writes through keys are refused
    node = kube.put_object("v1", "nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "w1"}})
    nkey = model.resource_key("Node", "w1")
    assert not ds.commit([Write(nkey, "1", None)]).ok and kube.names("v1", "nodes") == ["w1"]
    assert ds.commit([Write(nkey, node["metadata"]["resourceVersion"], None)]).ok
    assert kube.names("v1", "nodes") == []
    with pytest.raises(DatastoreError, match="nothing was written"):
        ds.commit([Write(model.resource_key("IPPool", "p"), 0, b"{}")])
    with pytest.raises(DatastoreError, match="kubectl delete node"):
        ds.delete("Node", "w1", "1")
