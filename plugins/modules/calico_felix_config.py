#!/usr/bin/python
# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: calico_felix_config
short_description: Manage a Calico FelixConfiguration
version_added: 0.1.0
description:
  - Create, update or delete a C(FelixConfiguration) (projectcalico.org/v3), either V(default) for the
    whole cluster, or C(node.<name>) for one node's overrides.
  - Every field of the resource is an option, in snake_case (C(ipipEnabled) is O(ipip_enabled)).
    Only the options you set are compared and written; the others keep their current value.
  - Durations are given as Go durations (V(90s), V(1m30s)) and compared as Calico stores them.
  - Calico's defaulting is applied on every write and before comparing, as calicoctl does; setting the
    deprecated O(bpf_connect_time_load_balancing_enabled) also sets C(bpfConnectTimeLoadBalancing) and
    C(bpfHostNetworkedNATWithoutCTLB) as Calico does. Failsafe port protocols are V(TCP), V(UDP) or V(SCTP).
  - To set the encapsulation, MTU, WireGuard or eBPF consistently across pools and Felix, prefer
    M(netops.calico.calico_network).
author:
  - netops.calico contributors (@netops-calico)
extends_documentation_fragment:
  - netops.calico.datastore
  - netops.calico.resource
  - netops.calico.resource.labels
