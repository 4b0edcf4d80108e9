"""A small local stand-in for kube-apiserver, for the paths netops.calico's KDD backend uses.

No kube-apiserver can run on the test machine, so the KDD tests run the real ``kubernetes`` Python
client against this server. It answers as the Kubernetes API reference specifies
(https://kubernetes.io/docs/reference/using-api/api-concepts/) for:

- ``/apis/crd.projectcalico.org/v1/<plural>[/<name>]`` (cluster-scoped Calico CRDs) and
  ``/apis/crd.projectcalico.org/v1/namespaces/<ns>/<plural>[/<name>]`` (namespaced ones):
  GET (get / list), POST (create), PUT (replace), DELETE (with DeleteOptions preconditions);
- ``/api/v1/nodes[/<name>]`` GET/POST/PUT/DELETE and ``/api/v1/nodes/<name>/status`` GET/PUT/PATCH
  (JSON merge patch / strategic merge patch on maps);
- discovery: ``/version``, ``/api``, ``/apis``, ``/api/v1``, ``/apis/crd.projectcalico.org/v1``.

What it does as the API server does:
- one cluster-wide ``resourceVersion`` counter (etcd's revision), bumped by every write;
- ``metadata.uid`` and ``creationTimestamp`` set by the server on create (client values ignored),
  kept on update; ``generation`` 1 on create, bumped when ``spec`` changes (custom resources);
  a ``managedFields`` entry on every write;
- errors are ``Status`` objects: 404 NotFound, 409 AlreadyExists on POST, 409 Conflict for a stale
  ``resourceVersion`` on PUT / a PATCH carrying one, 409 Conflict ("Precondition failed: ...") for
  DELETE preconditions and for a PUT whose ``metadata.uid`` differs, 422 Invalid (name not a DNS-1123
  subdomain, missing resourceVersion on a custom resource update), 400 BadRequest (kind/apiVersion
  or name mismatch), 404 for a plural that is not served (CRD not installed);
- list paging: ``limit`` and ``continue`` (an opaque token), ``metadata.remainingItemCount``; pages
  after the first are served from the snapshot at the first page's resourceVersion (MVCC history is
  kept), and :meth:`compact` makes older continue tokens answer 410 Expired;
- ``labelSelector`` with equality terms (``a=b,c==d,e!=f``).

What it does not do (and the tests do not rely on): watch, field selectors, ``resourceVersion`` /
``resourceVersionMatch`` on get and list (always the latest state), CRD schema validation,
pruning and defaulting, server-side apply, admission, RBAC (only a configurable bearer token -> 401 and
a configurable forbidden set -> 403), finalizers / graceful deletion, protobuf.

Fault injection for client tests: :meth:`inject` answers the next N matching requests with a
status (e.g. 429 with Retry-After, 503) or applies a write and then drops the connection without
answering (a lost answer).
"""

from __future__ import annotations

import base64
import copy
import datetime
import json
import re
import socket
import ssl
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

GROUP = "crd.projectcalico.org"
VERSION = "v1"
GV = f"{GROUP}/{VERSION}"

# plural -> (Kind, namespaced): the CRDs Calico installs (manifests/crds or the operator).
CALICO_CRDS: dict[str, tuple[str, bool]] = {
    "bgpconfigurations": ("BGPConfiguration", False),
    "bgpfilters": ("BGPFilter", False),
    "bgppeers": ("BGPPeer", False),
    "blockaffinities": ("BlockAffinity", False),
    "caliconodestatuses": ("CalicoNodeStatus", False),
    "clusterinformations": ("ClusterInformation", False),
    "felixconfigurations": ("FelixConfiguration", False),
    "globalnetworkpolicies": ("GlobalNetworkPolicy", False),
    "globalnetworksets": ("GlobalNetworkSet", False),
    "hostendpoints": ("HostEndpoint", False),
    "ipamblocks": ("IPAMBlock", False),
    "ipamconfigs": ("IPAMConfig", False),
    "ipamhandles": ("IPAMHandle", False),
    "ippools": ("IPPool", False),
    "ipreservations": ("IPReservation", False),
    "kubecontrollersconfigurations": ("KubeControllersConfiguration", False),
    "networkpolicies": ("NetworkPolicy", True),
    "networksets": ("NetworkSet", True),
    "stagedglobalnetworkpolicies": ("StagedGlobalNetworkPolicy", False),
    "stagednetworkpolicies": ("StagedNetworkPolicy", True),
    "tiers": ("Tier", False),
}

_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def status(code: int, reason: str, message: str, details: dict | None = None) -> dict:
    """A metav1.Status failure, as the API server writes it."""
    out: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                           "message": message, "reason": reason}
    if details is not None:
        out["details"] = details
    out["code"] = code
    return out


class ApiError(Exception):
    def __init__(self, body: dict, headers: dict | None = None) -> None:
        super().__init__(body.get("message"))
        self.body = body
        self.headers = headers or {}


def _merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch (also what strategic merge does for maps of scalars)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = _merge_patch(out.get(k), v)
    return out


