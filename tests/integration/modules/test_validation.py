"""Issue 10, the generic part, on a real etcd: what Calico's validator (or Go's decoder) refuses is
refused with the option and field named and the etcd revision unchanged; what Calico accepts is
stored as the bytes Go's encoding/json writes (goldens written by hand from the Go source:
api/pkg/lib/numorstring/port.go MarshalJSON, encoding/json's sorted map keys, the struct field
order of api/pkg/apis/projectcalico/v3/felixconfig.go); a bad value never gives a traceback."""

from __future__ import annotations

import json

import pytest

from ansible_collections.netops.calico.plugins.module_utils._datastore import model
from ansible_collections.netops.calico.plugins.module_utils._datastore.connection import connect
from ansible_collections.netops.calico.plugins.module_utils._datastore.dryrun import DryRun
from ansible_collections.netops.calico.plugins.module_utils._datastore.errors import ValidationError
from ansible_collections.netops.calico.plugins.module_utils._datastore.etcd import EtcdKV

P = "/calico/resources/v3/projectcalico.org/"


def revision(etcd) -> int:
    return EtcdKV(etcd.endpoint).revision()


def refused(run_module, etcd, raw, module, args, *named, check=False):
    """Run ``module``; it must fail naming each of ``named``, write nothing, report no change."""
    before = revision(etcd)
    r = run_module(module, {"etcd_endpoints": etcd.endpoint, **args}, check=check)
    assert r.failed, r
    assert not r.get("changed"), r
    assert "Traceback" not in r.get("msg", "") and "exception" not in r, r
    for n in named:
        assert n in r["msg"], (n, r["msg"])
    assert revision(etcd) == before, "something was written"
    assert raw.keys() == []
    return r


GO_TYPES = [
    ("calico_bgp_config", {"as_number": 4294967296}, ("as_number", "spec.asNumber", "0..4294967295")),
    ("calico_bgp_config", {"listen_port": 70000}, ("listen_port", "spec.listenPort", "1..65535")),
    ("calico_felix_config", {"ipip_mtu": 1e20}, ("ipip_mtu",)),
    ("calico_felix_config", {"vxlan_vni": -1}, ("vxlan_vni", "spec.vxlanVNI", "0..16777215")),
    ("calico_felix_config", {"failsafe_inbound_host_ports": [{"protocol": "TCP", "port": 99999}]},
     ("failsafe_inbound_host_ports", "spec.failsafeInboundHostPorts[0].port", "0..65535")),
    ("calico_felix_config", {"route_refresh_interval": "soon"},
     ("route_refresh_interval", "spec.routeRefreshInterval", "invalid duration")),
    ("calico_felix_config", {"nat_port_range": "99999"}, ("nat_port_range", "spec.natPortRange")),
    ("calico_felix_config", {"bpf_log_filters": {"all": 5}}, ("bpf_log_filters", "spec.bpfLogFilters.all")),
    ("calico_bgp_peer", {"name": "tor", "peer_ip": "198.18.0.1", "as_number": 64512, "ttl_security": 999},
     ("ttl_security", "spec.ttlSecurity", "0..255")),
    ("calico_bgp_peer", {"name": "tor", "peer_ip": "198.18.0.1", "as_number": 64512, "labels": {"rack": 1}},
     ("labels.rack", "not a string")),
    ("calico_ippool", {"name": "pool", "cidr": "198.18.0.0/16", "labels": {"rack": 1}}, ("labels.rack",)),
]


@pytest.mark.parametrize("module,args,named", GO_TYPES, ids=lambda x: str(x)[:50])
@pytest.mark.parametrize("check", [False, True], ids=["run", "check"])
def test_go_types_refused(module, args, named, check, etcd, raw, run_module):
    refused(run_module, etcd, raw, module, args, *named, check=check)


@pytest.mark.parametrize("name", ["a/../B", "Bad_Name", "peer/x", ""])
@pytest.mark.parametrize("check", [False, True], ids=["run", "check"])
def test_bad_names_refused(name, check, etcd, raw, run_module):
    args = {"name": name, "peer_ip": "198.18.0.1", "as_number": 64512}
    refused(run_module, etcd, raw, "calico_bgp_peer", args, "name", check=check)
    refused(run_module, etcd, raw, "calico_ippool", {"name": name, "cidr": "198.18.0.0/16"}, "metadata.name",
            check=check)


@pytest.mark.parametrize("name", ["", "Bad_Name", "peer/x"])
def test_bad_name_with_state_absent_is_refused(name, etcd, raw, run_module):
    raw.put(P + "bgppeers/peer", {"kind": "BGPPeer", "metadata": {"name": "peer"}, "spec": {}})
    before = revision(etcd)
    r = run_module("calico_bgp_peer", {"etcd_endpoints": etcd.endpoint, "name": name, "state": "absent"})
    assert r.failed and "metadata.name" in r["msg"] and not r.get("changed"), r
    assert revision(etcd) == before and raw.keys() == [P + "bgppeers/peer"]


def test_ippool_create_without_cidr_fails_cleanly(etcd, raw, run_module):
    r = refused(run_module, etcd, raw, "calico_ippool", {"name": "pool", "nat_outgoing": True}, "cidr")
    assert "CIDR must be specified" in r["msg"] or "cidr:" in r["msg"]


@pytest.mark.parametrize("timeout", [-1, 0, float("nan"), float("inf")])
def test_bad_datastore_timeout_fails_cleanly(timeout, etcd, raw, run_module):
    refused(run_module, etcd, raw, "calico_bgp_config", {"as_number": 64512, "datastore_timeout": timeout},
            "datastore_timeout")


