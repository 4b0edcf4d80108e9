"""``labels`` means one thing on every module that writes a Calico resource: merge (null removes),
``purge_labels`` for the exact set; omitted leaves the labels alone."""

from __future__ import annotations

import pytest

from ansible_collections.netops.calico.plugins.module_utils._node.resource import merge_node
from ansible_collections.netops.calico.plugins.module_utils._resource.ensure import ensure_resource
from ansible_collections.netops.calico.plugins.module_utils._resource.labels import apply_labels
from ansible_collections.netops.calico.plugins.module_utils._datastore import model
from fakes import MemoryDatastore

CURRENT = {"kubernetes.io/os": "linux", "rack": "r1"}


@pytest.mark.parametrize("labels, purge, want", [
    (None, False, CURRENT),
    (None, True, CURRENT),                                     # omitted: left alone, even with purge
    ({"zone": "a"}, False, {**CURRENT, "zone": "a"}),
    ({"rack": None}, False, {"kubernetes.io/os": "linux"}),
    ({"rack": "r2"}, False, {"kubernetes.io/os": "linux", "rack": "r2"}),
    ({"zone": "a"}, True, {"zone": "a"}),
    ({}, True, {}),
])
def test_apply_labels(labels, purge, want):
    assert apply_labels(CURRENT, labels, purge) == want


def stored_labels(ds, kind, name):
    return (ds.get(kind, name)["metadata"].get("labels") or {})


def test_resource_modules_and_calico_node_agree():
    ds = MemoryDatastore()
    ds.put(model.normalise_resource({"kind": "IPPool", "metadata": {"name": "p", "labels": dict(CURRENT)},
                                     "spec": {"cidr": "198.19.0.0/16"}}))
    node = model.normalise_resource({"kind": "Node", "metadata": {"name": "n", "labels": dict(CURRENT)},
                                     "spec": {}})
    for labels, purge in (({"zone": "a", "rack": None}, False), ({"zone": "b"}, True)):
        res = ensure_resource(ds, "IPPool", "p", "present", {}, labels=labels, purge_labels=purge)
        new, _changed = merge_node(node, "n", {}, labels, purge)
        assert res["changed"] and stored_labels(ds, "IPPool", "p") == new["metadata"].get("labels", {})
        assert stored_labels(ds, "IPPool", "p") == apply_labels(CURRENT if not purge else {}, labels)
        node = new
