# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes datastore (KDD) backend: Calico's CRDs (crd.projectcalico.org/v1) through the
official ``kubernetes`` Python client, with the same methods and semantics as ``EtcdBackend``.

Formats are copied by rule from libcalico-go (projectcalico/calico v3.31.7; unchanged on main
unless noted), lib/backend/k8s/:

- resources/resources.go ``ConvertCalicoResourceToK8sResource`` / ``ConvertK8sResourceToCalicoResource``:
  a v3 resource is stored as a CR of the same kind in crd.projectcalico.org/v1 with the same name
  and spec. Its v3 metadata (minus name, namespace, resourceVersion, uid) is json.Marshal'ed into
  the annotation ``projectcalico.org/metadata``; the CR itself carries only labels/annotations whose
  key contains ``projectcalico.org/`` or ``operator.tigera.io/``. On read, labels and annotations
  are merged back, ``resourceVersion`` is the CR's, ``uid`` is ``ConvertUID(CR uid)``
  (conversion/conversion.go: every byte bit-reversed except bytes 6 and 8, an involution), and
  ``creationTimestamp`` comes from the annotation (clientv3 sets it on create) or else from the CR.
- resources/customresource.go: Create = POST, Update = PUT carrying metadata.resourceVersion (and
  the CR uid, a server-side precondition), Delete = DELETE with preconditions; errors.go maps
  AlreadyExists / NotFound / Conflict, and a Conflict on a *UID* precondition to "does not exist"
  (the object was deleted and re-created). We pass ``preconditions.resourceVersion`` on delete
  (upstream passes the uid and re-reads first); that is the same compare-and-delete in one request.
- resources/ippool.go ``IPPoolv1v3Converter``: v1-era ``spec.ipip`` / ``spec.nat-outgoing`` are
  converted on read.
- IPAM (values are the same model JSON the etcd backend returns, see model.py):
  resources/ipam_block.go: CR ``ipamblocks/<names.CIDRToName(cidr)>`` ('.', ':' and '/' -> '-'),
  spec {cidr, affinity, allocations, unallocated, attributes, sequenceNumber,
  sequenceNumberForAllocation, deleted, strictAffinity:false};
  resources/ipam_affinity.go: ``blockaffinities/<node>-<CIDRToName>`` (names of 253+ chars are cut and
  suffixed with 11 hex chars of sha256("<node>+<cidrname>")), spec {state, node, type, cidr,
  deleted: "true"|"false" (a string)}, labels projectcalico.org/hostname-hash (base32 sha3-256 of the
  node), /affinity-type, /ip-version (model/block_affinity.go EnsureBlockAffinityLabels);
  resources/ipam_handle.go: ``ipamhandles/<lower(handleID)>``, spec {handleID, block, deleted};
  resources/ipam_config.go: ``ipamconfigs/default``, spec {strictAffinity, autoAllocateBlocks,
  maxBlocksPerHost}. IPAM CRs also get the ``projectcalico.org/metadata`` annotation
  (``{"creationTimestamp":null}`` plus the affinity labels), as customresource.go writes them.
  Upstream deletes IPAM CRs by first marking ``deleted: true`` (a CAS update) because the
  Kubernetes API once had no compare-and-delete; a Get that finds the mark finishes the delete and
  answers "not found". Here ``ipam_delete`` is one DELETE with a resourceVersion precondition;
  ``ipam_get`` answers None for a marked object (without writing), ``ipam_list`` leaves marked
  affinities out (as upstream List does) and ``ipam_create`` over a marked object finishes its
  deletion first. There is no ``IPAMHost`` object in KDD: ``ipam_get("IPAMHost", ...)`` is None.
- resources/node.go: in KDD a Calico ``Node`` *is* the Kubernetes Node (core/v1). ``get``/``list``
  convert it as ``K8sNodeToCalico`` does (annotations projectcalico.org/IPv4Address, IPv6Address,
  ASNumber, RouteReflectorClusterID, IPv4IPIPTunnelAddr, IPv4VXLANTunnelAddr, VXLANTunnelMACAddr,
  IPv6VXLANTunnelAddr, VXLANTunnelMACAddrV6, IPv4/IPv6WireguardInterfaceAddr, WireguardPublicKey[V6],
  Interfaces; labels = Calico labels from projectcalico.org/labels overlaid with the Kubernetes
  labels; uid/creationTimestamp/resourceVersion of the Kubernetes Node), assuming Calico IPAM (not
  host-local ``usePodCIDR``). ``update`` writes only those annotations (and Calico's own labels
  and annotations, stored in the projectcalico.org/labels and /annotations annotations), the way
  ``mergeCalicoNodeIntoK8sNode`` does, as a JSON merge patch of ``nodes/<name>/status`` guarded by
  metadata.resourceVersion; Kubernetes labels are never written. ``create`` and ``delete`` of a Node
  are refused: the kubelet registers Nodes, and removing one is ``kubectl delete node``.

Not handled in KDD (refused with a message): WorkloadEndpoint (pods), Profile (namespaces and
service accounts), GlobalNetworkPolicy / NetworkPolicy (their CR names depend on the Calico version).

Transport: one ApiClient from the kubeconfig (``kubeconfig`` option / KUBECONFIG, several files
joined with ':' are merged; in-cluster service account when neither is set and we run in a pod).
urllib3's own retries are off; we retry reads and writes on connection errors, 429 and 5xx a
bounded number of times with capped backoff (honouring Retry-After). A write whose answer was lost
is resolved by reading back, as the etcd backend does: it is accepted only if the object now holds
exactly what we wrote.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import ipaddress
import json
import os
import time
import uuid
from typing import Any, Callable, Iterator

from ansible_collections.netops.calico.plugins.module_utils._datastore import fields as _fields
from ansible_collections.netops.calico.plugins.module_utils._datastore import model
from ansible_collections.netops.calico.plugins.module_utils._datastore.errors import (
    AlreadyExistsError,
    ConflictError,
    DatastoreError,
    DatastoreTLSError,
    DatastoreUnavailable,
    NotFoundError,
    ValidationError,
)

try:
    import urllib3
    from kubernetes import client as k8s_client
    from kubernetes import config as k8s_config
    from kubernetes.client.exceptions import ApiException
    from kubernetes.config.config_exception import ConfigException
    HAS_KUBERNETES = True
    KUBERNETES_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported by the module through missing_required_lib
    HAS_KUBERNETES = False
    KUBERNETES_IMPORT_ERROR = exc

    class ApiException(Exception):  # type: ignore[no-redef]
        status = 0

GROUP = "crd.projectcalico.org"
VERSION = "v1"
CRD_API_VERSION = f"{GROUP}/{VERSION}"
PAGE_SIZE = 500

METADATA_ANNOTATION = "projectcalico.org/metadata"          # resources.go metadataAnnotation
LABELS_ANNOTATION = "projectcalico.org/labels"              # resources.go labelsAnnotation
ANNOTATIONS_ANNOTATION = "projectcalico.org/annotations"    # resources.go annotationsAnnotation

# model/block_affinity.go, api constants.go
LABEL_HOSTNAME_HASH = "projectcalico.org/hostname-hash"
LABEL_AFFINITY_TYPE = "projectcalico.org/affinity-type"
LABEL_IP_VERSION = "projectcalico.org/ip-version"

# resources/node.go
NODE_ANN = {
    "ipv4": "projectcalico.org/IPv4Address",
    "ipip": "projectcalico.org/IPv4IPIPTunnelAddr",
    "vxlan4": "projectcalico.org/IPv4VXLANTunnelAddr",
    "vxlanmac": "projectcalico.org/VXLANTunnelMACAddr",
    "vxlan6": "projectcalico.org/IPv6VXLANTunnelAddr",
    "vxlanmac6": "projectcalico.org/VXLANTunnelMACAddrV6",
    "ipv6": "projectcalico.org/IPv6Address",
    "asn": "projectcalico.org/ASNumber",
    "kubelabels": "projectcalico.org/kube-labels",
    "wg4": "projectcalico.org/IPv4WireguardInterfaceAddr",
    "wg6": "projectcalico.org/IPv6WireguardInterfaceAddr",
    "wgkey": "projectcalico.org/WireguardPublicKey",
    "wgkey6": "projectcalico.org/WireguardPublicKeyV6",
    "ifaces": "projectcalico.org/Interfaces",
    "rr": "projectcalico.org/RouteReflectorClusterID",
}

