# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host's Calico Node resource (spec.bgp and labels merged in) and its FelixConfiguration node.<name>."""

from __future__ import annotations

import copy
from typing import Any

from ansible_collections.netops.calico.plugins.module_utils._calico import felixconfig
from ansible_collections.netops.calico.plugins.module_utils._datastore import model
from ansible_collections.netops.calico.plugins.module_utils._resource.changes import Changes
from ansible_collections.netops.calico.plugins.module_utils._resource.ensure import ensure_resource
from ansible_collections.netops.calico.plugins.module_utils._resource.labels import apply_labels
from ansible_collections.netops.calico.plugins.module_utils._node.options import (
    NodeError,
    felix_spec,
)
from ansible_collections.netops.calico.plugins.module_utils._node.addresses import (
    desired_bgp,
)


def _merged(current: dict | None, changes: dict | None) -> dict:
    """``current`` with ``changes`` applied: a None value removes the key."""
    out = dict(current or {})
    for k, v in (changes or {}).items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = v
    return out


def merge_node(current: dict | None, name: str, bgp: dict[str, Any],
               labels: dict[str, str | None] | None, purge_labels: bool = False) -> tuple[dict, bool]:
    """The Node after merging ``bgp`` into spec.bgp (None removes) and applying ``labels`` as every
    module does (``_resource.labels``); every other field (tunnel addresses, wireguard, interfaces,
    orchRefs, status) is kept. Returns (resource, changed)."""
    if current is None:
        spec_bgp = {k: v for k, v in bgp.items() if v is not None}
        spec = {"bgp": spec_bgp} if spec_bgp else {}
        new_labels = apply_labels(None, labels)
        return model.new_resource("Node", name, spec, labels=new_labels or None), True
    new = copy.deepcopy(current)
    spec = new.setdefault("spec", {}) or {}
    new["spec"] = spec
    spec_bgp = _merged(spec.get("bgp"), bgp)
    if spec_bgp:
        spec["bgp"] = spec_bgp
    else:
        spec.pop("bgp", None)
    meta = new.setdefault("metadata", {})
    cur_labels = dict(meta.get("labels") or {})
    new_labels = apply_labels(cur_labels, labels, purge_labels)
    if new_labels:
        meta["labels"] = new_labels
    else:
        meta.pop("labels", None)
    changed = spec_bgp != dict((current.get("spec") or {}).get("bgp") or {}) or new_labels != cur_labels
    if not changed:
        return current, False
    rev = (current.get("metadata") or {}).get("resourceVersion")
    out = model.normalise_resource(new)
    return (model.with_revision(out, rev) if rev else out), True


def ensure_node_resource(ds, p: dict, name: str, addrs: dict[str, Any], changes: Changes) -> dict[str, Any]:
    """The Node resource (merge) and, when felix_overrides is given, FelixConfiguration node.<name>,
    each recorded in ``changes``."""
    current = ds.get("Node", name)
    if current is None and getattr(ds, "datastore_type", "etcdv3") == "kubernetes":
        raise NodeError(f"The Kubernetes Node {name!r} does not exist, so Calico has no Node to configure. Join the "
                        "host to the cluster first (kubeadm join), or check name (it must be the Kubernetes node name).")
    new, changed = merge_node(current, name, desired_bgp(p, addrs), p.get("labels"), bool(p.get("purge_labels")))
    changes.record(f"Node/{name}", current, new, changed)
    if changed:
        new = ds.create(new) if current is None else ds.update(new)
    result: dict[str, Any] = {"node": new, "felix_configuration": None, "changed": changed}
    if p.get("felix_overrides"):
        spec, errors = felix_spec(p["felix_overrides"])
        if errors:
            raise NodeError("; ".join(errors))
        res = ensure_resource(ds, "FelixConfiguration", f"node.{name}", "present", spec,
                              defaults=felixconfig.default_felixconfiguration_spec, changes=changes)
        result["felix_configuration"] = res["resource"]
        result["changed"] |= res["changed"]
    return result
