# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes datastore (KDD) conversion, pure functions: v3 resources and IPAM objects <-> Calico's
CRDs (crd.projectcalico.org/v1), Calico Nodes <-> core/v1 Nodes. backend.py stores what these build.

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
"""

from __future__ import annotations

import base64
import copy
import hashlib
import ipaddress
import json
import uuid
from typing import Any, Callable

from ansible_collections.netops.calico.plugins.module_utils._datastore import govalues
from ansible_collections.netops.calico.plugins.module_utils._datastore import fields as _fields
from ansible_collections.netops.calico.plugins.module_utils._datastore import model
from ansible_collections.netops.calico.plugins.module_utils._datastore.errors import DatastoreError


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
REFUSED_KINDS = {
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


def masked_cidr(cidr: str) -> str:
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
        cidr = masked_cidr(value.get("cidr") or name)
        spec: dict[str, Any] = {"cidr": cidr}
        if value.get("affinity") is not None:
            spec["affinity"] = value["affinity"]
        if value.get("affinity_claim_time") is not None:
            spec["affinityClaimTime"] = value["affinity_claim_time"]
        spec["allocations"] = value.get("allocations")
        spec["unallocated"] = value.get("unallocated")
        # IPAMBlockV1toV3 (libcalico-go/lib/backend/k8s/resources/ipam_block.go) builds the list
        # from an empty slice, so a block without attributes is written "attributes": [], never null
        attrs = value.get("attributes") or []
        spec["attributes"] = [
            {k: v for k, v in a.items() if v is not None} if isinstance(a, dict) else a for a in attrs]
        spec["sequenceNumber"] = value.get("sequenceNumber", 0)
        spec["sequenceNumberForAllocation"] = value.get("sequenceNumberForAllocation")
        spec["deleted"] = bool(value.get("deleted", False))
        spec["strictAffinity"] = False
        meta = _ipam_meta(cidr_to_name(cidr))
    elif kind_name == "BlockAffinity":
        node, cidr = split_affinity(name)
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
        cidr = masked_cidr(spec["cidr"])
        value: dict[str, Any] = {"cidr": cidr, "affinity": spec.get("affinity")}
        if spec.get("affinityClaimTime") is not None:
            value["affinity_claim_time"] = spec["affinityClaimTime"]
        value["allocations"] = spec.get("allocations")
        value["unallocated"] = spec.get("unallocated")
        attrs = spec.get("attributes") or []          # IPAMBlockV3toV1: an empty slice, never nil
        if attrs:
            fill = _fields.IPAM_ATTRIBUTE_FIELDS
            attrs = [govalues.fill_go_zero(a, fill) if isinstance(a, dict) else a for a in attrs]
            attrs = [{**{f.json: a[f.json] for f in fill if f.json in a},
                      **{k: v for k, v in a.items() if all(f.json != k for f in fill)}}
                     if isinstance(a, dict) else a for a in attrs]
        value["attributes"] = attrs
        value["sequenceNumber"] = spec.get("sequenceNumber", 0)
        value["sequenceNumberForAllocation"] = spec.get("sequenceNumberForAllocation")
        value["deleted"] = bool(spec.get("deleted", False))
        return cidr, value, value["deleted"]
    if kind_name == "BlockAffinity":
        cidr = masked_cidr(spec["cidr"])
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


def split_affinity(name: str) -> tuple[str, str]:
    node, sep, cidr = name.partition("/")
    if not sep or not node or not cidr:
        raise DatastoreError(f"BlockAffinity name {name!r} is not '<node>/<cidr>'.")
    return node, cidr


def ipam_crd_name(kind_name: str, name: str) -> str:
    if kind_name == "IPAMBlock":
        return cidr_to_name(name)
    if kind_name == "BlockAffinity":
        return affinity_name(*split_affinity(name))
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
    res = {"kind": "Node", "metadata": _node_meta(kmeta, ann), "spec": _node_spec(node, kmeta, ann),
           "status": _node_status(node, ann)}
    return model.with_revision(model.normalise_resource(res), kmeta.get("resourceVersion", ""))


def _node_meta(kmeta: dict, ann: dict) -> dict[str, Any]:
    """Calico labels/annotations from projectcalico.org/labels and /annotations, Kubernetes labels
    over them (mergeCalicoAndK8sLabels)."""
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
    labels.update(kmeta.get("labels") or {})          # Kubernetes labels win
    annotations[NODE_ANN["kubelabels"]] = model.go_json(_go_map(kmeta.get("labels")))  # nil map -> null
    meta["labels"] = labels
    meta["annotations"] = annotations
    return meta


def _valid_annotations(ann: dict, wanted: tuple[tuple[str, str, Callable[[str], bool]], ...]) -> dict[str, str]:
    """field -> annotation value, for the (field, NODE_ANN key, check) whose value is set and valid."""
    out = {}
    for field, key, check in wanted:
        value = ann.get(NODE_ANN[key], "")
        if value and check(value):
            out[field] = value
    return out


def _node_spec(node: dict, kmeta: dict, ann: dict) -> dict[str, Any]:
    bgp: dict[str, Any] = {}
    asn = ann.get(NODE_ANN["asn"])
    if asn is not None and _asn(asn) is not None:
        bgp["asNumber"] = _asn(asn)
    bgp.update(_valid_annotations(ann, (("ipv4Address", "ipv4", lambda v: _valid_ip(v, 4, True)),
                                        ("ipv6Address", "ipv6", lambda v: _valid_ip(v, 6, True)),
                                        ("ipv4IPIPTunnelAddr", "ipip", lambda v: _valid_ip(v, 4, False)),
                                        ("routeReflectorClusterID", "rr", lambda v: _valid_ip(v, 4, False)))))
    wireguard = _valid_annotations(ann, (("interfaceIPv4Address", "wg4", lambda v: _valid_ip(v, 4, False)),
                                         ("interfaceIPv6Address", "wg6", lambda v: _valid_ip(v, 6, False))))
    spec: dict[str, Any] = {}
    if bgp:
        spec["bgp"] = bgp
    spec.update(_valid_annotations(ann, (("ipv4VXLANTunnelAddr", "vxlan4", lambda v: _valid_ip(v, 4, False)),
                                         ("vxlanTunnelMACAddr", "vxlanmac", _valid_mac),
                                         ("ipv6VXLANTunnelAddr", "vxlan6", lambda v: _valid_ip(v, 6, False)),
                                         ("vxlanTunnelMACAddrV6", "vxlanmac6", _valid_mac))))
    spec["orchRefs"] = [{"nodeName": kmeta.get("name"), "orchestrator": "k8s"}]
    if wireguard:
        spec["wireguard"] = wireguard
    addresses = [{"address": bgp[f], "type": "CalicoNodeIP"} for f in ("ipv4Address", "ipv6Address") if bgp.get(f)]
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
    return spec


def _node_status(node: dict, ann: dict) -> dict[str, Any]:
    status: dict[str, Any] = {}
    if ann.get(NODE_ANN["wgkey"]):
        status["wireguardPublicKey"] = ann[NODE_ANN["wgkey"]]
    if ann.get(NODE_ANN["wgkey6"]):
        status["wireguardPublicKeyV6"] = ann[NODE_ANN["wgkey6"]]
    pod_cidrs = (node.get("spec") or {}).get("podCIDRs") or []
    if pod_cidrs:
        status["podCIDRs"] = list(pod_cidrs)
    return status


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
        NODE_ANN["asn"]: str(govalues.go_asnumber(asn)) if asn not in (None, "") else None,
        NODE_ANN["rr"]: bgp.get("routeReflectorClusterID") or None,
        NODE_ANN["wg4"]: wg.get("interfaceIPv4Address") or None,
        NODE_ANN["wg6"]: wg.get("interfaceIPv6Address") or None,
        NODE_ANN["wgkey"]: status.get("wireguardPublicKey") or None,
        NODE_ANN["wgkey6"]: status.get("wireguardPublicKeyV6") or None,
        NODE_ANN["ifaces"]: model.go_json(spec["interfaces"]) if spec.get("interfaces") is not None else None,
    })
    return out
