"""Selection, liveness verdicts and the transaction packer of calico_decommission (pure parts)."""

from __future__ import annotations

import base64
import datetime

import pytest
import yaml

from ansible_collections.netops.calico.plugins.module_utils._datastore.dryrun import DryRun
from ansible_collections.netops.calico.plugins.module_utils._datastore.etcd import TXN_MAX_OPS, EtcdBackend, EtcdKV, Item
from ansible_collections.netops.calico.plugins.module_utils._decommission import liveness
from ansible_collections.netops.calico.plugins.module_utils._decommission import plan
from ansible_collections.netops.calico.plugins.module_utils._decommission import steps

NOW = datetime.datetime(2025, 5, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)
V = liveness.Verdict


@pytest.mark.parametrize("explicit,verdicts,force,dead,kept,refused", [
    (["a"], {}, False, ["a"], [], []),
    ([], {"keep": {"a": V(True, "in keep"), "b": V(False, "not in keep")}}, False, ["b"], [], []),
    (["a"], {"keep": {"a": V(True, "in keep")}}, False, [], [], ["a"]),              # named and kept: refused
    (["a"], {"keep": {"a": V(True, "in keep")}}, True, ["a"], [], []),               # force
    ([], {"kubernetes": {"a": V(False, "gone")}, "keep": {"a": V(True, "in keep")}}, False, [], ["a"], []),
    ([], {"kubernetes": {"a": V(False, "gone")}, "felix": {"a": V(True, "fresh")}}, False, [], ["a"], []),
    ([], {"kubernetes": {"a": V(False, "gone")}, "felix": {"a": V(True, "fresh")}}, True, [], ["a"], []),
    (["c"], {"felix": {"a": V(False, "expired")}}, False, ["a", "c"], [], []),       # union of accusations
    ([], {"aws": {"a": V(True, "running")}}, False, [], [], []),                     # alive, not a candidate
])
def test_select(explicit, verdicts, force, dead, kept, refused):
    sel = liveness.select(["a", "b"], explicit, verdicts, force)
    assert sorted(sel.dead) == dead and sorted(sel.kept) == kept and sel.refused == refused


def test_select_reasons():
    sel = liveness.select(["a"], ["a"], {"felix": {"a": V(False, "expired")}})
    assert sel.dead == {"a": ["listed in nodes", "felix: expired"]}
    sel = liveness.select(["a"], ["a"], {"felix": {"a": V(True, "Felix reported 3s ago")}})
    assert sel.kept == {"a": ["felix: Felix reported 3s ago"]}


def _entry(key, value):
    import json
    return Item(key, json.dumps(value).encode(), "5")


def test_felix_verdicts():
    base = "/calico/felix/v2/no-region/host/"
    entries = [
        _entry(base + "fresh/status", {"time": "2025-05-01T11:59:30Z", "uptime": 1.0, "first_update": False}),
        _entry(base + "fresh/last_reported_status", {"time": "2025-05-01T11:59:30Z"}),
        _entry(base + "stale/status", {"time": "2025-05-01T10:00:00Z"}),
        _entry(base + "gone/last_reported_status", {"time": "2025-05-01T09:00:00Z"}),
        _entry(base + "gone/workload/k8s/default.p/endpoint/eth0", {}),
    ]
    reports, keys = liveness.felix_reports(entries)
    out = liveness.felix_verdicts(["fresh", "stale", "gone", "silent"], reports, NOW, 300)
    assert out["fresh"] == V(True, "Felix reported 30s ago")
    assert not out["stale"].alive and "7200s old" in out["stale"].reason
    assert not out["gone"].alive and "expired" in out["gone"].reason
    assert "silent" not in out
    assert len(keys["gone"]) == 2


