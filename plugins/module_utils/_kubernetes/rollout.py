# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting for a DaemonSet or Deployment to finish rolling out, with a bounded timeout, and naming
the nodes whose calico-node is not ready when it does not.

Rollout status is judged as ``kubectl rollout status`` does (kubernetes/kubectl
pkg/polymorphichelpers/rollout_status.go, DaemonSetStatusViewer / DeploymentStatusViewer): the
controller has seen the latest spec (observedGeneration >= generation), every scheduled pod is
updated, and as many are available. The pods of the current template carry the label
``pod-template-generation`` equal to the DaemonSet's generation (kubernetes/kubernetes
pkg/controller/daemon/util/daemonset_util.go, extensions.DaemonSetTemplateGenerationKey).
"""

from __future__ import annotations

import time
from typing import Any, Callable

from ansible_collections.netops.calico.plugins.module_utils._datastore.errors import DatastoreError

WORKLOADS = ("DaemonSet", "Deployment")


def progress(obj: dict) -> tuple[bool, str]:
    """(done, what it is waiting for) for a DaemonSet or Deployment as read from the API."""
    kind = obj.get("kind")
    spec = obj.get("spec") or {}
    st = obj.get("status") or {}
    gen = (obj.get("metadata") or {}).get("generation") or 0
    if (st.get("observedGeneration") or 0) < gen:
        return False, "the controller has not seen the latest spec yet"
    if kind == "DaemonSet":
        strategy = (spec.get("updateStrategy") or {}).get("type") or "RollingUpdate"
        if strategy != "RollingUpdate":
            return True, f"update strategy {strategy}: no rollout to wait for"
        want = st.get("desiredNumberScheduled") or 0
        updated = st.get("updatedNumberScheduled") or 0
        available = st.get("numberAvailable") or 0
        if updated < want:
            return False, f"{updated} of {want} updated pods scheduled"
        if available < want:
            return False, f"{available} of {want} updated pods available"
        return True, f"{available} of {want} pods available"
    want = spec.get("replicas", 1) if spec.get("replicas") is not None else 1
    updated = st.get("updatedReplicas") or 0
    if updated < want:
        return False, f"{updated} of {want} new replicas updated"
    if (st.get("replicas") or 0) > updated:
        return False, f"{(st.get('replicas') or 0) - updated} old replicas pending termination"
    if (st.get("availableReplicas") or 0) < updated:
        return False, f"{st.get('availableReplicas') or 0} of {updated} updated replicas available"
    return True, f"{updated} of {want} replicas available"


def _ready(pod: dict) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or [])


def not_ready_nodes(daemonset: dict, nodes: list[dict], pods: list[dict]) -> list[str]:
    """``node (reason)`` for every node the DaemonSet selects that has no ready pod of its current
    template. Calico tolerates every taint, so the nodeSelector alone decides the nodes."""
    selector = (((daemonset.get("spec") or {}).get("template") or {}).get("spec") or {}).get("nodeSelector") or {}
    gen = str((daemonset.get("metadata") or {}).get("generation") or "")
    by_node: dict[str, list[dict]] = {}
    for pod in pods:
        by_node.setdefault((pod.get("spec") or {}).get("nodeName") or "", []).append(pod)
    out = []
    for node in sorted(nodes, key=lambda n: (n.get("metadata") or {}).get("name") or ""):
        meta = node.get("metadata") or {}
        labels = meta.get("labels") or {}
        if any(labels.get(k) != v for k, v in selector.items()):
            continue
        name = meta.get("name")
        mine = by_node.get(name) or []
        current = [p for p in mine if ((p.get("metadata") or {}).get("labels") or {}).get("pod-template-generation") == gen]
        if not mine:
            out.append(f"{name} (no pod)")
        elif not current:
            out.append(f"{name} (pod of an older template)")
        elif not any(_ready(p) for p in current):
            phase = (current[0].get("status") or {}).get("phase") or "unknown"
            out.append(f"{name} (pod {(current[0].get('metadata') or {}).get('name')} not ready, phase {phase})")
    return out


def wait(ds: Any, targets: list[dict], timeout: float, interval: float = 2.0,
         clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> dict[str, str]:
    """Wait until every DaemonSet/Deployment in ``targets`` has rolled out; at most ``timeout``
    seconds in all. Returns ref -> status; raises DatastoreError naming what is not ready."""
    deadline = clock() + timeout
    out: dict[str, str] = {}
    for target in targets:
        if target.get("kind") not in WORKLOADS:
            continue
        meta = target.get("metadata") or {}
        name, ns = meta.get("name"), meta.get("namespace")
        key = f"{target['kind']} {ns}/{name}"
        while True:
            obj = ds.objects.get(target["apiVersion"], target["kind"], name, ns)
            if obj is None:
                raise DatastoreError(f"{key} does not exist, so it cannot roll out.",
                                     "Apply it first (calico_k8s_apply with objects).")
            done, detail = progress(obj)
            if done:
                out[key] = detail
                break
            if clock() >= deadline:
                raise DatastoreError(_timeout_message(ds, obj, key, detail, timeout))
            sleep(max(0.0, min(interval, deadline - clock())))
    return out


def _timeout_message(ds: Any, obj: dict, key: str, detail: str, timeout: float) -> str:
    msg = f"{key} did not finish rolling out within {timeout:g}s: {detail}."
    if obj.get("kind") != "DaemonSet":
        return msg + " Check its pods' events (kubectl describe) and rerun."
    labels = (((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {})
    selector = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
    pods = ds.objects.list("v1", "Pod", (obj.get("metadata") or {}).get("namespace"), selector)
    nodes = ds.objects.list("v1", "Node")
    bad = not_ready_nodes(obj, nodes, pods)
    if bad:
        msg += f" Not ready on {len(bad)} node(s): {', '.join(bad[:20])}{' ...' if len(bad) > 20 else ''}."
    return msg + " Look at those pods' logs and events, fix the nodes, then rerun (the applied objects stay)."