class Resource:
    """One collection (a plural in one API group) with MVCC history per object."""

    def __init__(self, group_version: str, plural: str, kind: str, namespaced: bool, custom: bool) -> None:
        self.group_version = group_version
        self.group = group_version.split("/")[0] if "/" in group_version else ""
        self.plural = plural
        self.kind = kind
        self.namespaced = namespaced
        self.custom = custom
        # (namespace, name) -> [(rv, object or None for a deletion), ...] in rv order
        self.history: dict[tuple[str, str], list[tuple[int, dict | None]]] = {}

    @property
    def qualified(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def current(self, ns: str, name: str) -> dict | None:
        h = self.history.get((ns, name))
        return h[-1][1] if h else None

    def at(self, rv: int, ns: str | None) -> list[tuple[tuple[str, str], dict]]:
        """Every live object at revision ``rv``, in key order (etcd key order: namespace/name)."""
        out = []
        for key in sorted(self.history):
            if ns is not None and self.namespaced and key[0] != ns:
                continue
            live = None
            for v_rv, obj in self.history[key]:
                if v_rv > rv:
                    break
                live = obj
            if live is not None:
                out.append((key, live))
        return out


class FakeKubeAPI:
    """The server. ``url`` is its address; ``kubeconfig(path)`` writes a kubeconfig for it."""

    def __init__(self, token: str | None = None, tls: dict | None = None) -> None:
        self.lock = threading.RLock()
        self.rv = 1
        self.compacted = 0
        self.token = token
        self.tls = tls
        self.forbidden: set[tuple[str, str]] = set()   # (verb, plural)
        self.requests: list[tuple[str, str]] = []       # (method, path?query) log
        self._faults: list[dict] = []
        self.resources: dict[tuple[str, str], Resource] = {}
        for plural, (kind, namespaced) in CALICO_CRDS.items():
            self.resources[(GV, plural)] = Resource(GV, plural, kind, namespaced, custom=True)
        self.resources[("v1", "nodes")] = Resource("v1", "nodes", "Node", False, custom=False)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> "FakeKubeAPI":
        api = self

        class Handler(_Handler):
            server_api = api

        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._httpd.daemon_threads = True
        if self.tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(self.tls["cert"], self.tls["key"])
            self._httpd.socket = ctx.wrap_socket(self._httpd.socket, server_side=True)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="fake-kube-api", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def kubeconfig(self, path: str | Path, token: str | None = None, ca_file: str | None = None) -> str:
        """Write a kubeconfig (JSON is YAML) for this server; returns its path."""
        cluster: dict[str, Any] = {"server": self.url}
        if ca_file:
            cluster["certificate-authority"] = str(ca_file)
        user: dict[str, Any] = {}
        if token or self.token:
            user["token"] = token or self.token
        cfg = {
            "apiVersion": "v1", "kind": "Config", "preferences": {},
            "clusters": [{"name": "fake", "cluster": cluster}],
            "users": [{"name": "fake-user", "user": user}],
            "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "fake-user"}}],
            "current-context": "fake",
        }
        Path(path).write_text(json.dumps(cfg, indent=2))
        return str(path)

    # -- test helpers ---------------------------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            for r in self.resources.values():
                r.history.clear()
            self._faults.clear()
            self.forbidden.clear()
            self.requests.clear()

    def compact(self) -> None:
        """Forget history before the current revision (etcd compaction): older continue tokens 410."""
        with self.lock:
            self.compacted = self.rv
            for r in self.resources.values():
                for key in list(r.history):
                    h = r.history[key]
                    last = h[-1]
                    if last[1] is None:
                        del r.history[key]
                    else:
                        r.history[key] = [last]

    def inject(self, method: str, path_contains: str = "", status_code: int | None = None,
               count: int = 1, retry_after: int | None = None, drop_after_apply: bool = False) -> None:
        """The next ``count`` requests with ``method`` whose path contains ``path_contains`` get
        ``status_code`` (a Status body; 429/5xx as the API server sends them), or, with
        ``drop_after_apply``, are applied and then the connection is closed without an answer."""
        with self.lock:
            self._faults.append({"method": method, "path": path_contains, "status": status_code, "count": count,
                                 "retry_after": retry_after, "drop": drop_after_apply})

    def put_object(self, group_version: str, plural: str, obj: dict) -> dict:
        """Store an object as if created through the API (server fields set); returns it."""
        with self.lock:
            res = self.resources[(group_version, plural)]
            return self._create(res, obj.get("metadata", {}).get("namespace", ""), copy.deepcopy(obj))

    def get_object(self, group_version: str, plural: str, name: str, namespace: str = "") -> dict | None:
        with self.lock:
            obj = self.resources[(group_version, plural)].current(namespace, name)
            return copy.deepcopy(obj)

    def names(self, group_version: str, plural: str) -> list[str]:
        with self.lock:
            return [k[1] for k, _x in self.resources[(group_version, plural)].at(self.rv, None)]

    # -- request handling -----------------------------------------------------------------
    def _take_fault(self, method: str, path: str) -> dict | None:
        with self.lock:
            for f in self._faults:
                if f["method"] == method and f["path"] in path and f["count"] > 0:
                    f["count"] -= 1
                    if f["count"] == 0:
                        self._faults.remove(f)
                    return f
        return None

    def handle(self, method: str, raw_path: str, headers: dict, body: bytes) -> tuple[int, dict, dict | None]:
        """-> (code, json body, extra headers). Raises ApiError for Status answers."""
        parts = urlsplit(raw_path)
        path = parts.path.rstrip("/") or "/"
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        with self.lock:
            self.requests.append((method, raw_path))

        if self.token is not None:
            auth = headers.get("authorization", "")
            if auth != f"Bearer {self.token}":
                raise ApiError(status(401, "Unauthorized", "Unauthorized"))

        discovery = self._discovery(path)
        if discovery is not None:
            if method != "GET":
                raise ApiError(status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource"))
            return 200, discovery, None

        route = self._route(path)
        if route is None:
            raise ApiError(status(404, "NotFound", "the server could not find the requested resource",
                                  {}))
        res, ns, name, sub = route
        verb = {"GET": "get" if name else "list", "POST": "create", "PUT": "update", "DELETE": "delete",
                "PATCH": "patch"}.get(method)
        if verb is None:
            raise ApiError(status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource"))
        if (verb, res.plural) in self.forbidden:
            scope = f'in the namespace "{ns}"' if ns else "at the cluster scope"
            target = f"{res.plural}/{sub}" if sub else res.plural
            named = f' "{name}"' if name else ""
            details = {"group": res.group, "kind": res.plural}
            if name:
                details["name"] = name
            raise ApiError(status(403, "Forbidden",
                                  f'{res.qualified}{named} is forbidden: User "system:serviceaccount:test:fake" '
                                  f'cannot {verb} resource "{target}" in API group "{res.group}" {scope}', details))
        payload: Any = None
        if body:
            try:
                payload = json.loads(body)
            except ValueError as exc:
                raise ApiError(status(400, "BadRequest", f"couldn't get version/kind; json parse error: {exc}"))

        with self.lock:
            if method == "GET" and name:
                obj = res.current(ns, name)
                if obj is None:
                    raise self._not_found(res, name)
                return 200, copy.deepcopy(obj), None
            if method == "GET":
                return 200, self._list(res, ns, query), None
            if method == "POST" and not name:
                return 201, self._create(res, ns, payload), None
            if method == "PUT" and name:
                return 200, self._update(res, ns, name, payload, sub), None
            if method == "PATCH" and name:
                ctype = headers.get("content-type", "").split(";")[0].strip()
                return 200, self._patch(res, ns, name, payload, ctype, sub), None
            if method == "DELETE" and name:
                return 200, self._delete(res, ns, name, payload or {}), None
        raise ApiError(status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource"))

    # -- routing / discovery --------------------------------------------------------------
    def _route(self, path: str) -> tuple[Resource, str, str, str] | None:
        """-> (resource, namespace, name, subresource) or None when nothing is served there."""
        segs = [s for s in path.split("/") if s]
        if segs[:2] == ["api", "v1"]:
            gv, rest = "v1", segs[2:]
        elif len(segs) >= 3 and segs[0] == "apis":
            gv, rest = f"{segs[1]}/{segs[2]}", segs[3:]
        else:
            return None
        ns = ""
        if len(rest) >= 3 and rest[0] == "namespaces":
            ns, rest = rest[1], rest[2:]
        if not rest or len(rest) > 3:
            return None
        res = self.resources.get((gv, rest[0]))
        if res is None:
            return None
        if ns and not res.namespaced:
            return None
        if res.namespaced and not ns and len(rest) > 1:   # only the all-namespaces list is cluster-wide
            return None
        name = rest[1] if len(rest) > 1 else ""
        sub = rest[2] if len(rest) > 2 else ""
        if sub and (sub != "status" or res.custom):
            return None
        return res, ns, name, sub

    def _discovery(self, path: str) -> dict | None:
        if path == "/version":
            return {"major": "1", "minor": "31", "gitVersion": "v1.31.0-fake", "platform": "linux/amd64"}
        if path == "/api":
            return {"kind": "APIVersions", "versions": ["v1"],
                    "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": f"127.0.0.1:{self.port}"}]}
        if path == "/apis":
            return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
                {"name": GROUP, "versions": [{"groupVersion": GV, "version": VERSION}],
                 "preferredVersion": {"groupVersion": GV, "version": VERSION}}]}
        if path in ("/api/v1", f"/apis/{GV}"):
            gv = "v1" if path == "/api/v1" else GV
            out = []
            for (rgv, plural), r in sorted(self.resources.items()):
                if rgv != gv:
                    continue
                out.append({"name": plural, "singularName": r.kind.lower(), "namespaced": r.namespaced,
                            "kind": r.kind,
                            "verbs": ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"]})
                if not r.custom:
                    out.append({"name": f"{plural}/status", "singularName": "", "namespaced": r.namespaced,
                                "kind": r.kind, "verbs": ["get", "patch", "update"]})
            return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": out}
        return None

    # -- verbs ----------------------------------------------------------------------------
    def _not_found(self, res: Resource, name: str) -> ApiError:
        return ApiError(status(404, "NotFound", f'{res.qualified} "{name}" not found',
                               {"name": name, "group": res.group, "kind": res.plural}))

    def _conflict(self, res: Resource, name: str, message: str | None = None) -> ApiError:
        msg = message or (f'Operation cannot be fulfilled on {res.qualified} "{name}": the object has been '
                          f"modified; please apply your changes to the latest version and try again")
        return ApiError(status(409, "Conflict", msg, {"name": name, "group": res.group, "kind": res.plural}))

    def _invalid(self, res: Resource, name: str, causes: list[tuple[str, str, str]]) -> ApiError:
        text = ", ".join(f"{field}: {msg}" for _x, field, msg in causes)
        return ApiError(status(422, "Invalid", f'{res.kind}.{res.group or "core"} "{name}" is invalid: {text}'.replace(".core", ""),
                               {"name": name, "group": res.group, "kind": res.kind,
                                "causes": [{"reason": r, "message": m, "field": f} for r, f, m in causes]}))

    def _check_body(self, res: Resource, obj: Any, ns: str) -> dict:
        if not isinstance(obj, dict):
            raise ApiError(status(400, "BadRequest", "the body of the request was in an unknown format"))
        api_version = obj.get("apiVersion")
        kind = obj.get("kind")
        if not kind or not api_version:
            raise ApiError(status(400, "BadRequest", "Object 'Kind' is missing in request body"
                                  if not kind else "Object 'apiVersion' is missing in request body"))
        if api_version != res.group_version or kind != res.kind:
            raise ApiError(status(400, "BadRequest",
                                  f"the API version in the data ({api_version}) does not match the expected API "
                                  f"version ({res.group_version})" if api_version != res.group_version else
                                  f"the kind in the data ({kind}) does not match the expected kind ({res.kind})"))
        meta = obj.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise ApiError(status(400, "BadRequest", "metadata must be an object"))
        if res.namespaced:
            if meta.get("namespace") and meta["namespace"] != ns:
                raise ApiError(status(400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request"))
            meta["namespace"] = ns
        else:
            meta.pop("namespace", None)
        return obj

    def _validate_name(self, res: Resource, name: str) -> None:
        if not name:
            raise self._invalid(res, name, [("FieldValueRequired", "metadata.name", "Required value: name or generateName is required")])
        if len(name) > 253 or not _DNS1123_SUBDOMAIN.match(name):
            raise self._invalid(res, name, [(
                "FieldValueInvalid", "metadata.name",
                f'Invalid value: "{name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric '
                "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
                "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")])

    def _bump(self) -> int:
        self.rv += 1
        return self.rv

    def _managed(self, operation: str, subresource: str = "") -> list[dict]:
        entry = {"manager": "fake-client", "operation": operation, "apiVersion": "v1", "time": _now(),
                 "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {}}}
        if subresource:
            entry["subresource"] = subresource
        return [entry]

    def _store(self, res: Resource, ns: str, name: str, obj: dict | None, rv: int) -> None:
        res.history.setdefault((ns, name), []).append((rv, obj))

    def _create(self, res: Resource, ns: str, obj: Any) -> dict:
        obj = self._check_body(res, obj, ns)
        meta = obj["metadata"]
        name = meta.get("name", "")
        self._validate_name(res, name)
        if meta.get("resourceVersion"):
            # storage.ErrResourceVersionSetOnCreate, surfaced by the generic registry as an internal error
            raise ApiError(status(500, "InternalError",
                                  "Internal error occurred: resourceVersion should not be set on objects to be created",
                                  {"causes": [{"message": "resourceVersion should not be set on objects to be created"}]}))
        if res.current(ns, name) is not None:
            raise ApiError(status(409, "AlreadyExists", f'{res.qualified} "{name}" already exists',
                                  {"name": name, "group": res.group, "kind": res.plural}))
        rv = self._bump()
        meta["uid"] = str(uuid.uuid4())                  # rest.FillObjectMetaSystemFields
        meta["creationTimestamp"] = _now()
        meta["resourceVersion"] = str(rv)
        if res.custom:
            meta["generation"] = 1
        meta["managedFields"] = self._managed("Update")
        meta.pop("selfLink", None)
        meta.pop("deletionTimestamp", None)
        self._store(res, ns, name, copy.deepcopy(obj), rv)
        return obj

    def _update(self, res: Resource, ns: str, name: str, obj: Any, sub: str) -> dict:
        obj = self._check_body(res, obj, ns)
        meta = obj["metadata"]
        if meta.get("name") != name:
            raise ApiError(status(400, "BadRequest",
                                  f"the name of the object ({meta.get('name')}) does not match the name on the URL ({name})"))
        cur = res.current(ns, name)
        if cur is None:
            raise self._not_found(res, name)            # no create-on-update for these resources
        want_rv = meta.get("resourceVersion")
        if not want_rv and res.custom:                   # custom resources forbid unconditional update
            raise self._invalid(res, name, [("FieldValueInvalid", "metadata.resourceVersion",
                                             "Invalid value: 0x0: must be specified for an update")])
        cur_meta = cur["metadata"]
        if meta.get("uid") and meta["uid"] != cur_meta["uid"]:
            raise self._conflict(res, name, f"Precondition failed: UID in precondition: {meta['uid']}, "
                                            f"UID in object meta: {cur_meta['uid']}")
        if want_rv and want_rv != cur_meta["resourceVersion"]:
            raise self._conflict(res, name)
        new = copy.deepcopy(obj)
        if sub == "status":                              # status subresource: spec is not changed
            new["spec"] = copy.deepcopy(cur.get("spec"))
        return self._commit(res, ns, name, cur, new, "Update", sub)

    def _commit(self, res: Resource, ns: str, name: str, cur: dict, new: dict, op: str, sub: str) -> dict:
        meta = new.setdefault("metadata", {})
        cur_meta = cur["metadata"]
        for k in ("uid", "creationTimestamp"):           # not settable by clients
            meta[k] = cur_meta[k]
        if res.custom:
            gen = cur_meta.get("generation", 1)
            meta["generation"] = gen + 1 if new.get("spec") != cur.get("spec") else gen
        meta.pop("selfLink", None)
        if {k: v for k, v in new.items() if k != "metadata"} == {k: v for k, v in cur.items() if k != "metadata"} and \
                {k: v for k, v in meta.items() if k not in ("resourceVersion", "managedFields", "generation")} == \
                {k: v for k, v in cur_meta.items() if k not in ("resourceVersion", "managedFields", "generation")}:
            return copy.deepcopy(cur)                    # a no-op write does not bump resourceVersion
        rv = self._bump()
        meta["resourceVersion"] = str(rv)
        meta["managedFields"] = self._managed(op, sub)
        self._store(res, ns, name, copy.deepcopy(new), rv)
        return new

    def _patch(self, res: Resource, ns: str, name: str, patch: Any, ctype: str, sub: str) -> dict:
        if ctype not in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
            raise ApiError(status(415, "UnsupportedMediaType",
                                  "the body of the request was in an unknown format - accepted media types include: "
                                  "application/merge-patch+json, application/strategic-merge-patch+json"))
        if not isinstance(patch, dict):
            raise ApiError(status(400, "BadRequest", "the body of the request was in an unknown format"))
        cur = res.current(ns, name)
        if cur is None:
            raise self._not_found(res, name)
        pmeta = patch.get("metadata") or {}
        if pmeta.get("resourceVersion") and pmeta["resourceVersion"] != cur["metadata"]["resourceVersion"]:
            raise self._conflict(res, name)
        if pmeta.get("uid") and pmeta["uid"] != cur["metadata"]["uid"]:
            raise self._conflict(res, name, f"Precondition failed: UID in precondition: {pmeta['uid']}, "
                                            f"UID in object meta: {cur['metadata']['uid']}")
        new = _merge_patch(cur, patch)
        if sub == "status":
            new["spec"] = copy.deepcopy(cur.get("spec"))
        if new.get("metadata", {}).get("name") != name:
            raise ApiError(status(400, "BadRequest", "metadata.name cannot be changed by a patch"))
        return self._commit(res, ns, name, cur, new, "Update", sub)

    def _delete(self, res: Resource, ns: str, name: str, opts: dict) -> dict:
        cur = res.current(ns, name)
        if cur is None:
            raise self._not_found(res, name)
        pre = opts.get("preconditions") or {}
        if pre.get("uid") and pre["uid"] != cur["metadata"]["uid"]:
            raise self._conflict(res, name, f"Precondition failed: UID in precondition: {pre['uid']}, "
                                            f"UID in object meta: {cur['metadata']['uid']}")
        if pre.get("resourceVersion") and pre["resourceVersion"] != cur["metadata"]["resourceVersion"]:
            raise self._conflict(res, name, f"Precondition failed: ResourceVersion in precondition: "
                                            f"{pre['resourceVersion']}, ResourceVersion in object meta: "
                                            f"{cur['metadata']['resourceVersion']}")
        rv = self._bump()
        self._store(res, ns, name, None, rv)
        if res.custom:
            return copy.deepcopy(cur)                    # custom resources: the deleted object
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                "details": {"name": name, "kind": res.plural, "uid": cur["metadata"]["uid"]}}

    def _list(self, res: Resource, ns: str, query: dict) -> dict:
        try:
            limit = int(query.get("limit") or 0)
        except ValueError:
            raise ApiError(status(400, "BadRequest", f"invalid limit {query.get('limit')!r}"))
        token = query.get("continue") or ""
        selector = self._selector(query.get("labelSelector") or "")
        if token:
            try:
                data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
                list_rv, start = int(data["rv"]), str(data["start"])
                if data.get("v") != "meta.k8s.io/v1":
                    raise ValueError(data.get("v"))
            except (ValueError, KeyError, TypeError):
                raise ApiError(status(400, "BadRequest", "continue key is not valid: incorrect encoded start "
                                      "resourceVersion (version meta.k8s.io/v1)"))
            if list_rv < self.compacted:
                raise ApiError(status(410, "Expired",
                                      "The provided continue parameter is too old to display a consistent list "
                                      "result. You can start a new list without the continue parameter, or use "
                                      "the continue token in this response to retrieve the remainder of the "
                                      "results. Continuing with the provided token results in an inconsistent "
                                      "list - objects that were created, modified, or deleted between the time "
                                      "the first chunk was returned and now may show up in the list.",
                                      {}))
        else:
            list_rv, start = self.rv, ""
        live = [(k, o) for k, o in res.at(list_rv, ns or None)
                if f"{k[0]}/{k[1]}" >= start and selector(o)]
        page = live[:limit] if limit > 0 else live
        rest = live[len(page):]
        items = []
        for _x, obj in page:
            item = copy.deepcopy(obj)
            if not res.custom:                           # built-in lists carry no per-item kind/apiVersion
                item.pop("kind", None)
                item.pop("apiVersion", None)
            items.append(item)
        meta: dict[str, Any] = {"resourceVersion": str(list_rv)}
        if rest:
            last = page[-1][0]
            nxt = json.dumps({"v": "meta.k8s.io/v1", "rv": list_rv, "start": f"{last[0]}/{last[1]}\x00"},
                             separators=(",", ":"))
            meta["continue"] = base64.urlsafe_b64encode(nxt.encode()).decode().rstrip("=")
            meta["remainingItemCount"] = len(rest)
        return {"apiVersion": res.group_version, "items": items, "kind": f"{res.kind}List", "metadata": meta}

    @staticmethod
    def _selector(text: str):
        terms = []
        for raw in filter(None, (t.strip() for t in text.split(","))):
            m = re.fullmatch(r"([A-Za-z0-9_./-]+)\s*(==|=|!=)\s*([A-Za-z0-9_.-]*)", raw)
            if not m:
                raise ApiError(status(400, "BadRequest",
                                      f"unable to parse requirement: {raw!r} (this stand-in supports only =, ==, !=)"))
            terms.append(m.groups())

        def match(obj: dict) -> bool:
            labels = obj.get("metadata", {}).get("labels") or {}
            for key, op, val in terms:
                if op == "!=" and labels.get(key) == val:
                    return False
                if op != "!=" and labels.get(key) != val:
                    return False
            return True

        return match


class _Handler(BaseHTTPRequestHandler):
    server_api: FakeKubeAPI
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True      # headers and body are separate writes: no 40 ms delayed-ACK stalls

    def log_message(self, format, *args):  # noqa: A002 - quiet
        pass

    def _serve(self) -> None:
        api = self.server_api
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        fault = api._take_fault(self.command, self.path)
        if fault and fault["status"]:
            code = fault["status"]
            reason = {429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable",
                      504: "Timeout"}.get(code, "InternalError")
            extra = {"Retry-After": str(fault["retry_after"])} if fault["retry_after"] is not None else {}
            msg = {429: "Too many requests, please try again later."}.get(code, "the server is currently unable to handle the request")
            self._send(code, status(code, reason, msg, {"retryAfterSeconds": fault["retry_after"]}
                                    if fault["retry_after"] is not None else {}), extra)
            return
        try:
            code, out, extra = api.handle(self.command, self.path, headers, body)
        except ApiError as err:
            code, out, extra = err.body["code"], err.body, err.headers
        if fault and fault["drop"]:
            # the write happened; the answer is lost
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self._send(code, out, extra)

    def _send(self, code: int, out: dict, extra: dict | None = None) -> None:
        data = json.dumps(out, separators=(",", ":")).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Audit-Id", str(uuid.uuid4()))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve


if __name__ == "__main__":  # pragma: no cover - manual use
    import sys
    import time
    srv = FakeKubeAPI().start()
    cfg = srv.kubeconfig(sys.argv[1] if len(sys.argv) > 1 else "kubeconfig.fake")
    print(f"serving {srv.url}; kubeconfig {cfg}")
    while True:
        time.sleep(3600)


# pytest fixtures for the tests that use this stand-in (import them into the test module)
try:
    import pytest
except ImportError:  # pragma: no cover - the stand-in also runs outside pytest
    pytest = None

if pytest is not None:
    @pytest.fixture(scope="module")
    def kube_server():
        srv = FakeKubeAPI().start()
        yield srv
        srv.stop()

    @pytest.fixture()
    def kube(kube_server, tmp_path):  # pylint: disable=redefined-outer-name
        kube_server.reset()
        kube_server.kubeconfig_path = kube_server.kubeconfig(tmp_path / "kubeconfig")
        yield kube_server
        kube_server.reset()


# ---------------------------------------------------------------------------------------------
# A cluster's built-in kinds, server-side apply and dry run (FakeKubeCluster), for the
# calico_kubernetes role and calico_k8s_apply. Kept apart from FakeKubeAPI above.
#
# What it adds, as the API reference specifies
# (https://kubernetes.io/docs/reference/using-api/server-side-apply/, .../api-concepts/#dry-run):
# - core ConfigMap, Service, ServiceAccount, Namespace, Pod; apps/v1 DaemonSet, Deployment (with a
#   status subresource and metadata.generation); policy/v1 PodDisruptionBudget; rbac ClusterRole,
#   ClusterRoleBinding, Role, RoleBinding; apiextensions.k8s.io/v1 CustomResourceDefinition;
#   discovery for their groups;
# - PATCH with ``application/apply-patch+yaml`` (YAML or JSON body): ``fieldManager`` required
#   (422 otherwise), ``force``; creates the object when absent; per-manager field ownership in
#   ``metadata.managedFields`` (FieldsV1); a field another manager owns with a different value is a
#   409 Conflict listing the fields unless ``force=true`` (then ownership moves); fields this
#   manager applied before and no longer applies are removed unless another manager owns them; an
#   apply that changes nothing does not bump resourceVersion; ``status`` is never applied;
# - ``dryRun=All`` on POST/PUT/PATCH/DELETE: everything but the write (any other value: 400);
# - namespaced objects only in an existing Namespace (404 otherwise).
# Simplifications: lists are atomic (owned and replaced whole, no associative list keys), no
# defaulting, no schema validation (the role's tests validate with kubernetes-validate instead).
#
# It also plays kube-controller-manager for DaemonSets and Deployments (``controllers``): after
# each write the status is brought up to date, and a DaemonSet gets one pod per Node its
# nodeSelector selects, labelled pod-template-generation, Ready unless the node is in
# ``unready_nodes``.

BUILTIN_KINDS: dict[tuple[str, str], tuple[str, bool]] = {
    ("v1", "configmaps"): ("ConfigMap", True),
    ("v1", "services"): ("Service", True),
    ("v1", "serviceaccounts"): ("ServiceAccount", True),
    ("v1", "namespaces"): ("Namespace", False),
    ("v1", "pods"): ("Pod", True),
    ("apps/v1", "daemonsets"): ("DaemonSet", True),
    ("apps/v1", "deployments"): ("Deployment", True),
    ("policy/v1", "poddisruptionbudgets"): ("PodDisruptionBudget", True),
    ("rbac.authorization.k8s.io/v1", "clusterroles"): ("ClusterRole", False),
    ("rbac.authorization.k8s.io/v1", "clusterrolebindings"): ("ClusterRoleBinding", False),
    ("rbac.authorization.k8s.io/v1", "roles"): ("Role", True),
    ("rbac.authorization.k8s.io/v1", "rolebindings"): ("RoleBinding", True),
    ("apiextensions.k8s.io/v1", "customresourcedefinitions"): ("CustomResourceDefinition", False),
}
GENERATION_KINDS = {"daemonsets", "deployments", "poddisruptionbudgets", "customresourcedefinitions"}
_NOT_OWNED_META = {"name", "namespace", "resourceVersion", "uid", "creationTimestamp", "generation",
                   "managedFields", "selfLink"}
APPLY_PATCH = "application/apply-patch+yaml"
PATCH_TYPES = ("application/json-patch+json", "application/merge-patch+json",
               "application/strategic-merge-patch+json", APPLY_PATCH)


def field_paths(obj: Any, prefix: tuple = ()) -> dict[tuple, Any]:
    """Leaf field paths of an applied configuration -> value (maps granular, lists atomic)."""
    out: dict[tuple, Any] = {}
    for key, value in obj.items():
        if not prefix and key in ("apiVersion", "kind", "status"):
            continue
        if prefix == ("metadata",) and key in _NOT_OWNED_META:
            continue
        path = prefix + (key,)
        if isinstance(value, dict) and value:
            out.update(field_paths(value, path))
        else:
            out[path] = value
    return out


def encode_fields(paths: set) -> dict:
    """FieldsV1 of a set of paths ({"f:spec": {"f:replicas": {}}})."""
    root: dict = {}
    for path in sorted(paths):
        node = root
        for key in path:
            node = node.setdefault(f"f:{key}", {})
    return root


def decode_fields(fields: dict, prefix: tuple = ()) -> set:
    out: set = set()
    for key, child in (fields or {}).items():
        if not key.startswith("f:"):
            continue
        path = prefix + (key[2:],)
        if child:
            out |= decode_fields(child, path)
        else:
            out.add(path)
    return out


def _get_path(obj: Any, path: tuple) -> Any:
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            return _MISSING
        obj = obj[key]
    return obj


def _set_path(obj: dict, path: tuple, value: Any) -> None:
    for key in path[:-1]:
        if not isinstance(obj.get(key), dict):
            obj[key] = {}
        obj = obj[key]
    obj[path[-1]] = copy.deepcopy(value)


def _del_path(obj: dict, path: tuple) -> None:
    trail = [obj]
    for key in path[:-1]:
        obj = obj.get(key) if isinstance(obj, dict) else None
        if not isinstance(obj, dict):
            return
        trail.append(obj)
    trail[-1].pop(path[-1], None)
    for depth in range(len(path) - 2, -1, -1):      # maps left empty by the removal go too
        parent = trail[depth]
        if parent.get(path[depth]) == {}:
            parent.pop(path[depth])


_MISSING = object()


class FakeKubeCluster(FakeKubeAPI):
    """FakeKubeAPI plus built-in kinds, server-side apply, dry run and the workload controllers."""

    def __init__(self, token: str | None = None, tls: dict | None = None) -> None:
        super().__init__(token=token, tls=tls)
        for (gv, plural), (kind, namespaced) in BUILTIN_KINDS.items():
            self.resources[(gv, plural)] = Resource(gv, plural, kind, namespaced, custom=False)
        self.controllers = True
        self.unready_nodes: set[str] = set()
        self._local = threading.local()
        self._controlling = False
        self._dry = False

    # -- requests -------------------------------------------------------------------------
    def handle(self, method: str, raw_path: str, headers: dict, body: bytes) -> tuple[int, dict, dict | None]:
        query = {k: v[-1] for k, v in parse_qs(urlsplit(raw_path).query, keep_blank_values=True).items()}
        ctype = headers.get("content-type", "").split(";")[0].strip()
        if method == "PATCH" and ctype not in PATCH_TYPES:     # checked before the body is decoded
            raise ApiError(status(415, "UnsupportedMediaType",
                                  "the body of the request was in an unknown format - accepted media types include: "
                                  + ", ".join(PATCH_TYPES)))
        if method == "PATCH" and ctype == APPLY_PATCH and body:
            try:
                json.loads(body)
            except ValueError:                        # YAML: hand the base handler JSON
                import yaml
                try:
                    body = json.dumps(yaml.safe_load(body)).encode()
                except yaml.YAMLError as exc:
                    raise ApiError(status(400, "BadRequest", f"error decoding YAML: {exc}"))
        self._local.query = query
        dry = query.get("dryRun")
        if dry is None or method == "GET":
            return super().handle(method, raw_path, headers, body)
        if dry != "All":
            raise ApiError(status(400, "BadRequest", f'Invalid dryRun value: "{dry}": valid values are "All"'))
        with self.lock:                               # everything but the write: run it, then roll back
            saved = ({k: copy.deepcopy(r.history) for k, r in self.resources.items()}, self.rv)
            self._dry = True
            try:
                return super().handle(method, raw_path, headers, body)
            finally:
                for k, r in self.resources.items():
                    r.history = saved[0][k]
                self.rv = saved[1]
                self._dry = False

    def _discovery(self, path: str) -> dict | None:
        served = sorted({gv for gv, _p in self.resources if gv != "v1"})
        if path == "/apis":
            return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
                {"name": gv.split("/")[0], "versions": [{"groupVersion": gv, "version": gv.split("/")[1]}],
                 "preferredVersion": {"groupVersion": gv, "version": gv.split("/")[1]}} for gv in served]}
        if path.startswith("/apis/") and path[len("/apis/"):] in served and path != f"/apis/{GV}":
            gv = path[len("/apis/"):]
            out = []
            for (rgv, plural), r in sorted(self.resources.items()):
                if rgv == gv:
                    out.append({"name": plural, "singularName": r.kind.lower(), "namespaced": r.namespaced,
                                "kind": r.kind, "verbs": ["create", "delete", "get", "list", "patch", "update",
                                                          "watch"]})
                    if plural in GENERATION_KINDS:
                        out.append({"name": f"{plural}/status", "singularName": "", "namespaced": r.namespaced,
                                    "kind": r.kind, "verbs": ["get", "patch", "update"]})
            return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": out}
        return super()._discovery(path)

    def _check_namespace(self, res: Resource, ns: str) -> None:
        if res.namespaced and ns and self.resources[("v1", "namespaces")].current("", ns) is None:
            raise ApiError(status(404, "NotFound", f'namespaces "{ns}" not found',
                                  {"name": ns, "kind": "namespaces"}))

    def _create(self, res: Resource, ns: str, obj: Any) -> dict:
        self._check_namespace(res, ns)
        return super()._create(res, ns, obj)

    def _patch(self, res: Resource, ns: str, name: str, patch: Any, ctype: str, sub: str) -> dict:
        if ctype != APPLY_PATCH:
            return super()._patch(res, ns, name, patch, ctype, sub)
        if sub:
            raise ApiError(status(400, "BadRequest", "this stand-in applies to the main resource only"))
        return self._apply(res, ns, name, patch, getattr(self._local, "query", {}))

    # -- server-side apply ----------------------------------------------------------------
    def _apply(self, res: Resource, ns: str, name: str, applied: Any, query: dict) -> dict:
        manager = query.get("fieldManager") or ""
        if not manager:
            raise ApiError(status(422, "Invalid", 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required '
                                  "value: is required for apply patch",
                                  {"group": "meta.k8s.io", "kind": "PatchOptions",
                                   "causes": [{"reason": "FieldValueRequired", "message": "Required value: is "
                                               "required for apply patch", "field": "fieldManager"}]}))
        if query.get("force", "false") not in ("true", "false"):
            raise ApiError(status(400, "BadRequest", f"invalid force value {query.get('force')!r}"))
        applied = self._check_body(res, copy.deepcopy(applied), ns)
        if applied["metadata"].get("name") != name:
            raise ApiError(status(400, "BadRequest", f"the name of the object ({applied['metadata'].get('name')}) "
                                  f"does not match the name on the URL ({name})"))
        self._check_namespace(res, ns)
        fields = field_paths(applied)
        cur = res.current(ns, name)
        now = {"manager": manager, "operation": "Apply", "apiVersion": res.group_version, "time": _now(),
               "fieldsType": "FieldsV1"}
        if cur is None:
            self._validate_name(res, name)
            new = {k: v for k, v in applied.items() if k != "status"}
            meta = new["metadata"]
            rv = self._bump()
            meta.update(uid=str(uuid.uuid4()), creationTimestamp=_now(), resourceVersion=str(rv),
                        managedFields=[dict(now, fieldsV1=encode_fields(set(fields)))] if fields else [])
            if res.custom or res.plural in GENERATION_KINDS:
                meta["generation"] = 1
            self._store(res, ns, name, copy.deepcopy(new), rv)
            return new
        owners = {(m.get("manager"), m.get("operation")): decode_fields(m.get("fieldsV1") or {})
                  for m in cur["metadata"].get("managedFields") or []}
        mine = (manager, "Apply")
        conflicts = sorted({(m, p) for m, paths in owners.items() if m != mine for p in fields
                            if p in paths and _get_path(cur, p) != fields[p]})
        if conflicts and query.get("force") != "true":
            text = "; ".join(f'conflict with "{m[0]}": .{".".join(p)}' for m, p in conflicts)
            raise ApiError(status(409, "Conflict", f"Apply failed with {len(conflicts)} conflict(s): {text}",
                                  {"name": name, "group": res.group, "kind": res.plural,
                                   "causes": [{"reason": "FieldManagerConflict", "message": f'conflict with "{m[0]}"',
                                               "field": "." + ".".join(p)} for m, p in conflicts]}))
        for m, p in conflicts:
            owners[m].discard(p)
        new = copy.deepcopy(cur)
        others = set().union(*[paths for m, paths in owners.items() if m != mine])
        for p in sorted(owners.get(mine, set()) - set(fields), key=len, reverse=True):
            if p not in others:
                _del_path(new, p)
        for p, value in fields.items():
            _set_path(new, p, value)
        owners[mine] = set(fields)
        managed = [dict(m_entry) for m_entry in cur["metadata"].get("managedFields") or []
                   if (m_entry.get("manager"), m_entry.get("operation")) != mine]
        for entry in managed:
            entry["fieldsV1"] = encode_fields(owners[(entry.get("manager"), entry.get("operation"))])
        if fields:                                   # a manager that owns nothing is not listed
            managed.append(dict(now, fieldsV1=encode_fields(owners[mine])))
        else:
            owners.pop(mine)
        before = {(m.get("manager"), m.get("operation")): decode_fields(m.get("fieldsV1") or {})
                  for m in cur["metadata"].get("managedFields") or []}
        if new == cur and owners == before:
            return copy.deepcopy(cur)
        rv = self._bump()
        new["metadata"]["resourceVersion"] = str(rv)
        new["metadata"]["managedFields"] = managed
        if res.custom or res.plural in GENERATION_KINDS:
            gen = cur["metadata"].get("generation", 1)
            new["metadata"]["generation"] = gen + 1 if new.get("spec") != cur.get("spec") else gen
        self._store(res, ns, name, copy.deepcopy(new), rv)
        return new

    # -- kube-controller-manager, played ----------------------------------------------------
    def _store(self, res: Resource, ns: str, name: str, obj: dict | None, rv: int) -> None:
        super()._store(res, ns, name, obj, rv)
        if self.controllers and not self._dry and not self._controlling and obj is not None and \
                res.plural in ("daemonsets", "deployments", "nodes"):
            self._controlling = True
            try:
                self.reconcile()
            finally:
                self._controlling = False

    def reconcile(self) -> None:
        """Bring every DaemonSet's pods and status and every Deployment's status up to date."""
        with self.lock:
            nodes = [o for _k, o in self.resources[("v1", "nodes")].at(self.rv, None)]
            for (ns, name), ds in list(self.resources[("apps/v1", "daemonsets")].at(self.rv, None)):
                self._reconcile_daemonset(ns, name, ds, nodes)
            for (ns, name), dep in list(self.resources[("apps/v1", "deployments")].at(self.rv, None)):
                want = (dep.get("spec") or {}).get("replicas", 1)
                self._set_status("deployments", ns, name, dep, {
                    "observedGeneration": dep["metadata"].get("generation", 1), "replicas": want,
                    "updatedReplicas": want, "readyReplicas": want, "availableReplicas": want})

    def _set_status(self, plural: str, ns: str, name: str, obj: dict, st: dict) -> None:
        if obj.get("status") == st:
            return
        res = self.resources[("apps/v1", plural)]
        new = copy.deepcopy(obj)
        new["status"] = st
        rv = self._bump()
        new["metadata"]["resourceVersion"] = str(rv)
        FakeKubeAPI._store(self, res, ns, name, new, rv)

    def _reconcile_daemonset(self, ns: str, name: str, ds: dict, nodes: list[dict]) -> None:
        spec = ds.get("spec") or {}
        template = spec.get("template") or {}
        selector = (template.get("spec") or {}).get("nodeSelector") or {}
        gen = ds["metadata"].get("generation", 1)
        pods = self.resources[("v1", "pods")]
        chosen = [n["metadata"]["name"] for n in nodes
                  if all((n["metadata"].get("labels") or {}).get(k) == v for k, v in selector.items())]
        for (pns, pname), pod in pods.at(self.rv, ns):
            owner = (pod["metadata"].get("labels") or {}).get("netops.test/daemonset")
            if pns == ns and owner == name and pod["spec"]["nodeName"] not in chosen:
                rv = self._bump()
                FakeKubeAPI._store(self, pods, ns, pname, None, rv)
        ready = 0
        for node in chosen:
            ok = node not in self.unready_nodes
            ready += ok
            labels = dict((template.get("metadata") or {}).get("labels") or {})
            labels.update({"pod-template-generation": str(gen), "netops.test/daemonset": name})
            pod = {"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"name": f"{name}-{node}"[:63], "namespace": ns, "labels": labels,
                                "uid": str(uuid.uuid4()), "creationTimestamp": _now()},
                   "spec": {"nodeName": node},
                   "status": {"phase": "Running" if ok else "Pending",
                              "conditions": [{"type": "Ready", "status": "True" if ok else "False"}]}}
            old = pods.current(ns, pod["metadata"]["name"])
            if old is not None and old["metadata"]["labels"] == labels and old["status"] == pod["status"]:
                continue
            rv = self._bump()
            pod["metadata"]["resourceVersion"] = str(rv)
            FakeKubeAPI._store(self, pods, ns, pod["metadata"]["name"], pod, rv)
        n = len(chosen)
        self._set_status("daemonsets", ns, name, ds, {
            "observedGeneration": gen, "desiredNumberScheduled": n, "currentNumberScheduled": n,
            "updatedNumberScheduled": n, "numberReady": ready, "numberAvailable": ready,
            "numberUnavailable": n - ready, "numberMisscheduled": 0})


if pytest is not None:
    @pytest.fixture(scope="module")
    def kube_cluster_server():
        srv = FakeKubeCluster().start()
        yield srv
        srv.stop()

    @pytest.fixture()
    def kube_cluster(kube_cluster_server, tmp_path):  # pylint: disable=redefined-outer-name
        """A fresh FakeKubeCluster with the kube-system namespace (as every cluster has it)."""
        srv = kube_cluster_server
        srv.reset()
        srv.controllers = True
        srv.unready_nodes = set()
        srv.put_object("v1", "namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                            "metadata": {"name": "kube-system"}})
        srv.kubeconfig_path = srv.kubeconfig(tmp_path / "kubeconfig")
        yield srv
        srv.reset()