options:
  name:
    description: V(default), or C(node.<nodename>) for per-node settings.
    type: str
    default: default
  # BEGIN GENERATED OPTIONS (scripts/gen_module_docs.py)
  use_internal_dataplane_driver:
    description:
      - "UseInternalDataplaneDriver, if true, Felix will use its internal dataplane programming logic."
      - Sets C(spec.useInternalDataplaneDriver).
    type: bool
  dataplane_driver:
    description:
      - "DataplaneDriver filename of the external dataplane driver to use."
      - Sets C(spec.dataplaneDriver).
    type: str
  dataplane_watchdog_timeout:
    description:
      - "DataplaneWatchdogTimeout is the readiness/liveness timeout used for Felix's (internal) dataplane driver."
      - Sets C(spec.dataplaneWatchdogTimeout).
    type: str
  ipv6_support:
    description:
      - "IPv6Support controls whether Felix enables support for IPv6 (if supported by the in-use dataplane)."
      - Sets C(spec.ipv6Support).
    type: bool
  route_refresh_interval:
    description:
      - "RouteRefreshInterval is the period at which Felix re-checks the routes in the dataplane to ensure that no
        other process has accidentally broken Calico's rules."
      - Sets C(spec.routeRefreshInterval).
    type: str
  interface_refresh_interval:
    description:
      - "InterfaceRefreshInterval is the period at which Felix rescans local interfaces to verify their state."
      - Sets C(spec.interfaceRefreshInterval).
    type: str
  iptables_refresh_interval:
    description:
      - "IptablesRefreshInterval is the period at which Felix re-checks the IP sets in the dataplane to ensure that no
        other process has accidentally broken Calico's rules."
      - Sets C(spec.iptablesRefreshInterval).
    type: str
  iptables_post_write_check_interval:
    description:
      - "IptablesPostWriteCheckInterval is the period after Felix has done a write to the dataplane that it schedules
        an extra read back in order to check the write was not clobbered by another process."
      - Sets C(spec.iptablesPostWriteCheckInterval).
    type: str
  iptables_lock_file_path:
    description:
      - "IptablesLockFilePath is the location of the iptables lock file."
      - Sets C(spec.iptablesLockFilePath).
    type: str
  iptables_lock_timeout:
    description:
      - "IptablesLockTimeout is the time that Felix itself will wait for the iptables lock (rather than delegating the
        lock handling to the `iptables` command)."
      - Sets C(spec.iptablesLockTimeout).
    type: str
  iptables_lock_probe_interval:
    description:
      - "IptablesLockProbeInterval when IptablesLockTimeout is enabled: the time that Felix will wait between attempts
        to acquire the iptables lock if it is not available."
      - Sets C(spec.iptablesLockProbeInterval).
    type: str
  feature_detect_override:
    description:
      - "FeatureDetectOverride is used to override feature detection based on auto-detected platform capabilities."
      - Sets C(spec.featureDetectOverride).
    type: str
  feature_gates:
    description:
      - "FeatureGates is used to enable or disable tech-preview Calico features."
      - Sets C(spec.featureGates).
    type: str
  ipsets_refresh_interval:
    description:
      - "IpsetsRefreshInterval controls the period at which Felix re-checks all IP sets to look for discrepancies."
      - Sets C(spec.ipsetsRefreshInterval).
    type: str
  max_ipset_size:
    description:
      - "MaxIpsetSize is the maximum number of IP addresses that can be stored in an IP set."
      - Sets C(spec.maxIpsetSize).
    type: int
  iptables_backend:
    description:
      - "IptablesBackend controls which backend of iptables will be used."
      - Sets C(spec.iptablesBackend).
    type: str
    choices: [Auto, NFT, Legacy]
  xdp_refresh_interval:
    description:
      - "XDPRefreshInterval is the period at which Felix re-checks all XDP state to ensure that no other process has
        accidentally broken Calico's BPF maps or attached programs."
      - Sets C(spec.xdpRefreshInterval).
    type: str
  netlink_timeout:
    description:
      - "NetlinkTimeout is the timeout when talking to the kernel over the netlink protocol, used for programming
        routes, rules, and other kernel objects."
      - Sets C(spec.netlinkTimeout).
    type: str
  metadata_addr:
    description:
      - "MetadataAddr is the IP address or domain name of the server that can answer VM queries for cloud-init
        metadata."
      - Sets C(spec.metadataAddr).
    type: str
  metadata_port:
    description:
      - "MetadataPort is the port of the metadata server."
      - Sets C(spec.metadataPort).
    type: int
  openstack_region:
    description:
      - "OpenstackRegion is the name of the region that a particular Felix belongs to."
      - Sets C(spec.openstackRegion).
    type: str
  interface_prefix:
    description:
      - "InterfacePrefix is the interface name prefix that identifies workload endpoints and so distinguishes them from
        host endpoint interfaces."
      - Sets C(spec.interfacePrefix).
    type: str
  interface_exclude:
    description:
      - "InterfaceExclude A comma-separated list of interface names that should be excluded when Felix is resolving
        host endpoints."
      - Sets C(spec.interfaceExclude).
    type: str
  chain_insert_mode:
    description:
      - "ChainInsertMode controls whether Felix hooks the kernel's top-level iptables chains by inserting a rule at the
        top of the chain or by appending a rule at the bottom."
      - Sets C(spec.chainInsertMode).
    type: str
    choices: [Insert, Append]
  default_endpoint_to_host_action:
    description:
      - "DefaultEndpointToHostAction controls what happens to traffic that goes from a workload endpoint to the host
        itself (after the endpoint's egress policy is applied)."
      - Sets C(spec.defaultEndpointToHostAction).
    type: str
    choices: [Drop, Accept, Return]
  iptables_filter_allow_action:
    description:
      - "IptablesFilterAllowAction controls what happens to traffic that is accepted by a Felix policy chain in the
        iptables filter table (which is used for 'normal' policy)."
      - Sets C(spec.iptablesFilterAllowAction).
    type: str
    choices: [Accept, Return]
  iptables_mangle_allow_action:
    description:
      - "IptablesMangleAllowAction controls what happens to traffic that is accepted by a Felix policy chain in the
        iptables mangle table (which is used for 'pre-DNAT' policy)."
      - Sets C(spec.iptablesMangleAllowAction).
    type: str
    choices: [Accept, Return]
  iptables_filter_deny_action:
    description:
      - "IptablesFilterDenyAction controls what happens to traffic that is denied by network policy."
      - Sets C(spec.iptablesFilterDenyAction).
    type: str
    choices: [Drop, Reject]
  log_prefix:
    description:
      - "LogPrefix is the log prefix that Felix uses when rendering LOG rules."
      - Sets C(spec.logPrefix).
    type: str
  log_action_rate_limit:
    description:
      - "LogActionRateLimit sets the rate of hitting a Log action."
      - Sets C(spec.logActionRateLimit).
    type: str
  log_action_rate_limit_burst:
    description:
      - "LogActionRateLimitBurst sets the rate limit burst of hitting a Log action when LogActionRateLimit is enabled."
      - Sets C(spec.logActionRateLimitBurst).
    type: int
  log_file_path:
    description:
      - "LogFilePath is the full path to the Felix log."
      - Sets C(spec.logFilePath).
    type: str
  log_severity_file:
    description:
      - "LogSeverityFile is the log severity above which logs are sent to the log file."
      - Sets C(spec.logSeverityFile).
    type: str
    choices: [Trace, Debug, Info, Warning, Error, Fatal]
  log_severity_screen:
    description:
      - "LogSeverityScreen is the log severity above which logs are sent to the stdout."
      - Sets C(spec.logSeverityScreen).
    type: str
    choices: [Trace, Debug, Info, Warning, Error, Fatal]
  log_severity_sys:
    description:
      - "LogSeveritySys is the log severity above which logs are sent to the syslog."
      - Sets C(spec.logSeveritySys).
    type: str
    choices: [Trace, Debug, Info, Warning, Error, Fatal]
  log_debug_filename_regex:
    description:
      - "LogDebugFilenameRegex controls which source code files have their Debug log output included in the logs."
      - Sets C(spec.logDebugFilenameRegex).
    type: str
  ipip_enabled:
    description:
      - "IPIPEnabled overrides whether Felix should configure an IPIP interface on the host."
      - Sets C(spec.ipipEnabled).
    type: bool
  ipip_mtu:
    description:
      - "IPIPMTU controls the MTU to set on the IPIP tunnel device."
      - Sets C(spec.ipipMTU).
    type: int
  vxlan_enabled:
    description:
      - "VXLANEnabled overrides whether Felix should create the VXLAN tunnel device for IPv4 VXLAN networking."
      - Sets C(spec.vxlanEnabled).
    type: bool
  vxlan_mtu:
    description:
      - "VXLANMTU is the MTU to set on the IPv4 VXLAN tunnel device."
      - Sets C(spec.vxlanMTU).
    type: int
  vxlan_mtu_v6:
    description:
      - "VXLANMTUV6 is the MTU to set on the IPv6 VXLAN tunnel device."
      - Sets C(spec.vxlanMTUV6).
    type: int
  vxlan_port:
    description:
      - "VXLANPort is the UDP port number to use for VXLAN traffic."
      - Sets C(spec.vxlanPort).
    type: int
  vxlan_vni:
    description:
      - "VXLANVNI is the VXLAN VNI to use for VXLAN traffic."
      - Sets C(spec.vxlanVNI).
    type: int
  allow_vxlan_packets_from_workloads:
    description:
      - "AllowVXLANPacketsFromWorkloads controls whether Felix will add a rule to drop VXLAN encapsulated traffic from
        workloads."
      - Sets C(spec.allowVXLANPacketsFromWorkloads).
    type: bool
  allow_ipip_packets_from_workloads:
    description:
      - "AllowIPIPPacketsFromWorkloads controls whether Felix will add a rule to drop IPIP encapsulated traffic from
        workloads."
      - Sets C(spec.allowIPIPPacketsFromWorkloads).
    type: bool
  reporting_interval:
    description:
      - "ReportingInterval is the interval at which Felix reports its status into the datastore or 0 to disable."
      - Sets C(spec.reportingInterval).
    type: str
  reporting_ttl:
    description:
      - "ReportingTTL is the time-to-live setting for process-wide status reports."
      - Sets C(spec.reportingTTL).
    type: str
  endpoint_reporting_enabled:
    description:
      - "EndpointReportingEnabled controls whether Felix reports endpoint status to the datastore."
      - Sets C(spec.endpointReportingEnabled).
    type: bool
  endpoint_reporting_delay:
    description:
      - "EndpointReportingDelay is the delay before Felix reports endpoint status to the datastore."
      - Sets C(spec.endpointReportingDelay).
    type: str
  endpoint_status_path_prefix:
    description:
      - "EndpointStatusPathPrefix is the path to the directory where endpoint status will be written."
      - Sets C(spec.endpointStatusPathPrefix).
    type: str
  iptables_mark_mask:
    description:
      - "IptablesMarkMask is the mask that Felix selects its IPTables Mark bits from."
      - Sets C(spec.iptablesMarkMask).
    type: int
  disable_conntrack_invalid_check:
    description:
      - "DisableConntrackInvalidCheck disables the check for invalid connections in conntrack."
      - Sets C(spec.disableConntrackInvalidCheck).
    type: bool
  health_enabled:
    description:
      - "HealthEnabled if set to true, enables Felix's health port, which provides readiness and liveness endpoints."
      - Sets C(spec.healthEnabled).
    type: bool
  health_host:
    description:
      - "HealthHost is the host that the health server should bind to."
      - Sets C(spec.healthHost).
    type: str
  health_port:
    description:
      - "HealthPort is the TCP port that the health server should bind to."
      - Sets C(spec.healthPort).
    type: int
  health_timeout_overrides:
    description:
      - "HealthTimeoutOverrides allows the internal watchdog timeouts of individual subcomponents to be overridden."
      - Sets C(spec.healthTimeoutOverrides).
    type: list
    elements: dict
  prometheus_metrics_enabled:
    description:
      - "PrometheusMetricsEnabled enables the Prometheus metrics server in Felix if set to true."
      - Sets C(spec.prometheusMetricsEnabled).
    type: bool
  prometheus_metrics_host:
    description:
      - "PrometheusMetricsHost is the host that the Prometheus metrics server should bind to."
      - Sets C(spec.prometheusMetricsHost).
    type: str
  prometheus_metrics_port:
    description:
      - "PrometheusMetricsPort is the TCP port that the Prometheus metrics server should bind to."
      - Sets C(spec.prometheusMetricsPort).
    type: int
  prometheus_go_metrics_enabled:
    description:
      - "PrometheusGoMetricsEnabled disables Go runtime metrics collection, which the Prometheus client does by
        default, when set to false."
      - Sets C(spec.prometheusGoMetricsEnabled).
    type: bool
  prometheus_process_metrics_enabled:
    description:
      - "PrometheusProcessMetricsEnabled disables process metrics collection, which the Prometheus client does by
        default, when set to false."
      - Sets C(spec.prometheusProcessMetricsEnabled).
    type: bool
  prometheus_wireguard_metrics_enabled:
    description:
      - "PrometheusWireGuardMetricsEnabled disables wireguard metrics collection, which the Prometheus client does by
        default, when set to false."
      - Sets C(spec.prometheusWireGuardMetricsEnabled).
      - The alias O(prometheus_wire_guard_metrics_enabled) is deprecated and will be removed in version 2.0.0.
    type: bool
    aliases: [prometheus_wire_guard_metrics_enabled]
  failsafe_inbound_host_ports:
    description:
      - "FailsafeInboundHostPorts is a list of ProtoPort struct objects including UDP/TCP/SCTP ports and CIDRs that
        Felix will allow incoming traffic to host endpoints on irrespective of the security policy."
      - Sets C(spec.failsafeInboundHostPorts).
    type: list
    elements: dict
  failsafe_outbound_host_ports:
    description:
      - "FailsafeOutboundHostPorts is a list of PortProto struct objects including UDP/TCP/SCTP ports and CIDRs that
        Felix will allow outgoing traffic from host endpoints to irrespective of the security policy."
      - Sets C(spec.failsafeOutboundHostPorts).
    type: list
    elements: dict
  kube_node_port_ranges:
    description:
      - "KubeNodePortRanges holds list of port ranges used for service node ports."
      - Sets C(spec.kubeNodePortRanges).
    type: list
    elements: raw
  policy_sync_path_prefix:
    description:
      - "PolicySyncPathPrefix is used to by Felix to communicate policy changes to external services, like Application
        layer policy."
      - Sets C(spec.policySyncPathPrefix).
    type: str
  usage_reporting_enabled:
    description:
      - "UsageReportingEnabled reports anonymous Calico version number and cluster size to projectcalico.org."
      - Sets C(spec.usageReportingEnabled).
    type: bool
  usage_reporting_initial_delay:
    description:
      - "UsageReportingInitialDelay controls the minimum delay before Felix makes a report."
      - Sets C(spec.usageReportingInitialDelay).
    type: str
  usage_reporting_interval:
    description:
      - "UsageReportingInterval controls the interval at which Felix makes reports."
      - Sets C(spec.usageReportingInterval).
    type: str
  nat_port_range:
    description:
      - "NATPortRange specifies the range of ports that is used for port mapping when doing outgoing NAT."
      - Sets C(spec.natPortRange).
    type: raw
  nat_outgoing_address:
    description:
      - "NATOutgoingAddress specifies an address to use when performing source NAT for traffic in a natOutgoing pool
        that is leaving the network."
      - Sets C(spec.natOutgoingAddress).
    type: str
  nat_outgoing_exclusions:
    description:
      - "When a IP pool setting `natOutgoing` is true, packets sent from Calico networked containers in this IP pool to
        destinations will be masqueraded."
      - Sets C(spec.natOutgoingExclusions).
    type: str
    choices: [IPPoolsOnly, IPPoolsAndHostIPs]
  device_route_source_address:
    description:
      - "DeviceRouteSourceAddress IPv4 address to set as the source hint for routes programmed by Felix."
      - Sets C(spec.deviceRouteSourceAddress).
    type: str
  device_route_source_address_ipv6:
    description:
      - "DeviceRouteSourceAddressIPv6 IPv6 address to set as the source hint for routes programmed by Felix."
      - Sets C(spec.deviceRouteSourceAddressIPv6).
    type: str
  device_route_protocol:
    description:
      - "DeviceRouteProtocol controls the protocol to set on routes programmed by Felix."
      - Sets C(spec.deviceRouteProtocol).
    type: int
  remove_external_routes:
    description:
      - "RemoveExternalRoutes Controls whether Felix will remove unexpected routes to workload interfaces."
      - Sets C(spec.removeExternalRoutes).
    type: bool
  program_cluster_routes:
    description:
      - "ProgramClusterRoutes specifies whether Felix should program IPIP routes instead of BIRD."
      - Sets C(spec.programClusterRoutes).
    type: str
    choices: [Enabled, Disabled]
  ip_forwarding:
    description:
      - "IPForwarding controls whether Felix sets the host sysctls to enable IP forwarding."
      - Sets C(spec.ipForwarding).
    type: str
    choices: [Enabled, Disabled]
  external_nodes_list:
    description:
      - "ExternalNodesCIDRList is a list of CIDR's of external, non-Calico nodes from which VXLAN/IPIP overlay traffic
        will be allowed."
      - Sets C(spec.externalNodesList).
    type: list
    elements: raw
  debug_memory_profile_path:
    description:
      - "DebugMemoryProfilePath is the path to write the memory profile to when triggered by signal."
      - Sets C(spec.debugMemoryProfilePath).
    type: str
  debug_disable_log_dropping:
    description:
      - "DebugDisableLogDropping disables the dropping of log messages when the log buffer is full."
      - Sets C(spec.debugDisableLogDropping).
    type: bool
  debug_simulate_calc_graph_hang_after:
    description:
      - "DebugSimulateCalcGraphHangAfter is used to simulate a hang in the calculation graph after the specified
        duration."
      - Sets C(spec.debugSimulateCalcGraphHangAfter).
    type: str
  debug_simulate_dataplane_hang_after:
    description:
      - "DebugSimulateDataplaneHangAfter is used to simulate a hang in the dataplane after the specified duration."
      - Sets C(spec.debugSimulateDataplaneHangAfter).
    type: str
  debug_simulate_dataplane_apply_delay:
    description:
      - "DebugSimulateDataplaneApplyDelay adds an artificial delay to every dataplane operation."
      - Sets C(spec.debugSimulateDataplaneApplyDelay).
    type: str
  debug_host:
    description:
      - "DebugHost is the host IP or hostname to bind the debug port to."
      - Sets C(spec.debugHost).
    type: str
  debug_port:
    description:
      - "DebugPort if set, enables Felix's debug HTTP port, which allows memory and CPU profiles to be retrieved."
      - Sets C(spec.debugPort).
    type: int
  iptables_nat_outgoing_interface_filter:
    description:
      - "This parameter can be used to limit the host interfaces on which Calico will apply SNAT to traffic leaving a
        Calico IPAM pool with 'NAT outgoing' enabled."
      - Sets C(spec.iptablesNATOutgoingInterfaceFilter).
    type: str
  sidecar_acceleration_enabled:
    description:
      - "SidecarAccelerationEnabled enables experimental sidecar acceleration [Default: false]"
      - Sets C(spec.sidecarAccelerationEnabled).
    type: bool
  xdp_enabled:
    description:
      - "XDPEnabled enables XDP acceleration for suitable untracked incoming deny rules."
      - Sets C(spec.xdpEnabled).
    type: bool
  generic_xdp_enabled:
    description:
      - "GenericXDPEnabled enables Generic XDP so network cards that don't support XDP offload or driver modes can use
        XDP."
      - Sets C(spec.genericXDPEnabled).
    type: bool
  nftables_mode:
    description:
      - "NFTablesMode configures nftables support in Felix."
      - Sets C(spec.nftablesMode).
    type: str
    choices: [Disabled, Enabled, Auto]
  nftables_refresh_interval:
    description:
      - "NftablesRefreshInterval controls the interval at which Felix periodically refreshes the nftables rules."
      - Sets C(spec.nftablesRefreshInterval).
    type: str
  nftables_filter_allow_action:
    description:
      - "NftablesFilterAllowAction controls the nftables action that Felix uses to represent the 'allow' policy verdict
        in the filter table."
      - Sets C(spec.nftablesFilterAllowAction).
    type: str
    choices: [Accept, Return]
  nftables_mangle_allow_action:
    description:
      - "NftablesMangleAllowAction controls the nftables action that Felix uses to represent the 'allow' policy verdict
        in the mangle table."
      - Sets C(spec.nftablesMangleAllowAction).
    type: str
    choices: [Accept, Return]
  nftables_filter_deny_action:
    description:
      - "NftablesFilterDenyAction controls what happens to traffic that is denied by network policy."
      - Sets C(spec.nftablesFilterDenyAction).
    type: str
    choices: [Drop, Reject]
  nftables_mark_mask:
    description:
      - "NftablesMarkMask is the mask that Felix selects its nftables Mark bits from."
      - Sets C(spec.nftablesMarkMask).
    type: int
  bpf_enabled:
    description:
      - "BPFEnabled, if enabled Felix will use the BPF dataplane."
      - Sets C(spec.bpfEnabled).
    type: bool
  bpf_disable_unprivileged:
    description:
      - "BPFDisableUnprivileged, if enabled, Felix sets the kernel.unprivileged_bpf_disabled sysctl to disable
        unprivileged use of BPF."
      - Sets C(spec.bpfDisableUnprivileged).
    type: bool
  bpf_jit_hardening:
    description:
      - "BPFJITHardening controls BPF JIT hardening."
      - Sets C(spec.bpfJITHardening).
    type: str
    choices: [Auto, Strict]
  bpf_log_level:
    description:
      - "BPFLogLevel controls the log level of the BPF programs when in BPF dataplane mode."
      - Sets C(spec.bpfLogLevel).
    type: str
    choices: [Debug, Info, 'Off']
  bpf_conntrack_log_level:
    description:
      - "BPFConntrackLogLevel controls the log level of the BPF conntrack cleanup program, which runs periodically to
        clean up expired BPF conntrack entries."
      - Sets C(spec.bpfConntrackLogLevel).
    type: str
    choices: ['Off', Debug]
  bpf_conntrack_mode:
    description:
      - "BPFConntrackCleanupMode controls how BPF conntrack entries are cleaned up."
      - Sets C(spec.bpfConntrackMode).
    type: str
    choices: [Auto, Userspace, BPFProgram]
  bpf_conntrack_timeouts:
    description:
      - "BPFConntrackTimers overrides the default values for the specified conntrack timer if set."
      - Sets C(spec.bpfConntrackTimeouts).
    type: dict
  bpf_log_filters:
    description:
      - "BPFLogFilters is a map of key=values where the value is a pcap filter expression and the key is an interface
        name with 'all' denoting all interfaces, 'weps' all workload endpoints and 'heps' all host endpoints."
      - Sets C(spec.bpfLogFilters).
    type: dict
  bpf_ctlb_log_filter:
    description:
      - "BPFCTLBLogFilter specifies, what is logged by connect time load balancer when BPFLogLevel is debug."
      - Sets C(spec.bpfCTLBLogFilter).
    type: str
  bpf_data_iface_pattern:
    description:
      - "BPFDataIfacePattern is a regular expression that controls which interfaces Felix should attach BPF programs to
        in order to catch traffic to/from the network."
      - Sets C(spec.bpfDataIfacePattern).
    type: str
  bpf_l3_iface_pattern:
    description:
      - "BPFL3IfacePattern is a regular expression that allows to list tunnel devices like wireguard or vxlan (i.e., L3
        devices) in addition to BPFDataIfacePattern."
      - Sets C(spec.bpfL3IfacePattern).
    type: str
  bpf_connect_time_load_balancing_enabled:
    description:
      - "BPFConnectTimeLoadBalancingEnabled when in BPF mode, controls whether Felix installs the connection-time load
        balancer."
      - Sets C(spec.bpfConnectTimeLoadBalancingEnabled).
    type: bool
  bpf_connect_time_load_balancing:
    description:
      - "BPFConnectTimeLoadBalancing when in BPF mode, controls whether Felix installs the connect-time load balancer."
      - Sets C(spec.bpfConnectTimeLoadBalancing).
    type: str
    choices: [TCP, Enabled, Disabled]
  bpf_host_networked_nat_without_ctlb:
    description:
      - "BPFHostNetworkedNATWithoutCTLB when in BPF mode, controls whether Felix does a NAT without CTLB."
      - Sets C(spec.bpfHostNetworkedNATWithoutCTLB).
    type: str
    choices: [Enabled, Disabled]
  bpf_external_service_mode:
    description:
      - "BPFExternalServiceMode in BPF mode, controls how connections from outside the cluster to services (node ports
        and cluster IPs) are forwarded to remote workloads."
      - Sets C(spec.bpfExternalServiceMode).
    type: str
    choices: [Tunnel, DSR]
  bpf_dsr_optout_cidrs:
    description:
      - "BPFDSROptoutCIDRs is a list of CIDRs which are excluded from DSR."
      - Sets C(spec.bpfDSROptoutCIDRs).
      - The alias O(bpf_dsr_optout_cid_rs) is deprecated and will be removed in version 2.0.0.
    type: list
    elements: raw
    aliases: [bpf_dsr_optout_cid_rs]
  bpf_ext_to_service_connmark:
    description:
      - "BPFExtToServiceConnmark in BPF mode, controls a 32bit mark that is set on connections from an external client
        to a local service."
      - Sets C(spec.bpfExtToServiceConnmark).
    type: int
  bpf_kube_proxy_iptables_cleanup_enabled:
    description:
      - "BPFKubeProxyIptablesCleanupEnabled, if enabled in BPF mode, Felix will proactively clean up the upstream
        Kubernetes kube-proxy's iptables chains."
      - Sets C(spec.bpfKubeProxyIptablesCleanupEnabled).
    type: bool
  bpf_kube_proxy_min_sync_period:
    description:
      - "BPFKubeProxyMinSyncPeriod, in BPF mode, controls the minimum time between updates to the dataplane for Felix's
        embedded kube-proxy."
      - Sets C(spec.bpfKubeProxyMinSyncPeriod).
    type: str
  bpf_kube_proxy_healthz_port:
    description:
      - "BPFKubeProxyHealthzPort, in BPF mode, controls the port that Felix's embedded kube-proxy health check server
        binds to."
      - Sets C(spec.bpfKubeProxyHealthzPort).
    type: int
  bpf_kube_proxy_endpoint_slices_enabled:
    description:
      - "BPFKubeProxyEndpointSlicesEnabled is deprecated and has no effect."
      - Sets C(spec.bpfKubeProxyEndpointSlicesEnabled).
    type: bool
  bpf_psnat_ports:
    description:
      - "BPFPSNATPorts sets the range from which we randomly pick a port if there is a source port collision."
      - Sets C(spec.bpfPSNATPorts).
    type: raw
  bpf_map_size_nat_frontend:
    description:
      - "BPFMapSizeNATFrontend sets the size for NAT front end map."
      - Sets C(spec.bpfMapSizeNATFrontend).
    type: int
  bpf_map_size_nat_backend:
    description:
      - "BPFMapSizeNATBackend sets the size for NAT back end map."
      - Sets C(spec.bpfMapSizeNATBackend).
    type: int
  bpf_map_size_nat_affinity:
    description:
      - "BPFMapSizeNATAffinity sets the size of the BPF map that stores the affinity of a connection (for services that
        enable that feature."
      - Sets C(spec.bpfMapSizeNATAffinity).
    type: int
  bpf_map_size_route:
    description:
      - "BPFMapSizeRoute sets the size for the routes map."
      - Sets C(spec.bpfMapSizeRoute).
    type: int
  bpf_map_size_conntrack:
    description:
      - "BPFMapSizeConntrack sets the size for the conntrack map."
      - Sets C(spec.bpfMapSizeConntrack).
    type: int
  bpf_map_size_per_cpu_conntrack:
    description:
      - "BPFMapSizePerCPUConntrack determines the size of conntrack map based on the number of CPUs."
      - Sets C(spec.bpfMapSizePerCpuConntrack).
    type: int
  bpf_map_size_conntrack_scaling:
    description:
      - "BPFMapSizeConntrackScaling controls whether and how we scale the conntrack map size depending on its usage."
      - Sets C(spec.bpfMapSizeConntrackScaling).
    type: str
    choices: [Disabled, DoubleIfFull]
  bpf_map_size_conntrack_cleanup_queue:
    description:
      - "BPFMapSizeConntrackCleanupQueue sets the size for the map used to hold NAT conntrack entries that are queued
        for cleanup."
      - Sets C(spec.bpfMapSizeConntrackCleanupQueue).
    type: int
  bpf_map_size_ip_sets:
    description:
      - "BPFMapSizeIPSets sets the size for ipsets map."
      - Sets C(spec.bpfMapSizeIPSets).
    type: int
  bpf_map_size_if_state:
    description:
      - "BPFMapSizeIfState sets the size for ifstate map."
      - Sets C(spec.bpfMapSizeIfState).
    type: int
  bpf_host_conntrack_bypass:
    description:
      - "BPFHostConntrackBypass Controls whether to bypass Linux conntrack in BPF mode for workloads and services."
      - Sets C(spec.bpfHostConntrackBypass).
    type: bool
  bpf_enforce_rpf:
    description:
      - "BPFEnforceRPF enforce strict RPF on all host interfaces with BPF programs regardless of what is the per-
        interfaces or global setting."
      - Sets C(spec.bpfEnforceRPF).
    type: str
    choices: [Disabled, Strict, Loose]
  bpf_policy_debug_enabled:
    description:
      - "BPFPolicyDebugEnabled when true, Felix records detailed information about the BPF policy programs, which can
        be examined with the calico-bpf command-line tool."
      - Sets C(spec.bpfPolicyDebugEnabled).
    type: bool
  bpf_force_track_packets_from_ifaces:
    description:
      - "BPFForceTrackPacketsFromIfaces in BPF mode, forces traffic from these interfaces to skip Calico's iptables
        NOTRACK rule, allowing traffic from those interfaces to be tracked by Linux conntrack."
      - Sets C(spec.bpfForceTrackPacketsFromIfaces).
    type: list
    elements: raw
  bpf_disable_gro_for_ifaces:
    description:
      - "BPFDisableGROForIfaces is a regular expression that controls which interfaces Felix should disable the Generic
        Receive Offload [GRO] option."
      - Sets C(spec.bpfDisableGROForIfaces).
    type: str
  bpf_exclude_cidrs_from_nat:
    description:
      - "BPFExcludeCIDRsFromNAT is a list of CIDRs that are to be excluded from NAT resolution so that host can handle
        them."
      - Sets C(spec.bpfExcludeCIDRsFromNAT).
      - The alias O(bpf_exclude_cid_rs_from_nat) is deprecated and will be removed in version 2.0.0.
    type: list
    elements: raw
    aliases: [bpf_exclude_cid_rs_from_nat]
  bpf_export_buffer_size_mb:
    description:
      - "BPFExportBufferSizeMB in BPF mode, controls the buffer size used for sending BPF events to felix."
      - Sets C(spec.bpfExportBufferSizeMB).
    type: int
  cgroup_v2_path:
    description:
      - "CgroupV2Path overrides the default location where to find the cgroup hierarchy."
      - Sets C(spec.cgroupV2Path).
    type: str
  flow_logs_policy_evaluation_mode:
    description:
      - "Continuous - Felix evaluates active flows on a regular basis to determine the rule traces in the flow logs."
      - Sets C(spec.flowLogsPolicyEvaluationMode).
    type: str
    choices: [None, Continuous]
  bpf_redirect_to_peer:
    description:
      - "BPFRedirectToPeer controls which whether it is allowed to forward straight to the peer side of the workload
        devices."
      - Sets C(spec.bpfRedirectToPeer).
    type: str
    choices: [Enabled, Disabled, L2Only]
  bpf_attach_type:
    description:
      - "BPFAttachType controls how are the BPF programs at the network interfaces attached."
      - Sets C(spec.bpfAttachType).
    type: str
    choices: [TC, TCX]
  flow_logs_flush_interval:
    description:
      - "FlowLogsFlushInterval configures the interval at which Felix exports flow logs."
      - Sets C(spec.flowLogsFlushInterval).
    type: str
  flow_logs_collector_debug_trace:
    description:
      - "When FlowLogsCollectorDebugTrace is set to true, enables the logs in the collector to be printed in their
        entirety."
      - Sets C(spec.flowLogsCollectorDebugTrace).
    type: bool
  flow_logs_goldmane_server:
    description:
      - "FlowLogGoldmaneServer is the flow server endpoint to which flow data should be published."
      - Sets C(spec.flowLogsGoldmaneServer).
    type: str
  flow_logs_local_reporter:
    description:
      - "FlowLogsLocalReporter configures local unix socket for reporting flow data from each node."
      - Sets C(spec.flowLogsLocalReporter).
    type: str
    choices: [Disabled, Enabled]
  bpf_profiling:
    description:
      - "BPFProfiling controls profiling of BPF programs."
      - Sets C(spec.bpfProfiling).
    type: str
    choices: [Enabled, Disabled]
  route_source:
    description:
      - "RouteSource configures where Felix gets its routing information."
      - Sets C(spec.routeSource).
    type: str
    choices: [WorkloadIPs, CalicoIPAM]
  route_table_ranges:
    description:
      - "Calico programs additional Linux route tables for various purposes."
      - Sets C(spec.routeTableRanges).
    type: list
    elements: dict
  route_table_range:
    description:
      - "Deprecated in favor of RouteTableRanges."
      - Sets C(spec.routeTableRange).
    type: dict
  route_sync_disabled:
    description:
      - "RouteSyncDisabled will disable all operations performed on the route table."
      - Sets C(spec.routeSyncDisabled).
    type: bool
  wireguard_enabled:
    description:
      - "WireguardEnabled controls whether Wireguard is enabled for IPv4 (encapsulating IPv4 traffic over an IPv4
        underlay network)."
      - Sets C(spec.wireguardEnabled).
    type: bool
  wireguard_enabled_v6:
    description:
      - "WireguardEnabledV6 controls whether Wireguard is enabled for IPv6 (encapsulating IPv6 traffic over an IPv6
        underlay network)."
      - Sets C(spec.wireguardEnabledV6).
    type: bool
  wireguard_threading_enabled:
    description:
      - "WireguardThreadingEnabled controls whether Wireguard has Threaded NAPI enabled."
      - Sets C(spec.wireguardThreadingEnabled).
    type: bool
  wireguard_listening_port:
    description:
      - "WireguardListeningPort controls the listening port used by IPv4 Wireguard."
      - Sets C(spec.wireguardListeningPort).
    type: int
  wireguard_listening_port_v6:
    description:
      - "WireguardListeningPortV6 controls the listening port used by IPv6 Wireguard."
      - Sets C(spec.wireguardListeningPortV6).
    type: int
  wireguard_routing_rule_priority:
    description:
      - "WireguardRoutingRulePriority controls the priority value to use for the Wireguard routing rule."
      - Sets C(spec.wireguardRoutingRulePriority).
    type: int
  wireguard_interface_name:
    description:
      - "WireguardInterfaceName specifies the name to use for the IPv4 Wireguard interface."
      - Sets C(spec.wireguardInterfaceName).
    type: str
  wireguard_interface_name_v6:
    description:
      - "WireguardInterfaceNameV6 specifies the name to use for the IPv6 Wireguard interface."
      - Sets C(spec.wireguardInterfaceNameV6).
    type: str
  wireguard_mtu:
    description:
      - "WireguardMTU controls the MTU on the IPv4 Wireguard interface."
      - Sets C(spec.wireguardMTU).
    type: int
  wireguard_mtu_v6:
    description:
      - "WireguardMTUV6 controls the MTU on the IPv6 Wireguard interface."
      - Sets C(spec.wireguardMTUV6).
    type: int
  wireguard_host_encryption_enabled:
    description:
      - "WireguardHostEncryptionEnabled controls whether Wireguard host-to-host encryption is enabled."
      - Sets C(spec.wireguardHostEncryptionEnabled).
    type: bool
  wireguard_keep_alive:
    description:
      - "WireguardPersistentKeepAlive controls Wireguard PersistentKeepalive option."
      - Sets C(spec.wireguardKeepAlive).
    type: str
  aws_src_dst_check:
    description:
      - "AWSSrcDstCheck controls whether Felix will try to change the 'source/dest check' setting on the EC2 instance
        on which it is running."
      - Sets C(spec.awsSrcDstCheck).
    type: str
    choices: [DoNothing, Enable, Disable]
  service_loop_prevention:
    description:
      - "When service IP advertisement is enabled, prevent routing loops to service IPs that are not in use, by
        dropping or rejecting packets that do not get DNAT'd by kube-proxy."
      - Sets C(spec.serviceLoopPrevention).
    type: str
    choices: [Drop, Reject, Disabled]
  workload_source_spoofing:
    description:
      - "WorkloadSourceSpoofing controls whether pods can use the allowedSourcePrefixes annotation to send traffic with
        a source IP address that is not theirs."
      - Sets C(spec.workloadSourceSpoofing).
    type: str
    choices: [Disabled, Any]
  mtu_iface_pattern:
    description:
      - "MTUIfacePattern is a regular expression that controls which interfaces Felix should scan in order to calculate
        the host's MTU."
      - Sets C(spec.mtuIfacePattern).
    type: str
  floating_ips:
    description:
      - "FloatingIPs configures whether or not Felix will program non-OpenStack floating IP addresses."
      - Sets C(spec.floatingIPs).
      - The alias O(floating_i_ps) is deprecated and will be removed in version 2.0.0.
    type: str
    choices: [Enabled, Disabled]
    aliases: [floating_i_ps]
  windows_manage_firewall_rules:
    description:
      - "WindowsManageFirewallRules configures whether or not Felix will program Windows Firewall rules (to allow
        inbound access to its own metrics ports)."
      - Sets C(spec.windowsManageFirewallRules).
    type: str
    choices: [Enabled, Disabled]
  go_gc_threshold:
    description:
      - "GoGCThreshold Sets the Go runtime's garbage collection threshold."
      - Sets C(spec.goGCThreshold).
    type: int
  go_memory_limit_mb:
    description:
      - "GoMemoryLimitMB sets a (soft) memory limit for the Go runtime in MB."
      - Sets C(spec.goMemoryLimitMB).
    type: int
  go_max_procs:
    description:
      - "GoMaxProcs sets the maximum number of CPUs that the Go runtime will use concurrently."
      - Sets C(spec.goMaxProcs).
    type: int
  require_mtu_file:
    description:
      - "RequireMTUFile specifies whether mtu file is required to start the felix."
      - Sets C(spec.requireMTUFile).
    type: bool
  # END GENERATED OPTIONS
"""

EXAMPLES = r"""
- name: Cluster-wide Felix settings
  netops.calico.calico_felix_config:
    log_severity_screen: Warning
    prometheus_metrics_enabled: true
    iptables_refresh_interval: 90s

- name: One node logs at debug level
  netops.calico.calico_felix_config:
    name: node.worker-7
    log_severity_screen: Debug
"""

RETURN = r"""
felix_configuration:
  description: The resource after the task (what would be written, in check mode); null when absent.
  returned: always
  type: dict
"""

from ansible_collections.netops.calico.plugins.module_utils._calico import felixconfig
from ansible_collections.netops.calico.plugins.module_utils._resource.specmodule import run_spec_module


def main() -> None:
    run_spec_module("FelixConfiguration", name_default="default", result_key="felix_configuration",
                    defaults=felixconfig.default_felixconfiguration_spec)


if __name__ == "__main__":
    main()