# v3 kinds stored as cluster-scoped CRs with the same kind name (k8s/client.go registrations).
CRD_KINDS = ("IPPool", "FelixConfiguration", "BGPConfiguration", "BGPPeer", "BGPFilter", "ClusterInformation",
             "HostEndpoint", "IPReservation", "KubeControllersConfiguration")
_REFUSED = {
    "WorkloadEndpoint": "in the Kubernetes datastore WorkloadEndpoints are Kubernetes pods; manage the pods instead",
    "Profile": ("in the Kubernetes datastore Profiles are derived from Kubernetes namespaces and service "
                "accounts; manage those instead"),
    "GlobalNetworkPolicy": ("netops.calico does not manage policies in the Kubernetes datastore (their CR names "
                            "depend on the Calico version); use calicoctl or kubectl"),
    "NetworkPolicy": ("netops.calico does not manage policies in the Kubernetes datastore (their CR names "
                      "depend on the Calico version); use calicoctl or kubectl"),
}
# IPAM kind -> (plural, CR kind)
IPAM_CRDS = {
    "IPAMBlock": ("ipamblocks", "IPAMBlock"),
    "BlockAffinity": ("blockaffinities", "BlockAffinity"),
    "IPAMHandle": ("ipamhandles", "IPAMHandle"),
    "IPAMConfig": ("ipamconfigs", "IPAMConfig"),
}


# ---------------------------------------------------------------------------------------------
# pure conversions


def convert_uid(uid: str) -> str:
    """conversion.ConvertUID: reverse the bits of every byte except 6 (version) and 8 (variant).
    Applying it twice gives the input back, so it converts both ways."""
    raw = uuid.UUID(str(uid)).bytes
    out = bytearray(int(f"{b:08b}"[::-1], 2) for b in raw)
    out[6], out[8] = raw[6], raw[8]
    return str(uuid.UUID(bytes=bytes(out)))


def cidr_to_name(cidr: str) -> str:
    """names.CIDRToName of the masked network: ``10.0.0.0/26`` -> ``10-0-0-0-26``,
    ``fd00::/122`` -> ``fd00---122``."""
    text = str(ipaddress.ip_network(cidr, strict=False))
    return text.replace(".", "-", 3).replace(":", "-", 7).replace("/", "-", 1)


def hostname_hash(node: str) -> str:
    """model.hashHostnameForLabel: base32 (no padding) of sha3-256, fits a 63-char label."""
    return base64.b32encode(hashlib.sha3_256(node.encode("utf-8")).digest()).decode("ascii").rstrip("=")


def affinity_name(node: str, cidr: str) -> str:
    """blockAffinityClient.parseKey: ``<node>-<cidrname>``, shortened with a hash at 253+ chars."""
    cidrname = cidr_to_name(cidr)
    name = f"{node}-{cidrname}"
    if len(name) >= 253:
        digest = hashlib.sha256(f"{node}+{cidrname}".encode("utf-8")).hexdigest()[:11]
        name = f"{node[:252 - len(cidrname) - 13]}-{cidrname}-{digest}"
    return name


def handle_name(handle_id: str) -> str:
    """ipamHandleClient.parseKey: the handle ID in lower case."""
    return handle_id.lower()


def _masked(cidr: str) -> str:
    return str(ipaddress.ip_network(cidr, strict=False))


def _is_ours(key: str) -> bool:
    """resources.go isOurs: labels/annotations kept on the CR itself."""
    return "projectcalico.org/" in key or "operator.tigera.io/" in key


def _go_map(value: dict | None) -> dict | None:
    """Go marshals maps with sorted keys."""
    return None if value is None else {k: value[k] for k in sorted(value)}


def _meta_annotation(meta: dict, keep_name: bool = False) -> str:
    """json.Marshal of the v3 ObjectMeta copy stored in projectcalico.org/metadata.
    ``creationTimestamp`` is a struct (never omitted: null when zero)."""
    out: dict[str, Any] = {}
    for key in model._META_ORDER:
        if key in ("namespace", "resourceVersion", "uid", "selfLink") or (key == "name" and not keep_name):
            continue
        value = meta.get(key)
        if key == "creationTimestamp":
            out[key] = value or None
            continue
        if value in (None, "", {}, [], 0):
            continue
        if key in ("labels", "annotations"):
            value = _go_map(value)
        elif key == "ownerReferences":
            value = [_translate_owner(r, to_crd=True) for r in value]
        out[key] = value
    return model.go_json(out)


def _translate_owner(ref: dict, to_crd: bool) -> dict:
    ref = dict(ref)
    if to_crd and ref.get("apiVersion") == model.API_VERSION and ref.get("uid"):
        ref["apiVersion"] = CRD_API_VERSION
        ref["uid"] = convert_uid(ref["uid"])
    elif not to_crd and ref.get("apiVersion") in (CRD_API_VERSION, model.API_VERSION) and ref.get("uid"):
        ref["apiVersion"] = model.API_VERSION
        ref["uid"] = convert_uid(ref["uid"])
    return ref


def v3_to_crd(resource: dict, for_update: bool) -> dict:
    """ConvertCalicoResourceToK8sResource: the crd.projectcalico.org/v1 object for a v3 resource."""
    res = model.normalise_resource(resource)
    kind_name = res["kind"]
    v3meta = dict(resource.get("metadata") or {})
    meta: dict[str, Any] = {"name": v3meta["name"]}
    if for_update:
        if v3meta.get("resourceVersion"):
            meta["resourceVersion"] = str(v3meta["resourceVersion"])
        if v3meta.get("uid"):
            meta["uid"] = convert_uid(v3meta["uid"])
    labels = {k: v for k, v in (v3meta.get("labels") or {}).items() if _is_ours(k)}
    if labels:
        meta["labels"] = _go_map(labels)
    annotations = {METADATA_ANNOTATION: _meta_annotation(res["metadata"])}
    for k, v in (v3meta.get("annotations") or {}).items():
        if _is_ours(k):
            annotations[k] = v
    meta["annotations"] = _go_map(annotations)
    out: dict[str, Any] = {"apiVersion": CRD_API_VERSION, "kind": kind_name, "metadata": meta,
                           "spec": res.get("spec") or {}}
    if res.get("status"):
        out["status"] = res["status"]
    return out


def _ippool_v1_to_v3(spec: dict) -> dict:
    """resources/ippool.go IPPoolv1v3Converter.ConvertFromK8s."""
    spec = dict(spec)
    ipip = spec.pop("ipip", None)
    if isinstance(ipip, dict):
        if not ipip.get("enabled"):
            spec["ipipMode"] = "Never"
        elif ipip.get("mode") == "cross-subnet":
            spec["ipipMode"] = "CrossSubnet"
        else:
            spec["ipipMode"] = "Always"
    nat_v1 = spec.pop("nat-outgoing", False)
    if nat_v1 or spec.get("natOutgoing"):
        spec["natOutgoing"] = True
    return spec


