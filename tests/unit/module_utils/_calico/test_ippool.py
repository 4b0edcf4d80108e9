"""IPPool rules of clientv3/ippool.go and validator.go validateIPPoolSpec, and the pool Delete."""

from __future__ import annotations

import ipaddress

import pytest
from fakes import MemoryDatastore

from ansible_collections.netops.calico.plugins.module_utils._calico import ippool
from ansible_collections.netops.calico.plugins.module_utils._datastore import model
from ansible_collections.netops.calico.plugins.module_utils._datastore.dryrun import DryRun


def pool(name: str, cidr: str, **spec) -> dict:
    return model.new_resource("IPPool", name, {"cidr": cidr, **spec})


@pytest.mark.parametrize("given, stored", [
    ("FD00:AB::/64", "fd00:ab::/64"),
    ("fd00:ab:0:0:0:0:0:0/64", "fd00:ab::/64"),
    ("fd00:0:0:1:0:0:0:0/64", "fd00:0:0:1::/64"),       # the longest zero run is compressed
    ("fd00:0:1:0:0:1:0:0/96", "fd00:0:1::1:0:0/96"),     # a tie: the first run (RFC 5952, Go)
    ("fd00:1:2:3:4:5:6:0/112", "fd00:1:2:3:4:5:6:0/112"),  # a single zero group stays
    ("198.19.0.0/16", "198.19.0.0/16"),
])
def test_canonical_cidr_is_go_ipnet_string(given, stored):
    assert ippool.canonical_cidr(given) == stored
    assert ippool.default_pool_spec({"cidr": given})["cidr"] == stored


@pytest.mark.parametrize("old, new, ok", [
    ("fd00:ab::/64", "fd00:ab::/64", True),
    ("FD00:AB::/64", "fd00:ab::/64", True),      # stored non-canonical, updated to canonical
    ("fd00:ab::/64", "FD00:AB::/64", False),     # a non-canonical new spelling is not introduced
    ("198.19.0.0/16", "198.19.0.0/17", False),
])
def test_cidr_change_ok(old, new, ok):
    assert ippool.cidr_change_ok(old, new) is ok


@pytest.mark.parametrize("cidr", ["169.0.0.0/8", "169.254.0.0/16", "169.254.1.0/24", "128.0.0.0/1",
                                  "fe80::/10", "fe80::/64", "fe00::/7", "8000::/1"])
def test_link_local_overlap_refused(cidr):
    errors = ippool.validate_ippool(pool("p", cidr), {"IPPool": []})
    assert any(e.startswith("cidr:") and "link-local" in e for e in errors), errors
    net, errs = ippool.parse_cidr(cidr)
    assert net is None and "link-local" in errs[0]


@pytest.mark.parametrize("cidr", ["169.253.0.0/16", "169.255.0.0/16", "fec0::/10", "fd00::/8"])
def test_next_to_link_local_accepted(cidr):
    assert ippool.validate_ippool(pool("p", cidr), {"IPPool": []}) == []


@pytest.mark.parametrize("new, clash", [
    ("198.19.4.0/24", True), ("198.18.0.0/15", True), ("198.19.0.0/16", True),
    ("198.18.0.0/16", False), ("fd00::/64", False)])
def test_overlap_with_another_pool_refused_on_create(new, clash):
    existing = {"IPPool": [pool("a", "198.19.0.0/16"), pool("broken", "not-a-cidr")]}
    errors = ippool.validate_ippool(pool("b", new), existing)
    msg = "cidr: IPPool(b) CIDR overlaps with IPPool(a) CIDR 198.19.0.0/16"
    assert any(e.startswith(msg) for e in errors) is clash, errors


def test_update_is_not_an_overlap_with_itself_and_keeps_its_rules():
    stored = pool("a", "198.19.0.0/16", blockSize=26)
    same = pool("a", "198.19.0.0/16", blockSize=26, natOutgoing=True)
    assert ippool.validate_ippool(ippool_defaulted(same), {"IPPool": [stored]}) == []
    moved = ippool.validate_ippool(ippool_defaulted(pool("a", "198.19.0.0/17")), {"IPPool": [stored]})
    assert any(e.startswith("cidr: cannot change") for e in moved)
    resized = ippool.validate_ippool(ippool_defaulted(pool("a", "198.19.0.0/16", blockSize=28)), {"IPPool": [stored]})
    assert any(e.startswith("blockSize: cannot change") for e in resized)


def test_load_balancer_pool_stays_load_balancer():
    stored = pool("lb", "198.19.0.0/24", allowedUses=["LoadBalancer"])
    errors = ippool.validate_ippool(ippool_defaulted(pool("lb", "198.19.0.0/24", allowedUses=["Workload"])),
                                    {"IPPool": [stored]})
    assert any(e.startswith("allowedUses:") for e in errors)


def test_small_pool_allowed_only_when_disabled():
    small = {"cidr": "198.19.0.0/28", "blockSize": 26}
    assert any(e.startswith("blockSize:") for e in ippool.validate_pool_spec(small))
    assert ippool.validate_pool_spec({**small, "disabled": True}) == []


@pytest.mark.parametrize("field", ["nodeSelector", "namespaceSelector"])
def test_global_selector_refused(field):
    spec = {"cidr": "198.19.0.0/16", field: "global()", "allowedUses": ["Workload"]}
    assert any(e.startswith(f"{field}:") for e in ippool.validate_pool_spec(spec))


def ippool_defaulted(resource: dict) -> dict:
    return {**resource, "spec": ippool.default_pool_spec(resource["spec"])}


