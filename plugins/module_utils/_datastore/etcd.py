# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""etcdv3 backend: Calico's exact key layout, every write a transaction guarded by a revision.

Client choice: etcd3gw, which talks to etcd's own gRPC-JSON gateway (``/v3/kv/...``) over HTTP with
requests. It is maintained (OpenStack), pure Python, and has no protobuf/grpcio dependency, so it
cannot break on a protobuf upgrade the way python-etcd3 0.12 does with protobuf >= 4. TLS (CA,
client cert/key) is handled by requests. Failover across endpoints, timeouts and bounded retries
are ours, below.

Writes mirror libcalico-go lib/backend/etcdv3/etcdv3.go: Create is ``If(Version(key) == 0)``,
Update and Delete are ``If(ModRevision(key) == rev)``, deletes are exact-key.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator
from urllib.parse import urlsplit

from ansible_collections.netops.calico.plugins.module_utils._batching import chunks
from ansible_collections.netops.calico.plugins.module_utils._calico.validator import guard_delete, guard_write
from ansible_collections.netops.calico.plugins.module_utils._datastore import model
from ansible_collections.netops.calico.plugins.module_utils._datastore.errors import (
    AlreadyExistsError,
    ConflictError,
    DatastoreError,
    DatastoreTLSError,
    DatastoreUnavailable,
    NotFoundError,
)

try:
    import requests
    from etcd3gw.client import Etcd3Client
    from etcd3gw import exceptions as etcd_exc
    HAS_ETCD3GW = True
    ETCD3GW_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported by the module through missing_required_lib
    HAS_ETCD3GW = False
    ETCD3GW_IMPORT_ERROR = exc

PAGE_SIZE = 2000
TXN_MAX_OPS = 128          # etcd's --max-txn-ops default (compares and operations each)


def _b64(data: str | bytes) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return base64.b64encode(data).decode("ascii")


def _unb64(data: str | None) -> bytes:
    return base64.b64decode(data) if data else b""


def prefix_end(prefix: str) -> str:
    """The range_end that selects every key starting with ``prefix``."""
    raw = bytearray(prefix.encode("utf-8"))
    while raw and raw[-1] == 0xFF:
        raw.pop()
    if not raw:
        return "\0"
    raw[-1] += 1
    return raw.decode("utf-8", errors="surrogateescape")


class AnswerLost(DatastoreUnavailable):
    """A write was sent and no answer came back: etcd may or may not have applied it."""


class Item:
    """One stored object: ``value`` is the parsed JSON (None when not JSON), ``revision`` the
    etcd mod revision as a string (what Calico reports as resourceVersion)."""

    __slots__ = ("key", "raw", "revision", "_value")

    def __init__(self, key: str, raw: bytes, revision: str) -> None:
        self.key = key
        self.raw = raw
        self.revision = revision
        self._value: Any = ...

    @property
    def value(self) -> Any:
        if self._value is ...:
            try:
                self._value = json.loads(self.raw) if self.raw else None
            except ValueError:
                self._value = None
        return self._value

    @property
    def rev(self) -> int:
        """The mod revision as an int, for guarded writes (``Write.rev``). A Kubernetes
        resourceVersion (the KDD backend's key view) is opaque: kept as text unless it is a number."""
        return int(self.revision) if self.revision.isdigit() else self.revision  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"Item({self.key!r}, rev={self.revision})"

    @classmethod
    def from_kv(cls, kv: dict) -> Item:
        """From one gateway range result entry (base64 key/value, mod_revision)."""
        return cls(_unb64(kv["key"]).decode("utf-8", errors="replace"), _unb64(kv.get("value")),
                   str(kv.get("mod_revision", "0")))


@dataclass
class Write:
    """One key of a guarded multi-key transaction: written (``value``) or deleted (None) only if
    its mod revision is still ``rev`` (0: the key must not exist)."""

    key: str
    rev: int
    value: bytes | None


