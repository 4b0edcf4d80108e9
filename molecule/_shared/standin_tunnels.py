"""Stand-in for what calico-node's allocate-tunnel-addrs does on each node (node/pkg/allocateip),
for the molecule scenarios: the calico/node image cannot be pulled on these machines, so the test
does it, with the project's datastore client (the backend's IPAM and resource operations).

For every Node that has no tunnel address of the kind asked for, it claims a block of the IPv4
pool for the node (block + confirmed affinity, as claimAffineBlock does), assigns the first
address with the handle ``<kind>-tunnel-addr-<node>`` and attributes {node, type}, and writes the
address to the Node (``spec.bgp.ipv4IPIPTunnelAddr`` or ``spec.ipv4VXLANTunnelAddr``), the way
calico-node would. Idempotent: a node that has the address is left alone.

    python standin_tunnels.py ENDPOINT {ipip|vxlan} [POOL]
"""

from __future__ import annotations

import ipaddress
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "integration"))

from calico_fixture import assign_next, handle_add, new_block  # noqa: E402
from ansible_collections.netops.calico.plugins.module_utils._datastore import ipam  # noqa: E402
from ansible_collections.netops.calico.plugins.module_utils._datastore.connection import connect  # noqa: E402

FIELD = {"ipip": ("bgp", "ipv4IPIPTunnelAddr"), "vxlan": (None, "ipv4VXLANTunnelAddr")}


def free_block(pool: dict, taken: set[str]) -> str:
    net = ipaddress.ip_network(pool["spec"]["cidr"])
    for sub in net.subnets(new_prefix=int(pool["spec"].get("blockSize") or 26)):
        if str(sub) not in taken:
            return str(sub)
    raise SystemExit(f"pool {pool['metadata']['name']} has no free block")


def main(endpoint: str, kind: str, pool_name: str = "default-ipv4-ippool") -> list[dict]:
    ds = connect({"datastore_type": "etcdv3", "etcd_endpoints": endpoint})
    pool = ds.get("IPPool", pool_name)
    if pool is None:
        raise SystemExit(f"no IPPool {pool_name}")
    where, leaf = FIELD[kind]
    done = []
    for node in ds.list("Node"):
        name = node["metadata"]["name"]
        spec = node.setdefault("spec", {})
        holder = spec.setdefault(where, {}) if where else spec
        if holder.get(leaf):
            continue
        taken = {b["name"] for b in ds.ipam_list("IPAMBlock")}
        cidr = free_block(pool, taken)
        block = new_block(cidr, name, time.time_ns())
        handle = f"{kind}-tunnel-addr-{name}"
        ip = assign_next(block, handle, {"node": name, "type": ipam.TUNNEL_HANDLE_PREFIXES[f"{kind}-tunnel-addr-"]})
        ds.ipam_create("BlockAffinity", f"{name}/{cidr}", ipam.affinity_value("confirmed"))
        ds.ipam_create("IPAMBlock", cidr, block)
        old = ds.ipam_get("IPAMHandle", handle)
        if old is None:
            ds.ipam_create("IPAMHandle", handle, handle_add(None, cidr))
        else:
            ds.ipam_update("IPAMHandle", handle, handle_add(old["value"], cidr), old["revision"])
        holder[leaf] = ip
        ds.update(node)
        done.append({"node": name, "block": cidr, kind: ip})
    return done


if __name__ == "__main__":
    out = main(*sys.argv[1:])
    print(json.dumps({"stand_in": "calico-node allocate-tunnel-addrs, done by the test", "allocated": out}))
