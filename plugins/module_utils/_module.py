# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one module runner: argument spec with the shared connection options, the datastore_type
check and dependency checks before connecting, connecting (a ``DryRun`` of the datastore in check
mode, so modules never branch on check mode for datastore writes), and client errors turned into
fail_json. ``module_host`` is the same for the machine a host module runs on: the ``Host``, or in
check mode a ``DryRunHost`` that records the changes instead of making them. A write that finds its
object changed since it was read (another run at the same time, e.g. another AWX job slice) makes
the whole body run again from fresh reads: ``run`` is the one place writes are retried."""

from __future__ import annotations

import random
import time
from typing import Any, Callable

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.netops.calico.plugins.module_utils._datastore.connection import connect, datastore_argspec
from ansible_collections.netops.calico.plugins.module_utils._datastore.dryrun import DryRun
from ansible_collections.netops.calico.plugins.module_utils._datastore.errors import (
    ConflictError, DatastoreError, ValidationError,
)
from ansible_collections.netops.calico.plugins.module_utils._host.dryrun import DryRunHost
from ansible_collections.netops.calico.plugins.module_utils._host.system import Host
from ansible_collections.netops.calico.plugins.module_utils._refused import Refused


def datastore_module(argument_spec: dict[str, Any], **kwargs: Any) -> AnsibleModule:
    return AnsibleModule(argument_spec=datastore_argspec(**argument_spec), supports_check_mode=True, **kwargs)


def module_host(module: AnsibleModule) -> Host | DryRunHost:
    """This machine, commands through run_command; in check mode wrapped so changes are recorded only."""
    host = Host("/", runner=module.run_command, warn=module.warn)
    return DryRunHost(host) if module.check_mode else host


def _check_libs(module: AnsibleModule) -> None:
    dtype = module.params.get("datastore_type")
    if dtype == "etcdv3":
        from ansible_collections.netops.calico.plugins.module_utils._datastore import etcd
        if not etcd.HAS_ETCD3GW:
            module.fail_json(msg=missing_required_lib("etcd3gw"), exception=str(etcd.ETCD3GW_IMPORT_ERROR))
    elif dtype == "kubernetes":
        from ansible_collections.netops.calico.plugins.module_utils._datastore.kdd import api as kdd
        if not kdd.HAS_KUBERNETES:
            module.fail_json(msg=missing_required_lib("kubernetes"), exception=str(kdd.KUBERNETES_IMPORT_ERROR))


# how often a body that lost a write race runs again, and the pause before each rerun (seconds,
# doubled each time, with jitter so that two writers do not meet again in step)
CONFLICT_ATTEMPTS = 5
CONFLICT_BACKOFF = 0.2


class _CountingWrites:
    """The backend, passed through, counting the writes that were made: after a conflict the body
    runs again from fresh reads, and a write an earlier attempt made still counts as a change."""

    _WRITES = ("create", "update", "delete", "ipam_create", "ipam_update", "ipam_delete", "commit")

    def __init__(self, ds: Any) -> None:
        self.ds = ds
        self.made = 0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.ds, name)
        if name not in self._WRITES:
            return attr

        def counted(*args: Any, **kwargs: Any) -> Any:
            out = attr(*args, **kwargs)
            if getattr(out, "ok", True):          # a commit whose compares failed wrote nothing
                self.made += 1
            return out
        return counted


def _with_conflict_retries(module: AnsibleModule, body: Callable[[Any], dict[str, Any]], ds: Any) -> dict[str, Any]:
    """``body(ds)``; on a ConflictError, again from fresh reads (every body reads before it writes
    and decides from what it read, so it decides again on what the other writer left)."""
    counting = _CountingWrites(ds) if ds is not None and not isinstance(ds, DryRun) else None
    attempt = 1
    while True:
        before = counting.made if counting else 0
        try:
            result = body(counting or ds)
        except ConflictError as exc:
            if attempt >= CONFLICT_ATTEMPTS or counting is None:
                raise
            module.debug(f"write conflict (attempt {attempt} of {CONFLICT_ATTEMPTS}), reading again: {exc}")
            time.sleep(CONFLICT_BACKOFF * (2 ** (attempt - 1)) * (0.5 + random.random()))
            attempt += 1
            continue
        if before and not result.get("changed"):
            result["changed"] = True              # an earlier attempt wrote before it lost a race
        return result


def run(module: AnsibleModule, body: Callable[[Any], dict[str, Any]], use_datastore: bool = True,
        refuse: dict[str, str] | None = None) -> None:
    """Call ``body(datastore)`` and exit with its result; any client error fails the task with
    its message (and, for validation, the list of errors; for a ``Refused``, its result).

    ``use_datastore`` False: ``body(None)`` (a host module run without its datastore part).
    ``refuse`` maps a datastore_type this module does not work on to the sentence saying so;
    checked before connecting."""
    dtype = module.params.get("datastore_type")
    if refuse and dtype in refuse:
        module.fail_json(msg=refuse[dtype])
    ds = None
    try:
        if use_datastore:
            _check_libs(module)
            ds = connect(module.params, log=module.debug)
            if module.check_mode:
                ds = DryRun(ds)
        result = _with_conflict_retries(module, body, ds)
    except ValidationError as exc:
        module.fail_json(msg=f"Invalid input, nothing was written: {exc}", errors=exc.errors)
    except Refused as exc:
        module.fail_json(msg=str(exc), **exc.result)
    except DatastoreError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)