def crd_to_v3(kind_name: str, obj: dict) -> dict:
    """ConvertK8sResourceToCalicoResource: the v3 resource (with resourceVersion) for a CR."""
    cr_meta = obj.get("metadata") or {}
    annotations = dict(cr_meta.get("annotations") or {})
    uid = convert_uid(cr_meta["uid"]) if cr_meta.get("uid") else None
    raw = annotations.pop(METADATA_ANNOTATION, None)
    if raw is None:
        meta = {k: v for k, v in cr_meta.items() if k not in ("managedFields", "selfLink")}
        meta["uid"] = uid
    else:
        try:
            stored = json.loads(raw)
        except ValueError:
            raise DatastoreError(f"{kind_name} {cr_meta.get('name')!r} has an unreadable {METADATA_ANNOTATION} "
                                 f"annotation; refusing to touch it.") from None
        meta = dict(stored) if isinstance(stored, dict) else {}
        if meta.get("ownerReferences"):
            meta["ownerReferences"] = [_translate_owner(r, to_crd=False) for r in meta["ownerReferences"]]
        labels = dict(cr_meta.get("labels") or {})
        labels.update(meta.get("labels") or {})
        annotations.update(meta.get("annotations") or {})
        meta["name"] = meta.get("name") or cr_meta.get("name")
        meta["namespace"] = cr_meta.get("namespace")
        meta["uid"] = uid
        meta["labels"] = labels or None
        meta["annotations"] = annotations or None
        if not meta.get("creationTimestamp"):
            meta["creationTimestamp"] = cr_meta.get("creationTimestamp")
    spec = copy.deepcopy(obj.get("spec") or {})
    if kind_name == "IPPool":
        spec = _ippool_v1_to_v3(spec)
    res: dict[str, Any] = {"kind": kind_name, "metadata": meta, "spec": spec}
    if obj.get("status"):
        res["status"] = copy.deepcopy(obj["status"])
    return model.with_revision(model.normalise_resource(res), cr_meta.get("resourceVersion", ""))


# IPAM ----------------------------------------------------------------------------------------


def _ipam_meta(name: str, labels: dict | None = None) -> dict:
    """What customresource.go writes for an IPAM object: name, the metadata annotation (the
    ObjectMeta copy has only labels, if any) and the labels that are ours."""
    ometa: dict[str, Any] = {"creationTimestamp": None}
    meta: dict[str, Any] = {"name": name}
    if labels:
        ometa["labels"] = _go_map(labels)
        meta["labels"] = _go_map(labels)
    meta["annotations"] = {METADATA_ANNOTATION: model.go_json(ometa)}
    return meta


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "t", "true")
    return bool(value)


def ipam_to_crd(kind_name: str, name: str, value: Any) -> dict:
    """The CR for an IPAM object given as (our name, model JSON value)."""
    if kind_name not in IPAM_CRDS:
        raise DatastoreError(f"{kind_name} has no equivalent in the Kubernetes datastore (it exists only in etcd).")
    value = value or {}
    plural, cr_kind = IPAM_CRDS[kind_name]
    if kind_name == "IPAMBlock":
        cidr = _masked(value.get("cidr") or name)
        spec: dict[str, Any] = {"cidr": cidr}
        if value.get("affinity") is not None:
            spec["affinity"] = value["affinity"]
        if value.get("affinity_claim_time") is not None:
            spec["affinityClaimTime"] = value["affinity_claim_time"]
        spec["allocations"] = value.get("allocations")
        spec["unallocated"] = value.get("unallocated")
        attrs = value.get("attributes")
        spec["attributes"] = None if attrs is None else [
            {k: v for k, v in a.items() if v is not None} if isinstance(a, dict) else a for a in attrs]
        spec["sequenceNumber"] = value.get("sequenceNumber", 0)
        spec["sequenceNumberForAllocation"] = value.get("sequenceNumberForAllocation")
        spec["deleted"] = bool(value.get("deleted", False))
        spec["strictAffinity"] = False
        meta = _ipam_meta(cidr_to_name(cidr))
    elif kind_name == "BlockAffinity":
        node, cidr = _split_affinity(name)
        net = ipaddress.ip_network(cidr, strict=False)
        spec = {"state": value.get("state", ""), "node": node, "type": "host", "cidr": str(net),
                "deleted": "true" if _bool(value.get("deleted")) else "false"}
        labels = {LABEL_HOSTNAME_HASH: hostname_hash(node), LABEL_AFFINITY_TYPE: "host",
                  LABEL_IP_VERSION: str(net.version)}
        meta = _ipam_meta(affinity_name(node, cidr), labels)
    elif kind_name == "IPAMHandle":
        spec = {"handleID": name, "block": value.get("block"), "deleted": bool(value.get("deleted", False))}
        meta = _ipam_meta(handle_name(name))
    else:  # IPAMConfig
        if name != "default":
            raise DatastoreError(f"IPAMConfig is a singleton named 'default', not {name!r}.")
        spec = {"strictAffinity": bool(value.get("strict_affinity", False)),
                "autoAllocateBlocks": bool(value.get("auto_allocate_blocks", False))}
        if value.get("maxBlocksPerHost"):
            spec["maxBlocksPerHost"] = value["maxBlocksPerHost"]
        for k, v in value.items():
            if k not in ("strict_affinity", "auto_allocate_blocks", "maxBlocksPerHost") and v not in (None, 0, ""):
                spec[k] = v
        meta = _ipam_meta("default")
    return {"apiVersion": CRD_API_VERSION, "kind": cr_kind, "metadata": meta, "spec": spec}


def crd_to_ipam(kind_name: str, obj: dict) -> tuple[str, Any, bool]:
    """(our name, model JSON value, marked deleted) for an IPAM CR."""
    spec = obj.get("spec") or {}
    if kind_name == "IPAMBlock":
        cidr = _masked(spec["cidr"])
        value: dict[str, Any] = {"cidr": cidr, "affinity": spec.get("affinity")}
        if spec.get("affinityClaimTime") is not None:
            value["affinity_claim_time"] = spec["affinityClaimTime"]
        value["allocations"] = spec.get("allocations")
        value["unallocated"] = spec.get("unallocated")
        attrs = spec.get("attributes")
        if attrs is not None:
            fill = _fields.IPAM_ATTRIBUTE_FIELDS
            attrs = [_fields.fill_go_zero(a, fill) if isinstance(a, dict) else a for a in attrs]
            attrs = [{**{f.json: a[f.json] for f in fill if f.json in a},
                      **{k: v for k, v in a.items() if all(f.json != k for f in fill)}}
                     if isinstance(a, dict) else a for a in attrs]
        value["attributes"] = attrs
        value["sequenceNumber"] = spec.get("sequenceNumber", 0)
        value["sequenceNumberForAllocation"] = spec.get("sequenceNumberForAllocation")
        value["deleted"] = bool(spec.get("deleted", False))
        return cidr, value, value["deleted"]
    if kind_name == "BlockAffinity":
        cidr = _masked(spec["cidr"])
        deleted = _bool(spec.get("deleted", ""))
        return f"{spec.get('node', '')}/{cidr}", {"state": spec.get("state", ""), "deleted": deleted}, deleted
    if kind_name == "IPAMHandle":
        deleted = bool(spec.get("deleted", False))
        return spec.get("handleID", ""), {"block": spec.get("block"), "deleted": deleted}, deleted
    # IPAMConfig: model.IPAMConfig JSON (strict_affinity/auto_allocate_blocks are omitempty)
    value = {}
    if spec.get("strictAffinity"):
        value["strict_affinity"] = True
    if spec.get("autoAllocateBlocks"):
        value["auto_allocate_blocks"] = True
    if spec.get("maxBlocksPerHost"):
        value["maxBlocksPerHost"] = spec["maxBlocksPerHost"]
    for k, v in spec.items():
        if k not in ("strictAffinity", "autoAllocateBlocks", "maxBlocksPerHost") and v not in (None, 0, ""):
            value[k] = v
    return "default", value, False


def _split_affinity(name: str) -> tuple[str, str]:
    node, sep, cidr = name.partition("/")
    if not sep or not node or not cidr:
        raise DatastoreError(f"BlockAffinity name {name!r} is not '<node>/<cidr>'.")
    return node, cidr


