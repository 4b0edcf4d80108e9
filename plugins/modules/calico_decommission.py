#!/usr/bin/python
# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: calico_decommission
short_description: Purge dead nodes from Calico's datastore (etcd or Kubernetes), with their IPAM
version_added: 0.1.0
description:
  - Finds dead nodes from the sources you select and removes everything Calico keeps for them, in the
    order C(calicoctl delete node) (libcalico-go C(nodes.Delete)) uses. Releases the node's workload and
    tunnel addresses (IPv4 and IPv6 IPIP/VXLAN/WireGuard) and updates their handles. Deletes its
    WorkloadEndpoints. Releases each affine block (the affinity is marked pendingDeletion, then the
    block is deleted if empty or loses its affinity, and the affinity goes). Then deletes
    C(/calico/ipam/v2/host/<node>), BGPPeers with C(spec.node) equal to the node, the per-node
    FelixConfiguration and BGPConfiguration, HostEndpoints of the node, Felix's status reports and
    finally the Node.
  - On etcd, every write is an etcd transaction guarded by the mod revision that was read; many of them
    are packed into one transaction, each with its own compare. A crash, a lost etcd or a concurrent run
    leaves the datastore consistent, and running the task again finishes the job.
  - On the Kubernetes datastore (O(datastore_type=kubernetes)) the same plan and steps work on Calico's
    CRDs (C(ipamblocks), C(blockaffinities), C(ipamhandles), C(felixconfigurations), C(bgpconfigurations),
    C(bgppeers), C(hostendpoints) in C(crd.projectcalico.org/v1)), each write guarded by the
    resourceVersion that was read. The Kubernetes API has no multi-object transaction, so the writes of
    one step are made one by one in libcalico-go's order (a block before its handles); running the task
    again finishes an interrupted purge.
  - On the Kubernetes datastore the Calico Node is the Kubernetes Node. A node whose Kubernetes Node is
    gone has only its IPAM left; such hosts (found by their block affinities) are candidates with
    O(keep), and O(liveness=kubernetes) judges them dead, as calico-kube-controllers does. The purge
    releases the node's addresses, handles, affinities and blocks and deletes its per-node
    FelixConfiguration and BGPConfiguration, BGPPeers and HostEndpoints; the Kubernetes Node itself is
    deleted only with O(delete_kubernetes_node=true). Pods are not deleted (they are for Kubernetes
    to remove, as its pod garbage collector does for the pods of a deleted Node); their addresses are
    released, found by the node the CNI plugin records on each allocation.
  - A candidate that any selected source still sees alive is kept, and the reason is returned.
    Liveness is checked again right before each batch of nodes is purged.
  - Refuses to delete more than O(max_fraction) of the nodes, or a node named in O(nodes) that is also
    in O(keep), unless O(force=true). On the Kubernetes datastore the fraction counts every node Calico
    knows (the Kubernetes Nodes and the hosts that only have block affinities left).
author:
  - netops.calico contributors (@netops-calico)
extends_documentation_fragment:
  - netops.calico.datastore
attributes:
  check_mode:
    support: full
    description: Plans the purge the same way and returns the whole plan (nodes, addresses, handles, blocks, keys)
      without writing anything.
  diff_mode:
    support: full
    description: Shows the purged nodes as removed.
  idempotent:
    support: full
    description: Once the dead nodes are gone, a second run finds nothing to purge and reports no change.
