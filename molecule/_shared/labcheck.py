"""What the testinfra checks of the site.yml scenarios share: the files calico_node writes on a
host, and the datastore read from the controller with the project's own client (the endpoint is
the scenario's LAB_ETCD, set in its molecule.yml verifier env)."""

from __future__ import annotations

import json
import os

from ansible_collections.netops.calico.plugins.module_utils._datastore.etcd import EtcdKV

RESOURCES = "/calico/resources/v3/projectcalico.org/"


def kv() -> EtcdKV:
    return EtcdKV(os.environ["LAB_ETCD"])


def resource(plural: str, name: str) -> dict | None:
    item = kv().get(f"{RESOURCES}{plural}/{name}")
    return None if item is None else item.value


def names(plural: str) -> list[str]:
    prefix = f"{RESOURCES}{plural}/"
    return sorted(i.key[len(prefix):] for i in kv().range(prefix))


def snapshot() -> dict[str, str]:
    """Every key under /calico/ with its value, as stored (the bytes, as text)."""
    return {i.key: i.raw.decode() for i in kv().range("/calico/")}


def hostname(host) -> str:
    return host.check_output("hostname")


def eth0(host) -> str:
    """The host's address/prefix on the scenario network (what autodetection must find)."""
    info = json.loads(host.check_output("ip -json address show dev eth0"))
    a = [x for x in info[0]["addr_info"] if x["family"] == "inet"][0]
    return f"{a['local']}/{a['prefixlen']}"


def env_file(host) -> dict[str, str]:
    """/etc/calico/calico.env (root, 0600) as a dict."""
    f = host.file("/etc/calico/calico.env")
    assert f.exists and f.user == "root" and f.mode == 0o600
    out = {}
    for line in f.content_string.splitlines():
        if line and not line.startswith("#"):
            k, _sep, v = line.partition("=")
            out[k] = v
    return out
