# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one module runner: argument spec with the shared connection options, the datastore_type
check and dependency checks before connecting, connecting (a ``DryRun`` of the datastore in check
mode, so modules never branch on check mode for datastore writes), and client errors turned into
fail_json. ``module_host`` is the same for the machine a host module runs on: the ``Host``, or in
check mode a ``DryRunHost`` that records the changes instead of making them."""

from __future__ import annotations

from typing import Any, Callable

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.netops.calico.plugins.module_utils._datastore.connection import connect, datastore_argspec
from ansible_collections.netops.calico.plugins.module_utils._datastore.dryrun import DryRun
from ansible_collections.netops.calico.plugins.module_utils._datastore.errors import DatastoreError, ValidationError
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
        result = body(ds)
    except ValidationError as exc:
        module.fail_json(msg=f"Invalid input, nothing was written: {exc}", errors=exc.errors)
    except Refused as exc:
        module.fail_json(msg=str(exc), **exc.result)
    except DatastoreError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)
