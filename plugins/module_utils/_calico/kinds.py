# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The per-kind rules of clientv3 and the validator in one table, and the one place that reads
what they need from the datastore.

Each kind's rule is a plain function ``(resource, existing) -> list[str]``: ``resource`` is the
object about to be written (clientv3's defaults applied), ``existing`` maps a kind to the stored
objects of that kind the rule needs (``READS``); each error names its field. ``check`` reads those
through the datastore client (a DryRun in check mode reads the same, with the run's writes so far).
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from ansible_collections.netops.calico.plugins.module_utils._calico import bgp, felixconfig, ippool
from ansible_collections.netops.calico.plugins.module_utils._datastore import model

Rule = Callable[[Mapping[str, Any], Mapping[str, list]], list[str]]

RULES: dict[str, Rule] = {
    "IPPool": ippool.validate_ippool,                            # clientv3/ippool.go, validator.go
    "FelixConfiguration": felixconfig.validate_felixconfiguration,  # validator.go validateFelixConfigSpec
    "BGPConfiguration": bgp.validate_bgpconfiguration,           # clientv3/bgpconfig.go, validator.go
    "BGPPeer": bgp.validate_bgppeer,                             # clientv3/bgppeer.go, validator.go
}

# the stored objects each kind's rule needs (IPAM kinds: their values), and those needed only when
# the object is created
READS: dict[str, tuple[str, ...]] = {
    "IPPool": ("IPPool",),            # overlap on create; cidr/blockSize/allowedUses on update
    "BGPPeer": ("BGPFilter",),        # filters must exist
}
READS_ON_CREATE: dict[str, tuple[str, ...]] = {
    "IPPool": ("IPAMBlock",),         # ippool.go Create: blocks of another size inside the new pool
}

# clientv3's Create/Update defaulting (run before the validator, written to the datastore)
DEFAULTS: dict[str, Callable[[dict], dict]] = {
    "IPPool": ippool.default_pool_spec,                          # ippool.go validateAndSetDefaults
    "FelixConfiguration": felixconfig.default_felixconfiguration_spec,  # felixconfig.go setDefaults
}

# user-given fields the defaulting may replace: (fields asked, spec about to be written) -> errors
OVERRIDES: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any]], list[str]]] = {
    "FelixConfiguration": felixconfig.defaulting_overrides,
}


def defaults(kind_name: str) -> Callable[[dict], dict]:
    """The kind's write-side defaulting (identity for kinds clientv3 does not default)."""
    return DEFAULTS.get(kind_name, lambda spec: spec)


def validate(resource: Mapping[str, Any], existing: Mapping[str, list]) -> list[str]:
    """The kind's rules over ``resource``; [] for a kind without any."""
    rule = RULES.get(str(resource.get("kind")))
    return rule(resource, existing) if rule else []


def existing_for(ds, kind_name: str, create: bool = False) -> dict[str, list]:
    """What ``kind_name``'s rules need from the datastore, read through ``ds``."""
    kinds = READS.get(kind_name, ()) + (READS_ON_CREATE.get(kind_name, ()) if create else ())
    return {k: ([e["value"] for e in ds.ipam_list(k)] if k in model.IPAM_KINDS else ds.list(k)) for k in kinds}


def check(ds, resource: Mapping[str, Any], create: bool = False) -> list[str]:
    """The kind's rules over ``resource`` against the datastore as it is now (``create``: the
    object does not exist yet)."""
    return validate(resource, existing_for(ds, str(resource.get("kind")), create))
