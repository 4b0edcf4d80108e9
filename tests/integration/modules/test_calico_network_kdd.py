"""calico_network on the Kubernetes datastore, side by side with etcd: the same spec run against a real
etcd and against the local stand-in for the Kubernetes API (``fake_kube_api``; no kube-apiserver can
run on this machine) through the real ``kubernetes`` client. After every step the IPPool,
FelixConfiguration and BGPConfiguration CRs (crd.projectcalico.org/v1) hold exactly the spec the etcd
run stored (libcalico-go lib/backend/k8s/resources/resources.go stores the v3 spec unchanged in the
CR), check mode writes nothing and reruns change nothing, through every stage of the IPIP -> VXLAN
migration."""

from __future__ import annotations

import json

import pytest

from fake_kube_api import GV, kube, kube_server  # noqa: F401  # pylint: disable=unused-import
from test_calico_network import BGP, CIDR, FELIX, NODES, POOL, put_node, statuses
from ansible_collections.netops.calico.plugins.module_utils._datastore.connection import connect
from ansible_collections.netops.calico.plugins.module_utils._datastore.kdd import api as kdd_api

pytestmark = pytest.mark.skipif(not kdd_api.HAS_KUBERNETES, reason="the kubernetes Python client is not installed")

CRS = {"ippools": ("default-ipv4-ippool", POOL), "felixconfigurations": ("default", FELIX),
       "bgpconfigurations": ("default", BGP)}


def writes(kube):
    return [(m, p) for m, p in kube.requests if m in ("POST", "PUT", "PATCH", "DELETE")]


def kdd_node(kube, name, ipip=None, vxlan=None):
    """The Kubernetes Node as the kubelet registers it, with the tunnel address calico-node annotates."""
    index = NODES.index(name)
    anns = {"projectcalico.org/IPv4Address": f"198.18.0.{index + 1}/24"}
    if ipip:
        anns["projectcalico.org/IPv4IPIPTunnelAddr"] = ipip
    if vxlan:
        anns["projectcalico.org/IPv4VXLANTunnelAddr"] = vxlan
    ds = connect({"datastore_type": "kubernetes", "kubeconfig": kube.kubeconfig_path})
    node = ds.get("Node", name)
    if node is None:
        kube.put_object("v1", "nodes", {"apiVersion": "v1", "kind": "Node",
                                        "metadata": {"name": name, "annotations": anns}, "spec": {}, "status": {}})
        return
    spec = node["spec"]
    spec.setdefault("bgp", {}).pop("ipv4IPIPTunnelAddr", None)
    spec.pop("ipv4VXLANTunnelAddr", None)
    if ipip:
        spec["bgp"]["ipv4IPIPTunnelAddr"] = ipip
    if vxlan:
        spec["ipv4VXLANTunnelAddr"] = vxlan
    ds.update(node)


def same_objects(raw, kube):
    """Every CR holds the spec etcd holds, with Calico's metadata annotation; returns the specs."""
    out = {}
    for plural, (name, key) in CRS.items():
        cr = kube.get_object(GV, plural, name)
        v3 = raw(key)
        assert (cr is None) == (v3 is None), plural
        if cr is None:
            continue
        assert cr["apiVersion"] == "crd.projectcalico.org/v1" and cr["kind"] == v3["kind"]
        assert cr["spec"] == v3["spec"], plural
        meta = json.loads(cr["metadata"]["annotations"]["projectcalico.org/metadata"])
        assert meta["creationTimestamp"]
        out[plural] = cr["spec"]
    return out


def test_ipip_to_vxlan_on_both_datastores(etcd, raw, kube, run_module):
    on = {"etcd": {"etcd_endpoints": etcd.endpoint},
          "kdd": {"datastore_type": "kubernetes", "kubeconfig": kube.kubeconfig_path}}
    spec = {"ipv4_pool_cidr": CIDR, "host_mtu": 9001, "cloud": "aws"}

    def run(args, check=False):
        """The same arguments on both datastores: the same answer (changed, migration)."""
        res = {k: run_module("calico_network", {**c, **args}, check=check) for k, c in on.items()}
        for r in res.values():
            assert not r.get("failed"), r
        assert res["etcd"]["changed"] == res["kdd"]["changed"]
        assert res["etcd"].get("migration") == res["kdd"].get("migration")
        assert res["etcd"]["diff"] == res["kdd"]["diff"] or not res["etcd"]["changed"]
        return res["kdd"]

    def nodes(**tunnels):
        for n in NODES:
            put_node(raw, n, **tunnels.get(n, {}))
            kdd_node(kube, n, **tunnels.get(n, {}))

    # check mode, apply, rerun
    r = run(spec, check=True)
    assert r["changed"] and writes(kube) == [] and kube.names(GV, "ippools") == []
    r = run(spec)
    assert r["changed"]
    specs = same_objects(raw, kube)
    assert specs["ippools"]["ipipMode"] == "CrossSubnet" and specs["felixconfigurations"]["ipipEnabled"] is True
    nodes(**{n: {"ipip": f"198.19.{i}.1"} for i, n in enumerate(NODES)})
    n_writes = len(writes(kube))
    r = run(spec)
    assert not r["changed"] and len(writes(kube)) == n_writes

    # the migration plan in check mode, then stages 1 + 2
    vx = {**spec, "encapsulation_mode": "vxlan", "migrate": True}
    r = run(vx, check=True)
    assert statuses(r) == ["would run now", "would run now", "waiting", "pending"]
    assert len(writes(kube)) == n_writes
    r = run(vx)
    assert statuses(r) == ["done now", "done now", "waiting", "pending"]
    specs = same_objects(raw, kube)
    assert (specs["ippools"]["ipipMode"], specs["ippools"]["vxlanMode"]) == ("Never", "CrossSubnet")
    assert specs["felixconfigurations"]["ipipEnabled"] is True and specs["felixconfigurations"]["vxlanEnabled"]
    n_writes = len(writes(kube))
    r = run(vx)
    assert not r["changed"] and r["migration"]["nodes_pending"] == list(NODES)
    assert len(writes(kube)) == n_writes

    # calico-node swapped the tunnel addresses: stage 3
    nodes(**{n: {"vxlan": f"198.19.{i}.65"} for i, n in enumerate(NODES)})
    n_writes = len(writes(kube))
    r = run(vx, check=True)
    assert statuses(r) == ["done", "done", "would run now", "apply node_settings on every host"]
    assert len(writes(kube)) == n_writes
    r = run(vx)
    assert r["migration"]["complete"] is True
    specs = same_objects(raw, kube)
    assert specs["felixconfigurations"]["ipipEnabled"] is False and specs["felixconfigurations"]["vxlanEnabled"]
    n_writes = len(writes(kube))
    r = run({**spec, "encapsulation_mode": "vxlan"})
    assert not r["changed"] and len(writes(kube)) == n_writes