def ipam_crd_name(kind_name: str, name: str) -> str:
    if kind_name == "IPAMBlock":
        return cidr_to_name(name)
    if kind_name == "BlockAffinity":
        return affinity_name(*_split_affinity(name))
    if kind_name == "IPAMHandle":
        return handle_name(name)
    if kind_name == "IPAMConfig":
        return "default"
    raise DatastoreError(f"{kind_name} has no equivalent in the Kubernetes datastore (it exists only in etcd).")


# Nodes ---------------------------------------------------------------------------------------


def _valid_ip(value: str, version: int, cidr: bool) -> bool:
    """validator/v3 ValidateCIDRv4/v6 (cidr=True: any CIDR or address of that family) and
    ValidateIPv4/6Network (cidr=False: a masked network or a plain address)."""
    try:
        if "/" in value:
            iface = ipaddress.ip_interface(value)
            if iface.version != version:
                return False
            return cidr or iface.ip == iface.network.network_address
        return ipaddress.ip_address(value).version == version
    except ValueError:
        return False


def _valid_mac(value: str) -> bool:
    """net.ParseMAC: 6, 8 or 20 octets as aa:bb:.., aa-bb-.. or aabb.ccdd.eeff."""
    hexdigits = "0123456789abcdefABCDEF"
    if "." in value:
        groups = value.split(".")
        return len(groups) in (3, 4, 10) and all(len(g) == 4 and all(c in hexdigits for c in g) for g in groups)
    for sep in (":", "-"):
        parts = value.split(sep)
        if len(parts) in (6, 8, 20) and all(len(p) == 2 and all(c in hexdigits for c in p) for p in parts):
            return True
    return False


def _asn(text: str) -> int | None:
    """numorstring.ASNumberFromString: plain uint32 or dotted ``a.b`` (two uint16)."""
    if text.isdigit():
        n = int(text, 10)
        return n if n <= 0xFFFFFFFF else None
    parts = text.split(".")
    if len(parts) == 2 and all(p.isdigit() and int(p) <= 0xFFFF for p in parts):
        return (int(parts[0]) << 16) + int(parts[1])
    return None


def k8s_node_to_calico(node: dict) -> dict:
    """resources/node.go K8sNodeToCalico (Calico IPAM, not usePodCIDR)."""
    kmeta = node.get("metadata") or {}
    ann = kmeta.get("annotations") or {}
    klabels = kmeta.get("labels") or {}

    def get(key: str, check: Callable[[str], bool]) -> str:
        value = ann.get(NODE_ANN[key], "")
        return value if value and check(value) else ""

    meta: dict[str, Any] = {"name": kmeta.get("name"), "uid": kmeta.get("uid"),
                            "creationTimestamp": kmeta.get("creationTimestamp")}
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    for key, target in ((LABELS_ANNOTATION, labels), (ANNOTATIONS_ANNOTATION, annotations)):
        if key in ann:
            try:
                parsed = json.loads(ann[key])
                if isinstance(parsed, dict):
                    target.update(parsed)
            except ValueError:
                pass                                   # upstream logs and ignores it
    labels.update(klabels)                             # Kubernetes labels win (mergeCalicoAndK8sLabels)
    annotations[NODE_ANN["kubelabels"]] = model.go_json(_go_map(kmeta.get("labels")))  # nil map -> null
    meta["labels"] = labels
    meta["annotations"] = annotations

    bgp: dict[str, Any] = {}
    asn = ann.get(NODE_ANN["asn"])
    if asn is not None and _asn(asn) is not None:
        bgp["asNumber"] = _asn(asn)
    for field, key, check in (("ipv4Address", "ipv4", lambda v: _valid_ip(v, 4, True)),
                              ("ipv6Address", "ipv6", lambda v: _valid_ip(v, 6, True)),
                              ("ipv4IPIPTunnelAddr", "ipip", lambda v: _valid_ip(v, 4, False)),
                              ("routeReflectorClusterID", "rr", lambda v: _valid_ip(v, 4, False))):
        value = get(key, check)
        if value:
            bgp[field] = value
    wireguard = {}
    for field, key, version in (("interfaceIPv4Address", "wg4", 4), ("interfaceIPv6Address", "wg6", 6)):
        value = get(key, lambda v, ver=version: _valid_ip(v, ver, False))
        if value:
            wireguard[field] = value
    spec: dict[str, Any] = {}
    if bgp:
        spec["bgp"] = bgp
    for field, key, check in (("ipv4VXLANTunnelAddr", "vxlan4", lambda v: _valid_ip(v, 4, False)),
                              ("vxlanTunnelMACAddr", "vxlanmac", _valid_mac),
                              ("ipv6VXLANTunnelAddr", "vxlan6", lambda v: _valid_ip(v, 6, False)),
                              ("vxlanTunnelMACAddrV6", "vxlanmac6", _valid_mac)):
        value = get(key, check)
        if value:
            spec[field] = value
    spec["orchRefs"] = [{"nodeName": kmeta.get("name"), "orchestrator": "k8s"}]
    if wireguard:
        spec["wireguard"] = wireguard
    addresses = []
    for field in ("ipv4Address", "ipv6Address"):
        if bgp.get(field):
            addresses.append({"address": bgp[field], "type": "CalicoNodeIP"})
    for addr in ((node.get("status") or {}).get("addresses") or []):
        if addr.get("type") in ("InternalIP", "ExternalIP"):
            addresses.append({"address": addr.get("address", ""), "type": addr["type"]})
    if addresses:
        spec["addresses"] = addresses
    if NODE_ANN["ifaces"] in ann:
        try:
            ifaces = json.loads(ann[NODE_ANN["ifaces"]])
        except ValueError:
            ifaces = None
        if isinstance(ifaces, list):
            for iface in ifaces:
                if isinstance(iface, dict) and isinstance(iface.get("addresses"), list):
                    iface["addresses"] = [a for a in iface["addresses"] if _valid_ip(a, 4, False)
                                          or _valid_ip(a, 6, False)]
            spec["interfaces"] = ifaces
    status: dict[str, Any] = {}
    if ann.get(NODE_ANN["wgkey"]):
        status["wireguardPublicKey"] = ann[NODE_ANN["wgkey"]]
    if ann.get(NODE_ANN["wgkey6"]):
        status["wireguardPublicKeyV6"] = ann[NODE_ANN["wgkey6"]]
    pod_cidrs = (node.get("spec") or {}).get("podCIDRs") or []
    if pod_cidrs:
        status["podCIDRs"] = list(pod_cidrs)
    res = {"kind": "Node", "metadata": meta, "spec": spec, "status": status}
    return model.with_revision(model.normalise_resource(res), kmeta.get("resourceVersion", ""))


def calico_node_annotations(resource: dict) -> dict[str, str | None]:
    """mergeCalicoNodeIntoK8sNode (+ restoreCalicoLabels, SetK8sAnnotationsFromCalicoMetadata):
    every Node annotation Calico owns -> its new value, None to remove it."""
    meta = resource.get("metadata") or {}
    spec = resource.get("spec") or {}
    status = resource.get("status") or {}
    labels = dict(meta.get("labels") or {})
    annotations = dict(meta.get("annotations") or {})
    raw_k8s = annotations.pop(NODE_ANN["kubelabels"], None)
    if raw_k8s:
        try:
            k8s_labels = json.loads(raw_k8s) or {}
        except ValueError:
            raise DatastoreError(f"Node {meta.get('name')!r}: annotation {NODE_ANN['kubelabels']} is not JSON.") from None
        for k in k8s_labels:                       # inherited Kubernetes labels are not Calico's
            labels.pop(k, None)
    out: dict[str, str | None] = {
        LABELS_ANNOTATION: model.go_json(_go_map(labels)) if labels else None,
        ANNOTATIONS_ANNOTATION: model.go_json(_go_map(annotations)) if annotations else None,
    }
    bgp = spec.get("bgp") or {}
    wg = spec.get("wireguard") or {}
    asn = bgp.get("asNumber")
    out.update({
        NODE_ANN["vxlan4"]: spec.get("ipv4VXLANTunnelAddr") or None,
        NODE_ANN["vxlanmac"]: spec.get("vxlanTunnelMACAddr") or None,
        NODE_ANN["vxlan6"]: spec.get("ipv6VXLANTunnelAddr") or None,
        NODE_ANN["vxlanmac6"]: spec.get("vxlanTunnelMACAddrV6") or None,
        NODE_ANN["ipv4"]: bgp.get("ipv4Address") or None,
        NODE_ANN["ipip"]: bgp.get("ipv4IPIPTunnelAddr") or None,
        NODE_ANN["ipv6"]: bgp.get("ipv6Address") or None,
        NODE_ANN["asn"]: str(_fields.go_asnumber(asn)) if asn not in (None, "") else None,
        NODE_ANN["rr"]: bgp.get("routeReflectorClusterID") or None,
        NODE_ANN["wg4"]: wg.get("interfaceIPv4Address") or None,
        NODE_ANN["wg6"]: wg.get("interfaceIPv6Address") or None,
        NODE_ANN["wgkey"]: status.get("wireguardPublicKey") or None,
        NODE_ANN["wgkey6"]: status.get("wireguardPublicKeyV6") or None,
        NODE_ANN["ifaces"]: model.go_json(spec["interfaces"]) if spec.get("interfaces") is not None else None,
    })
    return out


