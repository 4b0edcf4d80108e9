"""calico_ippool against a real etcd: the full rhythm, with the raw key and JSON checked after
each write, and bad input refused with nothing written."""

from __future__ import annotations

KEY = "/calico/resources/v3/projectcalico.org/ippools/pool-a"


def conn(etcd):
    return {"etcd_endpoints": etcd.endpoint}


def test_ippool_rhythm(etcd, raw, run_module):
    args = {**conn(etcd), "name": "pool-a", "cidr": "198.19.0.0/16", "ipip_mode": "CrossSubnet",
            "nat_outgoing": True}

    r = run_module("calico_ippool", args, check=True)
    assert r["changed"] is True and not r.get("failed")
    assert r["diff"][0]["before"] == {} and r["diff"][0]["after"]["spec"]["cidr"] == "198.19.0.0/16"
    assert raw.keys() == [], "check mode wrote something"

    r = run_module("calico_ippool", args)
    assert r["changed"] is True
    stored = raw(KEY)
    assert list(stored) == ["kind", "apiVersion", "metadata", "spec"]
    assert stored["kind"] == "IPPool" and stored["apiVersion"] == "projectcalico.org/v3"
    assert stored["metadata"]["name"] == "pool-a"
    assert stored["metadata"]["uid"] and stored["metadata"]["creationTimestamp"].endswith("Z")
    assert "resourceVersion" not in stored["metadata"]
    # clientv3's defaults, in the Go struct's field order
    assert stored["spec"] == {"cidr": "198.19.0.0/16", "vxlanMode": "Never", "ipipMode": "CrossSubnet",
                              "natOutgoing": True, "blockSize": 26, "nodeSelector": "all()",
                              "allowedUses": ["Workload", "Tunnel"], "assignmentMode": "Automatic"}
    assert list(stored["spec"]) == ["cidr", "vxlanMode", "ipipMode", "natOutgoing", "blockSize", "nodeSelector",
                                    "allowedUses", "assignmentMode"]
    rev = raw.item(KEY).revision
    assert r["ippool"]["metadata"]["resourceVersion"] == rev
    before_bytes = raw.bytes(KEY)

    r = run_module("calico_ippool", args, check=True)
    assert r["changed"] is False
    r = run_module("calico_ippool", args)
    assert r["changed"] is False
    assert raw.bytes(KEY) == before_bytes and raw.item(KEY).revision == rev

    mod = {**args, "ipip_mode": "Never", "vxlan_mode": "Always"}
    r = run_module("calico_ippool", mod, check=True)
    assert r["changed"] is True
    assert r["diff"][0]["before"]["spec"]["ipipMode"] == "CrossSubnet"
    assert r["diff"][0]["after"]["spec"]["ipipMode"] == "Never"
    assert r["diff"][0]["after"]["spec"]["vxlanMode"] == "Always"
    assert raw.bytes(KEY) == before_bytes
    r = run_module("calico_ippool", mod)
    assert r["changed"] is True
    stored2 = raw(KEY)
    assert stored2["spec"]["ipipMode"] == "Never" and stored2["spec"]["vxlanMode"] == "Always"
    assert stored2["metadata"]["uid"] == stored["metadata"]["uid"]
    assert int(raw.item(KEY).revision) > int(rev)

    r = run_module("calico_ippool", {**conn(etcd), "name": "pool-a", "state": "absent"}, check=True)
    assert r["changed"] is True and raw(KEY) is not None
    r = run_module("calico_ippool", {**conn(etcd), "name": "pool-a", "state": "absent"})
    assert r["changed"] is True and r["diff"][0]["after"] == {}
    assert raw(KEY) is None
    r = run_module("calico_ippool", {**conn(etcd), "name": "pool-a", "state": "absent"})
    assert r["changed"] is False


