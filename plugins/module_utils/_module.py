# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every datastore module does around its own logic: argument spec with the shared
connection options, dependency checks, connecting, and turning client errors into fail_json."""

from __future__ import annotations

from typing import Any, Callable

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.netops.calico.plugins.module_utils._datastore.connection import connect, datastore_argspec
from ansible_collections.netops.calico.plugins.module_utils._datastore.errors import DatastoreError, ValidationError


def datastore_module(argument_spec: dict[str, Any], **kwargs: Any) -> AnsibleModule:
    return AnsibleModule(argument_spec=datastore_argspec(**argument_spec), supports_check_mode=True, **kwargs)


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


def run(module: AnsibleModule, body: Callable[[Any], dict[str, Any]]) -> None:
    """Connect, call ``body(datastore)``, exit with its result; any client error fails the task
    with its message (and, for validation, the list of errors)."""
    _check_libs(module)
    try:
        ds = connect(module.params, log=module.debug)
        result = body(ds)
    except ValidationError as exc:
        module.fail_json(msg=f"Invalid input, nothing was written: {exc}", errors=exc.errors)
    except DatastoreError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)