# ---------------------------------------------------------------------------------------------
# transport


class _Transient(Exception):
    """A failure worth retrying. ``maybe_applied``: a write may have happened anyway."""

    def __init__(self, detail: str, maybe_applied: bool, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.maybe_applied = maybe_applied
        self.retry_after = retry_after


class _Status(Exception):
    """A non-retryable answer from the API server: ``code``, ``reason``, ``message``, ``body``."""

    def __init__(self, code: int, reason: str, message: str, body: dict) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.body = body


def _one_line(text: Any, limit: int = 300) -> str:
    return " ".join(str(text).split())[:limit]


class KubeAPI:
    """Raw JSON requests to the API server through the kubernetes client, with bounded retries."""

    RETRIES = 4
    BACKOFF = 0.2
    BACKOFF_MAX = 2.0
    RETRY_AFTER_MAX = 5.0

    def __init__(self, api_client: Any, timeout: float = 10.0, log: Callable[[str], None] | None = None) -> None:
        self.api_client = api_client
        self.server = api_client.configuration.host
        self.timeout = timeout
        self.log = log or (lambda msg: None)
        self.custom = k8s_client.CustomObjectsApi(api_client)
        self.core = k8s_client.CoreV1Api(api_client)

    # -- one request ------------------------------------------------------------------------
    def _once(self, method: Callable, *args: Any, **kwargs: Any) -> dict:
        kwargs["_preload_content"] = False
        kwargs["_request_timeout"] = self.timeout
        try:
            resp = method(*args, **kwargs)
            try:
                data = resp.data
            finally:
                resp.release_conn()
        except ApiException as exc:
            raise self._from_api_exception(exc) from None
        except urllib3.exceptions.SSLError as exc:
            raise self._tls(exc) from None
        except urllib3.exceptions.MaxRetryError as exc:
            if isinstance(exc.reason, urllib3.exceptions.SSLError):
                raise self._tls(exc.reason) from None
            raise _Transient(_one_line(exc.reason or exc), maybe_applied=not isinstance(
                exc.reason, urllib3.exceptions.NewConnectionError)) from None
        except urllib3.exceptions.NewConnectionError as exc:
            raise _Transient(_one_line(exc), maybe_applied=False) from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise _Transient(f"{type(exc).__name__}: {_one_line(exc)}", maybe_applied=True) from None
        try:
            return json.loads(data) if data else {}
        except ValueError as exc:
            raise DatastoreError(f"The Kubernetes API at {self.server} answered with something that is not JSON "
                                 f"({exc}).", "Check that kubeconfig points at a Kubernetes API server.") from None

    def _tls(self, exc: Any) -> DatastoreTLSError:
        return DatastoreTLSError(
            f"TLS to the Kubernetes API at {self.server} failed: {_one_line(exc)}.",
            "Check certificate-authority(-data) in the kubeconfig (the CA that signed the API server "
            "certificate) and the client certificate/key, or use a kubeconfig made for this cluster.")

    def _from_api_exception(self, exc: Any) -> Exception:
        code = int(exc.status or 0)
        body: dict = {}
        if exc.body:
            try:
                parsed = json.loads(exc.body)
                if isinstance(parsed, dict):
                    body = parsed
            except ValueError:
                pass
        reason = body.get("reason") or (exc.reason or "")
        message = body.get("message") or _one_line(exc.body or exc.reason or "")
        if code == 0:
            text = _one_line(exc.reason or exc)
            if "SSL" in text or "certificate" in text.lower():
                return self._tls(text)
            return _Transient(text, maybe_applied=True)
        if code == 429 or code >= 500:
            retry_after = None
            headers = exc.headers or {}
            try:
                retry_after = float(headers.get("Retry-After")) if headers.get("Retry-After") else None
            except (TypeError, ValueError):
                retry_after = None
            return _Transient(f"{code} {reason}: {_one_line(message)}", maybe_applied=code != 429,
                              retry_after=retry_after)
        return _Status(code, str(reason), str(message), body)

    # -- retries ---------------------------------------------------------------------------
    def call(self, what: str, method: Callable, *args: Any, **kwargs: Any) -> dict:
        """A read (or a write that cannot do harm when repeated): retried on transient failures."""
        errors: list[str] = []
        delay = self.BACKOFF
        for attempt in range(self.RETRIES):
            try:
                return self._once(method, *args, **kwargs)
            except _Transient as exc:
                errors.append(exc.detail)
                self.log(f"kubernetes {what} failed (attempt {attempt + 1}/{self.RETRIES}): {exc.detail}")
                if attempt + 1 < self.RETRIES:
                    time.sleep(self._pause(exc, delay))
                    delay = min(delay * 2, self.BACKOFF_MAX)
        raise self._unavailable(what, errors)

    def write(self, what: str, do: Callable[[], dict], verify: Callable[[], dict | None]) -> dict:
        """A guarded write. On an unknown outcome (answer lost, 5xx) ``verify()`` reads back and
        returns the stored object if our write is there, None if it did not happen (then we
        retry), or raises when another writer got there first. ``do()`` may raise _Status; a 409
        after a retried attempt is checked with ``verify()`` too (our first try may have landed)."""
        errors: list[str] = []
        delay = self.BACKOFF
        uncertain = False
        for attempt in range(self.RETRIES):
            try:
                return do()
            except _Status as exc:
                if uncertain and exc.code in (404, 409):
                    got = verify()
                    if got is not None:
                        return got
                raise
            except _Transient as exc:
                errors.append(exc.detail)
                self.log(f"kubernetes {what} failed (attempt {attempt + 1}/{self.RETRIES}): {exc.detail}")
                if exc.maybe_applied:
                    uncertain = True
                    got = verify()
                    if got is not None:
                        self.log(f"kubernetes {what}: answer lost, read-back shows it applied")
                        return got
                if attempt + 1 < self.RETRIES:
                    time.sleep(self._pause(exc, delay))
                    delay = min(delay * 2, self.BACKOFF_MAX)
        raise self._unavailable(what, errors)

    def _pause(self, exc: _Transient, delay: float) -> float:
        if exc.retry_after is not None:
            return max(0.0, min(exc.retry_after, self.RETRY_AFTER_MAX))
        return delay

    def _unavailable(self, what: str, errors: list[str]) -> DatastoreUnavailable:
        return DatastoreUnavailable(
            f"The Kubernetes API at {self.server} did not answer {what} after {self.RETRIES} tries: "
            f"{errors[-1] if errors else 'no answer'}.",
            "Check that the API server is running and reachable at the server address in the kubeconfig "
            "(kubeconfig option or KUBECONFIG), and any proxy settings; then run again.")


# ---------------------------------------------------------------------------------------------
# the backend


class _Item:
    """Compatible with etcd.Item for raw_get(): ``key``, ``raw`` bytes, ``revision``, ``value``."""

    __slots__ = ("key", "raw", "revision", "value")

    def __init__(self, key: str, raw: bytes, revision: str, value: Any) -> None:
        self.key = key
        self.raw = raw
        self.revision = revision
        self.value = value

    def __repr__(self) -> str:
        return f"Item({self.key!r}, rev={self.revision})"


class KubernetesBackend:
    """Calico objects in the Kubernetes datastore: v3 resources and IPAM objects, by kind and name.

    Same public methods and semantics as ``EtcdBackend``: reads carry ``metadata.resourceVersion``
    (the CR's), create only if absent (AlreadyExistsError), update/delete only at the revision read
    (ConflictError; NotFoundError when it is gone). See the module docstring for what is stored how,
    and for Nodes: read from core/v1 Nodes; ``update`` patches only Calico's Node annotations;
    ``create``/``delete`` of a Node are refused with an explanation.
    """

    datastore_type = "kubernetes"

    def __init__(self, api: KubeAPI) -> None:
        self.api = api

    @classmethod
    def from_kubeconfig(cls, path: str | None, timeout: float = 10.0,
                        log: Callable[[str], None] | None = None) -> "KubernetesBackend":
        """Connect with a kubeconfig file (several joined with ':' are merged, as kubectl does);
        without one, KUBECONFIG or ~/.kube/config, or the pod's service account in a cluster."""
        if not HAS_KUBERNETES:
            raise DatastoreError(f"the kubernetes Python library is required ({KUBERNETES_IMPORT_ERROR}).",
                                 "Install it with: pip install kubernetes")
        configuration = k8s_client.Configuration()
        path = path or os.environ.get("KUBECONFIG") or None
        default = os.path.expanduser("~/.kube/config")
        try:
            if path:
                files = [p for p in path.split(os.pathsep) if p]
                missing = [p for p in files if not os.path.isfile(p)]
                if len(missing) == len(files):
                    raise DatastoreError(f"kubeconfig {path!r} does not exist or is not a file.",
                                         "Set kubeconfig (or KUBECONFIG) to the kubeconfig of the cluster Calico runs in.")
                k8s_config.load_kube_config(config_file=path, client_configuration=configuration,
                                            persist_config=False)
            elif os.path.isfile(default):
                k8s_config.load_kube_config(config_file=default, client_configuration=configuration,
                                            persist_config=False)
            elif os.environ.get("KUBERNETES_SERVICE_HOST"):
                k8s_config.load_incluster_config(client_configuration=configuration)
            else:
                raise DatastoreError("datastore_type is kubernetes but no kubeconfig was found.",
                                     "Set kubeconfig (or KUBECONFIG) to the kubeconfig of the cluster Calico runs in.")
        except ConfigException as exc:
            raise DatastoreError(f"The kubeconfig {path or default!r} could not be used: {_one_line(exc)}.",
                                 "Fix the file or point kubeconfig (KUBECONFIG) at a valid one; check its "
                                 "current-context.") from None
        except (OSError, ValueError) as exc:
            raise DatastoreError(f"The kubeconfig {path or default!r} could not be read: {_one_line(exc)}") from None
        configuration.retries = False          # retries are ours (KubeAPI), bounded and logged
        api_client = k8s_client.ApiClient(configuration)
        api_client.user_agent = "netops.calico"
        return cls(KubeAPI(api_client, timeout=timeout, log=log))

    # -- helpers ------------------------------------------------------------------------------
    @staticmethod
    def _crd_kind(kind_name: str) -> str:
        model.kind(kind_name)                   # ValueError for an unknown kind, as etcd
        if kind_name in _REFUSED:
            raise DatastoreError(f"{kind_name}: {_REFUSED[kind_name]}.")
        if kind_name not in CRD_KINDS:
            raise DatastoreError(f"{kind_name} is not supported with the Kubernetes datastore.")
        return model.KINDS[kind_name].plural

    @staticmethod
    def _path(plural: str, name: str = "") -> str:
        return f"/apis/{CRD_API_VERSION}/{plural}" + (f"/{name}" if name else "")

    def _fail(self, exc: _Status, what: str, plural: str, name: str = "", verb: str = "") -> DatastoreError:
        """A DatastoreError subclass for a non-retryable API answer."""
        target = f"{plural}.{GROUP}" if plural != "nodes" else "nodes"
        if exc.code == 401:
            return DatastoreError(
                f"The Kubernetes API at {self.api.server} rejected the credentials while {what} (401 Unauthorized).",
                "Check the user in the kubeconfig: its token or client certificate may be wrong or expired.")
        if exc.code == 403:
            return DatastoreError(
                f"The Kubernetes API refused {what}: {exc.message.rstrip('.')}.",
                f"Give the kubeconfig's user RBAC permission to {verb or 'access'} {target} "
                f"(e.g. a ClusterRole with get, list, create, update, delete on crd.projectcalico.org resources "
                f"and get, list, patch on nodes and nodes/status), or use a kubeconfig that has it.")
        if exc.code == 404 and not (exc.body.get("details") or {}).get("name"):
            return DatastoreError(
                f"The Kubernetes API at {self.api.server} does not serve {target}: {exc.message}.",
                "Install Calico (its CRDs crd.projectcalico.org/v1) in this cluster first, or check that "
                "kubeconfig points at the right cluster.")
        if exc.code in (400, 422):
            causes = [f"{c.get('field') or name}: {c.get('message')}" for c in
                      ((exc.body.get("details") or {}).get("causes") or []) if c.get("message")]
            return ValidationError(causes or [f"{name or target}: {exc.message}"])
        return DatastoreError(f"The Kubernetes API refused {what}: {exc.code} {exc.reason}: {exc.message}")

    # raw CR access (cluster scoped) -----------------------------------------------------------
    def _cr_get(self, plural: str, name: str) -> dict | None:
        what = f"reading {plural}/{name}"
        try:
            return self.api.call(what, self.api.custom.get_cluster_custom_object, GROUP, VERSION, plural, name)
        except _Status as exc:
            if exc.code == 404:                    # the object, or the whole CRD (not installed): nothing there
                return None
            raise self._fail(exc, what, plural, name, "get") from None

    def _paged(self, what: str, plural: str, fn: Callable[..., dict], *args: Any,
               crd: bool = False) -> list[dict]:
        """Every item of a list call, following ``continue`` tokens (limit PAGE_SIZE). An expired
        token (410) restarts the listing, at most twice. For a CRD (``crd``), a 404 on the whole
        list means the CRD is not installed: no objects, as upstream List does."""
        for restart in range(3):
            items: list[dict] = []
            token = None
            try:
                while True:
                    kwargs: dict[str, Any] = {"limit": PAGE_SIZE}
                    if token:
                        kwargs["_continue"] = token
                    page = self.api.call(what, fn, *args, **kwargs)
                    items.extend(page.get("items") or [])
                    token = (page.get("metadata") or {}).get("continue")
                    if not token:
                        return items
            except _Status as exc:
                if exc.code == 410 and restart < 2:
                    self.api.log(f"kubernetes {what}: continue token expired, listing again")
                    continue
                if crd and exc.code == 404 and not (exc.body.get("details") or {}).get("name"):
                    return []
                raise self._fail(exc, what, plural, verb="list") from None
        raise DatastoreError(f"Listing {plural} kept expiring.")  # pragma: no cover

    def _cr_list(self, plural: str) -> list[dict]:
        return self._paged(f"listing {plural}", plural, self.api.custom.list_cluster_custom_object,
                           GROUP, VERSION, plural, crd=True)

    def _cr_create(self, plural: str, body: dict, same: Callable[[dict], bool]) -> dict:
        name = body["metadata"]["name"]
        what = f"creating {plural}/{name}"

        def do() -> dict:
            return self.api._once(self.api.custom.create_cluster_custom_object, GROUP, VERSION, plural, body)

        def verify() -> dict | None:
            cur = self._cr_get(plural, name)
            if cur is None:
                return None
            if same(cur):
                return cur
            raise AlreadyExistsError(f"{plural}/{name} already exists.",
                                     "Another writer created it; run again to compare with it.")

        try:
            return self.api.write(what, do, verify)
        except _Status as exc:
            if exc.code == 409:
                raise AlreadyExistsError(f"{plural}/{name} already exists.",
                                         "Another writer created it; run again to compare with it.") from None
            raise self._fail(exc, what, plural, name, "create") from None

    def _cr_replace(self, plural: str, body: dict, same: Callable[[dict], bool]) -> dict:
        name = body["metadata"]["name"]
        rev = body["metadata"].get("resourceVersion")
        what = f"updating {plural}/{name}"

        def do() -> dict:
            return self.api._once(self.api.custom.replace_cluster_custom_object, GROUP, VERSION, plural, name, body)

        def verify() -> dict | None:
            cur = self._cr_get(plural, name)
            if cur is None:
                raise self._gone(plural, name, rev)
            if cur["metadata"].get("resourceVersion") == rev:
                return None
            if same(cur):
                return cur
            raise self._changed(plural, name, rev)

        try:
            return self.api.write(what, do, verify)
        except _Status as exc:
            if exc.code == 404 and (exc.body.get("details") or {}).get("name"):
                raise self._gone(plural, name, rev) from None
            if exc.code == 409:
                if "UID in precondition" in exc.message:   # errors.go: deleted and re-created
                    raise self._gone(plural, name, rev) from None
                raise self._changed(plural, name, rev) from None
            raise self._fail(exc, what, plural, name, "update") from None

    def _cr_delete(self, plural: str, name: str, revision: str) -> None:
        what = f"deleting {plural}/{name}"
        opts = k8s_client.V1DeleteOptions(preconditions=k8s_client.V1Preconditions(resource_version=str(revision)))

        def do() -> dict:
            return self.api._once(self.api.custom.delete_cluster_custom_object, GROUP, VERSION, plural, name,
                                  body=opts)

        def verify() -> dict | None:
            cur = self._cr_get(plural, name)
            if cur is None:
                return {}
            if cur["metadata"].get("resourceVersion") == str(revision):
                return None
            raise ConflictError(f"{plural}/{name} changed since it was read (revision {revision}); not deleted.",
                                "Run again to re-read the current state.")

        try:
            self.api.write(what, do, verify)
        except _Status as exc:
            if exc.code == 404:
                raise NotFoundError(f"{plural}/{name} does not exist.") from None
            if exc.code == 409:
                raise ConflictError(f"{plural}/{name} changed since it was read (revision {revision}); not deleted.",
                                    "Run again to re-read the current state.") from None
            raise self._fail(exc, what, plural, name, "delete") from None

    @staticmethod
    def _gone(plural: str, name: str, rev: Any) -> NotFoundError:
        return NotFoundError(f"{plural}/{name} was deleted since it was read (revision {rev}).",
                             "Run again to re-read the current state.")

    @staticmethod
    def _changed(plural: str, name: str, rev: Any) -> ConflictError:
        return ConflictError(f"{plural}/{name} changed since it was read (revision {rev}).",
                             "Another writer updated it; run again to re-read the current state.")

    @staticmethod
    def _same_as(body: dict) -> Callable[[dict], bool]:
        """Whether a stored CR holds what ``body`` wrote (spec and our metadata annotation)."""
        def same(cur: dict) -> bool:
            ann = (cur.get("metadata") or {}).get("annotations") or {}
            return (cur.get("spec") == body.get("spec")
                    and ann.get(METADATA_ANNOTATION) == body["metadata"]["annotations"].get(METADATA_ANNOTATION))
        return same

    # -- nodes ---------------------------------------------------------------------------------
    def _node_get(self, name: str) -> dict | None:
        what = f"reading node {name}"
        try:
            return self.api.call(what, self.api.core.read_node, name)
        except _Status as exc:
            if exc.code == 404:
                return None
            raise self._fail(exc, what, "nodes", name, "get") from None

    def _node_list(self) -> list[dict]:
        return self._paged("listing nodes", "nodes", self.api.core.list_node)

    def _node_update(self, resource: dict) -> dict:
        meta = resource.get("metadata") or {}
        name = meta["name"]
        rev = str(meta["resourceVersion"])
        anns = calico_node_annotations(resource)
        try:
            inherited = json.loads((meta.get("annotations") or {}).get(NODE_ANN["kubelabels"]) or "{}") or {}
        except ValueError:
            inherited = {}
        for key, value in (meta.get("labels") or {}).items():
            if key in inherited and inherited[key] != value:   # restoreCalicoLabels warns the same way
                self.api.log(f"node {name}: label {key}={value!r} is shadowed by the Kubernetes label "
                             f"{key}={inherited[key]!r} and is not written")
        patch = {"metadata": {"resourceVersion": rev, "annotations": anns}}
        what = f"updating node {name}"

        def do() -> dict:
            try:
                return self.api._once(self.api.core.patch_node_status, name, patch,
                                      _content_type="application/merge-patch+json")
            except TypeError:
                # kubernetes < 36 has no _content_type: it sends a dict body as a strategic merge
                # patch, which for annotations (a map of strings) means the same thing.
                return self.api._once(self.api.core.patch_node_status, name, patch)

        def verify() -> dict | None:
            cur = self._node_get(name)
            if cur is None:
                raise self._gone("nodes", name, rev)
            if cur["metadata"].get("resourceVersion") == rev:
                return None
            have = cur["metadata"].get("annotations") or {}
            if all(have.get(k) == v for k, v in anns.items()):
                return cur
            raise self._changed("nodes", name, rev)

        try:
            out = self.api.write(what, do, verify)
        except _Status as exc:
            if exc.code == 404:
                raise self._gone("nodes", name, rev) from None
            if exc.code == 409:
                raise self._changed("nodes", name, rev) from None
            raise self._fail(exc, what, "nodes", name, "patch") from None
        return k8s_node_to_calico(out)

    # -- v3 resources ----------------------------------------------------------------------------
    def get(self, kind_name: str, name: str, namespace: str | None = None) -> dict | None:
        if kind_name in model.IPAM_KINDS:
            return self.ipam_get(kind_name, name)
        if kind_name == "Node":
            node = self._node_get(name)
            return None if node is None else k8s_node_to_calico(node)
        plural = self._crd_kind(kind_name)
        obj = self._cr_get(plural, name)
        return None if obj is None else crd_to_v3(kind_name, obj)

    def list(self, kind_name: str, namespace: str | None = None) -> list[dict]:
        if kind_name in model.IPAM_KINDS:
            return self.ipam_list(kind_name)
        if kind_name == "Node":
            return [k8s_node_to_calico(n) for n in self._node_list()]
        plural = self._crd_kind(kind_name)
        out = []
        for obj in self._cr_list(plural):
            try:
                out.append(crd_to_v3(kind_name, obj))
            except (DatastoreError, ValueError, KeyError, TypeError) as exc:
                # pagedList: an object that does not convert is skipped with a warning
                self.api.log(f"skipping {plural}/{(obj.get('metadata') or {}).get('name')}: {exc}")
        return out

    def create(self, resource: dict) -> dict:
        kind_name = resource["kind"]
        meta = resource.get("metadata") or {}
        if kind_name == "Node":
            raise DatastoreError(
                f"Node {meta.get('name')!r}: with the Kubernetes datastore a Calico Node is the Kubernetes Node, "
                "which the kubelet creates when the host joins the cluster; nothing was written.",
                "Join the node to the cluster first, then update its Calico settings.")
        plural = self._crd_kind(kind_name)
        if not meta.get("uid"):
            resource = model.new_resource(kind_name, meta["name"], resource.get("spec") or {},
                                          meta.get("labels"), meta.get("annotations"), meta.get("namespace"))
        body = v3_to_crd(resource, for_update=False)
        try:
            obj = self._cr_create(plural, body, self._same_as(body))
        except AlreadyExistsError:
            raise AlreadyExistsError(f"{kind_name} {meta['name']!r} already exists ({self._path(plural, meta['name'])}).",
                                     "Another writer created it; run again to compare with it.") from None
        return crd_to_v3(kind_name, obj)

    def update(self, resource: dict) -> dict:
        kind_name = resource["kind"]
        meta = resource.get("metadata") or {}
        rev = meta.get("resourceVersion")
        if not rev:
            raise DatastoreError(f"update of {kind_name} {meta.get('name')!r} without a resourceVersion.")
        if kind_name == "Node":
            return self._node_update(resource)
        plural = self._crd_kind(kind_name)
        body = v3_to_crd(resource, for_update=True)
        return crd_to_v3(kind_name, self._cr_replace(plural, body, self._same_as(body)))

    def delete(self, kind_name: str, name: str, revision: str, namespace: str | None = None) -> None:
        if kind_name in model.IPAM_KINDS:
            return self.ipam_delete(kind_name, name, revision)
        if kind_name == "Node":
            raise DatastoreError(
                f"Node {name!r}: with the Kubernetes datastore a Calico Node is the Kubernetes Node; "
                "nothing was deleted.",
                f"Remove it with 'kubectl delete node {name}' (calico-kube-controllers then releases its IPAM).")
        self._cr_delete(self._crd_kind(kind_name), name, revision)

    # -- IPAM objects ---------------------------------------------------------------------------
    def _entry(self, kind_name: str, obj: dict) -> tuple[dict, bool]:
        plural = IPAM_CRDS[kind_name][0]
        name, value, deleted = crd_to_ipam(kind_name, obj)
        meta = obj.get("metadata") or {}
        return ({"name": name, "key": self._path(plural, meta.get("name", "")), "value": value,
                 "revision": str(meta.get("resourceVersion", ""))}, deleted)

    @staticmethod
    def _ipam_plural(kind_name: str) -> str:
        if kind_name not in IPAM_CRDS:
            if kind_name in model.IPAM_KINDS:
                raise DatastoreError(f"{kind_name} has no equivalent in the Kubernetes datastore "
                                     "(it exists only in etcd); nothing was written.")
            raise ValueError(f"unknown IPAM kind {kind_name!r}")
        return IPAM_CRDS[kind_name][0]

    def _ipam_matches(self, kind_name: str, name: str, entry: dict) -> bool:
        """The CR found under a derived name really is this object (hashed or lower-cased names)."""
        if kind_name == "BlockAffinity":
            node, cidr = _split_affinity(name)
            return entry["name"] == f"{node}/{_masked(cidr)}"
        if kind_name == "IPAMHandle":
            return entry["name"] == name
        return True

    def ipam_get(self, kind_name: str, name: str) -> dict | None:
        if kind_name == "IPAMHost":
            return None                            # no such object in KDD
        plural = self._ipam_plural(kind_name)
        obj = self._cr_get(plural, ipam_crd_name(kind_name, name))
        if obj is None:
            return None
        entry, deleted = self._entry(kind_name, obj)
        if deleted or not self._ipam_matches(kind_name, name, entry):
            return None                            # upstream Get: a marked object reads as not found
        return entry

    def ipam_list(self, kind_name: str, node: str | None = None) -> list[dict]:
        if kind_name not in ("IPAMBlock", "BlockAffinity", "IPAMHandle"):
            raise ValueError(f"{kind_name} has no list prefix")
        out = []
        for obj in self._cr_list(self._ipam_plural(kind_name)):
            try:
                entry, deleted = self._entry(kind_name, obj)
            except (KeyError, ValueError, TypeError) as exc:
                self.api.log(f"skipping {kind_name} {(obj.get('metadata') or {}).get('name')}: {exc}")
                continue
            if kind_name == "BlockAffinity":
                if deleted:                        # blockAffinityClient.List leaves marked ones out
                    continue
                if node and entry["name"].partition("/")[0] != node:
                    continue
            out.append(entry)
        return out

    def ipam_create(self, kind_name: str, name: str, value: Any) -> dict:
        plural = self._ipam_plural(kind_name)
        body = ipam_to_crd(kind_name, name, value)
        crname = body["metadata"]["name"]
        for attempt in range(2):
            try:
                obj = self._cr_create(plural, body, self._same_as(body))
                return self._entry(kind_name, obj)[0]
            except AlreadyExistsError:
                cur = self._cr_get(plural, crname)
                if attempt == 0 and cur is not None:
                    entry, deleted = self._entry(kind_name, cur)
                    if deleted:                    # finish a marked deletion, as upstream Get does
                        try:
                            self._cr_delete(plural, crname, entry["revision"])
                        except NotFoundError:
                            pass
                        continue
                raise AlreadyExistsError(f"{kind_name} {name!r} already exists ({self._path(plural, crname)}).",
                                         "Another writer created it; run again to compare with it.") from None
        raise AlreadyExistsError(f"{kind_name} {name!r} already exists ({self._path(plural, crname)}).")

    def ipam_update(self, kind_name: str, name: str, value: Any, revision: str) -> dict:
        plural = self._ipam_plural(kind_name)
        body = ipam_to_crd(kind_name, name, value)
        body["metadata"]["resourceVersion"] = str(revision)
        return self._entry(kind_name, self._cr_replace(plural, body, self._same_as(body)))[0]

    def ipam_delete(self, kind_name: str, name: str, revision: str) -> None:
        plural = self._ipam_plural(kind_name)
        self._cr_delete(plural, ipam_crd_name(kind_name, name), revision)

    # -- bulk reads for reports (the etcd layout, synthesised) -------------------------------------
    def snapshot(self, prefix: str = "/calico/") -> Iterator[tuple[str, bytes, str]]:
        """Every object as (etcd-equivalent key, the JSON Calico would store in etcd, revision), for
        keys under ``prefix``. Not one consistent revision: each kind is listed separately."""
        for kind_name in ("Node",) + CRD_KINDS:
            key_prefix = model.resource_prefix(kind_name)
            if not (key_prefix.startswith(prefix) or prefix.startswith(key_prefix)):
                continue
            for res in self.list(kind_name):
                key = model.resource_key(kind_name, res["metadata"]["name"])
                if key.startswith(prefix):
                    yield key, model.serialise(kind_name, res).encode("utf-8"), res["metadata"]["resourceVersion"]
        for kind_name in ("IPAMBlock", "BlockAffinity", "IPAMHandle"):
            for entry in self.ipam_list(kind_name):
                key = model.ipam_key(kind_name, entry["name"])
                if key.startswith(prefix):
                    yield key, model.serialise(kind_name, entry["value"]).encode("utf-8"), entry["revision"]
        if model.IPAM_CONFIG_KEY.startswith(prefix):
            entry = self.ipam_get("IPAMConfig", "default")
            if entry is not None:
                yield model.IPAM_CONFIG_KEY, model.serialise("IPAMConfig", entry["value"]).encode("utf-8"), entry["revision"]

    def raw_get(self, key: str) -> _Item | None:
        """The object at an etcd-equivalent key, as etcd.Item-like (key, raw, revision, value)."""
        parsed = model.parse_key(key)
        if parsed is None:
            return None
        kind_name, name, namespace = parsed
        if kind_name in model.IPAM_KINDS:
            entry = self.ipam_get(kind_name, name)
            if entry is None:
                return None
            raw = model.serialise(kind_name, entry["value"]).encode("utf-8")
            return _Item(key, raw, entry["revision"], json.loads(raw))
        if kind_name in _REFUSED:
            return None
        res = self.get(kind_name, name, namespace)
        if res is None:
            return None
        raw = model.serialise(kind_name, res).encode("utf-8")
        return _Item(key, raw, res["metadata"]["resourceVersion"], json.loads(raw))
