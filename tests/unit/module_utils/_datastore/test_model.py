"""Keys and JSON as libcalico-go writes them (reference: ../shared/reference/etcd-layout.md)."""

from __future__ import annotations

import json

import pytest

from ansible_collections.netops.calico.plugins.module_utils._datastore import model
from ansible_collections.netops.calico.plugins.module_utils._datastore.etcd import parse_endpoints, prefix_end
from ansible_collections.netops.calico.plugins.module_utils._datastore.errors import DatastoreError
from ansible_collections.netops.calico.plugins.module_utils._resource.ensure import snake


@pytest.mark.parametrize("fn,args,key", [
    (model.resource_key, ("Node", "node-1"), "/calico/resources/v3/projectcalico.org/nodes/node-1"),
    (model.resource_key, ("FelixConfiguration", "node.node-1"),
     "/calico/resources/v3/projectcalico.org/felixconfigurations/node.node-1"),
    (model.resource_key, ("WorkloadEndpoint", "n1-k8s-p-eth0", "default"),
     "/calico/resources/v3/projectcalico.org/workloadendpoints/default/n1-k8s-p-eth0"),
    (model.block_key, ("192.168.84.128/26",), "/calico/ipam/v2/assignment/ipv4/block/192.168.84.128-26"),
    (model.block_key, ("192.168.84.130/26",), "/calico/ipam/v2/assignment/ipv4/block/192.168.84.128-26"),
    (model.block_key, ("fd00:1::40/122",), "/calico/ipam/v2/assignment/ipv6/block/fd00:1::40-122"),
    (model.affinity_key, ("node-1", "192.168.84.128/26"), "/calico/ipam/v2/host/node-1/ipv4/block/192.168.84.128-26"),
    (model.handle_key, ("ipip-tunnel-addr-node-1",), "/calico/ipam/v2/handle/ipip-tunnel-addr-node-1"),
    (model.ipam_host_key, ("node-1",), "/calico/ipam/v2/host/node-1"),
])
def test_keys(fn, args, key):
    assert fn(*args) == key


@pytest.mark.parametrize("key,parsed", [
    ("/calico/resources/v3/projectcalico.org/nodes/node-1", ("Node", "node-1", None)),
    ("/calico/resources/v3/projectcalico.org/workloadendpoints/ns/n-k8s-p-eth0", ("WorkloadEndpoint", "n-k8s-p-eth0", "ns")),
    ("/calico/ipam/v2/assignment/ipv6/block/fd00:1::40-122", ("IPAMBlock", "fd00:1::40/122", None)),
    ("/calico/ipam/v2/host/node-1/ipv4/block/10.0.0.0-26", ("BlockAffinity", "node-1/10.0.0.0/26", None)),
    ("/calico/ipam/v2/host/node-1", ("IPAMHost", "node-1", None)),
    ("/calico/ipam/v2/handle/k8s-pod-network.abc", ("IPAMHandle", "k8s-pod-network.abc", None)),
    ("/calico/ipam/v2/config", ("IPAMConfig", "default", None)),
    ("/calico/felix/v2/no-region/host/n/status", None),
])
def test_parse_key(key, parsed):
    assert model.parse_key(key) == parsed


def test_go_json_escapes_like_encoding_json():
    assert model.go_json({"s": "has(a) && b < 3 > 1"}) == '{"s":"has(a) \\u0026\\u0026 b \\u003c 3 \\u003e 1"}'
    assert model.go_json({"a": [1, None, True]}) == '{"a":[1,null,true]}'


def test_reference_ippool_round_trips_byte_exact():
    ref = ('{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"default-ipv4-ippool",'
           '"uid":"e6b2a7c4-1f3d-4e8a-9b0c-7d6e5f4a3b21","creationTimestamp":"2025-05-01T10:00:00Z"},'
           '"spec":{"cidr":"192.168.0.0/16","vxlanMode":"Never","ipipMode":"Always","natOutgoing":true,'
           '"blockSize":26,"nodeSelector":"all()","allowedUses":["Workload","Tunnel"],"assignmentMode":"Automatic"}}')
    obj = json.loads(ref)
    # shuffle the spec's order and add a resourceVersion: serialise restores Go's form
    obj["spec"] = dict(reversed(list(obj["spec"].items())))
    obj["metadata"]["resourceVersion"] = "42"
    assert model.serialise("IPPool", obj) == ref


def test_reference_node_keeps_empty_status():
    ref = ('{"kind":"Node","apiVersion":"projectcalico.org/v3","metadata":{"name":"rr-1",'
           '"uid":"0b8f3e11-7d2a-4b6e-a1c9-3e5f7a9b1c2d","creationTimestamp":"2025-05-01T10:00:00Z",'
           '"labels":{"route-reflector":"true"}},"spec":{"bgp":{"asNumber":64512,"ipv4Address":"10.0.0.5/24",'
           '"routeReflectorClusterID":"244.0.0.1"},"orchRefs":[{"nodeName":"rr-1","orchestrator":"k8s"}]},"status":{}}')
    obj = json.loads(ref)
    del obj["status"]
    assert model.serialise("Node", obj) == ref


def test_reference_felix_keeps_bpfloglevel():
    ref = ('{"kind":"FelixConfiguration","apiVersion":"projectcalico.org/v3","metadata":{"name":"default",'
           '"uid":"5c7e9a1b-3d5f-4b7d-9f1a-2b4c6d8e0f13","creationTimestamp":"2025-05-01T10:00:00Z"},'
           '"spec":{"logSeverityScreen":"Info","reportingInterval":"0s","bpfLogLevel":""}}')
    assert model.serialise("FelixConfiguration", json.loads(ref)) == ref


def test_new_resource_sets_uid_and_timestamp():
    r = model.new_resource("BGPPeer", "p", {"peerIP": "198.18.0.1", "asNumber": 64512})
    assert len(r["metadata"]["uid"]) == 36 and r["metadata"]["creationTimestamp"].endswith("Z")
    assert list(r) == ["kind", "apiVersion", "metadata", "spec"]


@pytest.mark.parametrize("raw,out", [
    ("http://127.0.0.1:2379", [("http", "127.0.0.1", 2379)]),
    ("https://a:1,https://b:2", [("https", "a", 1), ("https", "b", 2)]),
    ("10.0.0.1", [("http", "10.0.0.1", 2379)]),
])
def test_parse_endpoints(raw, out):
    assert parse_endpoints(raw) == out


@pytest.mark.parametrize("bad", ["", "ftp://x:1", "http://:1", "http://a:notaport"])
def test_parse_endpoints_refuses(bad):
    with pytest.raises(DatastoreError):
        parse_endpoints(bad)


def test_prefix_end():
    assert prefix_end("/calico/") == "/calico0"


@pytest.mark.parametrize("camel,snake_", [
    ("ipipMode", "ipip_mode"), ("disableBGPExport", "disable_bgp_export"), ("blockSize", "block_size"),
    ("nodeToNodeMeshEnabled", "node_to_node_mesh_enabled"), ("peerIP", "peer_ip"),
    ("interfaceIPv4Address", "interface_ipv4_address"), ("wireguardMTUV6", "wireguard_mtu_v6"),
    ("vxlanVNI", "vxlan_vni"), ("bpfLogLevel", "bpf_log_level"), ("ipv6Support", "ipv6_support"),
])
def test_snake(camel, snake_):
    assert snake(camel) == snake_
