# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Calico's data model as stored in etcd: v3 resources and IPAM objects.

Keys and JSON follow libcalico-go (projectcalico/calico, v3.31):
- v3 resources: ``/calico/resources/v3/projectcalico.org/<plural>/[<namespace>/]<name>``
  (lib/backend/model/resource.go, ResourceKey.defaultDeletePath); value is json.Marshal of the whole
  object with resourceVersion and selfLink cleared (lib/clientv3/resources.go resourceToKVPair);
  uid and creationTimestamp are set on create; resourceVersion on read is the etcd ModRevision.
- IPAM: ``/calico/ipam/v2/assignment/ipv<N>/block/<net>-<len>`` (model/block.go),
  ``/calico/ipam/v2/host/<node>/ipv<N>/block/<net>-<len>`` (model/block_affinity.go),
  ``/calico/ipam/v2/handle/<id>`` (model/ipam_handle.go), ``/calico/ipam/v2/config``
  (model/ipam_config.go), legacy ``/calico/ipam/v2/host/<node>`` (model/ipam_host.go).

Everything here is pure: no I/O.
"""

from __future__ import annotations

import copy
import datetime
import ipaddress
import json
import uuid
from dataclasses import dataclass
from typing import Any

from ansible_collections.netops.calico.plugins.module_utils._datastore import fields as _fields
from ansible_collections.netops.calico.plugins.module_utils._datastore import govalues
from ansible_collections.netops.calico.plugins.module_utils._datastore.errors import DatastoreError

API_VERSION = "projectcalico.org/v3"
CRD_API_VERSION = "crd.projectcalico.org/v1"
RESOURCE_PREFIX = "/calico/resources/v3/projectcalico.org/"
IPAM_PREFIX = "/calico/ipam/v2/"
FELIX_STATUS_PREFIX = "/calico/felix/v2/"


@dataclass(frozen=True)
class Kind:
    name: str          # "IPPool"
    plural: str        # "ippools" (etcd path segment and CRD plural)
    namespaced: bool = False


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("Node", "nodes"),
    Kind("IPPool", "ippools"),
    Kind("FelixConfiguration", "felixconfigurations"),
    Kind("BGPConfiguration", "bgpconfigurations"),
    Kind("BGPPeer", "bgppeers"),
    Kind("BGPFilter", "bgpfilters"),
    Kind("ClusterInformation", "clusterinformations"),
    Kind("HostEndpoint", "hostendpoints"),
    Kind("IPReservation", "ipreservations"),
    Kind("KubeControllersConfiguration", "kubecontrollersconfigurations"),
    Kind("Profile", "profiles"),
    Kind("GlobalNetworkPolicy", "globalnetworkpolicies"),
    Kind("WorkloadEndpoint", "workloadendpoints", namespaced=True),
    Kind("NetworkPolicy", "networkpolicies", namespaced=True),
)}

# IPAM object kinds (not v3 resources; raw model structs). Names used by the client:
#   IPAMBlock: the block CIDR ("10.0.0.0/26"); BlockAffinity: "<node>/<cidr>";
#   IPAMHandle: the handle ID; IPAMConfig: "default"; IPAMHost: the node name.
IPAM_KINDS = ("IPAMBlock", "BlockAffinity", "IPAMHandle", "IPAMConfig", "IPAMHost")


def kind(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"unknown Calico kind {name!r}; known: {', '.join(sorted(KINDS))}") from None


# ---------------------------------------------------------------------------------------------
# keys


def resource_key(kind_name: str, name: str, namespace: str | None = None) -> str:
    k = kind(kind_name)
    if k.namespaced:
        if not namespace:
            raise ValueError(f"{kind_name} is namespaced: a namespace is required")
        return f"{RESOURCE_PREFIX}{k.plural}/{namespace}/{name}"
    return f"{RESOURCE_PREFIX}{k.plural}/{name}"


def resource_prefix(kind_name: str, namespace: str | None = None) -> str:
    k = kind(kind_name)
    if k.namespaced and namespace:
        return f"{RESOURCE_PREFIX}{k.plural}/{namespace}/"
    return f"{RESOURCE_PREFIX}{k.plural}/"


def _cidr_segment(cidr: str) -> tuple[int, str]:
    net = ipaddress.ip_network(cidr, strict=False)  # the key masks the address first
    return net.version, f"{net.network_address}-{net.prefixlen}"


def segment_to_cidr(segment: str) -> str:
    """``10.0.0.0-26`` -> ``10.0.0.0/26`` (the last ``-`` separates the prefix length)."""
    addr, _x, plen = segment.rpartition("-")
    return f"{addr}/{plen}"


def block_key(cidr: str) -> str:
    version, seg = _cidr_segment(cidr)
    return f"{IPAM_PREFIX}assignment/ipv{version}/block/{seg}"


def affinity_key(node: str, cidr: str) -> str:
    version, seg = _cidr_segment(cidr)
    return f"{IPAM_PREFIX}host/{node}/ipv{version}/block/{seg}"


def handle_key(handle_id: str) -> str:
    return f"{IPAM_PREFIX}handle/{handle_id}"


IPAM_CONFIG_KEY = f"{IPAM_PREFIX}config"


def ipam_host_key(node: str) -> str:
    return f"{IPAM_PREFIX}host/{node}"


def ipam_key(kind_name: str, name: str) -> str:
    if kind_name == "IPAMBlock":
        return block_key(name)
    if kind_name == "BlockAffinity":
        node, _x, cidr = name.partition("/")
        return affinity_key(node, cidr)
    if kind_name == "IPAMHandle":
        return handle_key(name)
    if kind_name == "IPAMConfig":
        return IPAM_CONFIG_KEY
    if kind_name == "IPAMHost":
        return ipam_host_key(name)
    raise ValueError(f"unknown IPAM kind {kind_name!r}")


def ipam_prefix(kind_name: str, node: str | None = None) -> str:
    if kind_name == "IPAMBlock":
        return f"{IPAM_PREFIX}assignment/"
    if kind_name == "BlockAffinity":
        return f"{IPAM_PREFIX}host/{node}/" if node else f"{IPAM_PREFIX}host/"
    if kind_name == "IPAMHandle":
        return f"{IPAM_PREFIX}handle/"
    raise ValueError(f"{kind_name} has no list prefix")


def parse_key(key: str) -> tuple[str, str, str | None] | None:
    """Map an etcd key back to (kind, name, namespace); None for keys outside the model."""
    if key.startswith(RESOURCE_PREFIX):
        parts = key[len(RESOURCE_PREFIX):].split("/")
        for k in KINDS.values():
            if parts[0] == k.plural:
                if k.namespaced and len(parts) == 3:
                    return k.name, parts[2], parts[1]
                if not k.namespaced and len(parts) == 2:
                    return k.name, parts[1], None
        return None
    if key.startswith(IPAM_PREFIX):
        parts = key[len(IPAM_PREFIX):].split("/")
        if parts[0] == "assignment" and len(parts) == 4 and parts[2] == "block":
            return "IPAMBlock", segment_to_cidr(parts[3]), None
        if parts[0] == "host" and len(parts) == 5 and parts[3] == "block":
            return "BlockAffinity", f"{parts[1]}/{segment_to_cidr(parts[4])}", None
        if parts[0] == "host" and len(parts) == 2:
            return "IPAMHost", parts[1], None
        if parts[0] == "handle" and len(parts) == 2:
            return "IPAMHandle", parts[1], None
        if parts == ["config"]:
            return "IPAMConfig", "default", None
    return None


# ---------------------------------------------------------------------------------------------
# JSON exactly as Go's encoding/json writes it


def go_json(value: Any) -> str:
    """Compact JSON with Go's escaping of <, >, & and U+2028/9 (json.Marshal HTML-escapes)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