def test_ippool_only_set_options_compared(etcd, raw, run_module):
    """A pool written by calico-node with fields we are not told about keeps them."""
    raw.put(KEY, {"kind": "IPPool", "apiVersion": "projectcalico.org/v3",
                  "metadata": {"name": "pool-a", "uid": "u-1", "creationTimestamp": "2025-05-01T10:00:00Z"},
                  "spec": {"cidr": "198.19.0.0/16", "vxlanMode": "Never", "ipipMode": "Always",
                           "natOutgoing": True, "blockSize": 28, "nodeSelector": "all()"}})
    r = run_module("calico_ippool", {**conn(etcd), "name": "pool-a", "nat_outgoing": True})
    assert r["changed"] is False
    r = run_module("calico_ippool", {**conn(etcd), "name": "pool-a", "disabled": True})
    assert r["changed"] is True
    spec = raw(KEY)["spec"]
    assert spec["blockSize"] == 28 and spec["ipipMode"] == "Always" and spec["disabled"] is True


import pytest  # noqa: E402


@pytest.mark.parametrize("args,needle", [
    ({"cidr": "198.19.0.0/33"}, "not a valid CIDR"),
    ({"cidr": "198.19.0.1/16"}, "host bits set"),
    ({"cidr": "198.19.0.0/16", "block_size": 19}, "out of range for an IPv4 pool (20-32)"),
    ({"cidr": "198.19.0.0/16", "block_size": 33}, "out of range"),
    ({"cidr": "fd00:1::/64", "block_size": 112}, "out of range for an IPv6 pool (116-128)"),
    ({"cidr": "198.19.0.0/16", "ipip_mode": "Always", "vxlan_mode": "CrossSubnet"}, "cannot both be enabled"),
    ({"cidr": "fd00:1::/64", "ipip_mode": "Always"}, "IPIP is not supported on IPv6 pools"),
    ({"cidr": "198.19.0.0/16", "bogus_field": 1}, "Unsupported parameters"),
    ({"cidr": "198.19.0.0/16", "ipip_mode": "Sometimes"}, "ipip_mode"),
])
def test_ippool_bad_input_writes_nothing(etcd, raw, run_module, args, needle):
    r = run_module("calico_ippool", {**conn(etcd), "name": "bad", **args})
    assert r.failed, r
    assert needle in r["msg"], r["msg"]
    assert raw.keys() == []


def test_ippool_immutable_fields_refused(etcd, raw, run_module):
    run_module("calico_ippool", {**conn(etcd), "name": "pool-a", "cidr": "198.19.0.0/16"})
    before = raw.bytes(KEY)
    r = run_module("calico_ippool", {**conn(etcd), "name": "pool-a", "cidr": "198.18.0.0/16"})
    assert r.failed and "cidr: cannot change" in r["msg"] and "disabled: true" in r["msg"]
    r = run_module("calico_ippool", {**conn(etcd), "name": "pool-a", "block_size": 28})
    assert r.failed and "blockSize: cannot change" in r["msg"]
    assert raw.bytes(KEY) == before


def test_ippool_merged_result_still_valid(etcd, raw, run_module):
    run_module("calico_ippool", {**conn(etcd), "name": "pool-a", "cidr": "198.19.0.0/16", "ipip_mode": "Always"})
    before = raw.bytes(KEY)
    r = run_module("calico_ippool", {**conn(etcd), "name": "pool-a", "vxlan_mode": "Always"})
    assert r.failed and "cannot both be enabled" in r["msg"]
    assert raw.bytes(KEY) == before


def test_unreachable_endpoint_is_clear(run_module):
    r = run_module("calico_ippool", {"etcd_endpoints": "http://127.0.0.1:1", "name": "p", "cidr": "198.19.0.0/16",
                                     "datastore_timeout": 1})
    assert r.failed and "No etcd endpoint answered" in r["msg"] and "etcd_endpoints" in r["msg"]


def test_missing_endpoint_is_clear(run_module, monkeypatch):
    monkeypatch.delenv("ETCD_ENDPOINTS", raising=False)
    r = run_module("calico_ippool", {"name": "p", "cidr": "198.19.0.0/16"})
    assert r.failed and "ETCD_ENDPOINTS" in r["msg"]


def test_endpoint_from_environment(etcd, raw, run_module, monkeypatch):
    monkeypatch.setenv("ETCD_ENDPOINTS", etcd.endpoint)
    r = run_module("calico_ippool", {"name": "pool-a", "cidr": "198.19.0.0/16"})
    assert r["changed"] and raw(KEY)["spec"]["cidr"] == "198.19.0.0/16"