@dataclass
class Committed:
    """The outcome of ``EtcdBackend.commit``: ``ok`` (every compare held and every write was
    made, at store ``revision``), else ``current`` holds each key as it is now. ``revisions``:
    per-key revisions when the store has no single one (the Kubernetes datastore's resourceVersions)."""

    ok: bool
    revision: int
    current: dict[str, Item | None]
    revisions: dict[str, str] = field(default_factory=dict)


def _range_op(key: str, prefix: bool = False) -> dict:
    op: dict[str, Any] = {"key": _b64(key)}
    if prefix:
        op["range_end"] = _b64(prefix_end(key))
    return {"request_range": op}


def _first(resp: dict) -> Item | None:
    kvs = (resp.get("response_range") or {}).get("kvs") or []
    return Item.from_kv(kvs[0]) if kvs else None


def parse_endpoints(endpoints: str | list[str]) -> list[tuple[str, str, int]]:
    """``"https://a:2379,http://b:2379"`` -> [(scheme, host, port), ...] (calico's ETCD_ENDPOINTS)."""
    if isinstance(endpoints, str):
        endpoints = endpoints.split(",")
    out = []
    for raw in endpoints:
        raw = raw.strip()
        if not raw:
            continue
        if "://" not in raw:
            raw = "http://" + raw
        parts = urlsplit(raw)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise DatastoreError(f"etcd endpoint {raw!r} is not a URL like https://10.0.0.1:2379.",
                                 "Set etcd_endpoints (or ETCD_ENDPOINTS) to a comma-separated list of URLs.")
        try:
            port = parts.port or 2379
        except ValueError:
            raise DatastoreError(f"etcd endpoint {raw!r} has an invalid port.") from None
        out.append((parts.scheme, parts.hostname, port))
    if not out:
        raise DatastoreError("No etcd endpoint given.",
                             "Set etcd_endpoints (or ETCD_ENDPOINTS), e.g. https://10.0.0.1:2379.")
    return out