# metav1.ObjectMeta field order (k8s.io/apimachinery/pkg/apis/meta/v1/types.go)
_META_ORDER = ("name", "generateName", "namespace", "selfLink", "uid", "resourceVersion",
               "generation", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
               "labels", "annotations", "ownerReferences", "finalizers", "managedFields")


def _is_empty(v: Any) -> bool:
    return v is None or v == "" or v == {} or v == [] or v is False or v == 0


def _order(obj: dict, fields: tuple | None) -> dict:
    """Order keys as the Go struct does; drop omitempty empties; unknown keys keep their order."""
    if not fields:
        return dict(obj)
    out: dict[str, Any] = {}
    for f in fields:
        if f.json not in obj:
            continue
        v = obj[f.json]
        if f.omitempty and _is_empty(v) and not (f.pointer and v is not None):
            continue
        sub = getattr(f, "fields", None)
        go_type = getattr(f, "go_type", "")
        v = govalues.go_int_or_string(go_type, v)
        if go_type.lstrip("*").startswith("map[") and isinstance(v, dict):
            v = _sorted_map(v)
        elif sub and isinstance(v, dict):
            v = _order(v, sub)
        elif sub and isinstance(v, list):
            v = [_order(i, sub) if isinstance(i, dict) else i for i in v]
        out[f.json] = v
    for k, v in obj.items():
        if k not in out and not any(f.json == k for f in fields):
            out[k] = v
    return out


