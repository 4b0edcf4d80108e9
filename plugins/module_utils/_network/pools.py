# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pools calico_network manages: from the options, and the changes Calico refuses."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from ansible_collections.netops.calico.plugins.module_utils._calico import ippool as _ippool
from ansible_collections.netops.calico.plugins.module_utils._datastore import fields as _fields
from ansible_collections.netops.calico.plugins.module_utils._network.fielderrors import forbidden, go_value, invalid
from ansible_collections.netops.calico.plugins.module_utils._network.spec import Context


@dataclass
class PoolWant:
    """A pool this module manages. ``cidr`` may be None for a default pool we only adjust."""

    name: str
    version: int
    cidr: str | None = None
    block_size: int | None = None
    nat_outgoing: bool | None = None
    node_selector: str | None = None
    disabled: bool | None = None

    def spec(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.cidr:
            out["cidr"] = self.cidr
        if self.block_size is not None:
            out["blockSize"] = self.block_size
        if self.nat_outgoing is not None:
            out["natOutgoing"] = self.nat_outgoing
        if self.node_selector is not None:
            out["nodeSelector"] = self.node_selector
        if self.disabled is not None:
            out["disabled"] = self.disabled
        return out


DEFAULT_POOL_NAMES = {4: "default-ipv4-ippool", 6: "default-ipv6-ippool"}


def pools_from_options(pools: list[dict] | None, ipv4_cidr: str | None, ipv6_cidr: str | None,
                       nat_outgoing: bool | None, nat_outgoing_ipv6: bool | None,
                       ctx: Context) -> tuple[list[PoolWant], list[str]]:
    """The pools to manage: the ``pools`` list, else calico-node's default pools by name with an
    optional CIDR each. Errors name the option."""
    errors: list[str] = []
    out: list[PoolWant] = []
    nat = {4: True if nat_outgoing is None else nat_outgoing, 6: bool(nat_outgoing_ipv6)}
    families = [v for v, on in ((4, ctx.has_ipv4), (6, ctx.has_ipv6)) if on]

    def parse(path: str, cidr: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
        if not isinstance(cidr, str) or not cidr:
            errors.append(f"{path}: Required value: a CIDR such as 100.96.0.0/11")
            return None
        net, errs = _ippool.parse_cidr(cidr, path)
        errors.extend(e.replace(f"{path}: ", f"{path}: Invalid value: ", 1) for e in errs)
        if net is not None and net.version not in families:
            errors.append(forbidden(path, f"an IPv{net.version} pool in a cluster with ip_family {ctx.ip_family}"))
        return net

    if pools:
        if ipv4_cidr or ipv6_cidr:
            errors.append(forbidden("ipv4_pool_cidr", "give pool CIDRs either in pools or in "
                                                      "ipv4_pool_cidr/ipv6_pool_cidr, not both"))
        seen = set()
        for i, item in enumerate(pools):
            path = f"pools[{i}]"
            name = item.get("name")
            if not name:
                errors.append(f"{path}.name: Required value")
                continue
            if name in seen:
                errors.append(f"{path}.name: Duplicate value: {go_value(name)}")
            seen.add(name)
            net = parse(f"{path}.cidr", item.get("cidr"))
            if net is None:
                continue
            bs = item.get("block_size")
            if bs is not None:
                lo, hi = _fields.IPPOOL_BLOCK_SIZE_RANGE[net.version]
                if not lo <= bs <= hi:
                    errors.append(invalid(f"{path}.block_size", bs, f"must be between {lo} and {hi} for an "
                                                                    f"IPv{net.version} pool"))
                elif bs < net.prefixlen:
                    errors.append(invalid(f"{path}.block_size", bs, f"the pool (/{net.prefixlen}) is smaller "
                                                                    "than one block"))
            out.append(PoolWant(name, net.version, str(net), bs,
                                nat[net.version] if item.get("nat_outgoing") is None else item["nat_outgoing"],
                                item.get("node_selector"), item.get("disabled")))
        for v in families:
            if not any(p.version == v for p in out):
                errors.append(invalid("pools", [p.name for p in out], f"no IPv{v} pool for ip_family {ctx.ip_family}"))
        return out, errors
    for v, cidr, opt in ((4, ipv4_cidr, "ipv4_pool_cidr"), (6, ipv6_cidr, "ipv6_pool_cidr")):
        if cidr and v not in families:
            errors.append(forbidden(opt, f"an IPv{v} pool in a cluster with ip_family {ctx.ip_family}"))
            continue
        if v not in families:
            continue
        net = parse(opt, cidr) if cidr else None
        out.append(PoolWant(DEFAULT_POOL_NAMES[v], v, str(net) if net else None, None, nat[v]))
    return out, errors