options:
  nodes:
    description:
      - Names of Calico nodes to purge. They need not have a Node resource any more; whatever is left of
        them is removed.
      - A name that is not a valid node name (V(''), V(*), upper case, ...) fails the task before anything is
        written; a name of which nothing is left in the datastore gives a warning (a typo, or a node
        already purged).
    type: list
    elements: str
    default: []
  keep:
    description:
      - The live set, typically the inventory. Every Calico node not in it (including names that only
        have IPAM affinities left) is a candidate.
      - A node in O(keep) is never purged unless O(force=true); naming one in O(nodes) is refused, and with
        O(force=true) it is purged.
      - Names that are not valid node names fail the task; names that are not Calico nodes in the datastore
        give a warning, since they protect nothing.
    type: list
    elements: str
  liveness:
    description:
      - Sources that judge liveness. Each makes nodes it sees dead candidates and keeps the candidates it
        sees alive.
      - V(kubernetes) - a Calico node whose C(orchRefs) Kubernetes node no longer exists is dead, one whose
        Kubernetes node exists is alive; nodes without a k8s orchRef get no verdict. On the Kubernetes
        datastore, a host with IPAM left but no Kubernetes Node of its name is dead, and every Kubernetes
        Node is alive.
      - V(aws) - a node is matched to EC2 instances by instance ID, private DNS name and private addresses
        (DescribeInstances); alive when a match is pending, running, stopping or stopped, dead when all
        matches are terminated or nothing matches. Scope it with O(aws.filters).
      - V(felix) - Felix's status report in etcd (C(/calico/felix/v2/<region>/host/<node>/status)); dead
        when it expired or is older than O(felix_max_age), alive when fresh. Needs Felix's
        C(reportingInterval) above 0 (calico-node sets it to 0); nodes without reports get no verdict.
        Not available on the Kubernetes datastore (Felix writes no status reports there).
    type: list
    elements: str
    choices: [kubernetes, aws, felix]
    default: []
  kubernetes_kubeconfig:
    description:
      - Kubeconfig for O(liveness=kubernetes) with the etcdv3 datastore. Defaults to E(KUBECONFIG), the
        in-cluster service account, then C(~/.kube/config).
      - Ignored with O(datastore_type=kubernetes), where the datastore connection (O(kubeconfig)) is used.
    type: path
  kubernetes_context:
    description: Context in O(kubernetes_kubeconfig) to use.
    type: str
  aws:
    description: EC2 connection for O(liveness=aws), named as amazon.aws names these options.
    type: dict
    suboptions:
      access_key:
        description: AWS access key ID. Falls back to E(AWS_ACCESS_KEY_ID).
        type: str
        aliases: [aws_access_key_id, aws_access_key]
      secret_key:
        description: AWS secret access key. Falls back to E(AWS_SECRET_ACCESS_KEY).
        type: str
        aliases: [aws_secret_access_key, aws_secret_key]
      session_token:
        description: AWS session token. Falls back to E(AWS_SESSION_TOKEN).
        type: str
        aliases: [aws_session_token]
      profile:
        description: Named profile. Falls back to E(AWS_PROFILE).
        type: str
        aliases: [aws_profile]
      region:
        description: The region of the instances. Falls back to E(AWS_REGION) or E(AWS_DEFAULT_REGION).
        type: str
        aliases: [aws_region]
      endpoint_url:
        description: EC2 endpoint URL, for example a VPC endpoint. Falls back to E(AWS_URL) or E(EC2_URL).
        type: str
        aliases: [aws_endpoint_url, ec2_url]
      validate_certs:
        description: Verify the endpoint's TLS certificate.
        type: bool
        default: true
      aws_ca_bundle:
        description: CA bundle for the endpoint. Falls back to E(AWS_CA_BUNDLE).
        type: path
      filters:
        description:
          - DescribeInstances filters (name to value or list of values) that scope the instances considered,
            for example C(vpc-id) or C(tag:KubernetesCluster). A node with no matching instance is dead, so
            scope to the cluster's VPC.
        type: dict
  felix_max_age:
    description: Seconds after which a Felix status report counts as expired (O(liveness=felix)).
    type: int
    default: 300
  max_fraction:
    description:
      - Largest fraction of all nodes that one run may delete without O(force), between V(0) and V(1).
        Anything else (V(nan), V(inf), a negative number) fails the task.
    type: float
    default: 0.2
  force:
    description: Delete beyond O(max_fraction), and delete nodes that are in O(keep) (named in O(nodes) or judged
      dead by a O(liveness) source).
    type: bool
    default: false
  delete_kubernetes_node:
    description:
      - With O(datastore_type=kubernetes), also delete the dead nodes' Kubernetes Node objects (as
        C(kubectl delete node) does, guarded by the resourceVersion that was read), after their Calico
        state is purged. Without it the Kubernetes Nodes are left alone.
      - Not available with the etcdv3 datastore, where the Calico Node is deleted.
    type: bool
    default: false
  serial:
    description:
      - Purge in batches of this many nodes, checking liveness again before each batch and stopping after a
        batch in which a node failed. V(0) uses batches of 100.
    type: int
    default: 0
