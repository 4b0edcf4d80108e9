#!/usr/bin/python
# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: calico_network
short_description: Apply a Calico networking spec (backend, encapsulation, MTU) with kOps semantics
version_added: 0.1.0
description:
  - Cluster side of Calico networking. Takes the same block a kOps cluster spec has under
    C(networking.calico) (O(spec), camelCase) or the same settings as snake_case options, applies
    kOps' defaults and validation, and writes the result to Calico's datastore.
  - "Writes: the encapsulation modes and C(natOutgoing) of the managed IPPools; FelixConfiguration
    C(default) (C(ipipEnabled), C(vxlanEnabled), C(wireguardEnabled), C(bpfEnabled),
    C(bpfExternalServiceMode), C(bpfLogLevel), C(bpfKubeProxyIptablesCleanupEnabled),
    C(awsSrcDstCheck), C(chainInsertMode), C(iptablesBackend), C(nftablesMode),
    C(logSeverityScreen), the Prometheus settings and the MTU fields); BGPConfiguration C(default)
    (C(nodeToNodeMeshEnabled), C(asNumber)) when O(bgp_mesh) or O(as_number) is set. Other fields of
    these resources keep their values."
  - "kOps defaults: encapsulation C(ipip) with C(ipipMode=CrossSubnet) on IPv4, C(none) on IPv6-only,
    C(vxlan) with C(vxlanMode=Always) on Azure, C(ipipMode=Always) on OpenStack;
    C(awsSrcDstCheck=Disable) on AWS IPv4, else C(DoNothing); backend C(bird) for ipip, C(vxlan) for
    vxlan, C(none) for none."
  - "Every violation of kOps' validation is reported at once, each naming its field
    (for example C(calico.ipipMode: Forbidden: ...)); an invalid spec writes nothing."
  - Warns when more than 50 nodes run a full BGP mesh or run without Typha on the Kubernetes datastore.
  - "Switching a cluster between IP-in-IP (BIRD) and VXLAN is a staged migration, in Calico's documented
    order. IP-in-IP to VXLAN: 1. FelixConfiguration C(vxlanEnabled) on (C(ipipEnabled) pinned on),
    2. every pool flips in one write (C(ipipMode=Never), C(vxlanMode) as the spec says), 3. once every
    Node has a VXLAN tunnel address C(ipipEnabled) off, 4. RV(node_settings) move to the C(vxlan) backend
    (apply them on every host; BIRD stops). VXLAN to IP-in-IP: 1. C(ipipEnabled) on and
    RV(node_settings) back to C(bird) (apply them on every host), 2. with O(nodes_converged=true) the pools
    flip, 3. once every Node has an IP-in-IP tunnel address C(vxlanEnabled) off."
  - The stage is derived from the datastore (pool modes and Felix's explicit flags), so each run does
    what is safe now and a rerun resumes. RV(migration) is the plan, in check mode too.
  - Switching in one shot is refused unless O(force=true); running the stages needs O(migrate=true).
    Turning the eBPF dataplane on or off in a running cluster is refused unless
    O(acknowledge_dataplane_switch=true).
  - With O(validate_only=true) nothing connects to a datastore.
author:
  - netops.calico contributors (@netops-calico)
extends_documentation_fragment:
  - netops.calico.datastore
attributes:
  check_mode:
    support: full
    description: Runs every stage the same way against an in-memory copy of what would be written; RV(migration) shows the plan.
  diff_mode:
    support: full
    description: Shows the spec of every pool, FelixConfiguration and BGPConfiguration written, before and after.
  idempotent:
    support: full
    description: A second run with the same options reports no change (a migration waiting for nodes writes nothing more).
options:
  spec:
    description:
      - The C(networking.calico) block of a kOps cluster spec, verbatim (camelCase keys such as
        C(encapsulationMode), C(ipipMode), C(vxlanMode), C(awsSrcDstCheck), C(mtu), C(typhaReplicas),
        C(bpfEnabled), C(wireguardEnabled), C(ipv4AutoDetectionMethod), C(prometheusMetricsEnabled)).
      - C(registry), C(version), C(cpuRequest) and C(majorVersion) are accepted and passed through.
      - Unknown keys are errors. A setting given both here and as a snake_case option must agree.
    type: dict
  encapsulation_mode:
    description:
      - kOps C(encapsulationMode) - V(ipip), V(vxlan) or V(none) (IPv6-only clusters only).
    type: str
  ipip_mode:
    description: kOps C(ipipMode) - V(Always), V(CrossSubnet) or V(Never); needs encapsulation V(ipip).
    type: str
  vxlan_mode:
    description: kOps C(vxlanMode) - V(Always), V(CrossSubnet) or V(Never); needs encapsulation V(vxlan).
    type: str
  cross_subnet:
    description: kOps C(crossSubnet), deprecated since kOps 1.22 and without effect (a warning says so).
    type: bool
  aws_src_dst_check:
    description:
      - kOps C(awsSrcDstCheck) - V(Enable), V(Disable) or V(DoNothing); only AWS IPv4 clusters use it
        (FelixConfiguration C(awsSrcDstCheck)).
    type: str
  mtu:
    description:
      - kOps C(mtu) - the MTU of pods and of every tunnel device; V(0) or unset computes it from
        O(host_mtu), or leaves it to calico-node's auto-detection when that is unset too.
    type: int
  host_mtu:
    description:
      - Smallest host link MTU in the cluster, as M(netops.calico.calico_mtu) reports it
        (RV(netops.calico.calico_mtu#module:host_mtu)), minimum over all hosts. Each tunnel MTU is this
        minus the tunnel's overhead.
    type: int
  host_mtu_nodes:
    description:
      - The names of the nodes O(host_mtu) was measured on. When set, the MTU written never rises above
        what FelixConfiguration C(default) already holds unless every Node in the datastore is in this
        list, so a run over a subset of hosts (C(--limit), AWX job slices) that did not see the host
        with the smallest link cannot raise the cluster MTU (a warning names the Nodes not measured).
        Lowering always applies.
      - Unset, O(host_mtu) is applied as given.
    type: list
    elements: str
  typha_replicas:
    description: kOps C(typhaReplicas); not negative.
    type: int
  bpf_enabled:
    description: kOps C(bpfEnabled) - the eBPF dataplane; needs kube-proxy off (O(kube_proxy=false)).
    type: bool
  bpf_external_service_mode:
    description: kOps C(bpfExternalServiceMode) - V(Tunnel) or V(DSR).
    type: str
  bpf_log_level:
    description: kOps C(bpfLogLevel) - V(Off), V(Info) or V(Debug).
    type: str
  bpf_kube_proxy_iptables_cleanup_enabled:
    description: kOps C(bpfKubeProxyIptablesCleanupEnabled).
    type: bool
  wireguard_enabled:
    description: kOps C(wireguardEnabled); not on IPv6-only clusters.
    type: bool
  chain_insert_mode:
    description: kOps C(chainInsertMode) - V(insert) or V(append).
    type: str
  iptables_backend:
    description: kOps C(iptablesBackend) - V(Auto), V(Legacy) or V(NFT).
    type: str
  nftables_mode:
    description: kOps C(nftablesMode) - V(Disabled), V(Enabled) or V(Auto); unset leaves Felix's default.
    type: str
  ipv4_auto_detection_method:
    description:
      - kOps C(ipv4AutoDetectionMethod) - V(first-found), C(can-reach=<IPv4 address>),
        C(interface=<regex,...>) or C(skip-interface=<regex,...>).
    type: str
  ipv6_auto_detection_method:
    description: kOps C(ipv6AutoDetectionMethod), the same forms with an IPv6 address for C(can-reach).
    type: str
  log_severity_screen:
    description: kOps C(logSeverityScreen) - one of trace, debug, info, warning, error, fatal (any case).
    type: str
  prometheus_metrics_enabled:
    description: kOps C(prometheusMetricsEnabled).
    type: bool
  prometheus_metrics_port:
    description: kOps C(prometheusMetricsPort) (default 9091).
    type: int
  prometheus_go_metrics_enabled:
    description: kOps C(prometheusGoMetricsEnabled).
    type: bool
  prometheus_process_metrics_enabled:
    description: kOps C(prometheusProcessMetricsEnabled).
    type: bool
  typha_prometheus_metrics_enabled:
    description: kOps C(typhaPrometheusMetricsEnabled) (returned in RV(node_settings)).
    type: bool
  typha_prometheus_metrics_port:
    description: kOps C(typhaPrometheusMetricsPort) (default 9093).
    type: int
  allow_ip_forwarding:
    description: kOps C(allowIPForwarding) (returned in RV(node_settings) for the CNI config).
    type: bool
  ip_family:
    description: IP family of the cluster's pods.
    type: str
    choices: [ipv4, ipv6, dual]
    default: ipv4
  cloud:
    description: Where the cluster runs; decides kOps' defaults (Azure, OpenStack, AWS).
    type: str
    choices: [aws, gce, azure, openstack, metal]
    default: metal
  kube_proxy:
    description:
      - Whether kube-proxy runs. V(true) with O(bpf_enabled=true) is an error; unset is not checked
        (as in kOps when C(spec.kubeProxy) is unset).
    type: bool
  node_count:
    description: Number of nodes, for the scale warnings; unset counts the Node resources.
    type: int
  pools:
    description:
      - The pools to manage. Their encapsulation modes come from the spec. When unset, the pools are
        calico-node's defaults C(default-ipv4-ippool) and C(default-ipv6-ippool) (per O(ip_family)),
        created when O(ipv4_pool_cidr) / O(ipv6_pool_cidr) is given, adjusted when they exist.
    type: list
    elements: dict
    suboptions:
      name:
        description: Pool name.
        type: str
        required: true
      cidr:
        description: Pool range (immutable).
        type: str
        required: true
      block_size:
        description: Block size (immutable); Calico's default 26 / 122 when unset.
        type: int
      nat_outgoing:
        description: Masquerade traffic leaving the pools; default O(nat_outgoing) / O(nat_outgoing_ipv6).
        type: bool
      node_selector:
        description: Nodes that take blocks from this pool.
        type: str
      disabled:
        description: Stop handing out addresses from this pool.
        type: bool
  ipv4_pool_cidr:
    description: CIDR of C(default-ipv4-ippool) when O(pools) is unset (as calico-node's C(CALICO_IPV4POOL_CIDR)).
    type: str
  ipv6_pool_cidr:
    description: CIDR of C(default-ipv6-ippool) when O(pools) is unset.
    type: str
  nat_outgoing:
    description: C(natOutgoing) of IPv4 pools (calico-node's default).
    type: bool
    default: true
  nat_outgoing_ipv6:
    description: C(natOutgoing) of IPv6 pools (calico-node's default).
    type: bool
    default: false
  bgp_mesh:
    description: BGPConfiguration C(nodeToNodeMeshEnabled); unset leaves it (Calico's default is on).
    type: bool
  as_number:
    description: BGPConfiguration C(asNumber); unset leaves it (Calico's default is 64512).
    type: int
  validate_only:
    description: Validate and compute only; return RV(effective), RV(mtu), RV(node_settings) and RV(errors) without any datastore.
    type: bool
    default: false
  migrate:
    description: Run the staged migration when the pools use the other encapsulation (IP-in-IP versus VXLAN).
    type: bool
    default: false
  nodes_converged:
    description:
      - Acknowledge that every host has applied the RV(node_settings) of the previous run. Needed to
        flip pools to IP-in-IP after BIRD was started, because the datastore holds no proof that BIRD runs,
        and when a pool selects only some nodes.
    type: bool
    default: false
  force:
    description: Switch between IP-in-IP and VXLAN in one run, without waiting for nodes (traffic between nodes drops meanwhile).
    type: bool
    default: false
  acknowledge_dataplane_switch:
    description: Allow turning the eBPF dataplane on or off in a cluster that already has nodes or pools (disruptive).
    type: bool
    default: false
notes:
  - Run it once per cluster (C(run_once), usually delegated to where the datastore is reachable); apply
    RV(node_settings) on every host with the host modules.
seealso:
  - module: netops.calico.calico_mtu
  - module: netops.calico.calico_ippool
"""

EXAMPLES = r"""
- name: The calico block of a kOps cluster spec, verbatim
  netops.calico.calico_network:
    spec:
      encapsulationMode: ipip
      ipipMode: CrossSubnet
      awsSrcDstCheck: Disable
      typhaReplicas: 3
    cloud: aws
    kube_proxy: true
    ipv4_pool_cidr: 100.96.0.0/11
    host_mtu: "{{ ansible_play_hosts | map('extract', hostvars, ['calico_mtu_facts', 'host_mtu']) | min }}"
    etcd_endpoints: https://10.0.0.1:2379
  run_once: true
  register: calico_net

- name: Check a spec without any datastore
  netops.calico.calico_network:
    encapsulation_mode: vxlan
    ipip_mode: Always
    validate_only: true
  register: check

- name: Move a running cluster from IP-in-IP to VXLAN, one safe stage per pass
  netops.calico.calico_network:
    encapsulation_mode: vxlan
    vxlan_mode: CrossSubnet
    migrate: true
  run_once: true
  register: calico_net
  until: calico_net.migration.complete
  retries: 30
  delay: 10
"""

RETURN = r"""
effective:
  description: The normalised spec with kOps' defaults (camelCase, as in a kOps cluster spec).
  returned: always
  type: dict
  sample: {encapsulationMode: ipip, ipipMode: CrossSubnet, vxlanMode: Never, awsSrcDstCheck: Disable, mtu: 0}
backend:
  description: The calico-node backend hosts must run now (C(bird) while a migration is under way).
  returned: when the spec is valid
  type: str
  sample: bird
mtu:
  description:
    - MTU of each tunnel (null when unknown) and of pods (C(veth), 0 for calico-node's auto-detection).
      The same numbers are written to FelixConfiguration, so pods and tunnels agree.
  returned: when the spec is valid
  type: dict
  contains:
    ipip:
      description: IP-in-IP tunnel MTU (host MTU - 20).
      type: int
      returned: always
    vxlan:
      description: VXLAN tunnel MTU (host MTU - 50).
      type: int
      returned: always
    vxlan_v6:
      description: IPv6 VXLAN tunnel MTU (host MTU - 70).
      type: int
      returned: always
    wireguard:
      description: WireGuard tunnel MTU (host MTU - 60).
      type: int
      returned: always
    wireguard_v6:
      description: IPv6 WireGuard tunnel MTU (host MTU - 80).
      type: int
      returned: always
    veth:
      description: Pod MTU, the smallest MTU of the enabled encapsulations (the host MTU when none is enabled); for the CNI config.
      type: int
      returned: always
  sample: {ipip: 8981, vxlan: 8951, vxlan_v6: 8931, wireguard: 8941, wireguard_v6: 8921, veth: 8981}
node_settings:
  description:
    - What calico-node on every host needs - environment, probes, CNI settings, Typha.
    - C(felix_env) is the Felix settings of the spec as the calico-node environment a Kubernetes
      manifest sets (kOps' names and values, with C(FELIX_HEALTHENABLED=true),
      C(FELIX_DEFAULTENDPOINTTOHOSTACTION=ACCEPT) and the tunnel MTUs); the calico_kubernetes role
      renders it.
  returned: when the spec is valid
  type: dict
  sample:
    backend: bird
    env: {CALICO_NETWORKING_BACKEND: bird, IP: autodetect, IP6: none, IP_AUTODETECTION_METHOD: first-found,
          IP6_AUTODETECTION_METHOD: none, CALICO_IPV4POOL_IPIP: CrossSubnet, CALICO_IPV4POOL_VXLAN: Never,
          CALICO_IPV6POOL_VXLAN: Never, FELIX_IPV6SUPPORT: "false", CALICO_IPV4POOL_CIDR: 100.96.0.0/11}
    probes: {liveness: [-felix-live, -bird-live], readiness: [-felix-ready, -bird-ready]}
    cni: {mtu: 8981, allow_ip_forwarding: false}
    felix_env: {FELIX_AWSSRCDSTCHECK: DoNothing, FELIX_BPFENABLED: "false", FELIX_LOGSEVERITYSCREEN: info,
                FELIX_WIREGUARDENABLED: "false", FELIX_DEFAULTENDPOINTTOHOSTACTION: ACCEPT,
                FELIX_HEALTHENABLED: "true", FELIX_IPV6SUPPORT: "false", FELIX_IPINIPMTU: "8981",
                FELIX_VXLANMTU: "8951", FELIX_WIREGUARDMTU: "8941"}
    typha: {replicas: 0, service_name: none, prometheus_metrics_enabled: false, prometheus_metrics_port: 9093}
migration:
  description: The staged migration under way, if any, with each stage's status (the plan, in check mode).
  returned: when the datastore was used
  type: dict
  sample:
    needed: true
    direction: ipip->vxlan
    from: ipip
    to: vxlan
    complete: false
    waiting_for: "calico-node on 1 node(s) to allocate a VXLAN tunnel address: node-2 (rerun ...)"
    nodes_pending: [node-2]
    stages:
      - {stage: 1, name: vxlan-enabled, status: done, description: "..."}
      - {stage: 2, name: pools-vxlan, status: done now, description: "..."}
      - {stage: 3, name: ipip-disabled, status: waiting, description: "..."}
      - {stage: 4, name: backend-vxlan, status: pending, description: "..."}
valid:
  description: Whether the spec is valid (with O(validate_only=true)).
  returned: when O(validate_only=true)
  type: bool
errors:
  description: Every violation, each naming its field.
  returned: always
  type: list
  elements: str
  sample: ['calico.ipipMode: Forbidden: IP-in-IP encapsulation requires use of Calico''s "ipip" encapsulation mode']
resources:
  description: The resources after the task (what would be written, in check mode), by C(Kind/name).
  returned: when the datastore was used
  type: dict
"""

from ansible_collections.netops.calico.plugins.module_utils._module import datastore_module, run
from ansible_collections.netops.calico.plugins.module_utils._network import apply as _apply
from ansible_collections.netops.calico.plugins.module_utils._network import spec as _spec
from ansible_collections.netops.calico.plugins.module_utils._network.pools import pools_from_options
from ansible_collections.netops.calico.plugins.module_utils._network.validate import build, validate

_STR = {"type": "str"}
_BOOL = {"type": "bool"}
_INT = {"type": "int"}
SPEC_OPTION_TYPES = {f.snake: {"str": _STR, "bool": _BOOL, "optbool": _BOOL, "int": _INT, "optint": _INT}[f.type]
                     for f in _spec.KOPS_FIELDS if f.snake}


def main() -> None:
    argspec = {name: dict(t) for name, t in SPEC_OPTION_TYPES.items()}
    argspec.update({
        "spec": {"type": "dict"},
        "host_mtu": {"type": "int"},
        "host_mtu_nodes": {"type": "list", "elements": "str"},
        "ip_family": {"type": "str", "choices": list(_spec.IP_FAMILIES), "default": "ipv4"},
        "cloud": {"type": "str", "choices": list(_spec.CLOUDS), "default": "metal"},
        "kube_proxy": {"type": "bool"},
        "node_count": {"type": "int"},
        "pools": {"type": "list", "elements": "dict", "options": {
            "name": {"type": "str", "required": True},
            "cidr": {"type": "str", "required": True},
            "block_size": {"type": "int"},
            "nat_outgoing": {"type": "bool"},
            "node_selector": {"type": "str"},
            "disabled": {"type": "bool"},
        }},
        "ipv4_pool_cidr": {"type": "str"},
        "ipv6_pool_cidr": {"type": "str"},
        "nat_outgoing": {"type": "bool", "default": True},
        "nat_outgoing_ipv6": {"type": "bool", "default": False},
        "bgp_mesh": {"type": "bool"},
        "as_number": {"type": "int"},
        "validate_only": {"type": "bool", "default": False},
        "migrate": {"type": "bool", "default": False},
        "nodes_converged": {"type": "bool", "default": False},
        "force": {"type": "bool", "default": False},
        "acknowledge_dataplane_switch": {"type": "bool", "default": False},
    })
    module = datastore_module(argspec)
    p = module.params
    ctx = _spec.Context(ip_family=p["ip_family"], cloud=p["cloud"], kube_proxy=p["kube_proxy"],
                        node_count=p["node_count"], datastore_type=p["datastore_type"])
    sr = build(p["spec"], {k: p[k] for k in _spec.SNAKE_OPTIONS}, ctx)
    pools, pool_errors = pools_from_options(p["pools"], p["ipv4_pool_cidr"], p["ipv6_pool_cidr"],
                                            p["nat_outgoing"], p["nat_outgoing_ipv6"], ctx)
    if p["validate_only"]:
        result = _apply.validate_only(sr, ctx, pools, p["host_mtu"], p["bgp_mesh"], pool_errors, p["as_number"])
        for w in result.pop("warnings"):
            module.warn(w)
        module.exit_json(**result)

    errors = validate(sr, pool_errors, p["host_mtu"], p["as_number"])
    if errors:
        module.fail_json(msg="Invalid networking spec, nothing was written: " + "; ".join(errors), errors=errors,
                         effective=sr.effective)

    bgp = {}
    if p["bgp_mesh"] is not None:
        bgp["nodeToNodeMeshEnabled"] = p["bgp_mesh"]
    if p["as_number"] is not None:
        bgp["asNumber"] = p["as_number"]
    opts = _apply.ApplyOptions(host_mtu=p["host_mtu"], host_mtu_nodes=p["host_mtu_nodes"], bgp=bgp,
                               migrate=p["migrate"], force=p["force"],
                               nodes_converged=p["nodes_converged"],
                               acknowledge_dataplane_switch=p["acknowledge_dataplane_switch"])

    def body(ds):
        result = _apply.apply(ds, sr, ctx, pools, opts)
        for w in result.pop("warnings"):
            module.warn(w)
        return result

    run(module, body)


if __name__ == "__main__":
    main()
