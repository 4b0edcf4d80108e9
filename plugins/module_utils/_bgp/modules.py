# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bodies of calico_route_reflector (datastore, run once) and calico_bgp_status (on each node)."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.netops.calico.plugins.module_utils._bgp import birdctl, placement, switch
from ansible_collections.netops.calico.plugins.module_utils._datastore.errors import ValidationError
from ansible_collections.netops.calico.plugins.module_utils._datastore.dryrun import DryRun
from ansible_collections.netops.calico.plugins.module_utils._module import datastore_module, run
from ansible_collections.netops.calico.plugins.module_utils._resource.ensure import ensure_resource
from ansible_collections.netops.calico.plugins.module_utils._resource.changes import Changes

ROUTE_REFLECTOR_ARGSPEC: dict[str, Any] = {
    "target": {"type": "str", "required": True, "choices": ["reflectors", "mesh"]},
    "step": {"type": "str", "default": "prepare", "choices": ["prepare", "finish"]},
    "reflectors": {"type": "list", "elements": "str"},
    "external_reflectors": {"type": "list", "elements": "dict", "options": {
        "ip": {"type": "str", "required": True},
        "as_number": {"type": "int"},
    }},
    "threshold": {"type": "int", "default": 50},
    "count": {"type": "int", "default": 3},
    "zone_label": {"type": "str", "default": placement.DEFAULT_ZONE_LABEL},
    "cluster_id": {"type": "str", "default": "244.0.0.1"},
    "label": {"type": "str", "default": "route-reflector"},
    "peer_prefix": {"type": "str", "default": "route-reflectors"},
}

BGP_STATUS_ARGSPEC: dict[str, Any] = {
    "socket": {"type": "path", "default": birdctl.CALICO_SOCKET},
    "established": {"type": "list", "elements": "str", "default": []},
    "timeout": {"type": "float", "default": 120.0},
    "interval": {"type": "float", "default": 1.0},
}


def settings_from(params: dict[str, Any]) -> switch.Settings:
    return switch.Settings(
        target=params["target"], reflectors=params.get("reflectors") or None,
        external=params.get("external_reflectors") or None, threshold=params["threshold"], count=params["count"],
        zone_label=params["zone_label"], cluster_id=params["cluster_id"], label=params["label"],
        peer_prefix=params["peer_prefix"])


def route_reflector_body(ds, params: dict[str, Any]) -> dict[str, Any]:
    """Read the datastore, plan both steps, make the requested step's changes. In check mode
    (``ds`` a DryRun) a step that may not run yet is shown with a warning instead of refused."""
    settings = settings_from(params)
    nodes = ds.list("Node")
    peers = ds.list("BGPPeer")
    bgp_config = ds.get("BGPConfiguration", "default")
    p = switch.plan(nodes, peers, bgp_config, settings)
    if p.errors:
        raise ValidationError(p.errors)
    step = params["step"]
    blocked = switch.preconditions(p, step)
    if blocked and not isinstance(ds, DryRun):
        raise ValidationError(blocked)
    changes = p.prepare if step == "prepare" else p.finish
    tracker = Changes()
    switch.apply(ds, changes, ensure_resource, tracker)
    expected = p.after_prepare if step == "prepare" else p.after_finish
    result: dict[str, Any] = {
        "changed": tracker.changed,
        "plan": switch.describe(p),
        "expected_sessions": expected,
        "diff": tracker.diff(),
    }
    warnings = list(p.placement.warnings if p.placement else [])
    if blocked:
        warnings.append(blocked[0] + " (check mode: shown, not refused)")
    if warnings:
        result["warnings"] = warnings
    return result


def run_route_reflector() -> None:
    module = datastore_module(ROUTE_REFLECTOR_ARGSPEC)
    run(module, lambda ds: route_reflector_body(ds, module.params))


def run_bgp_status() -> None:
    module = AnsibleModule(argument_spec=BGP_STATUS_ARGSPEC, supports_check_mode=True)
    p = module.params
    if p["timeout"] < 0 or p["interval"] <= 0:
        module.fail_json(msg="timeout must be >= 0 and interval > 0 (seconds); e.g. timeout: 120, interval: 1")
    version = ""

    def read() -> list[birdctl.Protocol]:
        nonlocal version
        with birdctl.BirdControl(p["socket"]) as ctl:
            version = ctl.version
            return ctl.protocols()

    try:
        res = birdctl.wait_established(read, p["established"], p["timeout"], p["interval"])
    except birdctl.BirdError as exc:
        module.fail_json(msg=str(exc))
    out = {
        "changed": False,
        "bird_version": version,
        "protocols": [{"name": x.name, "proto": x.proto, "state": x.state, "bgp_state": x.bgp_state, "info": x.info}
                      for x in res.protocols],
        "established": res.established,
        "missing": res.missing,
        "waited": res.waited,
    }
    if res.missing:
        detail = ", ".join(f"{k} ({v})" for k, v in sorted(res.missing.items()))
        module.fail_json(msg=f"BGP sessions not Established after {res.waited} s on {p['socket']}: {detail}. "
                             "Check that the peers run BIRD and reach each other on TCP 179, and that "
                             "calico-node has picked up the change; or raise timeout.", **out)
    module.exit_json(**out)