notes:
  - Reads the cluster once with range reads and per-node reads in multi-key transactions, plans in memory,
    then writes; 1,000 nodes take seconds.
  - Borrowed addresses of a dead node that have no WorkloadEndpoint and lie in another node's block are not
    found; C(calico_info) reports them as IPAM leaks.
seealso:
  - name: calicoctl ipam check
    description: What counts as an IPAM leak.
    link: https://docs.tigera.io/calico/latest/reference/calicoctl/ipam/check
"""

EXAMPLES = r"""
- name: Plan the purge of everything not in the inventory (nothing is written)
  netops.calico.calico_decommission:
    keep: "{{ groups['k8s_cluster'] }}"
    etcd_endpoints: https://10.0.0.1:2379
    etcd_ca_cert_file: /etc/calico/pki/ca.pem
  check_mode: true
  run_once: true
  delegate_to: localhost
  register: plan

- name: Purge nodes whose Kubernetes node is gone, keeping any Felix still reports from
  netops.calico.calico_decommission:
    liveness: [kubernetes, felix]
    kubernetes_kubeconfig: /etc/kubernetes/admin.conf
  run_once: true
  delegate_to: localhost

- name: Purge nodes whose EC2 instance is terminated, 50 at a time
  netops.calico.calico_decommission:
    liveness: [aws]
    aws:
      region: eu-west-1
      filters:
        vpc-id: vpc-0123456789abcdef0
    serial: 50
  run_once: true
  delegate_to: localhost

- name: Purge two named nodes
  netops.calico.calico_decommission:
    nodes: [worker-17, worker-23]
  run_once: true
  delegate_to: localhost

- name: Kubernetes datastore - release the IPAM of nodes whose Kubernetes Node is gone
  netops.calico.calico_decommission:
    datastore_type: kubernetes
    kubeconfig: /etc/kubernetes/admin.conf
    liveness: [kubernetes]
  run_once: true
  delegate_to: localhost

- name: Kubernetes datastore - purge a dead node and delete its Kubernetes Node too
  netops.calico.calico_decommission:
    datastore_type: kubernetes
    kubeconfig: /etc/kubernetes/admin.conf
    nodes: [worker-17]
    delete_kubernetes_node: true
  run_once: true
  delegate_to: localhost
"""

RETURN = r"""
nodes:
  description: The nodes purged (in check mode, that would be purged), each with what was removed.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Node name.
      type: str
    reasons:
      description: Why the node is considered dead, one entry per source.
      type: list
      elements: str
    ips:
      description: Addresses released.
      type: list
      elements: str
    handles:
      description: IPAM handles decremented or deleted.
      type: list
      elements: str
    blocks_deleted:
      description: Blocks deleted (CIDRs).
      type: list
      elements: str
    blocks_unaffined:
      description: Blocks still in use by other nodes whose affinity was cleared.
      type: list
      elements: str
    affinities:
      description: Block affinities deleted (block CIDRs).
      type: list
      elements: str
    workload_endpoints:
      description: WorkloadEndpoints deleted, as namespace/name (etcd only; on the Kubernetes datastore they are
        pods, which are left to Kubernetes).
      type: list
      elements: str
    host_endpoints:
      description: HostEndpoints deleted.
      type: list
      elements: str
    bgp_peers:
      description: BGPPeers deleted.
      type: list
      elements: str
    felix_configuration:
      description: Whether FelixConfiguration node.<name> was deleted.
      type: bool
    bgp_configuration:
      description: Whether BGPConfiguration node.<name> was deleted.
      type: bool
    ipam_host:
      description: Whether /calico/ipam/v2/host/<name> was deleted (etcd only).
      type: bool
    status_reports:
      description: Felix status keys deleted.
      type: list
      elements: str
    node:
      description: Whether the Node resource (on the Kubernetes datastore, the Kubernetes Node) was deleted.
      type: bool
  sample:
    - name: worker-17
      reasons: ["listed in nodes"]
      ips: [100.96.3.0, 100.96.3.7]
      handles: [ipip-tunnel-addr-worker-17, k8s-pod-network.3f9a1c7e]
      blocks_deleted: [100.96.3.0/26]
      blocks_unaffined: []
      affinities: [100.96.3.0/26]
      workload_endpoints: [default/worker--17-k8s-nginx-eth0]
      host_endpoints: []
      bgp_peers: []
      felix_configuration: true
      bgp_configuration: false
      ipam_host: false
      status_reports: []
      node: true