class EtcdKV:
    """Key/value access with failover, bounded retries and revision-guarded writes."""

    RETRIES = 3          # passes over the endpoint list for one call
    BACKOFF = 0.2        # seconds, doubled each pass, capped at BACKOFF_MAX
    BACKOFF_MAX = 2.0

    def __init__(self, endpoints: str | list[str], ca_cert: str | None = None,
                 cert: str | None = None, key: str | None = None, timeout: float = 10.0,
                 log: Callable[[str], None] | None = None) -> None:
        if not HAS_ETCD3GW:
            raise DatastoreError(f"the etcd3gw Python library is required ({ETCD3GW_IMPORT_ERROR}).",
                                 "Install it with: pip install etcd3gw")
        if bool(cert) != bool(key):
            raise DatastoreError("etcd_cert_file and etcd_key_file must be given together.")
        self.endpoints = parse_endpoints(endpoints)
        self.ca_cert = ca_cert
        self.cert = cert
        self.key = key
        self.timeout = timeout
        self.log = log or (lambda msg: None)
        self._clients: dict[int, Any] = {}
        self._current = 0   # index of the endpoint that answered last

    # -- transport ------------------------------------------------------------------------
    def _client(self, idx: int):
        c = self._clients.get(idx)
        if c is None:
            scheme, host, port = self.endpoints[idx]
            session = requests.Session()
            if self.ca_cert:
                session.verify = self.ca_cert
                # requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE from the environment override
                # a session's verify (psf/requests#3829): the CA the user named must win.
                session.trust_env = False
            if self.cert and self.key:
                session.cert = (self.cert, self.key)
            # session set after construction: etcd3gw < 2.4 (Debian 12 ships 2.0.0) has no session argument
            c = Etcd3Client(host=host, port=port, protocol=scheme, timeout=self.timeout, api_path="/v3/")
            c.session = session
            self._clients[idx] = c
        return c

    def _url(self, idx: int) -> str:
        scheme, host, port = self.endpoints[idx]
        return f"{scheme}://{host}:{port}"

    def call(self, path: str, payload: dict, resend: bool = True) -> dict:
        """POST to the gateway, trying every endpoint, RETRIES passes with capped backoff.

        ``resend`` False (writes): the first transient failure raises ``AnswerLost`` instead of
        sending the request again, since etcd may have applied it; the caller reads back first."""
        errors: list[str] = []
        n = len(self.endpoints)
        delay = self.BACKOFF
        for attempt in range(self.RETRIES):
            for step in range(n):
                idx = (self._current + step) % n
                client = self._client(idx)
                try:
                    resp = client.post(client.get_url(path), json=payload)
                    self._current = idx
                    return resp
                except etcd_exc.Etcd3Exception as exc:
                    detail = (exc.detail_text or str(exc) or type(exc).__name__)
                    detail = " ".join(str(detail).split())[:300]
                    if "CERTIFICATE_VERIFY_FAILED" in detail or "SSLError" in detail or "certificate" in detail.lower():
                        raise DatastoreTLSError(
                            f"TLS to etcd endpoint {self._url(idx)} failed: {detail}",
                            "Check etcd_ca_cert_file (the CA that signed the etcd server certificate) and "
                            "etcd_cert_file/etcd_key_file (a client certificate etcd trusts).") from None
                    transient = isinstance(exc, (etcd_exc.ConnectionFailedError, etcd_exc.ConnectionTimeoutError,
                                                 etcd_exc.InternalServerError))
                    if not transient:
                        raise DatastoreError(f"etcd endpoint {self._url(idx)} refused the request: {detail}") from None
                    errors.append(f"{self._url(idx)}: {detail}")
                    if not resend:
                        self.log(f"etcd {self._url(idx)} {path}: no answer ({detail}); reading back before "
                                 "sending it again")
                        raise AnswerLost(f"etcd endpoint {self._url(idx)} did not answer a write: {detail}")
                    self.log(f"etcd {self._url(idx)} {path} failed (attempt {attempt + 1}/{self.RETRIES}): {detail}")
            if attempt + 1 < self.RETRIES:
                time.sleep(delay)
                delay = min(delay * 2, self.BACKOFF_MAX)
        raise DatastoreUnavailable(
            f"No etcd endpoint answered after {self.RETRIES} tries each: {'; '.join(errors[-len(self.endpoints):])}",
            "Check that etcd is running and reachable at etcd_endpoints (ETCD_ENDPOINTS), and the TLS files.")

    # -- reads ----------------------------------------------------------------------------
    def get(self, key: str) -> Item | None:
        resp = self.call("/kv/range", {"key": _b64(key)})
        kvs = resp.get("kvs") or []
        if not kvs:
            return None
        kv = kvs[0]
        return Item(key, _unb64(kv.get("value")), str(kv.get("mod_revision", "0")))

    def range_pages(self, prefix: str, keys_only: bool = False, page_size: int = PAGE_SIZE) -> Iterator[list[dict]]:
        """Raw gateway kv dicts for every key under ``prefix``, page by page, all read at the same
        store revision so that a listing is a consistent snapshot."""
        start = prefix
        end = _b64(prefix_end(prefix))
        revision = None
        while True:
            payload: dict[str, Any] = {"key": _b64(start), "range_end": end, "limit": page_size}
            if keys_only:
                payload["keys_only"] = True
            if revision is not None:
                payload["revision"] = revision
            resp = self.call("/kv/range", payload)
            if revision is None:
                revision = resp.get("header", {}).get("revision")
            kvs = resp.get("kvs") or []
            if kvs:
                yield kvs
            if not resp.get("more") or not kvs:
                return
            last = _unb64(kvs[-1]["key"])
            start = (last + b"\0").decode("utf-8", errors="surrogateescape")

    def range(self, prefix: str) -> list[Item]:
        out = []
        for page in self.range_pages(prefix):
            out.extend(Item.from_kv(kv) for kv in page)
        return out

    def revision(self) -> int:
        resp = self.call("/kv/range", {"key": _b64("/calico/"), "count_only": True})
        return int(resp.get("header", {}).get("revision", 0))

    # -- guarded writes -------------------------------------------------------------------
    def transact(self, writes: list[Write], compare: list[dict] | None = None) -> Committed:
        """One transaction: every write guarded by its key's mod revision (or by ``compare``); on a
        failed compare, the keys as they are now.

        A write is never sent twice blindly: etcd may have applied it and lost only the answer (a
        timeout, a reset connection), and the resent compare would then fail on our own write. After
        a lost answer the keys are read back: all at their compared revisions -> not applied, send
        again; our values at one new mod revision (a transaction writes all its keys at one
        revision) and our deletes gone -> applied, done; anything else -> another writer, a conflict."""
        if compare is None:
            compare = [{"key": _b64(w.key), "result": "EQUAL", "target": "MOD", "mod_revision": w.rev}
                       for w in writes]
        success = [{"request_delete_range": {"key": _b64(w.key)}} if w.value is None
                   else {"request_put": {"key": _b64(w.key), "value": _b64(w.value)}} for w in writes]
        payload = {"compare": compare, "success": success, "failure": [_range_op(w.key) for w in writes]}
        lost: AnswerLost | None = None
        delay = self.BACKOFF
        for _attempt in range(self.RETRIES):
            try:
                resp = self.call("/kv/txn", payload, resend=False)
            except AnswerLost as exc:
                lost = exc
                outcome, revision, current = self._read_back(writes)
                if outcome == "applied":
                    self.log(f"etcd write of {len(writes)} key(s): answer lost, the read-back shows it applied "
                             f"at revision {revision}")
                    return Committed(True, revision, {})
                if outcome == "changed":
                    return Committed(False, revision, current)
                time.sleep(delay)                  # not applied: send it again
                delay = min(delay * 2, self.BACKOFF_MAX)
                continue
            revision = int((resp.get("header") or {}).get("revision", 0))
            if resp.get("succeeded"):
                return Committed(True, revision, {})
            return Committed(False, revision, {w.key: _first(r) for w, r in zip(writes, resp.get("responses") or [])})
        raise DatastoreUnavailable(f"{lost} (and each of {self.RETRIES} tries; the read-back shows it was not applied)",
                                   "Check that etcd is running and reachable at etcd_endpoints (ETCD_ENDPOINTS).")

    def _read_back(self, writes: list[Write]) -> tuple[str, int, dict[str, Item | None]]:
        """("applied" | "untouched" | "changed", store revision, the keys now), read in one transaction."""
        resp = self.call("/kv/txn", {"compare": [], "success": [_range_op(w.key) for w in writes], "failure": []})
        revision = int((resp.get("header") or {}).get("revision", 0))
        current = {w.key: _first(r) for w, r in zip(writes, resp.get("responses") or [])}
        if all((current[w.key].rev if current[w.key] else 0) == w.rev for w in writes):
            return "untouched", revision, current
        put_revs = {current[w.key].rev for w in writes if w.value is not None and current[w.key] is not None}
        ours = all(current[w.key] is None if w.value is None
                   else current[w.key] is not None and current[w.key].raw == w.value and current[w.key].rev > w.rev
                   for w in writes)
        if ours and len(put_revs) <= 1:
            return "applied", max(put_revs or {revision}), current
        return "changed", revision, current

    def create(self, key: str, value: str) -> Item:
        data = value.encode("utf-8")
        cmp = [{"key": _b64(key), "result": "EQUAL", "target": "VERSION", "version": 0}]
        done = self.transact([Write(key, 0, data)], cmp)
        if not done.ok:
            raise AlreadyExistsError(f"{key} already exists.")
        return Item(key, data, str(done.revision))

    def update(self, key: str, value: str, revision: str | int) -> Item:
        data = value.encode("utf-8")
        done = self.transact([Write(key, int(revision), data)])
        if not done.ok:
            if done.current.get(key) is None:
                raise NotFoundError(f"{key} was deleted since it was read (revision {revision}).",
                                    "Run again to re-read the current state.")
            raise ConflictError(f"{key} changed since it was read (revision {revision}).",
                                "Another writer updated it; run again to re-read the current state.")
        return Item(key, data, str(done.revision))

    def delete(self, key: str, revision: str | int) -> None:
        done = self.transact([Write(key, int(revision), None)])
        if not done.ok:
            if done.current.get(key) is None:
                raise NotFoundError(f"{key} does not exist.")
            raise ConflictError(f"{key} changed since it was read (revision {revision}); not deleted.",
                                "Run again to re-read the current state.")


