# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which nodes are dead: an explicit list, the complement of a live set (keep), Kubernetes (a Calico
node whose k8s orchRef node is gone), EC2 (the instance is terminated or gone) and Felix's status
reports (expired). A candidate that any selected source still sees alive is kept, with the reason."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from ansible_collections.netops.calico.plugins.module_utils._datastore import ipam, model
from ansible_collections.netops.calico.plugins.module_utils._datastore.etcd import Item
from ansible_collections.netops.calico.plugins.module_utils._datastore.errors import DatastoreError


DEFAULT_FELIX_MAX_AGE = 300
LIVENESS_SOURCES = ("kubernetes", "aws", "felix")


FELIX_PREFIX = model.FELIX_STATUS_PREFIX


@dataclass(frozen=True)
class Verdict:
    alive: bool
    reason: str


def _k8s_node_name(node: dict | None) -> str | None:
    for ref in ((node or {}).get("spec") or {}).get("orchRefs") or []:
        if ref.get("orchestrator") == "k8s" and ref.get("nodeName"):
            return ref["nodeName"]
    return None


def kubernetes_verdicts(names: Iterable[str], nodes: dict[str, dict], k8s_nodes: set[str],
                        by_name: bool = False) -> dict[str, Verdict]:
    """Calico nodes with a k8s orchRef: alive while that Kubernetes node exists
    (kube-controllers node_deleter.go uses the same reference). Others: no opinion.

    ``by_name`` (the Kubernetes datastore, where the Calico Node is the Kubernetes Node): a name
    with no Node left (only IPAM) is its own Kubernetes node name, as kube-controllers' IPAM
    garbage collector takes it (kube-controllers/pkg/controllers/node/ipam.go checkAllocations:
    a node in IPAM whose Kubernetes node is gone is cleaned up)."""
    out = {}
    for name in names:
        k8s = _k8s_node_name(nodes.get(name))
        if k8s is None and by_name and name not in nodes:
            k8s = name
        if k8s is None:
            continue
        if k8s in k8s_nodes:
            out[name] = Verdict(True, f"Kubernetes node {k8s} exists")
        else:
            out[name] = Verdict(False, f"Kubernetes node {k8s} no longer exists")
    return out


def _node_addresses(node: dict | None) -> set[str]:
    spec = (node or {}).get("spec") or {}
    bgp = spec.get("bgp") or {}
    raw = [bgp.get("ipv4Address"), bgp.get("ipv6Address")]
    raw += [a.get("address") for a in spec.get("addresses") or [] if isinstance(a, dict)]
    for iface in spec.get("interfaces") or []:
        raw += list((iface or {}).get("addresses") or [])
    return {ip for ip in (ipam.normalise_ip(r) for r in raw) if ip}


AWS_LIVE_STATES = ("pending", "running", "stopping", "stopped")


def aws_verdicts(names: Iterable[str], nodes: dict[str, dict], instances: list[dict]) -> dict[str, Verdict]:
    """A node is matched to EC2 instances by instance ID (node named i-...), private DNS name (full
    or first label, as kOps and kubeadm name nodes) and private addresses. Alive when a matched
    instance is pending/running/stopping/stopped; dead when every match is terminated or
    shutting-down, or nothing matches."""
    by_key: dict[str, list[dict]] = {}

    def index(key: str | None, inst: dict) -> None:
        if key:
            by_key.setdefault(key.lower(), []).append(inst)

    for inst in instances:
        index(inst.get("InstanceId"), inst)
        dns = inst.get("PrivateDnsName")
        if dns:
            index(dns, inst)
            index(dns.split(".")[0], inst)
        index(inst.get("PrivateIpAddress"), inst)
        for eni in inst.get("NetworkInterfaces") or []:
            for a in eni.get("PrivateIpAddresses") or []:
                index(a.get("PrivateIpAddress"), inst)
            for a in eni.get("Ipv6Addresses") or []:
                index(a.get("Ipv6Address"), inst)
    out = {}
    for name in names:
        keys = {name.lower(), name.split(".")[0].lower()} | _node_addresses(nodes.get(name))
        matched = {id(i): i for k in keys for i in by_key.get(k, [])}.values()
        live = [i for i in matched if (i.get("State") or {}).get("Name") in AWS_LIVE_STATES]
        if live:
            i = live[0]
            out[name] = Verdict(True, f"EC2 instance {i.get('InstanceId')} is {(i.get('State') or {}).get('Name')}")
        elif matched:
            i = next(iter(matched))
            out[name] = Verdict(False, f"EC2 instance {i.get('InstanceId')} is {(i.get('State') or {}).get('Name')}")
        else:
            out[name] = Verdict(False, "no EC2 instance has this node's name or addresses")
    return out


def _parse_time(text: Any) -> datetime.datetime | None:
    if not isinstance(text, str):
        return None
    try:
        t = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=datetime.timezone.utc)


