"""After a host died and decommission.yml purged it: its Node and its IPAM (block, affinity, tunnel
handle) are gone from the datastore, and every other key is byte-identical to the snapshot taken
before (side_effect.yml). The two live hosts keep calico-node configured."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_shared"))

import labcheck  # noqa: E402

DEAD = "decommission-node3"


def before() -> dict[str, str]:
    return json.loads((Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "datastore-before.json").read_text())


def dead_keys(snap: dict[str, str]) -> set[str]:
    """The dead node's keys: its Node, block affinity, tunnel handle and the block it owned."""
    out = {k for k in snap if DEAD in k}
    blocks = [k.rsplit("/", 1)[1] for k in out if "/ipam/v2/host/" in k]
    out |= {k for k in snap if any(k.endswith("/block/" + b) for b in blocks)}
    return out


def test_the_dead_node_is_gone_with_its_ipam(host):
    snap = before()
    dead = dead_keys(snap)
    kinds = {k.split("/")[4] if k.startswith("/calico/ipam/") else k.split("/")[5] for k in dead}
    assert {"nodes", "host", "handle", "assignment"} <= kinds, dead
    assert not dead & set(labcheck.snapshot())
    assert DEAD not in labcheck.names("nodes")


def test_every_other_key_is_byte_identical(host):
    snap = before()
    dead = dead_keys(snap)
    assert labcheck.snapshot() == {k: v for k, v in snap.items() if k not in dead}


def test_live_hosts_keep_calico_node(host):
    env = labcheck.env_file(host)
    assert env["CALICO_NODENAME"] == labcheck.hostname(host)
    assert labcheck.resource("nodes", labcheck.hostname(host)) is not None