kept:
  description: Candidates kept because a source sees them alive, with the reasons.
  returned: always
  type: list
  elements: dict
  sample: [{name: worker-3, reasons: ["felix: Felix reported 12s ago"]}]
refused:
  description: Nodes named in O(nodes) that are in O(keep) (the task fails unless O(force)).
  returned: always
  type: list
  elements: str
batches:
  description: The node names of each batch, in order.
  returned: always
  type: list
  elements: list
failed_nodes:
  description: Nodes whose purge stopped (another writer kept changing their keys), with the error.
  returned: always
  type: list
  elements: dict
total_nodes:
  description: Number of Node resources in the datastore (Kubernetes Nodes, on the Kubernetes datastore) before
    the purge.
  returned: always
  type: int
writes:
  description: Number of keys written or deleted (that would be, in check mode).
  returned: always
  type: int
"""

from ansible_collections.netops.calico.plugins.module_utils._decommission import liveness
from ansible_collections.netops.calico.plugins.module_utils._decommission import purge as _decommission
from ansible_collections.netops.calico.plugins.module_utils._aws import aws_argspec
from ansible_collections.netops.calico.plugins.module_utils._module import datastore_module, run


def main() -> None:
    aws_options = aws_argspec()
    aws_options["filters"] = {"type": "dict"}
    module = datastore_module({
        "nodes": {"type": "list", "elements": "str", "default": []},
        "keep": {"type": "list", "elements": "str"},
        "liveness": {"type": "list", "elements": "str", "choices": list(liveness.LIVENESS_SOURCES),
                     "default": []},
        "kubernetes_kubeconfig": {"type": "path"},
        "kubernetes_context": {"type": "str"},
        "aws": {"type": "dict", "options": aws_options},
        "felix_max_age": {"type": "int", "default": liveness.DEFAULT_FELIX_MAX_AGE},
        "max_fraction": {"type": "float", "default": 0.2},
        "force": {"type": "bool", "default": False},
        "serial": {"type": "int", "default": 0},
        "delete_kubernetes_node": {"type": "bool", "default": False},
    })
    p = module.params

    def body(ds):
        opts = _decommission.Options(
            nodes=p["nodes"], keep=p["keep"], liveness=p["liveness"], felix_max_age=p["felix_max_age"],
            max_fraction=p["max_fraction"], force=p["force"], serial=p["serial"],
            delete_kubernetes_node=p["delete_kubernetes_node"], log=module.debug, warn=module.warn)
        kdd = p["datastore_type"] == "kubernetes"
        if kdd and (p["kubernetes_kubeconfig"] or p["kubernetes_context"]):
            module.warn("kubernetes_kubeconfig and kubernetes_context are ignored with datastore_type kubernetes: "
                        "the Kubernetes Nodes are read through the datastore connection (kubeconfig).")
        if "kubernetes" in p["liveness"] and not kdd:
            opts.k8s_lister = liveness.kubernetes_lister(p["kubernetes_kubeconfig"], p["kubernetes_context"],
                                                         p["datastore_timeout"])
        if "aws" in p["liveness"]:
            opts.aws_lister = liveness.aws_lister(p["aws"] or {}, log=module.debug)
        result = _decommission.decommission(ds, opts)
        result["diff"] = _decommission.diff(result)
        if result["failed_nodes"]:
            failed = ", ".join(f"{f['name']} ({f['error']})" for f in result["failed_nodes"])
            module.fail_json(msg=f"The purge of {failed} did not finish; the others are done. Run again to finish.",
                             **result)
        return result

    run(module, body)


if __name__ == "__main__":
    main()