def felix_verdicts(names: Iterable[str], reports: dict[str, dict[str, Item]], now: datetime.datetime,
                   max_age: float) -> dict[str, Verdict]:
    """Felix writes ``.../host/<node>/status`` with a TTL (ReportingTTLSecs, 90 s) and
    ``last_reported_status`` without one (felix/daemon/daemon.go, model/statusreports.go). Alive:
    a status report younger than ``max_age``; dead: the status report expired (only the last one
    is left) or is older; no reports at all (reporting is off by default): no opinion."""
    out = {}
    for name in names:
        rep = reports.get(name) or {}
        status, last = rep.get("status"), rep.get("last_reported_status")
        if status is not None:
            t = _parse_time((status.value or {}).get("time"))
            if t is None:
                out[name] = Verdict(False, "Felix's status report has no readable time")
                continue
            age = (now - t).total_seconds()
            if age <= max_age:
                out[name] = Verdict(True, f"Felix reported {int(age)}s ago")
            else:
                out[name] = Verdict(False, f"Felix's last status report is {int(age)}s old (more than {int(max_age)}s)")
        elif last is not None:
            t = (last.value or {}).get("time")
            out[name] = Verdict(False, f"Felix's status report expired (last report at {t})")
    return out


def felix_reports(entries: Iterable[Item]) -> tuple[dict[str, dict[str, Item]], dict[str, list[Item]]]:
    """From keys under /calico/felix/v2/: per node, its status/last_reported_status entries, and
    every key under ``.../host/<node>/`` (all regions)."""
    reports: dict[str, dict[str, Item]] = {}
    keys: dict[str, list[Item]] = {}
    for e in entries:
        parts = e.key[len(FELIX_PREFIX):].split("/")
        if len(parts) < 4 or parts[1] != "host":
            continue
        node = parts[2]
        keys.setdefault(node, []).append(e)
        if len(parts) == 4 and parts[3] in ("status", "last_reported_status"):
            reports.setdefault(node, {})[parts[3]] = e
    return reports, keys


@dataclass
class Selection:
    dead: dict[str, list[str]]        # name -> reasons it is a candidate
    kept: dict[str, list[str]]        # name -> reasons a source sees it alive
    refused: list[str]                # explicitly named nodes that are in keep (without force)


def select(universe: Iterable[str], explicit: Iterable[str], verdicts: dict[str, dict[str, Verdict]],
           force: bool = False) -> Selection:
    """Candidates: named in ``explicit`` or judged dead by any source. Kept: a candidate any source
    judges alive. The ``keep`` source is special: a node named in ``explicit`` and in keep is refused
    (unless force), and with force keep protects nothing."""
    explicit = list(dict.fromkeys(explicit))
    names = list(dict.fromkeys(list(universe) + explicit))
    dead: dict[str, list[str]] = {}
    kept: dict[str, list[str]] = {}
    refused: list[str] = []
    for name in explicit:
        dead.setdefault(name, []).append("listed in nodes")
    for name in names:
        for src, table in verdicts.items():
            v = table.get(name)
            if v is not None and not v.alive:
                dead.setdefault(name, []).append(f"{src}: {v.reason}")
    for name in list(dead):
        alive = []
        for src, table in verdicts.items():
            v = table.get(name)
            if v is None or not v.alive:
                continue
            if src == "keep":
                if force:
                    continue
                if name in explicit:
                    refused.append(name)
                    continue
            alive.append(f"{src}: {v.reason}")
        if alive:
            kept[name] = alive
            del dead[name]
    for name in refused:
        dead.pop(name, None)
    return Selection(dead, kept, refused)


def kubernetes_lister(kubeconfig: str | None = None, context: str | None = None,
                      timeout: float = 30.0) -> Callable[[], set[str]]:
    """A function returning the names of the Kubernetes nodes (paged list), through the
    datastore client's Kubernetes API access: ``kubeconfig`` (else KUBECONFIG / ~/.kube/config /
    in-cluster), with its bounded retries."""
    from ansible_collections.netops.calico.plugins.module_utils._datastore.kdd.backend import KubernetesBackend
    state: dict[str, Any] = {}

    def names() -> set[str]:
        if "api" not in state:
            state["api"] = KubernetesBackend.from_kubeconfig(kubeconfig, timeout=timeout, context=context)
        return state["api"].kubernetes_node_names()
    return names


def aws_lister(params: dict[str, Any], log: Callable[[str], None] = lambda msg: None) -> Callable[[], list[dict]]:
    """A function returning EC2 instances (DescribeInstances, all pages) through _aws's client;
    ``params`` are _aws.aws_argspec() options plus ``filters`` (name -> value or list)."""
    from ansible_collections.netops.calico.plugins.module_utils import _aws
    if not _aws.HAS_BOTO3:
        raise DatastoreError("boto3 is required for liveness aws.", "Install it with: pip install boto3")
    filters = [{"Name": k, "Values": [str(x) for x in (v if isinstance(v, list) else [v])]}
               for k, v in sorted((params.get("filters") or {}).items())]
    state: dict[str, Any] = {}

    def instances() -> list[dict]:
        try:
            if "ec2" not in state:
                state["ec2"] = _aws.connect(params, log=log)
            return list(state["ec2"].describe_instances(filters, 1000))
        except _aws.AwsError as exc:
            raise DatastoreError(f"EC2 liveness source: {exc}") from None
    return instances
