#!/usr/bin/python
# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: calico_k8s_apply
short_description: Apply Kubernetes objects with server-side apply, and wait for their rollout
version_added: 0.1.0
description:
  - Applies each object of O(objects) to the Kubernetes API with server-side apply under the field
    manager O(field_manager), deletes the objects of O(absent) that exist, and reports per object
    whether it was created, updated, unchanged or deleted, with a diff per object.
  - Server-side apply merges what this manager wants into the object and removes the fields it
    applied before and no longer applies; fields other managers own stay.
  - With O(wait=true) it then waits for every DaemonSet and Deployment of O(objects) to finish
    rolling out, as C(kubectl rollout status) judges it, for at most O(wait_timeout) seconds, and
    fails naming the nodes whose pod is not ready.
  - The netops.calico.calico_kubernetes role renders Calico's objects and applies them with it.
author:
  - netops.calico contributors (@netops-calico)
extends_documentation_fragment:
  - netops.calico.datastore
attributes:
  check_mode:
    support: full
    description: Every apply and delete is the API server's dry run (C(dryRun=All)), so changed and the diff
      are what the server would store; nothing is written and nothing is waited for.
  diff_mode:
    support: full
    description: Before and after of every object that changes (without status and server-maintained metadata).
  idempotent:
    support: full
    description: Applying the same objects again reports no change.
options:
  objects:
    description:
      - Kubernetes objects (C(apiVersion), C(kind), C(metadata.name), C(metadata.namespace) for namespaced
        kinds) to apply, in order.
      - "Kinds: ConfigMap, Namespace, Node, Pod, Service, ServiceAccount, DaemonSet, Deployment,
        PodDisruptionBudget, ClusterRole, ClusterRoleBinding, Role, RoleBinding, CustomResourceDefinition."
    type: list
    elements: dict
    default: []
  absent:
    description: Objects (C(apiVersion), C(kind), C(metadata.name) and C(metadata.namespace)) to delete when they exist.
    type: list
    elements: dict
    default: []
  field_manager:
    description: The field manager that owns the applied fields.
    type: str
    default: netops.calico
  force_conflicts:
    description:
      - Take over fields another manager owns with a different value, as C(kubectl apply --server-side
        --force-conflicts). Without it such an apply fails naming the fields.
    type: bool
    default: true
  existing_only:
    description:
      - Apply only to objects that exist; an absent one is left alone. For changing a few fields of
        an object someone else manages (kube-proxy's nodeSelector).
    type: bool
    default: false
  wait:
    description: Wait for the DaemonSets and Deployments of O(objects) to roll out.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait for all of them together.
    type: int
    default: 300
notes:
  - Needs O(datastore_type=kubernetes); the connection is the kubeconfig's.
"""

EXAMPLES = r"""
- name: A ConfigMap and a DaemonSet, waiting for the DaemonSet
  netops.calico.calico_k8s_apply:
    datastore_type: kubernetes
    kubeconfig: /etc/kubernetes/admin.conf
    objects: "{{ lookup('ansible.builtin.template', 'calico-node.yaml.j2') | ansible.builtin.from_yaml_all | list }}"
    wait: true
    wait_timeout: 600

- name: Keep kube-proxy off the nodes (another manager's DaemonSet, one field)
  netops.calico.calico_k8s_apply:
    datastore_type: kubernetes
    field_manager: netops.calico-kube-proxy
    force_conflicts: false
    existing_only: true
    objects:
      - apiVersion: apps/v1
        kind: DaemonSet
        metadata: {name: kube-proxy, namespace: kube-system}
        spec: {template: {spec: {nodeSelector: {non-calico: "true"}}}}
"""

RETURN = r"""
objects:
  description: Each object (C(Kind namespace/name)) and what happened to it - created, updated, unchanged, deleted,
    absent, or "absent, left alone" (O(existing_only)).
  returned: always
  type: dict
  sample: {"ConfigMap kube-system/calico-config": "updated", "DaemonSet kube-system/calico-node": "unchanged"}
rollout:
  description: Each DaemonSet and Deployment waited for, with its final status.
  returned: when O(wait=true) and not in check mode
  type: dict
  sample: {"DaemonSet kube-system/calico-node": "3 of 3 pods available"}
"""

from ansible_collections.netops.calico.plugins.module_utils._kubernetes.install import apply_objects
from ansible_collections.netops.calico.plugins.module_utils._kubernetes.rollout import wait as wait_rollout
from ansible_collections.netops.calico.plugins.module_utils._module import datastore_module, run

ARGUMENT_SPEC = {
    "objects": {"type": "list", "elements": "dict", "default": []},
    "absent": {"type": "list", "elements": "dict", "default": []},
    "field_manager": {"type": "str", "default": "netops.calico"},
    "force_conflicts": {"type": "bool", "default": True},
    "existing_only": {"type": "bool", "default": False},
    "wait": {"type": "bool", "default": False},
    "wait_timeout": {"type": "int", "default": 300},
}


def main() -> None:
    module = datastore_module(ARGUMENT_SPEC)
    p = module.params

    def body(ds):
        result = apply_objects(ds, p["objects"], p["absent"], p["field_manager"], p["force_conflicts"],
                               p["existing_only"])
        if p["wait"] and not module.check_mode:
            result["rollout"] = wait_rollout(ds, p["objects"], p["wait_timeout"])
        return result

    run(module, body, refuse={"etcdv3": "calico_k8s_apply talks to the Kubernetes API: set datastore_type: "
                                        "kubernetes (and kubeconfig, or KUBECONFIG)."})


if __name__ == "__main__":
    main()
