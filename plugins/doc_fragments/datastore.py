# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  datastore_type:
    description:
      - Which datastore Calico uses, as calico-node's C(DATASTORE_TYPE).
      - V(etcdv3) talks to etcd directly with Calico's key layout.
      - V(kubernetes) uses the Kubernetes API and Calico's C(crd.projectcalico.org/v1) resources.
      - Falls back to the E(DATASTORE_TYPE) environment variable.
    type: str
    choices: [etcdv3, kubernetes]
    default: etcdv3
  etcd_endpoints:
    description:
      - Comma-separated etcd client URLs, for example V(https://10.0.0.1:2379,https://10.0.0.2:2379).
      - Endpoints are tried in turn; a call fails only when none answers after bounded retries.
      - Falls back to E(ETCD_ENDPOINTS). Required when O(datastore_type=etcdv3).
    type: str
  etcd_ca_cert_file:
    description:
      - CA certificate that signed the etcd server certificates. Falls back to E(ETCD_CA_CERT_FILE).
    type: path
  etcd_cert_file:
    description:
      - Client certificate for etcd; requires O(etcd_key_file). Falls back to E(ETCD_CERT_FILE).
    type: path
  etcd_key_file:
    description:
      - Private key of O(etcd_cert_file). Falls back to E(ETCD_KEY_FILE).
      - A key file that every user of the machine can read or write (mode C(o+r) or C(o+w), for example
        C(0644)) is refused, as ssh refuses an unprotected private key; owner and group access (C(0600),
        C(0640)) is fine.
    type: path
  kubeconfig:
    description:
      - Kubeconfig for O(datastore_type=kubernetes). Falls back to E(KUBECONFIG), then to the
        in-cluster service account, then to C(~/.kube/config).
    type: path
  datastore_timeout:
    description:
      - Seconds to wait for one datastore request before trying the next endpoint.
    type: float
    default: 10.0
requirements:
  - etcd3gw (for O(datastore_type=etcdv3))
  - kubernetes (for O(datastore_type=kubernetes))
notes:
  - The etcdv3 backend talks to etcd's gRPC-JSON gateway (C(/v3/) on the client port). With
    C(--client-cert-auth), etcd's gateway dials etcd with the server certificate, which must then
    also allow client authentication (extended key usage clientAuth), as etcd's TLS guide says.
  - Set these once for every datastore module with C(module_defaults) and the
    C(group/netops.calico.datastore) action group.
"""
