"""Issue 10 on the Kubernetes datastore, through the real ``kubernetes`` client and the local
stand-in for the Kubernetes API (``fake_kube_api``; no kube-apiserver can run on this machine):
a bad name never reaches the API (an empty one used to DELETE the collection URL), and IPAM
blocks are written with ``"attributes": []`` as libcalico-go's IPAMBlockV1toV3 writes them
(libcalico-go/lib/backend/k8s/resources/ipam_block.go builds the list from an empty slice)."""

from __future__ import annotations

import pytest

from ansible_collections.netops.calico.plugins.module_utils._datastore.connection import connect
from ansible_collections.netops.calico.plugins.module_utils._datastore.kdd import api as kdd_api

from fake_kube_api import GV, FakeKubeAPI, kube, kube_server  # noqa: F401  # pylint: disable=unused-import

pytestmark = pytest.mark.skipif(not kdd_api.HAS_KUBERNETES, reason="the kubernetes Python client is not installed")


def conn(kube):
    return {"datastore_type": "kubernetes", "kubeconfig": kube.kubeconfig_path}


@pytest.mark.parametrize("name", ["", "Bad_Name", "peer/x", "a/../B"])
@pytest.mark.parametrize("state", ["absent", "present"])
@pytest.mark.parametrize("check", [False, True], ids=["run", "check"])
def test_bad_name_never_reaches_the_api(name, state, check, kube, run_module):
    kube.put_object(GV, "bgppeers", {"apiVersion": GV, "kind": "BGPPeer", "metadata": {"name": "peer"},
                                     "spec": {"peerIP": "198.18.0.1", "asNumber": 64512}})
    n = len(kube.requests)
    args = {**conn(kube), "name": name, "state": state, "peer_ip": "198.18.0.2", "as_number": 64512}
    r = run_module("calico_bgp_peer", args, check=check)
    assert r.failed and not r.get("changed") and "name" in r["msg"], r
    assert kube.requests[n:] == [], "a request was sent for a name Calico refuses"
    assert kube.names(GV, "bgppeers") == ["peer"]


def test_ipam_block_attributes_written_as_empty_list(kube):
    ds = connect({**conn(kube), "datastore_timeout": 5.0})
    value = {"cidr": "198.18.0.0/26", "affinity": "host:node-1", "allocations": [None] * 64,
             "unallocated": list(range(64)), "attributes": None, "sequenceNumber": 0,
             "sequenceNumberForAllocation": None, "deleted": False}
    ds.ipam_create("IPAMBlock", "198.18.0.0/26", value)
    cr = kube.get_object(GV, "ipamblocks", "198-18-0-0-26")
    assert cr["spec"]["attributes"] == []
    # and read back the way IPAMBlockV3toV1 converts it: an empty list, not null
    assert ds.ipam_get("IPAMBlock", "198.18.0.0/26")["value"]["attributes"] == []