def _sorted_map(m: dict) -> dict:
    """encoding/json writes a Go map with its keys sorted (byte order of the UTF-8 keys, which
    for str keys is Python's code point order)."""
    return {k: m[k] for k in sorted(m)} if all(isinstance(k, str) for k in m) else dict(m)


def now_rfc3339() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def normalise_resource(resource: dict) -> dict:
    """Return the object as clientv3 stores it: kind/apiVersion forced, metadata in ObjectMeta
    order without resourceVersion/selfLink, spec in Go struct order, Node's empty status kept."""
    kind_name = resource["kind"]
    kind(kind_name)
    meta = {k: v for k, v in (resource.get("metadata") or {}).items()
            if k not in ("resourceVersion", "selfLink") and not _is_empty(v)}
    for k in ("labels", "annotations"):          # map[string]string: keys sorted as Go writes them
        if isinstance(meta.get(k), dict):
            meta[k] = _sorted_map(meta[k])
    out: dict[str, Any] = {
        "kind": kind_name,
        "apiVersion": API_VERSION,
        "metadata": {k: meta[k] for k in _META_ORDER if k in meta} | {k: v for k, v in meta.items() if k not in _META_ORDER},
    }
    spec = resource.get("spec")
    if spec is not None or kind_name in _fields.SPEC_FIELDS:
        spec_fields = _fields.SPEC_FIELDS.get(kind_name)
        # fields without omitempty are always written by Go (FelixConfiguration's bpfLogLevel "")
        out["spec"] = _order(govalues.fill_go_zero(spec or {}, spec_fields), spec_fields)
    if kind_name == "Node":
        out["status"] = resource.get("status") or {}   # a struct: always serialised
    elif resource.get("status"):
        out["status"] = resource["status"]
    return out


def new_resource(kind_name: str, name: str, spec: dict, labels: dict | None = None,
                 annotations: dict | None = None, namespace: str | None = None) -> dict:
    """A resource as clientv3.Create writes it: a fresh uid and creationTimestamp."""
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    meta["uid"] = str(uuid.uuid4())
    meta["creationTimestamp"] = now_rfc3339()
    if labels:
        meta["labels"] = dict(labels)
    if annotations:
        meta["annotations"] = dict(annotations)
    return normalise_resource({"kind": kind_name, "metadata": meta, "spec": copy.deepcopy(spec)})


def serialise(kind_name: str, value: dict) -> str:
    """The exact bytes (as text) Calico stores for an object of this kind."""
    if kind_name in KINDS:
        return go_json(normalise_resource(value))
    if kind_name == "IPAMBlock":
        return go_json(_order(value, _fields.IPAM_BLOCK_FIELDS))
    return go_json(value)


def with_revision(resource: dict, revision: str | int) -> dict:
    """A read copy: resourceVersion comes from the store's revision, never from the stored JSON."""
    out = dict(resource)
    meta = dict(out.get("metadata") or {})
    meta["resourceVersion"] = str(revision)
    out["metadata"] = meta
    return out


def revision_to_update(resource: dict) -> str:
    """The ``metadata.resourceVersion`` an update is guarded by; an update without one is refused."""
    meta = resource.get("metadata") or {}
    rev = meta.get("resourceVersion")
    if not rev:
        raise DatastoreError(f"update of {resource.get('kind')} {meta.get('name')!r} without a resourceVersion.")
    return rev


def strip_revision(resource: dict) -> dict:
    out = dict(resource)
    meta = {k: v for k, v in (out.get("metadata") or {}).items() if k != "resourceVersion"}
    out["metadata"] = meta
    return out
