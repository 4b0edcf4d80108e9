# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Kubernetes API transport: the one place that sets up a kubernetes client (kubeconfig, several
files joined with ':' merged as kubectl does; in-cluster service account when neither is set and we
run in a pod) and sends raw JSON requests through it.

urllib3's own retries are off; we retry reads and writes on connection errors, 429 and 5xx a
bounded number of times with capped backoff (honouring Retry-After). A write whose answer was lost
is resolved by reading back, as the etcd backend does: it is accepted only if the object now holds
exactly what we wrote.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any, Callable

from ansible_collections.netops.calico.plugins.module_utils._datastore.errors import (
    DatastoreError,
    DatastoreTLSError,
    DatastoreUnavailable,
)

KUBERNETES_IMPORT_ERROR: ImportError | None = None
try:
    import urllib3
    from kubernetes import client as k8s_client
    from kubernetes import config as k8s_config
    from kubernetes.client.exceptions import ApiException
    from kubernetes.config.config_exception import ConfigException
except ImportError as exc:  # pragma: no cover - reported by the module through missing_required_lib
    KUBERNETES_IMPORT_ERROR = exc

    class ApiException(Exception):  # type: ignore[no-redef]
        status = 0
HAS_KUBERNETES = KUBERNETES_IMPORT_ERROR is None


class _Transient(Exception):
    """A failure worth retrying. ``maybe_applied``: a write may have happened anyway."""

    def __init__(self, detail: str, maybe_applied: bool, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.maybe_applied = maybe_applied
        self.retry_after = retry_after


class ApiStatus(Exception):
    """A non-retryable answer from the API server: ``code``, ``reason``, ``message``, ``body``."""

    def __init__(self, code: int, reason: str, message: str, body: dict) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.body = body


def causes(exc: ApiStatus, default: str) -> list[str]:
    """``field: message`` for each cause of a 400/422 Status (``default`` when it names no field)."""
    return [f"{c.get('field') or default}: {c.get('message')}"
            for c in ((exc.body.get("details") or {}).get("causes") or []) if c.get("message")]


def one_line(text: Any, limit: int = 300) -> str:
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

    @classmethod
    def from_kubeconfig(cls, path: str | None, timeout: float = 10.0, log: Callable[[str], None] | None = None,
                        context: str | None = None) -> "KubeAPI":
        """The client for a kubeconfig file (several joined with ':' are merged, as kubectl does);
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
                k8s_config.load_kube_config(config_file=path, context=context, client_configuration=configuration,
                                            persist_config=False)
            elif os.path.isfile(default):
                k8s_config.load_kube_config(config_file=default, context=context, client_configuration=configuration,
                                            persist_config=False)
            elif os.environ.get("KUBERNETES_SERVICE_HOST"):
                k8s_config.load_incluster_config(client_configuration=configuration)
            else:
                raise DatastoreError("datastore_type is kubernetes but no kubeconfig was found.",
                                     "Set kubeconfig (or KUBECONFIG) to the kubeconfig of the cluster Calico runs in.")
        except ConfigException as exc:
            raise DatastoreError(f"The kubeconfig {path or default!r} could not be used: {one_line(exc)}.",
                                 "Fix the file or point kubeconfig (KUBECONFIG) at a valid one; check its "
                                 "current-context.") from None
        except (OSError, ValueError) as exc:
            raise DatastoreError(f"The kubeconfig {path or default!r} could not be read: {one_line(exc)}") from None
        configuration.retries = False          # retries are ours (KubeAPI), bounded and logged
        api_client = k8s_client.ApiClient(configuration)
        api_client.user_agent = "netops.calico"
        return cls(api_client, timeout=timeout, log=log)

    # -- one request ------------------------------------------------------------------------
    def once(self, method: Callable, *args: Any, **kwargs: Any) -> dict:
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
            raise _Transient(one_line(exc.reason or exc), maybe_applied=not isinstance(
                exc.reason, urllib3.exceptions.NewConnectionError)) from None
        except urllib3.exceptions.NewConnectionError as exc:
            raise _Transient(one_line(exc), maybe_applied=False) from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise _Transient(f"{type(exc).__name__}: {one_line(exc)}", maybe_applied=True) from None
        try:
            return json.loads(data) if data else {}
        except ValueError as exc:
            raise DatastoreError(f"The Kubernetes API at {self.server} answered with something that is not JSON "
                                 f"({exc}).", "Check that kubeconfig points at a Kubernetes API server.") from None

    @staticmethod
    def delete_options(revision: str) -> Any:
        """DeleteOptions with a resourceVersion precondition (a compare-and-delete)."""
        return k8s_client.V1DeleteOptions(preconditions=k8s_client.V1Preconditions(resource_version=str(revision)))

    def _tls(self, exc: Any) -> DatastoreTLSError:
        return DatastoreTLSError(
            f"TLS to the Kubernetes API at {self.server} failed: {one_line(exc)}.",
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
        message = body.get("message") or one_line(exc.body or exc.reason or "")
        if code == 0:
            text = one_line(exc.reason or exc)
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
            return _Transient(f"{code} {reason}: {one_line(message)}", maybe_applied=code != 429,
                              retry_after=retry_after)
        return ApiStatus(code, str(reason), str(message), body)

    # -- retries ---------------------------------------------------------------------------
    def call(self, what: str, method: Callable, *args: Any, **kwargs: Any) -> dict:
        """A read (or a write that cannot do harm when repeated): retried on transient failures."""
        errors: list[str] = []
        delay = self.BACKOFF
        for attempt in range(self.RETRIES):
            try:
                return self.once(method, *args, **kwargs)
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
        retry), or raises when another writer got there first. ``do()`` may raise ApiStatus; a 409
        after a retried attempt is checked with ``verify()`` too (our first try may have landed)."""
        errors: list[str] = []
        delay = self.BACKOFF
        uncertain = False
        for attempt in range(self.RETRIES):
            try:
                return do()
            except ApiStatus as exc:
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

    # -- any path (Kubernetes objects other than Calico's: kdd/objects.py) -----------------------
    def request(self, method: str, path: str, query: dict[str, str] | None = None, body: Any = None,
                content_type: str = "application/json", **kwargs: Any) -> Any:
        """One request to ``path`` through the client's own call_api (its auth and TLS), for
        ``once``/``call`` (which add ``_preload_content`` and the timeout). The client sends a
        dict body as JSON, for application/apply-patch+yaml too (JSON is YAML)."""
        return self.api_client.call_api(path, method, query_params=list((query or {}).items()),
                                        header_params={"Accept": "application/json", "Content-Type": content_type},
                                        body=body, auth_settings=["BearerToken"], _return_http_data_only=True,
                                        **kwargs)