def test_kubernetes_verdicts_with_a_fake_lister():
    nodes = {"a": {"spec": {"orchRefs": [{"nodeName": "a.k8s", "orchestrator": "k8s"}]}},
             "b": {"spec": {"orchRefs": [{"nodeName": "b", "orchestrator": "k8s"}]}},
             "c": {"spec": {}}}

    def lister():            # what kubernetes_lister returns
        return {"a.k8s"}
    out = liveness.kubernetes_verdicts(["a", "b", "c", "d"], nodes, lister())
    assert out == {"a": V(True, "Kubernetes node a.k8s exists"), "b": V(False, "Kubernetes node b no longer exists")}
    # the Kubernetes datastore: a name with only IPAM left is its own Kubernetes node name
    out = liveness.kubernetes_verdicts(["a", "c", "d", "e"], nodes, {"a.k8s", "e"}, by_name=True)
    assert out == {"a": V(True, "Kubernetes node a.k8s exists"), "d": V(False, "Kubernetes node d no longer exists"),
                   "e": V(True, "Kubernetes node e exists")}


def test_aws_verdicts():
    instances = [
        {"InstanceId": "i-1", "State": {"Name": "running"}, "PrivateDnsName": "ip-10-0-0-1.eu-west-1.compute.internal",
         "PrivateIpAddress": "10.0.0.1", "NetworkInterfaces": []},
        {"InstanceId": "i-2", "State": {"Name": "terminated"}, "PrivateDnsName": "ip-10-0-0-2.eu-west-1.compute.internal"},
        {"InstanceId": "i-3", "State": {"Name": "stopped"},
         "NetworkInterfaces": [{"PrivateIpAddresses": [{"PrivateIpAddress": "10.0.0.3"}]}]},
    ]
    nodes = {"by-ip": {"spec": {"bgp": {"ipv4Address": "10.0.0.3/24"}}}}
    out = liveness.aws_verdicts(["ip-10-0-0-1", "ip-10-0-0-2.eu-west-1.compute.internal", "i-1", "by-ip", "nowhere"],
                                nodes, instances)
    assert out["ip-10-0-0-1"].alive and out["i-1"].alive and out["by-ip"].alive
    assert out["ip-10-0-0-2.eu-west-1.compute.internal"] == V(False, "EC2 instance i-2 is terminated")
    assert out["nowhere"] == V(False, "no EC2 instance has this node's name or addresses")


@pytest.mark.parametrize("node,wep,match", [
    ("node-1", "node--1-k8s-nginx-eth0", True),
    ("node", "node--1-k8s-nginx-eth0", False),
    ("node-1", "node--10-k8s-nginx-eth0", False),
    ("a", "a-k8s-p-eth0", True),
])
def test_wep_prefix(node, wep, match):
    wanted = {plan.wep_name_prefix(node): node}
    assert bool(list(plan._prefixes_of(wep, wanted))) is match


# -- the transaction packer against an in-memory etcd ------------------------------------------

def _b(s):
    return base64.b64encode(s.encode()).decode()


class FakeKV:
    """/kv/txn and /kv/range semantics of etcd's gateway over a dict, counting transactions.
    Guarded writes go through the real client's ``transact`` (which calls ``call`` below)."""

    transact = EtcdKV.transact
    _read_back = EtcdKV._read_back
    RETRIES, BACKOFF, BACKOFF_MAX = EtcdKV.RETRIES, EtcdKV.BACKOFF, EtcdKV.BACKOFF_MAX

    def log(self, msg):
        pass

    def __init__(self, data):
        self.rev = 1
        self.data = {k: (v.encode(), 1) for k, v in data.items()}
        self.txns = 0
        self.meddle = None   # called before each write txn: a concurrent writer

    def call(self, path, payload, resend=True):
        assert path == "/kv/txn"
        writes = [op for op in payload["success"] if "request_range" not in op]
        if writes:
            self.txns += 1
            assert len(payload["compare"]) <= TXN_MAX_OPS and len(writes) <= TXN_MAX_OPS
            keys = [next(iter(op.values()))["key"] for op in writes]
            assert len(keys) == len(set(keys)), "duplicate key in txn"
            if self.meddle:
                self.meddle(self)
        ok = all(self.data.get(base64.b64decode(c["key"]).decode(), (b"", 0))[1] == c["mod_revision"]
                 for c in payload["compare"])
        ops = payload["success"] if ok else payload["failure"]
        if writes and ok:
            self.rev += 1
        out = []
        for op in ops:
            (kind, body), = op.items()
            key = base64.b64decode(body["key"]).decode()
            if kind == "request_range":
                kvs = [{"key": body["key"], "value": base64.b64encode(self.data[key][0]).decode(),
                        "mod_revision": str(self.data[key][1])}] if key in self.data else []
                out.append({"response_range": {"kvs": kvs}})
            elif kind == "request_put":
                self.data[key] = (base64.b64decode(body["value"]), self.rev)
                out.append({"response_put": {}})
            else:
                self.data.pop(key, None)
                out.append({"response_delete_range": {}})
        return {"header": {"revision": str(self.rev)}, "succeeded": ok, "responses": out}


