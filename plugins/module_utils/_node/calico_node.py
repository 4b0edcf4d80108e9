# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""calico-node on one host: kernel prerequisites, the systemd service that runs the calico/node
image (hosts outside Kubernetes, etcdv3), and the host's Calico ``Node`` resource (plus its
per-node ``FelixConfiguration``) in the datastore.

The host part and the datastore part are separate (``scope``): the datastore part only needs the
node name and addresses, so it can run where the datastore is reachable (``delegate_to``) with
the addresses the host part returned.

Upstream references (projectcalico/calico):
- node/pkg/lifecycle/startup/startup.go configureIPsAndSubnets: IP/IP6 semantics ("autodetect",
  "none", blank keeps the Node's value), IPv6 only when asked for.
- node/pkg/lifecycle/utils/utils.go DetermineNodeName: NODENAME, /var/lib/calico/nodename, the
  lower-cased hostname.
- calicoctl/calicoctl/commands/node/run.go: the container calico-node runs in (--net=host
  --privileged, the log/run/lib/modules mounts, --rm under an init system).
- felix/dataplane/linux/int_dataplane.go: Felix refuses net.ipv4.conf.all.rp_filter > 1 unless
  IgnoreLooseRPF is set.
- felix/bpf/bpf.go SupportsBPFDataplane: kernel >= 5.3.0 (4.18.0-193 on Red Hat kernels).
- Calico docs "Install on non-cluster hosts" (docker container install): /etc/calico/calico.env
  and calico-node.service with Restart=on-failure, StartLimitBurst=3, StartLimitInterval=60s.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.netops.calico.plugins.module_utils._datastore.errors import DatastoreError, NotFoundError
from ansible_collections.netops.calico.plugins.module_utils._host import files, netinfo, networkmanager
from ansible_collections.netops.calico.plugins.module_utils._host.system import Host
from ansible_collections.netops.calico.plugins.module_utils._host.systemd import SystemdError
from ansible_collections.netops.calico.plugins.module_utils._resource.changes import Changes
from ansible_collections.netops.calico.plugins.module_utils._node.options import (
    DEFAULT_IMAGE,
    ENV_PATH,
    NodeError,
    UNIT_NAME,
    UNIT_PATH,
    check_node_name,
)
from ansible_collections.netops.calico.plugins.module_utils._node.addresses import (
    node_name,
    resolve_addresses,
)
from ansible_collections.netops.calico.plugins.module_utils._node.resource import (
    ensure_node_resource,
)
from ansible_collections.netops.calico.plugins.module_utils._node.prereqs import (
    ensure_kernel,
    ensure_sysctls,
)
from ansible_collections.netops.calico.plugins.module_utils._node.service import (
    ensure_service_files,
    ensure_service_state,
)


# ---------------------------------------------------------------------------------------------
# the whole module


def _merge(res: dict, part: dict) -> None:
    res["changed"] |= bool(part.get("changed"))
    res["files"].update(part.get("files", {}))


def execute(host: Host | None, p: dict, warn, ds=None) -> dict[str, Any]:
    """The whole task. ``host`` is None for scope=datastore, ``ds`` None for scope=host; in check
    mode they are a ``DryRunHost`` and a ``DryRun``, which record the changes instead of making them.
    Order: host prerequisites and configuration files, then the datastore, then the service (so
    calico-node starts against the Node this task wrote). Every file and resource is recorded in one
    change tracker; ``diffs`` is its --diff. Raises NodeError carrying the partial result in ``details``."""
    changes = Changes()
    res: dict[str, Any] = {"changed": False, "diffs": [], "files": {}, "name": None, "addresses": None,
                           "kernel": None, "sysctl": None, "networkmanager": None, "service": None,
                           "node": None, "felix_configuration": None}
    try:
        res["name"] = node_name(host, p) if host is not None else p["name"]
        err = check_node_name(res["name"])
        if err:
            raise NodeError(err)
        svc = None
        if host is not None:
            res["addresses"] = resolve_addresses(p, netinfo.list_interfaces(host))
            kern = ensure_kernel(host, p, changes)
            res["kernel"] = {k: v for k, v in kern.items() if k not in ("changed", "files")}
            _merge(res, kern)
            if kern["missing"]:
                if p.get("on_missing_kernel_feature", "fail") == "fail":
                    raise NodeError(" ".join(kern["missing"]))
                for m in kern["missing"]:
                    warn(m)
            ipv6 = bool(res["addresses"].get("ipv6") and res["addresses"]["ipv6"] != "none")
            sres = ensure_sysctls(host, p, ipv6, changes)
            res["sysctl"] = sres["values"]
            _merge(res, sres)
            res["networkmanager"] = nm = {"present": networkmanager.present(host), "managed": False, "reloaded": False}
            if p.get("networkmanager", True) and nm["present"]:
                fc = files.ensure_file(host, networkmanager.CONF_PATH, networkmanager.render(), 0o644,
                                       changes=changes)
                nm["managed"] = True
                _merge(res, {"changed": fc.changed, "files": {"networkmanager": fc.as_dict()}})
                if fc.changed:
                    nm["reloaded"], nm["message"] = networkmanager.reload(host)
            if (p.get("datastore_type") or "etcdv3") == "etcdv3":
                svc = ensure_service_files(host, p, res["name"], res["addresses"], changes)
                _merge(res, svc)
        else:
            res["addresses"] = resolve_addresses(p, None)
        if ds is not None:
            dres = ensure_node_resource(ds, p, res["name"], res["addresses"], changes)
            res["node"], res["felix_configuration"] = dres["node"], dres["felix_configuration"]
            _merge(res, dres)
        if svc is not None:
            state = ensure_service_state(host, p, svc)
            res["changed"] |= state["changed"]
            res["service"] = {"engine": svc["engine"], "image": p.get("image") or DEFAULT_IMAGE,
                              "env_file": ENV_PATH, "unit_file": UNIT_PATH} | {
                                  k: v for k, v in state.items() if k != "changed"}
            if state.get("restart_needed"):
                warn(f"{UNIT_NAME} is running with its previous configuration; restart it (state=started "
                     "does) to apply the new one.")
    except NodeError as exc:
        res["diffs"] = changes.diff()
        exc.details = res
        raise
    except (DatastoreError, SystemdError, netinfo.AutodetectError, OSError) as exc:
        msg = str(exc)
        if isinstance(exc, NotFoundError):
            msg += " Run the task again to re-read the current state."
        res["diffs"] = changes.diff()
        raise NodeError(msg, **res) from None
    res["diffs"] = changes.diff()
    return res
