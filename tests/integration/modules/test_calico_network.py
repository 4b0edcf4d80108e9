"""calico_network against a real etcd: an IP-in-IP + CrossSubnet cluster migrated to VXLAN stage by
stage and back, with the stored IPPool and FelixConfiguration checked after each stage, check mode
writing nothing, reruns unchanged; refusals and invalid specs writing nothing."""

from __future__ import annotations

import pytest

PREFIX = "/calico/resources/v3/projectcalico.org/"
POOL = PREFIX + "ippools/default-ipv4-ippool"
FELIX = PREFIX + "felixconfigurations/default"
BGP = PREFIX + "bgpconfigurations/default"
CIDR = "198.19.0.0/16"
NODES = ("node-1", "node-2")


def conn(etcd):
    return {"etcd_endpoints": etcd.endpoint}


def snapshot(raw):
    return {k: raw.bytes(k) for k in raw.keys()}


def put_node(raw, name, ipip=None, vxlan=None):
    """A Node as calico-node writes it; the tunnel address is what allocate-tunnel-addrs adds."""
    spec = {"bgp": {"ipv4Address": f"198.18.0.{NODES.index(name) + 1}/24"},
            "orchRefs": [{"nodeName": name, "orchestrator": "k8s"}]}
    if ipip:
        spec["bgp"]["ipv4IPIPTunnelAddr"] = ipip
    if vxlan:
        spec["ipv4VXLANTunnelAddr"] = vxlan
    raw.put(PREFIX + f"nodes/{name}", {"kind": "Node", "apiVersion": "projectcalico.org/v3",
                                       "metadata": {"name": name, "uid": f"uid-{name}",
                                                    "creationTimestamp": "2026-01-01T00:00:00Z"},
                                       "spec": spec, "status": {}})


def flags(raw):
    spec = raw(FELIX)["spec"]
    return spec.get("ipipEnabled"), spec.get("vxlanEnabled")


def modes(raw):
    spec = raw(POOL)["spec"]
    return spec["ipipMode"], spec["vxlanMode"]


def warnings(r):
    """Task warnings as plain strings (ansible-core 2.19 returns them as event summaries)."""
    return [w["event"]["msg"] if isinstance(w, dict) else w for w in r.get("warnings", [])]


def statuses(r):
    return [s["status"] for s in r["migration"]["stages"]]


def ipip_cluster(etcd, raw, run_module):
    base = {**conn(etcd), "ipv4_pool_cidr": CIDR, "host_mtu": 9001, "cloud": "aws"}
    r = run_module("calico_network", base, check=True)
    assert r["changed"] is True and not r.get("failed"), r
    assert raw.keys() == [], "check mode wrote something"
    r = run_module("calico_network", base)
    assert r["changed"] is True
    for n in NODES:
        put_node(raw, n, ipip=f"198.19.{NODES.index(n)}.1")
    return base