class EtcdBackend:
    """Calico objects on etcdv3: v3 resources and IPAM objects, by kind and name."""

    datastore_type = "etcdv3"

    def __init__(self, kv: EtcdKV) -> None:
        self.kv = kv

    @staticmethod
    def _key(kind_name: str, name: str, namespace: str | None = None) -> str:
        if kind_name in model.IPAM_KINDS:
            return model.ipam_key(kind_name, name)
        return model.resource_key(kind_name, name, namespace)

    def _wrap(self, kind_name: str, item: Item) -> dict:
        """A read resource: stored JSON plus metadata.resourceVersion from the mod revision."""
        value = item.value
        if kind_name in model.KINDS:
            if not isinstance(value, dict):
                raise DatastoreError(f"{item.key} does not hold a JSON object; refusing to touch it.")
            return model.with_revision(value, item.revision)
        return {"key": item.key, "value": value, "revision": item.revision}

    # resources -----------------------------------------------------------------------------
    def get(self, kind_name: str, name: str, namespace: str | None = None) -> dict | None:
        item = self.kv.get(self._key(kind_name, name, namespace))
        return None if item is None else self._wrap(kind_name, item)

    def list(self, kind_name: str, namespace: str | None = None) -> list[dict]:
        if kind_name in model.IPAM_KINDS:
            prefix = model.ipam_prefix(kind_name)
        else:
            prefix = model.resource_prefix(kind_name, namespace)
        out = []
        for item in self.kv.range(prefix):
            parsed = model.parse_key(item.key)
            if parsed is None or parsed[0] != kind_name:
                continue
            out.append(self._wrap(kind_name, item))
        return out

    def create(self, resource: dict) -> dict:
        guard_write(resource)
        kind_name = resource["kind"]
        meta = resource.get("metadata") or {}
        key = self._key(kind_name, meta["name"], meta.get("namespace"))
        if not meta.get("uid"):
            resource = model.new_resource(kind_name, meta["name"], resource.get("spec") or {},
                                          meta.get("labels"), meta.get("annotations"), meta.get("namespace"))
        try:
            item = self.kv.create(key, model.serialise(kind_name, resource))
        except AlreadyExistsError:
            raise AlreadyExistsError(f"{kind_name} {meta['name']!r} already exists ({key}).",
                                     "Another writer created it; run again to compare with it.") from None
        return self._wrap(kind_name, item)

    def update(self, resource: dict) -> dict:
        guard_write(resource)
        kind_name = resource["kind"]
        meta = resource.get("metadata") or {}
        rev = model.revision_to_update(resource)
        key = self._key(kind_name, meta["name"], meta.get("namespace"))
        item = self.kv.update(key, model.serialise(kind_name, resource), rev)
        return self._wrap(kind_name, item)

    def delete(self, kind_name: str, name: str, revision: str, namespace: str | None = None) -> None:
        guard_delete(kind_name, name)
        self.kv.delete(self._key(kind_name, name, namespace), revision)

    # IPAM objects (values are the raw model JSON; see model.py) -------------------------------
    def ipam_get(self, kind_name: str, name: str) -> dict | None:
        item = self.kv.get(model.ipam_key(kind_name, name))
        return None if item is None else self._wrap(kind_name, item)

    def ipam_list(self, kind_name: str, node: str | None = None) -> list[dict]:
        out = []
        for item in self.kv.range(model.ipam_prefix(kind_name, node)):
            parsed = model.parse_key(item.key)
            if parsed is None or parsed[0] != kind_name:
                continue
            entry = self._wrap(kind_name, item)
            entry["name"] = parsed[1]
            out.append(entry)
        return out

    def ipam_create(self, kind_name: str, name: str, value: Any) -> dict:
        key = model.ipam_key(kind_name, name)
        return self._wrap(kind_name, self.kv.create(key, model.serialise(kind_name, value)))

    def ipam_update(self, kind_name: str, name: str, value: Any, revision: str) -> dict:
        key = model.ipam_key(kind_name, name)
        return self._wrap(kind_name, self.kv.update(key, model.serialise(kind_name, value), revision))

    def ipam_delete(self, kind_name: str, name: str, revision: str) -> None:
        self.kv.delete(model.ipam_key(kind_name, name), revision)

    # many keys at once: prefix reads, read-only and guarded multi-key transactions -----------
    def read_prefix(self, prefix: str, keys_only: bool = False) -> list[Item]:
        """Every key under ``prefix`` at one store revision (paged range reads)."""
        return [Item.from_kv(kv) for page in self.kv.range_pages(prefix, keys_only=keys_only) for kv in page]

    def read_keys(self, keys: Iterable[str]) -> dict[str, Item | None]:
        """Many exact keys, TXN_MAX_OPS per read-only transaction."""
        out: dict[str, Item | None] = {}
        for chunk in chunks(list(dict.fromkeys(keys)), TXN_MAX_OPS):
            resp = self.kv.call("/kv/txn", {"compare": [], "success": [_range_op(k) for k in chunk], "failure": []})
            for key, r in zip(chunk, resp.get("responses") or []):
                out[key] = _first(r)
        return out

    def read_prefixes(self, prefixes: Iterable[str]) -> dict[str, list[Item]]:
        """Many small prefixes, TXN_MAX_OPS per read-only transaction."""
        out: dict[str, list[Item]] = {}
        for chunk in chunks(list(dict.fromkeys(prefixes)), TXN_MAX_OPS):
            resp = self.kv.call("/kv/txn", {"compare": [], "success": [_range_op(p, prefix=True) for p in chunk],
                                            "failure": []})
            for p, r in zip(chunk, resp.get("responses") or []):
                out[p] = [Item.from_kv(i) for i in (r.get("response_range") or {}).get("kvs") or []]
        return out

    def commit(self, writes: list[Write]) -> Committed:
        """One transaction over several keys, each write guarded by its key's mod revision (at most
        TXN_MAX_OPS writes). When a compare fails nothing is written and the answer carries every
        key as it is now (the transaction's failure branch reads them), so the caller can plan again."""
        if len(writes) > TXN_MAX_OPS:
            raise ValueError(f"{len(writes)} writes in one transaction; etcd allows {TXN_MAX_OPS}")
        return self.kv.transact(writes)

    # bulk reads for reports ----------------------------------------------------------------
    def snapshot(self, prefix: str = "/calico/") -> Iterator[tuple[str, bytes, str]]:
        """Every (key, raw value, revision) under ``prefix`` at one store revision."""
        for page in self.kv.range_pages(prefix):
            for kv in page:
                yield (_unb64(kv["key"]).decode("utf-8", errors="replace"), _unb64(kv.get("value")),
                       str(kv.get("mod_revision", "0")))

    def raw_get(self, key: str) -> Item | None:
        return self.kv.get(key)