def _view(kv):
    view = plan.View()
    for k, e in EtcdBackend(kv).read_keys(list(kv.data)).items():
        view.add(e, k)
    return view


def test_executor_packs_units_into_few_transactions():
    kv = FakeKV({f"/k/{i}": "x" for i in range(300)})
    ex = steps.Executor(EtcdBackend(kv), _view(kv), log=print)
    ex.run([steps._delete_unit("n", f"/k/{i}", "keys") for i in range(300)])
    assert kv.data == {} and kv.txns == 3 and ex.writes == 300
    assert len(ex.report["n"]["keys"]) == 300


def test_executor_replans_after_a_concurrent_write():
    kv = FakeKV({"/k/a": "1", "/k/b": "2"})
    view = _view(kv)

    def meddle(kv):          # someone rewrites /k/a between our read and our write
        kv.meddle = None
        kv.rev += 1
        kv.data["/k/a"] = (b"1b", kv.rev)
    kv.meddle = meddle
    ex = steps.Executor(EtcdBackend(kv), view, log=print)
    ex.run([steps._delete_unit("n", "/k/a", "keys"), steps._delete_unit("n", "/k/b", "keys")])
    assert kv.data == {} and kv.txns == 3       # batch failed, then each unit alone
    assert not ex.failed


def test_executor_gives_up_after_bounded_retries():
    kv = FakeKV({"/k/a": "1"})

    def meddle(kv):
        kv.rev += 1
        kv.data["/k/a"] = (b"again", kv.rev)
    kv.meddle = meddle
    ex = steps.Executor(EtcdBackend(kv), _view(kv), log=print)
    ex.run([steps._delete_unit("n", "/k/a", "keys")])
    assert "n" in ex.failed and kv.txns == 1 + steps.RETRIES


def test_executor_dry_run_writes_nothing():
    kv = FakeKV({"/k/a": "1"})
    ex = steps.Executor(DryRun(EtcdBackend(kv)), _view(kv), log=print)
    ex.run([steps._delete_unit("n", "/k/a", "keys")])
    assert "/k/a" in kv.data and kv.txns == 0 and ex.writes == 1


def test_module_documentation_matches_argspec():
    from ansible_collections.netops.calico.plugins.modules import calico_decommission as mod
    from ansible_collections.netops.calico.plugins.module_utils._aws import aws_argspec
    doc = yaml.safe_load(mod.DOCUMENTATION)["options"]
    assert set(doc) == {"nodes", "keep", "liveness", "kubernetes_kubeconfig", "kubernetes_context", "aws",
                        "felix_max_age", "max_fraction", "force", "serial", "delete_kubernetes_node"}
    assert set(doc["aws"]["suboptions"]) == set(aws_argspec()) | {"filters"}
    for name, spec in aws_argspec().items():
        assert doc["aws"]["suboptions"][name]["type"] == spec["type"]
        assert sorted(doc["aws"]["suboptions"][name].get("aliases", [])) == sorted(spec.get("aliases", []))
    yaml.safe_load(mod.EXAMPLES)
    yaml.safe_load(mod.RETURN)