def test_ipip_to_vxlan_and_back(etcd, raw, run_module):
    base = ipip_cluster(etcd, raw, run_module)
    pool = raw(POOL)
    assert pool["spec"] == {"cidr": CIDR, "vxlanMode": "Never", "ipipMode": "CrossSubnet", "natOutgoing": True,
                            "blockSize": 26, "nodeSelector": "all()", "allowedUses": ["Workload", "Tunnel"],
                            "assignmentMode": "Automatic"}
    felix = raw(FELIX)["spec"]
    assert felix["ipipEnabled"] is True and felix["vxlanEnabled"] is False
    assert felix["awsSrcDstCheck"] == "Disable" and felix["chainInsertMode"] == "Insert"
    assert (felix["ipipMTU"], felix["vxlanMTU"], felix["wireguardMTU"]) == (8981, 8951, 8941)
    assert felix["bpfLogLevel"] == "Off" and felix["floatingIPs"] == "Disabled"   # clientv3 create defaults
    r = run_module("calico_network", base)
    assert r["changed"] is False and r["migration"]["needed"] is False
    assert r["backend"] == "bird" and r["mtu"]["veth"] == 8981
    assert r["node_settings"]["probes"]["readiness"] == ["-felix-ready", "-bird-ready"]

    # switching in one shot is refused, and nothing is written
    vx = {**base, "encapsulation_mode": "vxlan"}
    before = snapshot(raw)
    r = run_module("calico_network", vx)
    assert r.failed and "migrate: true" in r["msg"] and "force: true" in r["msg"]
    assert snapshot(raw) == before

    # the plan, in check mode: stages 1 and 2 would run, 3 waits; nothing written
    r = run_module("calico_network", {**vx, "migrate": True}, check=True)
    assert r["changed"] is True and r["migration"]["direction"] == "ipip->vxlan"
    assert statuses(r) == ["would run now", "would run now", "waiting", "pending"]
    assert r.diffs["IPPool default-ipv4-ippool"]["before"]["spec"]["ipipMode"] == "CrossSubnet"
    assert r.diffs["IPPool default-ipv4-ippool"]["after"]["spec"]["vxlanMode"] == "CrossSubnet"
    assert r.diffs["FelixConfiguration default"]["after"]["spec"]["vxlanEnabled"] is True
    assert snapshot(raw) == before

    # stages 1 + 2: Felix takes VXLAN with IPIP pinned, then the pool flips in one write
    r = run_module("calico_network", {**vx, "migrate": True})
    assert r["changed"] is True and r["migration"]["complete"] is False
    assert statuses(r) == ["done now", "done now", "waiting", "pending"]
    assert flags(raw) == (True, True)
    assert modes(raw) == ("Never", "CrossSubnet")
    assert r["backend"] == "bird", "BIRD must keep running until every node has VXLAN"
    assert r["mtu"]["veth"] == 8951, "both encapsulations on: pods get the smaller MTU"
    assert r["node_settings"]["probes"]["liveness"] == ["-felix-live", "-bird-live"]
    assert r["node_settings"]["env"]["CALICO_IPV4POOL_VXLAN"] == "CrossSubnet"

    # reruns before calico-node has acted change nothing and say what they wait for
    mid = snapshot(raw)
    r = run_module("calico_network", {**vx, "migrate": True})
    assert r["changed"] is False and r["migration"]["nodes_pending"] == ["node-1", "node-2"]
    assert statuses(r) == ["done", "done", "waiting", "pending"]
    assert snapshot(raw) == mid
    put_node(raw, "node-1", vxlan="198.19.0.65")          # calico-node on node-1 swapped its tunnel address
    r = run_module("calico_network", {**vx, "migrate": True})
    assert r["changed"] is False and r["migration"]["nodes_pending"] == ["node-2"]
    assert "node-2" in r["migration"]["waiting_for"]
    assert flags(raw) == (True, True)

    # stage 3 once every node has its VXLAN tunnel address; stage 4 is the hosts'
    put_node(raw, "node-2", vxlan="198.19.1.65")
    r = run_module("calico_network", {**vx, "migrate": True}, check=True)
    assert r["changed"] is True and statuses(r) == ["done", "done", "would run now", "apply node_settings on every host"]
    assert flags(raw) == (True, True)
    r = run_module("calico_network", {**vx, "migrate": True})
    assert r["changed"] is True and r["migration"]["complete"] is True
    assert statuses(r) == ["done", "done", "done now", "apply node_settings on every host"]
    assert flags(raw) == (False, True) and modes(raw) == ("Never", "CrossSubnet")
    assert r["backend"] == "vxlan" and r["node_settings"]["env"]["CALICO_NETWORKING_BACKEND"] == "vxlan"
    assert r["node_settings"]["probes"] == {"liveness": ["-felix-live"], "readiness": ["-felix-ready"]}
    assert r["mtu"]["veth"] == 8951
    done = snapshot(raw)
    r = run_module("calico_network", {**vx, "migrate": True})
    assert r["changed"] is False and r["migration"]["needed"] is False
    r = run_module("calico_network", vx)                  # migrate no longer needed
    assert r["changed"] is False
    assert snapshot(raw) == done

    # back to IP-in-IP: BIRD first
    ip = {**base, "encapsulation_mode": "ipip", "migrate": True}
    r = run_module("calico_network", ip)
    assert r["changed"] is True and r["migration"]["direction"] == "vxlan->ipip"
    assert statuses(r) == ["done now", "waiting", "pending"]
    assert "nodes_converged" in r["migration"]["waiting_for"]
    assert flags(raw) == (True, True) and modes(raw) == ("Never", "CrossSubnet")
    assert r["backend"] == "bird" and "-bird-ready" in r["node_settings"]["probes"]["readiness"]
    # nodes_converged in the same run that asked hosts to start BIRD does not count
    r = run_module("calico_network", {**ip, "nodes_converged": True}, check=True)
    assert statuses(r) == ["done", "would run now", "waiting", ]
    r = run_module("calico_network", ip)
    assert r["changed"] is False and statuses(r) == ["done", "waiting", "pending"]

    # hosts run BIRD now: the pool flips
    r = run_module("calico_network", {**ip, "nodes_converged": True})
    assert r["changed"] is True and statuses(r) == ["done", "done now", "waiting"]
    assert modes(raw) == ("CrossSubnet", "Never") and flags(raw) == (True, True)
    r = run_module("calico_network", {**ip, "nodes_converged": True})
    assert r["changed"] is False and r["migration"]["nodes_pending"] == ["node-1", "node-2"]
    for i, n in enumerate(NODES):
        put_node(raw, n, ipip=f"198.19.{i}.1")
    r = run_module("calico_network", ip)
    assert r["changed"] is True and r["migration"]["complete"] is True
    assert statuses(r) == ["done", "done", "done now"]
    assert flags(raw) == (True, False) and modes(raw) == ("CrossSubnet", "Never")
    assert r["backend"] == "bird" and r["mtu"]["veth"] == 8981
    final = snapshot(raw)
    r = run_module("calico_network", ip)
    assert r["changed"] is False and r["migration"]["needed"] is False
    assert snapshot(raw) == final
    # the pool kept its identity through all of it
    assert raw(POOL)["metadata"]["uid"] and raw(POOL)["spec"]["cidr"] == CIDR