# ---------------------------------------------------------------------------------------------
# the datastore client's guard: a writer that does not go through ensure_resource is refused too


@pytest.mark.parametrize("dry", [False, True], ids=["etcd", "dryrun"])
def test_guard_in_the_client(dry, etcd, raw):
    ds = connect({"etcd_endpoints": etcd.endpoint})
    ds = DryRun(ds) if dry else ds
    before = revision(etcd)
    bad = model.new_resource("BGPConfiguration", "default", {"asNumber": 1 << 32, "listenPort": 70000})
    with pytest.raises(ValidationError) as exc:
        ds.create(bad)
    assert [e.split(":")[1].strip() for e in exc.value.errors] == ["spec.asNumber", "spec.listenPort"]
    with pytest.raises(ValidationError):
        ds.create(model.new_resource("Node", "Bad_Node", {}))
    with pytest.raises(ValidationError):
        ds.delete("IPPool", "", "1")
    ok = ds.create(model.new_resource("BGPConfiguration", "default", {"asNumber": 64512}))
    ok["spec"]["asNumber"] = -5
    with pytest.raises(ValidationError):
        ds.update(ok)
    assert revision(etcd) == before + (0 if dry else 1)


# ---------------------------------------------------------------------------------------------
# bytes


def _fixed(stored: bytes) -> bytes:
    """The stored bytes with the fresh uid and creationTimestamp replaced by fixed markers."""
    obj = json.loads(stored)
    text = stored.decode()
    return (text.replace(obj["metadata"]["uid"], "UID")
            .replace(obj["metadata"]["creationTimestamp"], "TS")).encode()


def test_felix_ports_and_maps_stored_as_go_writes_them(etcd, raw, run_module):
    args = {"etcd_endpoints": etcd.endpoint, "name": "default", "nat_port_range": "8080",
            "kube_node_port_ranges": ["30000:32767", "8080", "0100:0200", "9000:9000"],
            "bpf_log_filters": {"zeta": "tcp", "alpha": "udp", "Mid": "icmp"},
            "labels": {"zone": "b", "app": "x", "Zeta": "y"}}
    r = run_module("calico_felix_config", args)
    assert r["changed"] and not r.failed, r
    # written by hand: felixconfig.go field order (kubeNodePortRanges, natPortRange, ..., bpfLogLevel,
    # bpfLogFilters, ..., floatingIPs last but one group), port.go MarshalJSON (a single port is a
    # number, a range "min:max" with the numbers re-printed, min==max a number), maps sorted
    golden = (b'{"kind":"FelixConfiguration","apiVersion":"projectcalico.org/v3","metadata":{"name":"default",'
              b'"uid":"UID","creationTimestamp":"TS","labels":{"Zeta":"y","app":"x","zone":"b"}},'
              b'"spec":{"kubeNodePortRanges":["30000:32767",8080,"100:200",9000],"natPortRange":8080,'
              b'"bpfLogLevel":"","bpfLogFilters":{"Mid":"icmp","alpha":"udp","zeta":"tcp"},'
              b'"bpfConnectTimeLoadBalancing":"TCP","bpfHostNetworkedNATWithoutCTLB":"Enabled",'
              b'"floatingIPs":"Disabled"}}')
    assert _fixed(raw.bytes(P + "felixconfigurations/default")) == golden
    # the same input again is no change (the user's "8080" compares equal to the stored 8080)
    assert run_module("calico_felix_config", args)["changed"] is False


def test_resource_labels_sorted(etcd, raw, run_module):
    args = {"etcd_endpoints": etcd.endpoint, "name": "tor", "peer_ip": "198.18.0.1", "as_number": 64512,
            "labels": {"b": "2", "a": "1", "B": "3", "a.b/c": "4"}}
    assert run_module("calico_bgp_peer", args)["changed"]
    golden = (b'{"kind":"BGPPeer","apiVersion":"projectcalico.org/v3","metadata":{"name":"tor","uid":"UID",'
              b'"creationTimestamp":"TS","labels":{"B":"3","a":"1","a.b/c":"4","b":"2"}},'
              b'"spec":{"peerIP":"198.18.0.1","asNumber":64512}}')
    assert _fixed(raw.bytes(P + "bgppeers/tor")) == golden


# ---------------------------------------------------------------------------------------------
# calico_info reads around values it cannot read, like libcalico-go's list


def test_info_skips_unreadable_values(etcd, raw, run_module):
    raw.put(P + "ippools/good", {"kind": "IPPool", "apiVersion": "projectcalico.org/v3",
                                 "metadata": {"name": "good"}, "spec": {"cidr": "198.18.0.0/16"}})
    raw.put(P + "ippools/notjson", "{not json")
    raw.put(P + "ippools/strspec", {"kind": "IPPool", "metadata": {"name": "strspec"}, "spec": "oops"})
    raw.put(P + "bgppeers/list", [1, 2])
    raw.put("/calico/ipam/v2/assignment/ipv4/block/198.18.0.0-26", "garbage")
    r = run_module("calico_info", {"etcd_endpoints": etcd.endpoint})
    assert not r.failed, r
    assert [p["name"] for p in r["ippools"]] == ["good"]
    warnings = json.dumps(r.get("warnings") or [])
    for key in ("ippools/notjson", "ippools/strspec", "bgppeers/list", "198.18.0.0-26"):
        assert key in warnings, (key, warnings)
