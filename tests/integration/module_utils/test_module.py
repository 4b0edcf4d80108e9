"""The module runner's conflict retry (plugins/module_utils/_module.py) against a real etcd: two
writers at once, as two AWX job slices of site.yml are. The second writer is made to land between
the first one's read and its write, every time, so the race is not left to timing."""

from __future__ import annotations

import pytest

from ansible_collections.netops.calico.plugins.module_utils import _module
from ansible_collections.netops.calico.plugins.module_utils._datastore.dryrun import DryRun
from ansible_collections.netops.calico.plugins.module_utils._datastore.errors import ConflictError
from ansible_collections.netops.calico.plugins.module_utils._datastore.etcd import EtcdBackend, EtcdKV
from ansible_collections.netops.calico.plugins.module_utils._network import apply as _apply
from ansible_collections.netops.calico.plugins.module_utils._network import spec as _spec
from ansible_collections.netops.calico.plugins.module_utils._network.pools import pools_from_options
from ansible_collections.netops.calico.plugins.module_utils._network.validate import build

FELIX = "/calico/resources/v3/projectcalico.org/felixconfigurations/default"
POOL = "/calico/resources/v3/projectcalico.org/ippools/default-ipv4-ippool"


class Module:
    """What the runner uses of an AnsibleModule."""

    def __init__(self) -> None:
        self.debugged: list[str] = []

    def debug(self, msg: str) -> None:
        self.debugged.append(msg)


class Interloper:
    """The backend, with ``other()`` run once just before the first write of ``kind``: another
    writer that read after us and wrote first."""

    def __init__(self, ds, kind: str, other) -> None:
        self.ds, self.kind, self.other, self.done = ds, kind, other, False

    def __getattr__(self, name):
        attr = getattr(self.ds, name)
        if name not in ("create", "update"):
            return attr

        def write(resource):
            if not self.done and resource["kind"] == self.kind:
                self.done = True
                self.other()
            return attr(resource)
        return write


@pytest.fixture(autouse=True)
def no_pause(monkeypatch):
    monkeypatch.setattr(_module, "CONFLICT_BACKOFF", 0.0)


def network(ds, host_mtu: int, hosts: list[str]) -> dict:
    """calico_network's body as site.yml calls it for one slice (IP-in-IP, CrossSubnet)."""
    ctx = _spec.Context(node_count=len(hosts))
    sr = build({"encapsulationMode": "ipip", "ipipMode": "CrossSubnet"}, {}, ctx)
    pools, errors = pools_from_options(None, "198.19.0.0/16", None, True, False, ctx)
    assert not errors and not sr.errors
    return _apply.apply(ds, sr, ctx, pools, _apply.ApplyOptions(host_mtu=host_mtu, host_mtu_nodes=hosts))


def test_a_slice_that_loses_the_race_decides_again_on_what_the_other_wrote(etcd, raw):
    """New cluster, two slices: the one with only 1500-byte hosts reads an empty datastore, the
    other (a 1400-byte host) creates everything first. The first one's create conflicts; it reads
    again and keeps the smaller MTU, though it never saw that host."""
    ds = EtcdBackend(EtcdKV(etcd.endpoint))
    other = []
    big = Interloper(ds, "FelixConfiguration",
                     lambda: other.append(_module._with_conflict_retries(Module(), lambda d: network(
                         d, 1400, ["node-2"]), EtcdBackend(EtcdKV(etcd.endpoint)))))
    m = Module()
    result = _module._with_conflict_retries(m, lambda d: network(d, 1500, ["node-1", "node-3"]), big)
    assert other and other[0]["changed"] is True
    assert len(m.debugged) == 1 and "conflict" in m.debugged[0]
    assert raw(FELIX)["spec"]["ipipMTU"] == 1380
    assert result["mtu"]["ipip"] == 1380 and result["node_settings"]["cni"]["mtu"] == 1380
    assert any("no Node yet" in w for w in result["warnings"]), result["warnings"]
    # what it wrote before it lost (BGP configuration: none here; the pool: not yet) is nothing,
    # and what it found is what it wanted: no change to report
    assert result["changed"] is False
    assert raw(POOL)["spec"]["ipipMode"] == "CrossSubnet"


def test_a_write_before_the_lost_race_still_counts_as_a_change(etcd, raw):
    """The slice lowers the MTU in FelixConfiguration, then loses the race on the pool (another
    slice created it in between): the rerun finds everything as it wants it, and the task still
    reports the change it made."""
    ds = EtcdBackend(EtcdKV(etcd.endpoint))
    network(ds, 1500, ["node-1"])
    kv = EtcdKV(etcd.endpoint)
    kv.delete(POOL, kv.get(POOL).revision)
    calls = []

    def body(d):
        calls.append(1)
        return network(d, 1400, ["node-1"])

    racing = Interloper(ds, "IPPool", lambda: network(EtcdBackend(EtcdKV(etcd.endpoint)), 1400, ["node-2"]))
    result = _module._with_conflict_retries(Module(), body, racing)
    assert len(calls) == 2
    assert result["changed"] is True
    assert raw(POOL)["spec"]["cidr"] == "198.19.0.0/16" and raw(FELIX)["spec"]["ipipMTU"] == 1380


def test_gives_up_after_the_last_attempt_and_never_retries_in_check_mode(etcd):
    ds = EtcdBackend(EtcdKV(etcd.endpoint))
    calls = []

    def body(_d):
        calls.append(1)
        raise ConflictError("FelixConfiguration 'default' changed since it was read.")

    with pytest.raises(ConflictError):
        _module._with_conflict_retries(Module(), body, ds)
    assert len(calls) == _module.CONFLICT_ATTEMPTS
    calls.clear()
    with pytest.raises(ConflictError):
        _module._with_conflict_retries(Module(), body, DryRun(ds))
    assert len(calls) == 1