def test_force_switches_in_one_run(etcd, raw, run_module):
    base = ipip_cluster(etcd, raw, run_module)
    r = run_module("calico_network", {**base, "encapsulation_mode": "vxlan", "force": True})
    assert r["changed"] is True and r["migration"]["complete"] is True
    assert statuses(r) == ["done now", "done now", "done now", "apply node_settings on every host"]
    assert flags(raw) == (False, True) and modes(raw) == ("Never", "CrossSubnet")
    assert r["backend"] == "vxlan"


def test_ebpf_switch_needs_acknowledgement(etcd, raw, run_module):
    base = ipip_cluster(etcd, raw, run_module)
    before = snapshot(raw)
    r = run_module("calico_network", {**base, "bpf_enabled": True, "kube_proxy": False})
    assert r.failed and "acknowledge_dataplane_switch" in r["msg"]
    assert snapshot(raw) == before
    r = run_module("calico_network", {**base, "bpf_enabled": True, "kube_proxy": False,
                                      "acknowledge_dataplane_switch": True})
    assert r["changed"] is True and raw(FELIX)["spec"]["bpfEnabled"] is True
    r = run_module("calico_network", {**base, "bpf_enabled": True, "kube_proxy": False})
    assert r["changed"] is False


def test_new_cluster_needs_no_acknowledgement(etcd, raw, run_module):
    r = run_module("calico_network", {**conn(etcd), "ipv4_pool_cidr": CIDR, "bpf_enabled": True,
                                      "kube_proxy": False, "encapsulation_mode": "vxlan"})
    assert r["changed"] is True and raw(FELIX)["spec"]["bpfEnabled"] is True
    assert modes(raw) == ("Never", "CrossSubnet") and flags(raw) == (False, True)


def test_invalid_spec_fails_with_every_error_and_writes_nothing(etcd, raw, run_module):
    args = {**conn(etcd), "ipv4_pool_cidr": CIDR, "kube_proxy": True,
            "spec": {"encapsulationMode": "vxlan", "ipipMode": "Always", "bpfEnabled": True, "typhaReplicas": -1,
                     "ipv4AutoDetectionMethod": "interface=(", "bogusField": 1}}
    for check in (True, False):
        r = run_module("calico_network", args, check=check)
        assert r.failed
        assert [e.split(":")[0] for e in r["errors"]] == [
            "calico.bogusField", "kube_proxy", "calico.ipipMode", "calico.ipv4AutoDetectionMethod",
            "calico.typhaReplicas"]
        assert r["msg"].startswith("Invalid networking spec, nothing was written")
    assert raw.keys() == []
    # a pool change Calico would refuse is found before anything is written
    run_module("calico_network", {**conn(etcd), "ipv4_pool_cidr": CIDR})
    before = snapshot(raw)
    r = run_module("calico_network", {**conn(etcd), "ipv4_pool_cidr": "198.18.0.0/16", "mtu": 1400})
    assert r.failed and "cidr: cannot change" in r["msg"]
    assert snapshot(raw) == before


