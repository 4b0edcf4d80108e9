"""ensure_resource with Calico's per-kind rules: defaulting written on create and update and
compared after, the kind's rules reading the datastore through ``ds`` (a DryRun alike)."""

from __future__ import annotations

import pytest
from fakes import MemoryDatastore

from ansible_collections.netops.calico.plugins.module_utils._datastore import model
from ansible_collections.netops.calico.plugins.module_utils._datastore.dryrun import DryRun
from ansible_collections.netops.calico.plugins.module_utils._datastore.errors import ValidationError
from ansible_collections.netops.calico.plugins.module_utils._resource.ensure import ensure_resource


@pytest.fixture(params=["real", "check"])
def mode(request):
    return request.param


def wrap(ds, mode):
    return DryRun(ds) if mode == "check" else ds


def test_ipv6_cidr_in_another_spelling_is_no_change(mode):
    ds = MemoryDatastore()
    ensure_resource(ds, "IPPool", "p6", "present", {"cidr": "FD00:AB::/64"})
    assert ds.get("IPPool", "p6")["spec"]["cidr"] == "fd00:ab::/64"
    res = ensure_resource(wrap(ds, mode), "IPPool", "p6", "present", {"cidr": "FD00:AB:0::/64", "natOutgoing": False})
    assert res["changed"] is False


def test_update_writes_clientv3_defaults(mode):
    ds = MemoryDatastore()
    ds.put({"kind": "FelixConfiguration", "apiVersion": model.API_VERSION, "metadata": {"name": "default"},
            "spec": {"logSeverityScreen": "Info"}})
    res = ensure_resource(wrap(ds, mode), "FelixConfiguration", "default", "present",
                          {"bpfConnectTimeLoadBalancingEnabled": False})
    assert res["changed"] is True
    spec = res["resource"]["spec"]
    assert (spec["bpfConnectTimeLoadBalancing"], spec["bpfHostNetworkedNATWithoutCTLB"]) == ("Disabled", "Disabled")
    if mode == "real":
        again = ensure_resource(ds, "FelixConfiguration", "default", "present",
                                {"bpfConnectTimeLoadBalancingEnabled": False})
        assert again["changed"] is False


def test_stored_object_equal_after_defaulting_is_not_rewritten():
    ds = MemoryDatastore()
    ds.put({"kind": "FelixConfiguration", "apiVersion": model.API_VERSION, "metadata": {"name": "default"},
            "spec": {"logSeverityScreen": "Info"}})      # written by calico-node: no defaults stored
    res = ensure_resource(ds, "FelixConfiguration", "default", "present",
                          {"logSeverityScreen": "Info", "bpfConnectTimeLoadBalancing": "TCP"})
    assert res["changed"] is False and ds.writes == []


def test_kind_rules_read_the_datastore_and_refuse_before_writing(mode):
    ds = MemoryDatastore()
    ensure_resource(ds, "IPPool", "a", "present", {"cidr": "198.19.0.0/16"})
    writes = list(ds.writes)
    with pytest.raises(ValidationError) as exc:
        ensure_resource(wrap(ds, mode), "IPPool", "b", "present", {"cidr": "198.19.128.0/17"})
    assert exc.value.errors[0].startswith("cidr: IPPool(b) CIDR overlaps with IPPool(a)")
    with pytest.raises(ValidationError) as exc:
        ensure_resource(wrap(ds, mode), "BGPPeer", "p", "present",
                        {"peerIP": "198.18.0.1", "asNumber": 64512, "filters": ["missing"]})
    assert exc.value.errors[0].startswith("filters: BGPFilter(s) not found: missing")
    assert ds.writes == writes


def test_check_mode_sees_its_own_earlier_writes():
    dry = DryRun(MemoryDatastore())
    ensure_resource(dry, "IPPool", "a", "present", {"cidr": "198.19.0.0/16"})
    with pytest.raises(ValidationError):
        ensure_resource(dry, "IPPool", "b", "present", {"cidr": "198.19.0.0/24"})


def test_pool_without_cidr_is_refused_not_a_traceback():
    with pytest.raises(ValidationError) as exc:
        ensure_resource(MemoryDatastore(), "IPPool", "a", "present", {"natOutgoing": True})
    assert exc.value.errors[0].startswith("cidr: required")


def test_immutable_compared_canonically():
    ds = MemoryDatastore()
    ensure_resource(ds, "IPPool", "p6", "present", {"cidr": "fd00:ab::/64"})
    with pytest.raises(ValidationError) as exc:
        ensure_resource(ds, "IPPool", "p6", "present", {"cidr": "fd00:ac::/64"},
                        immutable={"cidr": "Create a new pool."})
    assert exc.value.errors[0].startswith("cidr: cannot change")


def test_every_error_of_a_new_object_at_once():
    ds = MemoryDatastore()
    ensure_resource(ds, "FelixConfiguration", "default", "present", {})
    with pytest.raises(ValidationError) as exc:
        ensure_resource(ds, "FelixConfiguration", "node.n1", "present",
                        {"bpfConnectTimeLoadBalancingEnabled": True, "bpfConnectTimeLoadBalancing": "TCP",
                         "failsafeInboundHostPorts": [{"protocol": "tcp", "port": 22}]})
    assert [e.split(":", 1)[0] for e in exc.value.errors] == ["bpfConnectTimeLoadBalancing",
                                                              "failsafeInboundHostPorts[0].protocol"]


def test_invalid_pool_cidr_names_the_field():
    with pytest.raises(ValidationError) as exc:
        ensure_resource(MemoryDatastore(), "IPPool", "a", "present", {"cidr": "198.19.0.0"})
    assert exc.value.errors == ["cidr: '198.19.0.0' is not a valid subnet (IPPool CIDR must be a valid subnet)"]