def block(cidr: str, affinity: str | None, used: bool) -> dict:
    n = 2 ** (32 - ipaddress.ip_network(cidr).prefixlen)
    return {"cidr": cidr, "affinity": affinity, "allocations": ([0] if used else [None]) + [None] * (n - 1),
            "unallocated": list(range(1 if used else 0, n)),
            "attributes": [{"handle_id": "h", "secondary": {}}] if used else [],
            "sequenceNumber": 1, "sequenceNumberForAllocation": {}, "deleted": False}


def pool_with_blocks() -> MemoryDatastore:
    ds = MemoryDatastore()
    ds.put(pool("a", "198.19.0.0/16"))
    ds.ipam_put("IPAMBlock", "198.19.0.0/26", block("198.19.0.0/26", "host:n1", True))
    ds.ipam_put("IPAMBlock", "198.19.0.64/26", block("198.19.0.64/26", "host:n2", False))
    ds.ipam_put("IPAMBlock", "198.19.0.128/26", block("198.19.0.128/26", "host:n3", False))
    ds.ipam_put("BlockAffinity", "n1/198.19.0.0/26", {"state": "confirmed", "deleted": False})
    ds.ipam_put("BlockAffinity", "n2/198.19.0.64/26", {"state": "confirmed", "deleted": False})
    # stale: the block belongs to n3, so this affinity goes and the block is left alone
    ds.ipam_put("BlockAffinity", "n9/198.19.0.128/26", {"state": "confirmed", "deleted": False})
    ds.ipam_put("BlockAffinity", "n1/198.18.0.0/26", {"state": "confirmed", "deleted": False})
    return ds


def test_delete_pool_order_and_effects():
    ds = pool_with_blocks()
    released = ippool.delete_pool(ds, ds.get("IPPool", "a"), pause=0)
    assert released == ["198.19.0.0/26", "198.19.0.64/26"]
    assert ds.writes[0] == ("update", "IPPool", "a") and ds.writes[-1] == ("delete", "IPPool", "a")
    assert ds.get("IPPool", "a") is None
    assert ds.ipam_get("IPAMBlock", "198.19.0.0/26")["value"]["affinity"] is None
    assert ds.ipam_get("IPAMBlock", "198.19.0.0/26")["value"]["sequenceNumber"] == 2
    assert ds.ipam_get("IPAMBlock", "198.19.0.64/26") is None
    assert ds.ipam_get("IPAMBlock", "198.19.0.128/26")["value"]["affinity"] == "host:n3"
    assert [e["name"] for e in ds.ipam_list("BlockAffinity")] == ["n1/198.18.0.0/26"]


def test_delete_pool_in_check_mode_changes_nothing_and_decides_the_same():
    ds = pool_with_blocks()
    before = (dict(ds.items), dict(ds.ipam), ds.rev)
    dry = DryRun(ds)
    assert ippool.delete_pool(dry, dry.get("IPPool", "a"), pause=0) == ["198.19.0.0/26", "198.19.0.64/26"]
    assert (dict(ds.items), dict(ds.ipam), ds.rev) == before
    assert dry.writes[0] == ("update", "IPPool/a") and dry.writes[-1] == ("delete", "IPPool/a")
    assert dry.get("IPPool", "a") is None and dry.ipam_get("IPAMBlock", "198.19.0.64/26") is None
    assert [e["name"] for e in dry.ipam_list("BlockAffinity")] == ["n1/198.18.0.0/26"]


def test_disabled_pool_is_not_updated_before_delete():
    ds = MemoryDatastore()
    ds.put(pool("a", "198.19.0.0/16", disabled=True))
    ippool.delete_pool(ds, ds.get("IPPool", "a"), pause=0)
    assert ds.writes == [("delete", "IPPool", "a")]


def test_release_retries_after_a_concurrent_block_write():
    ds = pool_with_blocks()
    real_update = ds.ipam_update
    raced = []

    def racing_update(kind, name, value, revision):
        if kind == "IPAMBlock" and not raced:       # another writer allocates first
            raced.append(name)
            cur = ds.ipam_get(kind, name)
            ds.ipam_put(kind, name, {**cur["value"], "sequenceNumber": 5})
        return real_update(kind, name, value, revision)

    ds.ipam_update = racing_update
    ippool.delete_pool(ds, ds.get("IPPool", "a"), pause=0)
    assert raced == ["198.19.0.0/26"]
    expected = {**block("198.19.0.0/26", None, True), "sequenceNumber": 6}
    assert ds.ipam_get("IPAMBlock", "198.19.0.0/26")["value"] == expected


@pytest.mark.parametrize("blocks, clash", [
    ([{"cidr": "198.19.0.0/28"}], True),
    (["198.19.0.0/26"], False),                    # same size: fine
    ([{"cidr": "198.20.0.0/28"}], False),          # outside the pool
    ([{"cidr": "fd00::/122"}], False),             # other IP version
    ([{"cidr": "garbage"}], False),
])
def test_blocks_of_another_size_refused_on_create_only(blocks, clash):
    new = ippool_defaulted(pool("a", "198.19.0.0/16"))
    errors = ippool.validate_ippool(new, {"IPPool": [], "IPAMBlock": blocks})
    assert any(e.startswith("blockSize: 26 conflicts") for e in errors) is clash
    # an update of the pool is not checked against its blocks (Update has no such check)
    assert ippool.validate_ippool(new, {"IPPool": [new], "IPAMBlock": blocks}) == []