def test_validate_only_needs_no_datastore(run_module, monkeypatch):
    monkeypatch.delenv("ETCD_ENDPOINTS", raising=False)
    r = run_module("calico_network", {"validate_only": True, "spec": {"mtu": 9001}, "cloud": "aws",
                                      "node_count": 120, "datastore_type": "kubernetes"})
    assert r["changed"] is False and r["valid"] is True and r["errors"] == []
    assert r["effective"]["awsSrcDstCheck"] == "Disable" and r["mtu"]["veth"] == 9001
    assert len(warnings(r)) == 2            # full mesh and no Typha above 50 nodes
    r = run_module("calico_network", {"validate_only": True, "encapsulation_mode": "vxlan", "ipip_mode": "Always",
                                      "ip_family": "ipv6"})
    assert r["valid"] is False and not r.get("failed")
    assert sorted(e.split(":")[0] for e in r["errors"]) == ["calico.encapsulationMode", "calico.ipipMode"]


def test_bgp_and_pools_list(etcd, raw, run_module):
    args = {**conn(etcd), "bgp_mesh": False, "as_number": 64513, "ip_family": "dual",
            "pools": [{"name": "pods-v4", "cidr": "198.19.0.0/16", "block_size": 24},
                      {"name": "pods-v6", "cidr": "fd00:198:19::/48", "nat_outgoing": True}]}
    r = run_module("calico_network", args)
    assert r["changed"] is True
    assert raw(BGP)["spec"] == {"nodeToNodeMeshEnabled": False, "asNumber": 64513}
    v4 = raw(PREFIX + "ippools/pods-v4")["spec"]
    v6 = raw(PREFIX + "ippools/pods-v6")["spec"]
    assert (v4["blockSize"], v4["ipipMode"], v4["natOutgoing"]) == (24, "CrossSubnet", True)
    assert (v6["blockSize"], v6["ipipMode"], v6["vxlanMode"], v6["natOutgoing"]) == (122, "Never", "Never", True)
    assert r["node_settings"]["probes"]["liveness"] == ["-felix-live", "-bird-live", "-bird6-live"]
    r = run_module("calico_network", args)
    assert r["changed"] is False
    r = run_module("calico_network", {**args, "as_number": 0})
    assert r.failed and "as_number" in r["msg"]


@pytest.mark.parametrize("count,warn", [(3, False), (51, True)])
def test_scale_warning_counts_nodes(etcd, raw, run_module, count, warn):
    base = ipip_cluster(etcd, raw, run_module)
    for i in range(count - len(NODES)):
        node = {"kind": "Node", "apiVersion": "projectcalico.org/v3", "metadata": {"name": f"extra-{i}"},
                "spec": {}, "status": {}}
        raw.put(PREFIX + f"nodes/extra-{i}", node)
    r = run_module("calico_network", base)
    assert any("full BGP mesh" in w for w in warnings(r)) is warn, warnings(r)


def test_bird_without_peers_warns(etcd, raw, run_module):
    base = ipip_cluster(etcd, raw, run_module)
    r = run_module("calico_network", {**base, "bgp_mesh": False})
    assert r["changed"] is True and raw(BGP)["spec"] == {"nodeToNodeMeshEnabled": False}
    assert any("no BGP peers" in w for w in warnings(r))
    r = run_module("calico_network", {**base, "bgp_mesh": True})
    assert not any("no BGP peers" in w for w in warnings(r))


def test_host_mtu_from_a_subset_of_hosts_never_raises_the_cluster_mtu(etcd, raw, run_module):
    """--limit / AWX slices: the hosts measured are not all the Nodes, so the MTU may only go down."""
    base = {**conn(etcd), "ipv4_pool_cidr": CIDR}
    r = run_module("calico_network", {**base, "host_mtu": 1500, "host_mtu_nodes": list(NODES)})
    assert r["changed"] is True
    for n in NODES:
        put_node(raw, n, ipip=f"198.19.{NODES.index(n)}.1")
    assert raw(FELIX)["spec"]["ipipMTU"] == 1480
    # a slice that saw only node-2, whose link is 9001: nothing rises
    before = snapshot(raw)
    r = run_module("calico_network", {**base, "host_mtu": 9001, "host_mtu_nodes": ["node-2"]})
    assert r["changed"] is False and snapshot(raw) == before
    assert r["mtu"]["ipip"] == 1480 and r["node_settings"]["cni"]["mtu"] == 1480
    assert any("node-1" in w and "keeping the host MTU 1500" in w for w in warnings(r)), warnings(r)
    # a slice with a smaller link lowers it
    r = run_module("calico_network", {**base, "host_mtu": 1450, "host_mtu_nodes": ["node-2"]})
    assert r["changed"] is True and raw(FELIX)["spec"]["ipipMTU"] == 1430
    # every Node measured: it may rise again
    r = run_module("calico_network", {**base, "host_mtu": 9001, "host_mtu_nodes": list(NODES)})
    assert r["changed"] is True and raw(FELIX)["spec"]["ipipMTU"] == 8981
