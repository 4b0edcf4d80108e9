"""Option names of the spec modules on a real etcd: plural acronyms and WireGuard are one word
(service_cluster_ips, bpf_dsr_optout_cidrs, prometheus_wireguard_metrics_enabled), the 0.1.0
spellings (service_cluster_i_ps, ...) still work as deprecated aliases, and every module EXAMPLE runs."""

from __future__ import annotations

import importlib

import pytest
import yaml

from ansible_collections.netops.calico.plugins.module_utils._datastore import model
from ansible_collections.netops.calico.plugins.module_utils._datastore.etcd import EtcdKV

CIDRS = [{"cidr": "198.18.96.0/20"}]
# module, new option, 0.1.0 spelling, value, spec field as Calico names it
RENAMED = [
    ("calico_bgp_config", "service_cluster_ips", "service_cluster_i_ps", CIDRS, "serviceClusterIPs"),
    ("calico_bgp_config", "service_external_ips", "service_external_i_ps", CIDRS, "serviceExternalIPs"),
    ("calico_bgp_config", "service_load_balancer_ips", "service_load_balancer_i_ps", CIDRS, "serviceLoadBalancerIPs"),
    ("calico_felix_config", "floating_ips", "floating_i_ps", "Enabled", "floatingIPs"),
    ("calico_felix_config", "bpf_dsr_optout_cidrs", "bpf_dsr_optout_cid_rs", ["198.18.0.0/24"], "bpfDSROptoutCIDRs"),
    ("calico_felix_config", "prometheus_wireguard_metrics_enabled", "prometheus_wire_guard_metrics_enabled", True,
     "prometheusWireGuardMetricsEnabled"),
    ("calico_felix_config", "bpf_exclude_cidrs_from_nat", "bpf_exclude_cid_rs_from_nat", ["198.18.1.0/24"],
     "bpfExcludeCIDRsFromNAT"),
]
KIND = {"calico_bgp_config": "BGPConfiguration", "calico_felix_config": "FelixConfiguration"}


def deprecations(r):
    return [d["msg"] if isinstance(d, dict) and "msg" in d else str(d) for d in r.get("deprecations", [])]


@pytest.mark.parametrize("module, new, old, value, field", RENAMED, ids=[r[1] for r in RENAMED])
def test_new_name_and_deprecated_alias_store_the_same(etcd, raw, run_module, module, new, old, value, field):
    key = model.resource_key(KIND[module], "default")
    r = run_module(module, {"etcd_endpoints": etcd.endpoint, new: value})
    assert not r.failed and r["changed"], r
    assert raw(key)["spec"][field] == value and not deprecations(r)
    rev = EtcdKV(etcd.endpoint).revision()
    r = run_module(module, {"etcd_endpoints": etcd.endpoint, old: value})
    assert not r.failed and not r["changed"], r                        # the same field, already set
    assert any(old in d and "2.0.0" in str(r["deprecations"]) for d in deprecations(r)), r
    assert EtcdKV(etcd.endpoint).revision() == rev


@pytest.mark.parametrize("module", ["calico_bgp_config", "calico_felix_config"])
def test_every_example_runs(etcd, run_module, module):
    examples = yaml.safe_load(importlib.import_module(
        f"ansible_collections.netops.calico.plugins.modules.{module}").EXAMPLES)
    for task in examples:
        args = task[f"netops.calico.{module}"]
        r = run_module(module, {"etcd_endpoints": etcd.endpoint, **args})
        assert not r.failed, (task["name"], r)


def test_example_service_cluster_ips_is_stored(etcd, raw, run_module):
    r = run_module("calico_bgp_config", {"etcd_endpoints": etcd.endpoint, "service_cluster_ips": CIDRS})
    assert r["changed"]
    assert raw.bytes(model.resource_key("BGPConfiguration", "default")).count(b'"serviceClusterIPs":[{"cidr":'
                                                                              b'"198.18.96.0/20"}]') == 1
