# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Field tables for the Calico v3 resources and IPAM objects that we write into etcd.

Everything here is copied from the Go structs of projectcalico/calico at tag v3.31.7: field
order is Go struct order (= encoding/json output order), ``omitempty`` is what encoding/json
actually does, enums come from ``validate:`` tags, libcalico-go validator regexes or
``+kubebuilder`` markers, and ``doc`` is the first sentence of the Go doc comment.

Surprising things found while reading the source (v3.31.7 unless stated):

* ``FelixConfigurationSpec.bpfLogLevel`` is ``json:"bpfLogLevel"`` with NO omitempty (still so on
  v3.32 and main), so every stored FelixConfiguration carries ``"bpfLogLevel":""`` when unset.
  The only other top-level spec fields without omitempty are ``IPPool.spec.cidr`` and
  ``KubeControllersConfiguration.spec.controllers``. Nested structs have several (ProtoPort.port,
  HealthTimeoutOverride.name/timeout, RouteTableRange min/max, EndpointPort and
  WorkloadEndpointPort name/protocol/port[/hostPort/hostIP], IPNAT internalIP/externalIP,
  NodeAddress.address, OrchRef.orchestrator, SecretKeySelector.key); see ``fill_go_zero``.
* encoding/json never omits a non-pointer struct, whatever the tag says. So ``metadata`` and
  ``spec`` are always written; ``Node`` always has ``"status":{}`` (NodeStatus is a value, not a
  pointer); ``KubeControllersConfiguration`` always has
  ``"status":{"runningConfig":{"controllers":{}}}`` and ``spec.controllers`` is always present.
  ``Field.omitempty`` here is the *effective* flag (False for such structs; see the comments).
* Almost every FelixConfiguration field is a pointer (``*bool``, ``*int``, ``*metav1.Duration``,
  even ``*[]ProtoPort``/``*map``): an explicit ``false``/``0``/``""``/``[]`` is kept and written,
  only "unset" (None) is omitted. ``Field.pointer`` marks these.
* ``metav1.Duration`` is written with Go's ``time.Duration.String()``: ``"90s"`` is stored as
  ``"1m30s"``, ``"1h"`` as ``"1h0m0s"``, ``"0"`` as ``"0s"``; it must be a JSON string on input.
  Use ``go_duration``.
* ``numorstring.Port``/``Protocol``/``DSCP`` are int-or-string: ``"8080"`` is stored as the
  number 8080, ``"100:200"`` stays a string, a named port stays a string (type ``"int_or_str"``,
  an addition to the str/bool/int/duration/list/dict/object vocabulary). ``numorstring.ASNumber``
  is a plain uint32: always a JSON number (``"1.10"`` dotted input is 65546).
* Node and WorkloadEndpoint are not in the public api module: they live in
  libcalico-go/lib/apis/v3/{node,workloadendpoint}.go for v3.31 and moved to
  libcalico-go/lib/apis/internalapi/ in v3.32 (same fields).
* IPAM (v3.31): every AllocationBlock field except ``hostAffinity`` lacks omitempty, and so do
  both AllocationAttribute fields, so ``{"handle_id":null,"secondary":null}`` is possible; a new
  block is written with ``"attributes":null``. v3.32 added omitempty to the attribute fields and
  new fields (see the IPAM section).
* Defaulting is not only for IPPool: FelixConfiguration Create/Update always sets
  ``floatingIPs``, ``bpfConnectTimeLoadBalancing`` and ``bpfHostNetworkedNATWithoutCTLB``;
  KubeControllersConfiguration sets ``prometheusMetricsPort`` and more. Defaulting and validation
  live in ``_calico/`` (this file is data only); Go value formatting in ``govalues.py``. The
  IPPool path also normalises ``cidr`` to its masked canonical form.
* Upstream oddities copied as-is: validateIPPoolSpec rejects LoadBalancer pools with
  ``disableBGPExport: true`` although its message says "must have DisableBGPExport set to true";
  both-IPIP-and-VXLAN gives the message "...cannot be enabled on LoadBalancer IP pool"; the
  update check says "LoadBalacer"; KubeControllersConfiguration's template ``nodeSelector``
  default ("all()") is assigned to a range-loop copy and so is never stored.
"""

# Upstream sources read (github.com/projectcalico/calico, tag v3.31.7 = commit
# 94bd1d5b0e04459d4d1c83653e0335a9201248b8; differences checked against v3.32.1 =
# 0ca9d1b93644778cafdf1812f3dda02ac0c361e8 and main = 87c15906f20c4ca1fda55af92295e7678b0cc0b2):
#   api/pkg/apis/projectcalico/v3/ippool.go, felixconfig.go, bgpconfig.go, bgppeer.go,
#       clusterinfo.go, hostendpoint.go, kubecontrollersconfig.go
#   api/pkg/lib/numorstring/{asnumber,port,protocol,dscp,uint8orstring,type}.go
#   libcalico-go/lib/apis/v3/node.go, workloadendpoint.go  (internalapi/ from v3.32)
#   libcalico-go/lib/backend/model/block.go, block_affinity.go, ipam_handle.go, ipam_config.go
#   libcalico-go/lib/clientv3/ippool.go, felixconfig.go, kubecontrollersconfig.go, bgpconfig.go
#   libcalico-go/lib/validator/v3/validator.go (regexes lines 92-122, validateIPPoolSpec 1127-1282)
#   libcalico-go/lib/ipam/ipam_block.go (newBlock), ipam_block_reader_writer.go
#   k8s.io/api v0.33.13 core/v1/types.go (SecretKeySelector, LocalObjectReference)
#   k8s.io/apimachinery v0.33.13 pkg/apis/meta/v1/duration.go (Duration.MarshalJSON)
# Enum provenance: validate:"oneof=..." tags; named validators (logLevel, bpfLogLevel,
# iptablesBackend, dropAcceptReturn, acceptReturn, dropReject, ipIpMode, vxlanMode,
# assignmentMode, assignIPs, bpfServiceMode, sourceAddress, ipType, createDefaultHostEndpoint)
# resolved through validator.go; +kubebuilder:validation:Enum on the field or its type; CRD
# patterns of the form ^(?i)(A|B)?$ (case-insensitive: noted per field). Values the Go code
# writes are the canonical spellings listed. ``default_doc`` is the "[Default: ...]" text of the
# Go comment (documentation only: Felix applies these at runtime, nothing stores them).

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Field:
    """One JSON field of a Go struct, in struct order."""

    json: str
    type: str
    omitempty: bool          # effective: False when Go always writes the field
    enum: tuple[str, ...] | None = None   # for "list" fields: allowed item values
    doc: str = ""
    fields: tuple[Field, ...] | None = None  # nested struct (or list item struct) fields
    pointer: bool = False    # Go pointer: None = omitted, any other value (even zero) written
    go_type: str = ""        # Go type as declared, e.g. "*metav1.Duration"
    default_doc: str = ""    # "[Default: ...]" from the Go comment, documentation only

    def go_zero(self) -> Any:
        """The JSON value encoding/json writes for this field's Go zero value."""
        t = self.go_type
        if self.pointer or t.startswith(("[]", "map[")):
            return None
        if t == "metav1.Time":
            return None                      # Time.MarshalJSON writes null for the zero time
        if t == "net.IPNet":
            return "<nil>"                   # net.IPNet{}.String()
        if self.type == "object":
            return {f.json: f.go_zero() for f in (self.fields or ()) if not f.omitempty}
        return {"str": "", "bool": False, "int": 0, "duration": "0s", "int_or_str": 0}.get(self.type)


# ---------------------------------------------------------------------------------------------
# Field tables (generated by reading the Go structs; order matters)

# IPIPConfiguration (api/pkg/apis/projectcalico/v3/ippool.go)
_IPIP_CONFIGURATION: tuple[Field, ...] = (
    Field("enabled", "bool", True, go_type="bool",
          doc=("When enabled is true, ipip tunneling will be used to deliver packets to destinations "
               "within this pool.")),
    # mode: APIv1 EncapMode: "always" | "cross-subnet"; parent must be nil
    Field("mode", "str", True, go_type="EncapMode",
          doc="The IPIP mode."),
)

# IPPoolSpec (api/pkg/apis/projectcalico/v3/ippool.go)
IPPOOL_SPEC_FIELDS: tuple[Field, ...] = (
    # cidr: NO omitempty: always serialised, zero value when unset
    Field("cidr", "str", False, go_type="string",
          doc="The pool CIDR."),
    Field("vxlanMode", "str", True, enum=("Always", "CrossSubnet", "Never"), go_type="VXLANMode",
          doc="Contains configuration for VXLAN tunneling for this pool."),
    Field("ipipMode", "str", True, enum=("Always", "CrossSubnet", "Never"), go_type="IPIPMode",
          doc="Contains configuration for IPIP tunneling for this pool."),
    Field("natOutgoing", "bool", True, go_type="bool",
          doc=("When natOutgoing is true, packets sent from Calico networked containers in this pool to "
               "destinations outside of this pool will be masqueraded.")),
    Field("disabled", "bool", True, go_type="bool",
          doc="When disabled is true, Calico IPAM will not assign addresses from this pool."),
    Field("disableBGPExport", "bool", True, go_type="bool", default_doc="false",
          doc="Disable exporting routes from this IP Pool's CIDR over BGP."),
    Field("blockSize", "int", True, go_type="int",
          doc="The block size to use for IP address assignments from this pool."),
    Field("nodeSelector", "str", True, go_type="string",
          doc="Allows IPPool to allocate for a specific node by label selector."),
    Field("namespaceSelector", "str", True, go_type="string",
          doc="Allows IPPool to allocate for a specific namespace by label selector."),
    Field("ipip", "object", True, fields=_IPIP_CONFIGURATION, pointer=True, go_type="*IPIPConfiguration",
          doc="Deprecated: this field is only used for APIv1 backwards compatibility."),
    Field("nat-outgoing", "bool", True, go_type="bool",
          doc="Deprecated: this field is only used for APIv1 backwards compatibility."),
    # allowedUses: enum applies to each list item (validateIPPoolSpec switch)
    Field("allowedUses", "list", True, enum=("Workload", "Tunnel", "LoadBalancer"),
          go_type="[]IPPoolAllowedUse",
          doc="AllowedUse controls what the IP pool will be used for."),
    Field("assignmentMode", "str", True, enum=("Automatic", "Manual"), pointer=True,
          go_type="*AssignmentMode",
          doc="Determines the mode how IP addresses should be assigned from this pool"),
)

# HealthTimeoutOverride (api/pkg/apis/projectcalico/v3/felixconfig.go)
_HEALTH_TIMEOUT_OVERRIDE: tuple[Field, ...] = (
    # name: NO omitempty: always serialised, zero value when unset
    Field("name", "str", False, go_type="string"),
    # timeout: NO omitempty: always serialised, zero value when unset
    Field("timeout", "duration", False, go_type="metav1.Duration"),
)

# ProtoPort (api/pkg/apis/projectcalico/v3/felixconfig.go)
_PROTO_PORT: tuple[Field, ...] = (
    Field("protocol", "str", True, go_type="string"),
    # port: NO omitempty: always serialised, zero value when unset
    Field("port", "int", False, go_type="uint16"),
    Field("net", "str", True, go_type="string"),
)

# BPFConntrackTimeouts (api/pkg/apis/projectcalico/v3/felixconfig.go)
_BPF_CONNTRACK_TIMEOUTS: tuple[Field, ...] = (
    Field("creationGracePeriod", "str", True, pointer=True, go_type="*BPFConntrackTimeout",
          default_doc="10s",
          doc=("CreationGracePeriod gives a generic grace period to new connections before they are "
               "considered for cleanup [Default: 10s].")),
    Field("tcpSynSent", "str", True, pointer=True, go_type="*BPFConntrackTimeout", default_doc="20s",
          doc=("TCPSynSent controls how long it takes before considering this entry for cleanup after "
               "the last SYN without a response.")),
    Field("tcpEstablished", "str", True, pointer=True, go_type="*BPFConntrackTimeout", default_doc="1h",
          doc=("TCPEstablished controls how long it takes before considering this entry for cleanup "
               "after the connection became idle.")),
    Field("tcpFinsSeen", "str", True, pointer=True, go_type="*BPFConntrackTimeout", default_doc="Auto",
          doc=("TCPFinsSeen controls how long it takes before considering this entry for cleanup after "
               "the connection was closed gracefully.")),
    Field("tcpResetSeen", "str", True, pointer=True, go_type="*BPFConntrackTimeout", default_doc="40s",
          doc=("TCPResetSeen controls how long it takes before considering this entry for cleanup after "
               "the connection was aborted.")),
    Field("udpTimeout", "str", True, pointer=True, go_type="*BPFConntrackTimeout", default_doc="60s",
          doc=("UDPTimeout controls how long it takes before considering this entry for cleanup after "
               "the connection became idle.")),
    Field("genericTimeout", "str", True, pointer=True, go_type="*BPFConntrackTimeout", default_doc="10m",
          doc=("GenericTimeout controls how long it takes before considering this entry for cleanup "
               "after the connection became idle.")),
    Field("icmpTimeout", "str", True, pointer=True, go_type="*BPFConntrackTimeout", default_doc="5s",
          doc=("ICMPTimeout controls how long it takes before considering this entry for cleanup after "
               "the connection became idle.")),
)

# RouteTableIDRange (api/pkg/apis/projectcalico/v3/felixconfig.go)
_ROUTE_TABLEID_RANGE: tuple[Field, ...] = (
    # min: NO omitempty: always serialised, zero value when unset
    Field("min", "int", False, go_type="int"),
    # max: NO omitempty: always serialised, zero value when unset
    Field("max", "int", False, go_type="int"),
)

# RouteTableRange (api/pkg/apis/projectcalico/v3/felixconfig.go)
_ROUTE_TABLE_RANGE: tuple[Field, ...] = (
    # min: NO omitempty: always serialised, zero value when unset
    Field("min", "int", False, go_type="int"),
    # max: NO omitempty: always serialised, zero value when unset
    Field("max", "int", False, go_type="int"),
)

# FelixConfigurationSpec (api/pkg/apis/projectcalico/v3/felixconfig.go)
FELIXCONFIGURATION_SPEC_FIELDS: tuple[Field, ...] = (
    Field("useInternalDataplaneDriver", "bool", True, pointer=True, go_type="*bool",
          doc=("UseInternalDataplaneDriver, if true, Felix will use its internal dataplane programming "
               "logic.")),
    Field("dataplaneDriver", "str", True, go_type="string",
          doc="DataplaneDriver filename of the external dataplane driver to use."),
    Field("dataplaneWatchdogTimeout", "duration", True, pointer=True, go_type="*metav1.Duration",
          doc=("DataplaneWatchdogTimeout is the readiness/liveness timeout used for Felix's (internal) "
               "dataplane driver.")),
    Field("ipv6Support", "bool", True, pointer=True, go_type="*bool",
          doc=("IPv6Support controls whether Felix enables support for IPv6 (if supported by the in-use "
               "dataplane).")),
    Field("routeRefreshInterval", "duration", True, pointer=True, go_type="*metav1.Duration",
          default_doc="90s",
          doc=("RouteRefreshInterval is the period at which Felix re-checks the routes in the dataplane "
               "to ensure that no other process has accidentally broken Calico's rules.")),
    Field("interfaceRefreshInterval", "duration", True, pointer=True, go_type="*metav1.Duration",
          doc=("InterfaceRefreshInterval is the period at which Felix rescans local interfaces to verify"
               " their state.")),
    Field("iptablesRefreshInterval", "duration", True, pointer=True, go_type="*metav1.Duration",
          default_doc="10s",
          doc=("IptablesRefreshInterval is the period at which Felix re-checks the IP sets in the "
               "dataplane to ensure that no other process has accidentally broken Calico's rules.")),
    Field("iptablesPostWriteCheckInterval", "duration", True, pointer=True, go_type="*metav1.Duration",
          default_doc="1s",
          doc=("IptablesPostWriteCheckInterval is the period after Felix has done a write to the "
               "dataplane that it schedules an extra read back in order to check the write was not "
               "clobbered by another process.")),
    Field("iptablesLockFilePath", "str", True, go_type="string", default_doc="/run/xtables.lock",
          doc="IptablesLockFilePath is the location of the iptables lock file."),
    Field("iptablesLockTimeout", "duration", True, pointer=True, go_type="*metav1.Duration",
          default_doc="0s disabled",
          doc=("IptablesLockTimeout is the time that Felix itself will wait for the iptables lock "
               "(rather than delegating the lock handling to the `iptables` command).")),
    Field("iptablesLockProbeInterval", "duration", True, pointer=True, go_type="*metav1.Duration",
          default_doc="50ms",
          doc=("IptablesLockProbeInterval when IptablesLockTimeout is enabled: the time that Felix will "
               "wait between attempts to acquire the iptables lock if it is not available.")),
    Field("featureDetectOverride", "str", True, go_type="string",
          doc=("FeatureDetectOverride is used to override feature detection based on auto-detected "
               "platform capabilities.")),
    Field("featureGates", "str", True, go_type="string",
          doc="FeatureGates is used to enable or disable tech-preview Calico features."),
    Field("ipsetsRefreshInterval", "duration", True, pointer=True, go_type="*metav1.Duration",
          default_doc="90s",
          doc=("IpsetsRefreshInterval controls the period at which Felix re-checks all IP sets to look "
               "for discrepancies.")),
    Field("maxIpsetSize", "int", True, pointer=True, go_type="*int",
          doc="MaxIpsetSize is the maximum number of IP addresses that can be stored in an IP set."),
    Field("iptablesBackend", "str", True, enum=("Auto", "NFT", "Legacy"), pointer=True,
          go_type="*IptablesBackend",
          doc="IptablesBackend controls which backend of iptables will be used."),
    Field("xdpRefreshInterval", "duration", True, pointer=True, go_type="*metav1.Duration",
          default_doc="90s",
          doc=("XDPRefreshInterval is the period at which Felix re-checks all XDP state to ensure that "
               "no other process has accidentally broken Calico's BPF maps or attached programs.")),
    Field("netlinkTimeout", "duration", True, pointer=True, go_type="*metav1.Duration", default_doc="10s",
          doc=("NetlinkTimeout is the timeout when talking to the kernel over the netlink protocol, used"
               " for programming routes, rules, and other kernel objects.")),
    Field("metadataAddr", "str", True, go_type="string", default_doc="127.0.0.1",
          doc=("MetadataAddr is the IP address or domain name of the server that can answer VM queries "
               "for cloud-init metadata.")),
    Field("metadataPort", "int", True, pointer=True, go_type="*int", default_doc="8775",
          doc="MetadataPort is the port of the metadata server."),
    Field("openstackRegion", "str", True, go_type="string", default_doc="Empty",
          doc="OpenstackRegion is the name of the region that a particular Felix belongs to."),
    Field("interfacePrefix", "str", True, go_type="string", default_doc="cali",
          doc=("InterfacePrefix is the interface name prefix that identifies workload endpoints and so "
               "distinguishes them from host endpoint interfaces.")),
    Field("interfaceExclude", "str", True, go_type="string", default_doc="kube-ipvs0",
          doc=("InterfaceExclude A comma-separated list of interface names that should be excluded when "
               "Felix is resolving host endpoints.")),
    # chainInsertMode: enum from CRD Pattern ^(?i)(...)?$: case-insensitive
    Field("chainInsertMode", "str", True, enum=("Insert", "Append"), go_type="string", default_doc="insert",
          doc=("ChainInsertMode controls whether Felix hooks the kernel's top-level iptables chains by "
               "inserting a rule at the top of the chain or by appending a rule at the bottom.")),
    Field("defaultEndpointToHostAction", "str", True, enum=("Drop", "Accept", "Return"), go_type="string",
          default_doc="Drop",
          doc=("DefaultEndpointToHostAction controls what happens to traffic that goes from a workload "
               "endpoint to the host itself (after the endpoint's egress policy is applied).")),
    Field("iptablesFilterAllowAction", "str", True, enum=("Accept", "Return"), go_type="string",
          doc=("IptablesFilterAllowAction controls what happens to traffic that is accepted by a Felix "
               'policy chain in the iptables filter table (which is used for "normal" policy).')),
    Field("iptablesMangleAllowAction", "str", True, enum=("Accept", "Return"), go_type="string",
          doc=("IptablesMangleAllowAction controls what happens to traffic that is accepted by a Felix "
               'policy chain in the iptables mangle table (which is used for "pre-DNAT" policy).')),
    Field("iptablesFilterDenyAction", "str", True, enum=("Drop", "Reject"), go_type="string",
          doc=("IptablesFilterDenyAction controls what happens to traffic that is denied by network "
               "policy.")),
    Field("logPrefix", "str", True, go_type="string", default_doc="calico-packet",
          doc="LogPrefix is the log prefix that Felix uses when rendering LOG rules."),
    Field("logActionRateLimit", "str", True, pointer=True, go_type="*string",
          doc="LogActionRateLimit sets the rate of hitting a Log action."),
    Field("logActionRateLimitBurst", "int", True, pointer=True, go_type="*int",
          doc=("LogActionRateLimitBurst sets the rate limit burst of hitting a Log action when "
               "LogActionRateLimit is enabled.")),
    Field("logFilePath", "str", True, go_type="string", default_doc="/var/log/calico/felix.log",
          doc="LogFilePath is the full path to the Felix log."),
    Field("logSeverityFile", "str", True, enum=("Trace", "Debug", "Info", "Warning", "Error", "Fatal"),
          go_type="string", default_doc="Info",
          doc="LogSeverityFile is the log severity above which logs are sent to the log file."),
    Field("logSeverityScreen", "str", True, enum=("Trace", "Debug", "Info", "Warning", "Error", "Fatal"),
          go_type="string", default_doc="Info",
          doc="LogSeverityScreen is the log severity above which logs are sent to the stdout."),
    Field("logSeveritySys", "str", True, enum=("Trace", "Debug", "Info", "Warning", "Error", "Fatal"),
          go_type="string", default_doc="Info",
          doc="LogSeveritySys is the log severity above which logs are sent to the syslog."),
    Field("logDebugFilenameRegex", "str", True, go_type="string",
          doc=("LogDebugFilenameRegex controls which source code files have their Debug log output "
               "included in the logs.")),
    Field("ipipEnabled", "bool", True, pointer=True, go_type="*bool", default_doc="nil (unset)",
          doc="IPIPEnabled overrides whether Felix should configure an IPIP interface on the host."),
    Field("ipipMTU", "int", True, pointer=True, go_type="*int", default_doc="0 (auto-detect)",
          doc="IPIPMTU controls the MTU to set on the IPIP tunnel device."),
    Field("vxlanEnabled", "bool", True, pointer=True, go_type="*bool", default_doc="nil (unset)",
          doc=("VXLANEnabled overrides whether Felix should create the VXLAN tunnel device for IPv4 "
               "VXLAN networking.")),
    Field("vxlanMTU", "int", True, pointer=True, go_type="*int", default_doc="0 (auto-detect)",
          doc="VXLANMTU is the MTU to set on the IPv4 VXLAN tunnel device."),
    Field("vxlanMTUV6", "int", True, pointer=True, go_type="*int", default_doc="0 (auto-detect)",
          doc="VXLANMTUV6 is the MTU to set on the IPv6 VXLAN tunnel device."),
    Field("vxlanPort", "int", True, pointer=True, go_type="*int", default_doc="4789",
          doc="VXLANPort is the UDP port number to use for VXLAN traffic."),
    Field("vxlanVNI", "int", True, pointer=True, go_type="*int", default_doc="4096",
          doc="VXLANVNI is the VXLAN VNI to use for VXLAN traffic."),
    Field("allowVXLANPacketsFromWorkloads", "bool", True, pointer=True, go_type="*bool",
          default_doc="false",
          doc=("AllowVXLANPacketsFromWorkloads controls whether Felix will add a rule to drop VXLAN "
               "encapsulated traffic from workloads.")),
    Field("allowIPIPPacketsFromWorkloads", "bool", True, pointer=True, go_type="*bool", default_doc="false",
          doc=("AllowIPIPPacketsFromWorkloads controls whether Felix will add a rule to drop IPIP "
               "encapsulated traffic from workloads.")),
    Field("reportingInterval", "duration", True, pointer=True, go_type="*metav1.Duration",
          default_doc="30s",
          doc=("ReportingInterval is the interval at which Felix reports its status into the datastore "
               "or 0 to disable.")),
    Field("reportingTTL", "duration", True, pointer=True, go_type="*metav1.Duration", default_doc="90s",
          doc="ReportingTTL is the time-to-live setting for process-wide status reports."),
    Field("endpointReportingEnabled", "bool", True, pointer=True, go_type="*bool", default_doc="false",
          doc="EndpointReportingEnabled controls whether Felix reports endpoint status to the datastore."),
    Field("endpointReportingDelay", "duration", True, pointer=True, go_type="*metav1.Duration",
          default_doc="1s",
          doc="EndpointReportingDelay is the delay before Felix reports endpoint status to the datastore."),
    Field("endpointStatusPathPrefix", "str", True, go_type="string", default_doc="/var/run/calico",
          doc=("EndpointStatusPathPrefix is the path to the directory where endpoint status will be "
               "written.")),
    Field("iptablesMarkMask", "int", True, pointer=True, go_type="*uint32", default_doc="0xffff0000",
          doc="IptablesMarkMask is the mask that Felix selects its IPTables Mark bits from."),
    Field("disableConntrackInvalidCheck", "bool", True, pointer=True, go_type="*bool",
          doc="DisableConntrackInvalidCheck disables the check for invalid connections in conntrack."),
    Field("healthEnabled", "bool", True, pointer=True, go_type="*bool", default_doc="false",
          doc=("HealthEnabled if set to true, enables Felix's health port, which provides readiness and "
               "liveness endpoints.")),
    Field("healthHost", "str", True, pointer=True, go_type="*string", default_doc="localhost",
          doc="HealthHost is the host that the health server should bind to."),
    Field("healthPort", "int", True, pointer=True, go_type="*int", default_doc="9099",
          doc="HealthPort is the TCP port that the health server should bind to."),
    Field("healthTimeoutOverrides", "list", True, fields=_HEALTH_TIMEOUT_OVERRIDE,
          go_type="[]HealthTimeoutOverride",
          doc=("HealthTimeoutOverrides allows the internal watchdog timeouts of individual subcomponents"
               " to be overridden.")),
    Field("prometheusMetricsEnabled", "bool", True, pointer=True, go_type="*bool", default_doc="false",
          doc="PrometheusMetricsEnabled enables the Prometheus metrics server in Felix if set to true."),
    Field("prometheusMetricsHost", "str", True, go_type="string", default_doc="empty",
          doc="PrometheusMetricsHost is the host that the Prometheus metrics server should bind to."),
    Field("prometheusMetricsPort", "int", True, pointer=True, go_type="*int", default_doc="9091",
          doc="PrometheusMetricsPort is the TCP port that the Prometheus metrics server should bind to."),
    Field("prometheusGoMetricsEnabled", "bool", True, pointer=True, go_type="*bool", default_doc="true",
          doc=("PrometheusGoMetricsEnabled disables Go runtime metrics collection, which the Prometheus "
               "client does by default, when set to false.")),
    Field("prometheusProcessMetricsEnabled", "bool", True, pointer=True, go_type="*bool",
          default_doc="true",
          doc=("PrometheusProcessMetricsEnabled disables process metrics collection, which the "
               "Prometheus client does by default, when set to false.")),
    Field("prometheusWireGuardMetricsEnabled", "bool", True, pointer=True, go_type="*bool",
          default_doc="true",
          doc=("PrometheusWireGuardMetricsEnabled disables wireguard metrics collection, which the "
               "Prometheus client does by default, when set to false.")),
    Field("failsafeInboundHostPorts", "list", True, fields=_PROTO_PORT, pointer=True,
          go_type="*[]ProtoPort",
          default_doc="tcp:22, udp:68, tcp:179, tcp:2379, tcp:2380, tcp:5473, tcp:6443, tcp:6666, tcp:6667",
          doc=("FailsafeInboundHostPorts is a list of ProtoPort struct objects including UDP/TCP/SCTP "
               "ports and CIDRs that Felix will allow incoming traffic to host endpoints on irrespective"
               " of the security policy.")),
    Field("failsafeOutboundHostPorts", "list", True, fields=_PROTO_PORT, pointer=True,
          go_type="*[]ProtoPort",
          default_doc="udp:53, udp:67, tcp:179, tcp:2379, tcp:2380, tcp:5473, tcp:6443, tcp:6666, tcp:6667",
          doc=("FailsafeOutboundHostPorts is a list of PortProto struct objects including UDP/TCP/SCTP "
               "ports and CIDRs that Felix will allow outgoing traffic from host endpoints to "
               "irrespective of the security policy.")),
    Field("kubeNodePortRanges", "list", True, pointer=True, go_type="*[]numorstring.Port",
          default_doc="30000:32767",
          doc="KubeNodePortRanges holds list of port ranges used for service node ports."),
    Field("policySyncPathPrefix", "str", True, go_type="string", default_doc="Empty",
          doc=("PolicySyncPathPrefix is used to by Felix to communicate policy changes to external "
               "services, like Application layer policy.")),
    Field("usageReportingEnabled", "bool", True, pointer=True, go_type="*bool", default_doc="true",
          doc=("UsageReportingEnabled reports anonymous Calico version number and cluster size to "
               "projectcalico.org.")),
    Field("usageReportingInitialDelay", "duration", True, pointer=True, go_type="*metav1.Duration",
          default_doc="300s",
          doc="UsageReportingInitialDelay controls the minimum delay before Felix makes a report."),
    Field("usageReportingInterval", "duration", True, pointer=True, go_type="*metav1.Duration",
          default_doc="86400s",
          doc="UsageReportingInterval controls the interval at which Felix makes reports."),
    Field("natPortRange", "int_or_str", True, pointer=True, go_type="*numorstring.Port",
          doc=("NATPortRange specifies the range of ports that is used for port mapping when doing "
               "outgoing NAT.")),
    Field("natOutgoingAddress", "str", True, go_type="string",
          doc=("NATOutgoingAddress specifies an address to use when performing source NAT for traffic in"
               " a natOutgoing pool that is leaving the network.")),
    Field("natOutgoingExclusions", "str", True, enum=("IPPoolsOnly", "IPPoolsAndHostIPs"), pointer=True,
          go_type="*NATOutgoingExclusionsType", default_doc="IPPoolsOnly",
          doc=("When a IP pool setting `natOutgoing` is true, packets sent from Calico networked "
               "containers in this IP pool to destinations will be masqueraded.")),
    Field("deviceRouteSourceAddress", "str", True, go_type="string",
          doc=("DeviceRouteSourceAddress IPv4 address to set as the source hint for routes programmed by"
               " Felix.")),
    Field("deviceRouteSourceAddressIPv6", "str", True, go_type="string",
          doc=("DeviceRouteSourceAddressIPv6 IPv6 address to set as the source hint for routes "
               "programmed by Felix.")),
    Field("deviceRouteProtocol", "int", True, pointer=True, go_type="*int",
          doc="DeviceRouteProtocol controls the protocol to set on routes programmed by Felix."),
    Field("removeExternalRoutes", "bool", True, pointer=True, go_type="*bool",
          doc=("RemoveExternalRoutes Controls whether Felix will remove unexpected routes to workload "
               "interfaces.")),
    Field("programClusterRoutes", "str", True, enum=("Enabled", "Disabled"), pointer=True,
          go_type="*string", default_doc="Disabled",
          doc="ProgramClusterRoutes specifies whether Felix should program IPIP routes instead of BIRD."),
    Field("ipForwarding", "str", True, enum=("Enabled", "Disabled"), go_type="string",
          default_doc="Enabled",
          doc="IPForwarding controls whether Felix sets the host sysctls to enable IP forwarding."),
    Field("externalNodesList", "list", True, pointer=True, go_type="*[]string",
          doc=("ExternalNodesCIDRList is a list of CIDR's of external, non-Calico nodes from which "
               "VXLAN/IPIP overlay traffic will be allowed.")),
    Field("debugMemoryProfilePath", "str", True, go_type="string",
          doc=("DebugMemoryProfilePath is the path to write the memory profile to when triggered by "
               "signal.")),
    Field("debugDisableLogDropping", "bool", True, pointer=True, go_type="*bool", default_doc="false",
          doc="DebugDisableLogDropping disables the dropping of log messages when the log buffer is full."),
    Field("debugSimulateCalcGraphHangAfter", "duration", True, pointer=True, go_type="*metav1.Duration",
          doc=("DebugSimulateCalcGraphHangAfter is used to simulate a hang in the calculation graph "
               "after the specified duration.")),
    Field("debugSimulateDataplaneHangAfter", "duration", True, pointer=True, go_type="*metav1.Duration",
          doc=("DebugSimulateDataplaneHangAfter is used to simulate a hang in the dataplane after the "
               "specified duration.")),
    Field("debugSimulateDataplaneApplyDelay", "duration", True, pointer=True, go_type="*metav1.Duration",
          doc="DebugSimulateDataplaneApplyDelay adds an artificial delay to every dataplane operation."),
    Field("debugHost", "str", True, pointer=True, go_type="*string", default_doc="localhost",
          doc="DebugHost is the host IP or hostname to bind the debug port to."),
    Field("debugPort", "int", True, pointer=True, go_type="*int",
          doc=("DebugPort if set, enables Felix's debug HTTP port, which allows memory and CPU profiles "
               "to be retrieved.")),
    Field("iptablesNATOutgoingInterfaceFilter", "str", True, go_type="string",
          doc=("This parameter can be used to limit the host interfaces on which Calico will apply SNAT "
               'to traffic leaving a Calico IPAM pool with "NAT outgoing" enabled.')),
    Field("sidecarAccelerationEnabled", "bool", True, pointer=True, go_type="*bool", default_doc="false",
          doc="SidecarAccelerationEnabled enables experimental sidecar acceleration [Default: false]"),
    Field("xdpEnabled", "bool", True, pointer=True, go_type="*bool", default_doc="true",
          doc="XDPEnabled enables XDP acceleration for suitable untracked incoming deny rules."),
    Field("genericXDPEnabled", "bool", True, pointer=True, go_type="*bool", default_doc="false",
          doc=("GenericXDPEnabled enables Generic XDP so network cards that don't support XDP offload or"
               " driver modes can use XDP.")),
    Field("nftablesMode", "str", True, enum=("Disabled", "Enabled", "Auto"), pointer=True,
          go_type="*NFTablesMode", default_doc="Disabled",
          doc="NFTablesMode configures nftables support in Felix."),
    Field("nftablesRefreshInterval", "duration", True, pointer=True, go_type="*metav1.Duration",
          default_doc="90s",
          doc=("NftablesRefreshInterval controls the interval at which Felix periodically refreshes the "
               "nftables rules.")),
    Field("nftablesFilterAllowAction", "str", True, enum=("Accept", "Return"), go_type="string",
          doc=("NftablesFilterAllowAction controls the nftables action that Felix uses to represent the "
               '"allow" policy verdict in the filter table.')),
    Field("nftablesMangleAllowAction", "str", True, enum=("Accept", "Return"), go_type="string",
          doc=("NftablesMangleAllowAction controls the nftables action that Felix uses to represent the "
               '"allow" policy verdict in the mangle table.')),
    Field("nftablesFilterDenyAction", "str", True, enum=("Drop", "Reject"), go_type="string",
          doc=("NftablesFilterDenyAction controls what happens to traffic that is denied by network "
               "policy.")),
    Field("nftablesMarkMask", "int", True, pointer=True, go_type="*uint32", default_doc="0xffff0000",
          doc="NftablesMarkMask is the mask that Felix selects its nftables Mark bits from."),
    Field("bpfEnabled", "bool", True, pointer=True, go_type="*bool", default_doc="false",
          doc="BPFEnabled, if enabled Felix will use the BPF dataplane."),
    Field("bpfDisableUnprivileged", "bool", True, pointer=True, go_type="*bool", default_doc="true",
          doc=("BPFDisableUnprivileged, if enabled, Felix sets the kernel.unprivileged_bpf_disabled "
               "sysctl to disable unprivileged use of BPF.")),
    Field("bpfJITHardening", "str", True, enum=("Auto", "Strict"), pointer=True,
          go_type="*BPFJITHardeningType", default_doc="Auto",
          doc="BPFJITHardening controls BPF JIT hardening."),
    # bpfLogLevel: NO omitempty: always serialised, zero value when unset
    Field("bpfLogLevel", "str", False, enum=("Debug", "Info", "Off"), go_type="string", default_doc="Off",
          doc="BPFLogLevel controls the log level of the BPF programs when in BPF dataplane mode."),
    Field("bpfConntrackLogLevel", "str", True, enum=("Off", "Debug"), go_type="string", default_doc="Off",
          doc=("BPFConntrackLogLevel controls the log level of the BPF conntrack cleanup program, which "
               "runs periodically to clean up expired BPF conntrack entries.")),
    Field("bpfConntrackMode", "str", True, enum=("Auto", "Userspace", "BPFProgram"), pointer=True,
          go_type="*BPFConntrackMode", default_doc="Userspace",
          doc="BPFConntrackCleanupMode controls how BPF conntrack entries are cleaned up."),
    Field("bpfConntrackTimeouts", "object", True, fields=_BPF_CONNTRACK_TIMEOUTS, pointer=True,
          go_type="*BPFConntrackTimeouts",
          doc="BPFConntrackTimers overrides the default values for the specified conntrack timer if set."),
    Field("bpfLogFilters", "dict", True, pointer=True, go_type="*map[string]string",
          default_doc="unset - means all debug logs are emitted",
          doc=("BPFLogFilters is a map of key=values where the value is a pcap filter expression and the"
               " key is an interface name with 'all' denoting all interfaces, 'weps' all workload "
               "endpoints and 'heps' all host endpoints.")),
    Field("bpfCTLBLogFilter", "str", True, go_type="string",
          default_doc="unset - means logs are emitted when BPFLogLevel id debug and BPFLogFilters not set",
          doc=("BPFCTLBLogFilter specifies, what is logged by connect time load balancer when "
               "BPFLogLevel is debug.")),
    Field("bpfDataIfacePattern", "str", True, go_type="string",
          doc=("BPFDataIfacePattern is a regular expression that controls which interfaces Felix should "
               "attach BPF programs to in order to catch traffic to/from the network.")),
    Field("bpfL3IfacePattern", "str", True, go_type="string",
          doc=("BPFL3IfacePattern is a regular expression that allows to list tunnel devices like "
               "wireguard or vxlan (i.e., L3 devices) in addition to BPFDataIfacePattern.")),
    Field("bpfConnectTimeLoadBalancingEnabled", "bool", True, pointer=True, go_type="*bool",
          default_doc="true",
          doc=("BPFConnectTimeLoadBalancingEnabled when in BPF mode, controls whether Felix installs the"
               " connection-time load balancer.")),
    Field("bpfConnectTimeLoadBalancing", "str", True, enum=("TCP", "Enabled", "Disabled"), pointer=True,
          go_type="*BPFConnectTimeLBType", default_doc="TCP",
          doc=("BPFConnectTimeLoadBalancing when in BPF mode, controls whether Felix installs the "
               "connect-time load balancer.")),
    Field("bpfHostNetworkedNATWithoutCTLB", "str", True, enum=("Enabled", "Disabled"), pointer=True,
          go_type="*BPFHostNetworkedNATType", default_doc="Enabled",
          doc=("BPFHostNetworkedNATWithoutCTLB when in BPF mode, controls whether Felix does a NAT "
               "without CTLB.")),
    Field("bpfExternalServiceMode", "str", True, enum=("Tunnel", "DSR"), go_type="string",
          default_doc="Tunnel",
          doc=("BPFExternalServiceMode in BPF mode, controls how connections from outside the cluster to"
               " services (node ports and cluster IPs) are forwarded to remote workloads.")),
    Field("bpfDSROptoutCIDRs", "list", True, pointer=True, go_type="*[]string",
          doc="BPFDSROptoutCIDRs is a list of CIDRs which are excluded from DSR."),
    Field("bpfExtToServiceConnmark", "int", True, pointer=True, go_type="*int", default_doc="0",
          doc=("BPFExtToServiceConnmark in BPF mode, controls a 32bit mark that is set on connections "
               "from an external client to a local service.")),
    Field("bpfKubeProxyIptablesCleanupEnabled", "bool", True, pointer=True, go_type="*bool",
          default_doc="true",
          doc=("BPFKubeProxyIptablesCleanupEnabled, if enabled in BPF mode, Felix will proactively clean"
               " up the upstream Kubernetes kube-proxy's iptables chains.")),
    Field("bpfKubeProxyMinSyncPeriod", "duration", True, pointer=True, go_type="*metav1.Duration",
          default_doc="1s",
          doc=("BPFKubeProxyMinSyncPeriod, in BPF mode, controls the minimum time between updates to the"
               " dataplane for Felix's embedded kube-proxy.")),
    Field("bpfKubeProxyHealthzPort", "int", True, pointer=True, go_type="*int", default_doc="10256",
          doc=("BPFKubeProxyHealthzPort, in BPF mode, controls the port that Felix's embedded kube-proxy"
               " health check server binds to.")),
    Field("bpfKubeProxyEndpointSlicesEnabled", "bool", True, pointer=True, go_type="*bool",
          doc="BPFKubeProxyEndpointSlicesEnabled is deprecated and has no effect."),
    Field("bpfPSNATPorts", "int_or_str", True, pointer=True, go_type="*numorstring.Port",
          default_doc="20000:29999",
          doc=("BPFPSNATPorts sets the range from which we randomly pick a port if there is a source "
               "port collision.")),
    Field("bpfMapSizeNATFrontend", "int", True, pointer=True, go_type="*int",
          doc="BPFMapSizeNATFrontend sets the size for NAT front end map."),
    Field("bpfMapSizeNATBackend", "int", True, pointer=True, go_type="*int",
          doc="BPFMapSizeNATBackend sets the size for NAT back end map."),
    Field("bpfMapSizeNATAffinity", "int", True, pointer=True, go_type="*int",
          doc=("BPFMapSizeNATAffinity sets the size of the BPF map that stores the affinity of a "
               "connection (for services that enable that feature.")),
    Field("bpfMapSizeRoute", "int", True, pointer=True, go_type="*int",
          doc="BPFMapSizeRoute sets the size for the routes map."),
    Field("bpfMapSizeConntrack", "int", True, pointer=True, go_type="*int",
          doc="BPFMapSizeConntrack sets the size for the conntrack map."),
    Field("bpfMapSizePerCpuConntrack", "int", True, pointer=True, go_type="*int",
          doc=("BPFMapSizePerCPUConntrack determines the size of conntrack map based on the number of "
               "CPUs.")),
    # bpfMapSizeConntrackScaling: enum from CRD Pattern ^(?i)(...)?$: case-insensitive
    Field("bpfMapSizeConntrackScaling", "str", True, enum=("Disabled", "DoubleIfFull"), go_type="string",
          default_doc="DoubleIfFull",
          doc=("BPFMapSizeConntrackScaling controls whether and how we scale the conntrack map size "
               "depending on its usage.")),
    Field("bpfMapSizeConntrackCleanupQueue", "int", True, pointer=True, go_type="*int",
          doc=("BPFMapSizeConntrackCleanupQueue sets the size for the map used to hold NAT conntrack "
               "entries that are queued for cleanup.")),
    Field("bpfMapSizeIPSets", "int", True, pointer=True, go_type="*int",
          doc="BPFMapSizeIPSets sets the size for ipsets map."),
    Field("bpfMapSizeIfState", "int", True, pointer=True, go_type="*int",
          doc="BPFMapSizeIfState sets the size for ifstate map."),
    Field("bpfHostConntrackBypass", "bool", True, pointer=True, go_type="*bool",
          default_doc="true - bypass Linux conntrack",
          doc=("BPFHostConntrackBypass Controls whether to bypass Linux conntrack in BPF mode for "
               "workloads and services.")),
    # bpfEnforceRPF: enum from CRD Pattern ^(?i)(...)?$: case-insensitive
    Field("bpfEnforceRPF", "str", True, enum=("Disabled", "Strict", "Loose"), go_type="string",
          default_doc="Loose",
          doc=("BPFEnforceRPF enforce strict RPF on all host interfaces with BPF programs regardless of "
               "what is the per-interfaces or global setting.")),
    Field("bpfPolicyDebugEnabled", "bool", True, pointer=True, go_type="*bool",
          doc=("BPFPolicyDebugEnabled when true, Felix records detailed information about the BPF policy"
               " programs, which can be examined with the calico-bpf command-line tool.")),
    Field("bpfForceTrackPacketsFromIfaces", "list", True, pointer=True, go_type="*[]string",
          default_doc="docker+",
          doc=("BPFForceTrackPacketsFromIfaces in BPF mode, forces traffic from these interfaces to skip"
               " Calico's iptables NOTRACK rule, allowing traffic from those interfaces to be tracked by"
               " Linux conntrack.")),
    Field("bpfDisableGROForIfaces", "str", True, go_type="string",
          doc=("BPFDisableGROForIfaces is a regular expression that controls which interfaces Felix "
               "should disable the Generic Receive Offload [GRO] option.")),
    Field("bpfExcludeCIDRsFromNAT", "list", True, pointer=True, go_type="*[]string",
          doc=("BPFExcludeCIDRsFromNAT is a list of CIDRs that are to be excluded from NAT resolution so"
               " that host can handle them.")),
    Field("bpfExportBufferSizeMB", "int", True, pointer=True, go_type="*int", default_doc="1",
          doc=("BPFExportBufferSizeMB in BPF mode, controls the buffer size used for sending BPF events "
               "to felix.")),
    Field("cgroupV2Path", "str", True, go_type="string",
          doc="CgroupV2Path overrides the default location where to find the cgroup hierarchy."),
    Field("flowLogsPolicyEvaluationMode", "str", True, enum=("None", "Continuous"), pointer=True,
          go_type="*FlowLogsPolicyEvaluationModeType", default_doc="Continuous",
          doc=("Continuous - Felix evaluates active flows on a regular basis to determine the rule "
               "traces in the flow logs.")),
    Field("bpfRedirectToPeer", "str", True, enum=("Enabled", "Disabled", "L2Only"), go_type="string",
          default_doc="L2Only",
          doc=("BPFRedirectToPeer controls which whether it is allowed to forward straight to the peer "
               "side of the workload devices.")),
    Field("bpfAttachType", "str", True, enum=("TC", "TCX"), pointer=True, go_type="*BPFAttachOption",
          default_doc="TCX",
          doc="BPFAttachType controls how are the BPF programs at the network interfaces attached."),
    Field("flowLogsFlushInterval", "duration", True, pointer=True, go_type="*metav1.Duration",
          doc="FlowLogsFlushInterval configures the interval at which Felix exports flow logs."),
    Field("flowLogsCollectorDebugTrace", "bool", True, pointer=True, go_type="*bool",
          doc=("When FlowLogsCollectorDebugTrace is set to true, enables the logs in the collector to be"
               " printed in their entirety.")),
    Field("flowLogsGoldmaneServer", "str", True, pointer=True, go_type="*string",
          doc="FlowLogGoldmaneServer is the flow server endpoint to which flow data should be published."),
    Field("flowLogsLocalReporter", "str", True, enum=("Disabled", "Enabled"), pointer=True,
          go_type="*string", default_doc="Disabled",
          doc="FlowLogsLocalReporter configures local unix socket for reporting flow data from each node."),
    Field("bpfProfiling", "str", True, enum=("Enabled", "Disabled"), go_type="string",
          default_doc="Disabled",
          doc="BPFProfiling controls profiling of BPF programs."),
    # routeSource: enum from CRD Pattern ^(?i)(...)?$: case-insensitive
    Field("routeSource", "str", True, enum=("WorkloadIPs", "CalicoIPAM"), go_type="string",
          doc="RouteSource configures where Felix gets its routing information."),
    Field("routeTableRanges", "list", True, fields=_ROUTE_TABLEID_RANGE, pointer=True,
          go_type="*RouteTableRanges",
          doc="Calico programs additional Linux route tables for various purposes."),
    Field("routeTableRange", "object", True, fields=_ROUTE_TABLE_RANGE, pointer=True,
          go_type="*RouteTableRange",
          doc="Deprecated in favor of RouteTableRanges."),
    Field("routeSyncDisabled", "bool", True, pointer=True, go_type="*bool",
          doc="RouteSyncDisabled will disable all operations performed on the route table."),
    Field("wireguardEnabled", "bool", True, pointer=True, go_type="*bool", default_doc="false",
          doc=("WireguardEnabled controls whether Wireguard is enabled for IPv4 (encapsulating IPv4 "
               "traffic over an IPv4 underlay network).")),
    Field("wireguardEnabledV6", "bool", True, pointer=True, go_type="*bool", default_doc="false",
          doc=("WireguardEnabledV6 controls whether Wireguard is enabled for IPv6 (encapsulating IPv6 "
               "traffic over an IPv6 underlay network).")),
    Field("wireguardThreadingEnabled", "bool", True, pointer=True, go_type="*bool", default_doc="false",
          doc="WireguardThreadingEnabled controls whether Wireguard has Threaded NAPI enabled."),
    Field("wireguardListeningPort", "int", True, pointer=True, go_type="*int", default_doc="51820",
          doc="WireguardListeningPort controls the listening port used by IPv4 Wireguard."),
    Field("wireguardListeningPortV6", "int", True, pointer=True, go_type="*int", default_doc="51821",
          doc="WireguardListeningPortV6 controls the listening port used by IPv6 Wireguard."),
    Field("wireguardRoutingRulePriority", "int", True, pointer=True, go_type="*int", default_doc="99",
          doc=("WireguardRoutingRulePriority controls the priority value to use for the Wireguard "
               "routing rule.")),
    Field("wireguardInterfaceName", "str", True, go_type="string", default_doc="wireguard.cali",
          doc="WireguardInterfaceName specifies the name to use for the IPv4 Wireguard interface."),
    Field("wireguardInterfaceNameV6", "str", True, go_type="string", default_doc="wg-v6.cali",
          doc="WireguardInterfaceNameV6 specifies the name to use for the IPv6 Wireguard interface."),
    Field("wireguardMTU", "int", True, pointer=True, go_type="*int", default_doc="1440",
          doc="WireguardMTU controls the MTU on the IPv4 Wireguard interface."),
    Field("wireguardMTUV6", "int", True, pointer=True, go_type="*int", default_doc="1420",
          doc="WireguardMTUV6 controls the MTU on the IPv6 Wireguard interface."),
    Field("wireguardHostEncryptionEnabled", "bool", True, pointer=True, go_type="*bool",
          default_doc="false",
          doc=("WireguardHostEncryptionEnabled controls whether Wireguard host-to-host encryption is "
               "enabled.")),
    Field("wireguardKeepAlive", "duration", True, pointer=True, go_type="*metav1.Duration", default_doc="0",
          doc="WireguardPersistentKeepAlive controls Wireguard PersistentKeepalive option."),
    Field("awsSrcDstCheck", "str", True, enum=("DoNothing", "Enable", "Disable"), pointer=True,
          go_type="*AWSSrcDstCheckOption", default_doc="DoNothing",
          doc=('AWSSrcDstCheck controls whether Felix will try to change the "source/dest check" setting'
               " on the EC2 instance on which it is running.")),
    Field("serviceLoopPrevention", "str", True, enum=("Drop", "Reject", "Disabled"), go_type="string",
          default_doc="Drop",
          doc=("When service IP advertisement is enabled, prevent routing loops to service IPs that are "
               "not in use, by dropping or rejecting packets that do not get DNAT'd by kube-proxy.")),
    Field("workloadSourceSpoofing", "str", True, enum=("Disabled", "Any"), go_type="string",
          doc=("WorkloadSourceSpoofing controls whether pods can use the allowedSourcePrefixes "
               "annotation to send traffic with a source IP address that is not theirs.")),
    Field("mtuIfacePattern", "str", True, go_type="string",
          doc=("MTUIfacePattern is a regular expression that controls which interfaces Felix should scan"
               " in order to calculate the host's MTU.")),
    Field("floatingIPs", "str", True, enum=("Enabled", "Disabled"), pointer=True, go_type="*FloatingIPType",
          doc=("FloatingIPs configures whether or not Felix will program non-OpenStack floating IP "
               "addresses.")),
    Field("windowsManageFirewallRules", "str", True, enum=("Enabled", "Disabled"), pointer=True,
          go_type="*WindowsManageFirewallRulesMode", default_doc="Disabled",
          doc=("WindowsManageFirewallRules configures whether or not Felix will program Windows Firewall"
               " rules (to allow inbound access to its own metrics ports).")),
    Field("goGCThreshold", "int", True, pointer=True, go_type="*int", default_doc="40",
          doc="GoGCThreshold Sets the Go runtime's garbage collection threshold."),
    Field("goMemoryLimitMB", "int", True, pointer=True, go_type="*int", default_doc="-1",
          doc="GoMemoryLimitMB sets a (soft) memory limit for the Go runtime in MB."),
    Field("goMaxProcs", "int", True, pointer=True, go_type="*int", default_doc="-1",
          doc="GoMaxProcs sets the maximum number of CPUs that the Go runtime will use concurrently."),
    Field("requireMTUFile", "bool", True, pointer=True, go_type="*bool", default_doc="false",
          doc="RequireMTUFile specifies whether mtu file is required to start the felix."),
)

# ServiceLoadBalancerIPBlock (api/pkg/apis/projectcalico/v3/bgpconfig.go)
_SERVICE_LOAD_BALANCERIP_BLOCK: tuple[Field, ...] = (
    Field("cidr", "str", True, go_type="string"),
)

# ServiceExternalIPBlock (api/pkg/apis/projectcalico/v3/bgpconfig.go)
_SERVICE_EXTERNALIP_BLOCK: tuple[Field, ...] = (
    Field("cidr", "str", True, go_type="string"),
)

# ServiceClusterIPBlock (api/pkg/apis/projectcalico/v3/bgpconfig.go)
_SERVICE_CLUSTERIP_BLOCK: tuple[Field, ...] = (
    Field("cidr", "str", True, go_type="string"),
)

# Community (api/pkg/apis/projectcalico/v3/bgpconfig.go)
_COMMUNITY: tuple[Field, ...] = (
    Field("name", "str", True, go_type="string",
          doc="Name given to community value."),
    Field("value", "str", True, go_type="string",
          doc="Value must be of format `aa:nn` or `aa:nn:mm`."),
)

# PrefixAdvertisement (api/pkg/apis/projectcalico/v3/bgpconfig.go)
_PREFIX_ADVERTISEMENT: tuple[Field, ...] = (
    Field("cidr", "str", True, go_type="string",
          doc="CIDR for which properties should be advertised."),
    Field("communities", "list", True, go_type="[]string",
          doc=("Communities can be list of either community names already defined in `Specs.Communities`"
               " or community value of format `aa:nn` or `aa:nn:mm`.")),
)

# k8s.io/api core/v1 SecretKeySelector (v0.33.13 core/v1/types.go:2430-2438; the embedded
# LocalObjectReference contributes "name", types.go:7101-7112). Written by hand.
_SECRET_KEY_SELECTOR: tuple[Field, ...] = (
    Field("name", "str", True, go_type="string",
          doc="Name of the referent."),
    # key: NO omitempty: always serialised, zero value when unset
    Field("key", "str", False, go_type="string",
          doc="The key of the secret to select from."),
    Field("optional", "bool", True, pointer=True, go_type="*bool",
          doc="Specify whether the Secret or its key must be defined"),
)

# BGPPassword (api/pkg/apis/projectcalico/v3/bgppeer.go)
_BGP_PASSWORD: tuple[Field, ...] = (
    Field("secretKeyRef", "object", True, fields=_SECRET_KEY_SELECTOR, pointer=True,
          go_type="*k8sv1.SecretKeySelector",
          doc="Selects a key of a secret in the node pod's namespace."),
)

# BGPConfigurationSpec (api/pkg/apis/projectcalico/v3/bgpconfig.go)
BGPCONFIGURATION_SPEC_FIELDS: tuple[Field, ...] = (
    Field("logSeverityScreen", "str", True, enum=("Trace", "Debug", "Info", "Warning", "Error", "Fatal"),
          go_type="string", default_doc="INFO",
          doc="LogSeverityScreen is the log severity above which logs are sent to the stdout."),
    Field("nodeToNodeMeshEnabled", "bool", True, pointer=True, go_type="*bool", default_doc="true",
          doc="NodeToNodeMeshEnabled sets whether full node to node BGP mesh is enabled."),
    Field("asNumber", "int", True, pointer=True, go_type="*numorstring.ASNumber", default_doc="64512",
          doc="ASNumber is the default AS number used by a node."),
    Field("serviceLoadBalancerIPs", "list", True, fields=_SERVICE_LOAD_BALANCERIP_BLOCK,
          go_type="[]ServiceLoadBalancerIPBlock",
          doc="ServiceLoadBalancerIPs are the CIDR blocks for Kubernetes Service LoadBalancer IPs."),
    Field("serviceExternalIPs", "list", True, fields=_SERVICE_EXTERNALIP_BLOCK,
          go_type="[]ServiceExternalIPBlock",
          doc="ServiceExternalIPs are the CIDR blocks for Kubernetes Service External IPs."),
    Field("serviceClusterIPs", "list", True, fields=_SERVICE_CLUSTERIP_BLOCK,
          go_type="[]ServiceClusterIPBlock",
          doc="ServiceClusterIPs are the CIDR blocks from which service cluster IPs are allocated."),
    Field("serviceLoadBalancerAggregation", "str", True, enum=("Enabled", "Disabled"), pointer=True,
          go_type="*ServiceLoadBalancerAggregation", default_doc="Enabled",
          doc="ServiceLoadBalancerAggregation controls how LoadBalancer service IPs are advertised."),
    Field("communities", "list", True, fields=_COMMUNITY, go_type="[]Community",
          doc=("Communities is a list of BGP community values and their arbitrary names for tagging "
               "routes.")),
    Field("prefixAdvertisements", "list", True, fields=_PREFIX_ADVERTISEMENT,
          go_type="[]PrefixAdvertisement",
          doc="PrefixAdvertisements contains per-prefix advertisement configuration."),
    Field("listenPort", "int", True, go_type="uint16",
          doc="ListenPort is the port where BGP protocol should listen."),
    Field("nodeMeshPassword", "object", True, fields=_BGP_PASSWORD, pointer=True, go_type="*BGPPassword",
          doc="Optional BGP password for full node-to-mesh peerings."),
    Field("nodeMeshMaxRestartTime", "duration", True, pointer=True, go_type="*metav1.Duration",
          doc="Time to allow for software restart for node-to-mesh peerings."),
    # bindMode: enum from the BindMode consts and doc comment; not validated
    Field("bindMode", "str", True, enum=("None", "NodeIP"), pointer=True, go_type="*BindMode",
          doc=("BindMode indicates whether to listen for BGP connections on all addresses (None) or only"
               " on the node's canonical IP address Node.Spec.BGP.IPvXAddress (NodeIP).")),
    Field("ignoredInterfaces", "list", True, go_type="[]string",
          doc=("IgnoredInterfaces indicates the network interfaces that needs to be excluded when "
               "reading device routes.")),
    Field("localWorkloadPeeringIPV4", "str", True, go_type="string",
          doc="The virtual IPv4 address of the node with which its local workload is expected to peer."),
    Field("localWorkloadPeeringIPV6", "str", True, go_type="string",
          doc="The virtual IPv6 address of the node with which its local workload is expected to peer."),
)

# BGPPeerSpec (api/pkg/apis/projectcalico/v3/bgppeer.go)
BGPPEER_SPEC_FIELDS: tuple[Field, ...] = (
    Field("node", "str", True, go_type="string",
          doc="The node name identifying the Calico node instance that is targeted by this peer."),
    Field("nodeSelector", "str", True, go_type="string",
          doc="Selector for the nodes that should have this peering."),
    Field("peerIP", "str", True, go_type="string",
          doc="The IP address of the peer followed by an optional port number to peer with."),
    Field("asNumber", "int", True, go_type="numorstring.ASNumber",
          doc="The AS Number of the peer."),
    Field("localASNumber", "int", True, pointer=True, go_type="*numorstring.ASNumber",
          doc="The optional Local AS Number to use when peering with this remote peer."),
    Field("peerSelector", "str", True, go_type="string",
          doc="Selector for the remote nodes to peer with."),
    Field("keepOriginalNextHop", "bool", True, go_type="bool",
          doc="Option to keep the original nexthop field when routes are sent to a BGP Peer."),
    Field("nextHopMode", "str", True, enum=("Auto", "Self", "Keep"), pointer=True, go_type="*NextHopMode",
          doc="NextHopMode defines the method of calculating the next hop attribute for received routes."),
    Field("password", "object", True, fields=_BGP_PASSWORD, pointer=True, go_type="*BGPPassword",
          doc="Optional BGP password for the peerings generated by this BGPPeer resource."),
    Field("sourceAddress", "str", True, enum=("UseNodeIP", "None"), go_type="SourceAddress",
          doc=("Specifies whether and how to configure a source address for the peerings generated by "
               "this BGPPeer resource.")),
    Field("maxRestartTime", "duration", True, pointer=True, go_type="*metav1.Duration",
          doc="Time to allow for software restart."),
    Field("numAllowedLocalASNumbers", "int", True, pointer=True, go_type="*int32",
          doc="Maximum number of local AS numbers that are allowed in the AS path for received routes."),
    Field("ttlSecurity", "int", True, pointer=True, go_type="*uint8",
          doc=("TTLSecurity enables the generalized TTL security mechanism (GTSM) which protects against"
               " spoofed packets by ignoring received packets with a smaller than expected TTL value.")),
    Field("reachableBy", "str", True, go_type="string",
          doc="Add an exact, i.e. /32, static route toward peer IP in order to prevent route flapping."),
    Field("filters", "list", True, go_type="[]string",
          doc="The ordered set of BGPFilters applied on this BGP peer."),
    Field("localWorkloadSelector", "str", True, go_type="string",
          doc="Selector for the local workload that the node should peer with."),
    Field("reversePeering", "str", True, enum=("Auto", "Manual"), pointer=True, go_type="*ReversePeering",
          default_doc="Auto",
          doc=("ReversePeering, for peerings between Calico nodes controls whether the reverse peering "
               "from nodes selected by peerSelector is generated automatically.")),
)

# NodeBGPSpec (libcalico-go/lib/apis/v3/node.go)
_NODEBGP_SPEC: tuple[Field, ...] = (
    Field("asNumber", "int", True, pointer=True, go_type="*numorstring.ASNumber",
          doc="The AS Number of the node."),
    Field("ipv4Address", "str", True, go_type="string",
          doc="IPv4Address is the IPv4 address and network of this node."),
    Field("ipv6Address", "str", True, go_type="string",
          doc="IPv6Address is the IPv6 address and network of this node."),
    Field("ipv4IPIPTunnelAddr", "str", True, go_type="string",
          doc="IPv4IPIPTunnelAddr is the IPv4 address of the IP in IP tunnel."),
    Field("routeReflectorClusterID", "str", True, go_type="string",
          doc="RouteReflectorClusterID enables this node as a route reflector within the given cluster."),
)

# OrchRef (libcalico-go/lib/apis/v3/node.go)
_ORCH_REF: tuple[Field, ...] = (
    Field("nodeName", "str", True, go_type="string",
          doc="NodeName represents the name for this node according to the orchestrator."),
    # orchestrator: NO omitempty: always serialised, zero value when unset
    Field("orchestrator", "str", False, go_type="string",
          doc="Orchestrator represents the orchestrator using this node."),
)

# NodeWireguardSpec (libcalico-go/lib/apis/v3/node.go)
_NODE_WIREGUARD_SPEC: tuple[Field, ...] = (
    Field("interfaceIPv4Address", "str", True, go_type="string",
          doc="InterfaceIPv4Address is the IP address for the IPv4 Wireguard interface."),
    Field("interfaceIPv6Address", "str", True, go_type="string",
          doc="InterfaceIPv6Address is the IP address for the IPv6 Wireguard interface."),
)

# NodeAddress (libcalico-go/lib/apis/v3/node.go)
_NODE_ADDRESS: tuple[Field, ...] = (
    # address: NO omitempty: always serialised, zero value when unset
    Field("address", "str", False, go_type="string",
          doc="Address is a string representation of the actual address."),
    Field("type", "str", True, enum=("CalicoNodeIP", "InternalIP", "ExternalIP"), go_type="string",
          doc="Type is the node IP type"),
)

# NodeInterface (libcalico-go/lib/apis/v3/node.go)
_NODE_INTERFACE: tuple[Field, ...] = (
    Field("name", "str", True, go_type="string"),
    Field("addresses", "list", True, go_type="[]string"),
)

# NodeSpec (libcalico-go/lib/apis/v3/node.go)
NODE_SPEC_FIELDS: tuple[Field, ...] = (
    Field("bgp", "object", True, fields=_NODEBGP_SPEC, pointer=True, go_type="*NodeBGPSpec",
          doc="BGP configuration for this node."),
    Field("ipv4VXLANTunnelAddr", "str", True, go_type="string",
          doc="IPv4VXLANTunnelAddr is the IPv4 address of the VXLAN tunnel."),
    Field("vxlanTunnelMACAddr", "str", True, go_type="string",
          doc="VXLANTunnelMACAddr is the MAC address of the VXLAN tunnel."),
    Field("ipv6VXLANTunnelAddr", "str", True, go_type="string",
          doc="IPv6VXLANTunnelAddr is the address of the IPv6 VXLAN tunnel."),
    Field("vxlanTunnelMACAddrV6", "str", True, go_type="string",
          doc="VXLANTunnelMACAddrV6 is the MAC address of the IPv6 VXLAN tunnel."),
    Field("orchRefs", "list", True, fields=_ORCH_REF, go_type="[]OrchRef",
          doc="OrchRefs for this node."),
    Field("wireguard", "object", True, fields=_NODE_WIREGUARD_SPEC, pointer=True,
          go_type="*NodeWireguardSpec",
          doc="Wireguard configuration for this node."),
    Field("addresses", "list", True, fields=_NODE_ADDRESS, go_type="[]NodeAddress",
          doc="Addresses list address that a client can reach the node at."),
    Field("interfaces", "list", True, fields=_NODE_INTERFACE, go_type="[]NodeInterface",
          doc="Interfaces is a list of interfaces on the node."),
)


# ClusterInformationSpec (api/pkg/apis/projectcalico/v3/clusterinfo.go)
CLUSTERINFORMATION_SPEC_FIELDS: tuple[Field, ...] = (
    Field("clusterGUID", "str", True, go_type="string",
          doc="ClusterGUID is the GUID of the cluster"),
    Field("clusterType", "str", True, go_type="string",
          doc="ClusterType describes the type of the cluster"),
    Field("calicoVersion", "str", True, go_type="string",
          doc="CalicoVersion is the version of Calico that the cluster is running"),
    Field("datastoreReady", "bool", True, pointer=True, go_type="*bool",
          doc=("DatastoreReady is used during significant datastore migrations to signal to components "
               "such as Felix that it should wait before accessing the datastore.")),
    Field("variant", "str", True, go_type="string",
          doc="Variant declares which variant of Calico should be active."),
)

# EndpointPort (api/pkg/apis/projectcalico/v3/hostendpoint.go)
_ENDPOINT_PORT: tuple[Field, ...] = (
    # name: NO omitempty: always serialised, zero value when unset
    Field("name", "str", False, go_type="string"),
    # protocol: NO omitempty: always serialised, zero value when unset
    Field("protocol", "int_or_str", False, go_type="numorstring.Protocol"),
    # port: NO omitempty: always serialised, zero value when unset
    Field("port", "int", False, go_type="uint16"),
)

# HostEndpointSpec (api/pkg/apis/projectcalico/v3/hostendpoint.go)
HOSTENDPOINT_SPEC_FIELDS: tuple[Field, ...] = (
    Field("node", "str", True, go_type="string",
          doc="The node name identifying the Calico node instance."),
    Field("interfaceName", "str", True, go_type="string",
          doc='Either "*", or the name of a specific Linux interface to apply policy to; or empty.'),
    Field("expectedIPs", "list", True, go_type="[]string",
          doc="The expected IP addresses (IPv4 and IPv6) of the endpoint."),
    Field("profiles", "list", True, go_type="[]string",
          doc="A list of identifiers of security Profile objects that apply to this endpoint."),
    Field("ports", "list", True, fields=_ENDPOINT_PORT, go_type="[]EndpointPort",
          doc=("Ports contains the endpoint's named ports, which may be referenced in security policy "
               "rules.")),
)

# IPNAT (libcalico-go/lib/apis/v3/workloadendpoint.go)
_IPNAT: tuple[Field, ...] = (
    # internalIP: NO omitempty: always serialised, zero value when unset
    Field("internalIP", "str", False, go_type="string",
          doc=("The internal IP address which must be associated with the owning endpoint via the "
               "configured IPNetworks for the endpoint.")),
    # externalIP: NO omitempty: always serialised, zero value when unset
    Field("externalIP", "str", False, go_type="string",
          doc="The external IP address."),
)

# WorkloadEndpointPort (libcalico-go/lib/apis/v3/workloadendpoint.go)
_WORKLOAD_ENDPOINT_PORT: tuple[Field, ...] = (
    # name: NO omitempty: always serialised, zero value when unset
    Field("name", "str", False, go_type="string"),
    # protocol: NO omitempty: always serialised, zero value when unset
    Field("protocol", "int_or_str", False, go_type="numorstring.Protocol"),
    # port: NO omitempty: always serialised, zero value when unset
    Field("port", "int", False, go_type="uint16"),
    # hostPort: NO omitempty: always serialised, zero value when unset
    Field("hostPort", "int", False, go_type="uint16"),
    # hostIP: NO omitempty: always serialised, zero value when unset
    Field("hostIP", "str", False, go_type="string"),
)

# QoSControls (libcalico-go/lib/apis/v3/workloadendpoint.go)
_QOS_CONTROLS: tuple[Field, ...] = (
    Field("ingressBandwidth", "int", True, go_type="int64",
          doc="Ingress bandwidth controls."),
    Field("ingressBurst", "int", True, go_type="int64",
          doc="Ingress bandwidth burst size in bits"),
    Field("ingressPeakrate", "int", True, go_type="int64",
          doc="Ingress bandwidth peakrate limit in bits per second"),
    Field("ingressMinburst", "int", True, go_type="int64",
          doc="Ingress bandwidth minburst size in bytes (not bits because it is typically the MTU)"),
    Field("egressBandwidth", "int", True, go_type="int64",
          doc="Egress bandwidth controls."),
    Field("egressBurst", "int", True, go_type="int64",
          doc="Egress bandwidth burst size in bits"),
    Field("egressPeakrate", "int", True, go_type="int64",
          doc="Egress bandwidth peakrate limit in bits per second"),
    Field("egressMinburst", "int", True, go_type="int64",
          doc="Egress bandwidth minburst size in bytes (not bits because it is typically the MTU)"),
    Field("ingressPacketRate", "int", True, go_type="int64",
          doc="Ingress packet rate limit in packets per second."),
    Field("ingressPacketBurst", "int", True, go_type="int64",
          doc="Ingress packet rate burst size in number of packets"),
    Field("egressPacketRate", "int", True, go_type="int64",
          doc="Egress packet rate limit in packets per second."),
    Field("egressPacketBurst", "int", True, go_type="int64",
          doc="Egress packet rate burst size in number of packets"),
    Field("ingressMaxConnections", "int", True, go_type="int64",
          doc="Ingress maximum number of connections (absolute number of connections, no unit)."),
    Field("egressMaxConnections", "int", True, go_type="int64",
          doc="Egress maximum number of connections (absolute number of connections, no unit)."),
    Field("dscp", "int_or_str", True, pointer=True, go_type="*numorstring.DSCP"),
)

# WorkloadEndpointSpec (libcalico-go/lib/apis/v3/workloadendpoint.go)
WORKLOADENDPOINT_SPEC_FIELDS: tuple[Field, ...] = (
    Field("orchestrator", "str", True, go_type="string",
          doc="The name of the orchestrator."),
    Field("workload", "str", True, go_type="string",
          doc="The name of the workload."),
    Field("node", "str", True, go_type="string",
          doc="The node name identifying the Calico node instance."),
    Field("containerID", "str", True, go_type="string",
          doc="The container ID."),
    Field("pod", "str", True, go_type="string",
          doc="The Pod name."),
    Field("endpoint", "str", True, go_type="string",
          doc="The Endpoint name."),
    Field("serviceAccountName", "str", True, go_type="string",
          doc="ServiceAccountName, if specified, is the name of the k8s ServiceAccount for this pod."),
    Field("ipNetworks", "list", True, go_type="[]string",
          doc="IPNetworks is a list of subnets allocated to this endpoint."),
    Field("ipNATs", "list", True, fields=_IPNAT, go_type="[]IPNAT",
          doc="IPNATs is a list of 1:1 NAT mappings to apply to the endpoint."),
    Field("ipv4Gateway", "str", True, go_type="string",
          doc="IPv4Gateway is the gateway IPv4 address for traffic from the workload."),
    Field("ipv6Gateway", "str", True, go_type="string",
          doc="IPv6Gateway is the gateway IPv6 address for traffic from the workload."),
    Field("profiles", "list", True, go_type="[]string",
          doc="A list of security Profile resources that apply to this endpoint."),
    Field("interfaceName", "str", True, go_type="string",
          doc="InterfaceName the name of the Linux interface on the host: for example, tap80."),
    Field("mac", "str", True, go_type="string",
          doc="MAC is the MAC address of the endpoint interface."),
    Field("ports", "list", True, fields=_WORKLOAD_ENDPOINT_PORT, go_type="[]WorkloadEndpointPort",
          doc=("Ports contains the endpoint's named ports, which may be referenced in security policy "
               "rules.")),
    Field("allowSpoofedSourcePrefixes", "list", True, go_type="[]string",
          doc=("AllowSpoofedSourcePrefixes is a list of CIDRs that the endpoint should be able to send "
               "traffic from, bypassing the RPF check.")),
    Field("qosControls", "object", True, fields=_QOS_CONTROLS, pointer=True, go_type="*QoSControls"),
)

# Template (api/pkg/apis/projectcalico/v3/kubecontrollersconfig.go)
_TEMPLATE: tuple[Field, ...] = (
    Field("generateName", "str", True, go_type="string",
          doc="GenerateName is appended to the end of the generated AutoHostEndpoint name"),
    Field("interfaceCIDRs", "list", True, go_type="[]string",
          doc="InterfaceCIDRs contains a list of CIDRs used for matching nodeIPs to the AutoHostEndpoint."),
    Field("interfacePattern", "str", True, go_type="string",
          doc="InterfacePattern contains a regex string to match Node interface names."),
    Field("labels", "dict", True, go_type="map[string]string",
          doc=("Labels adds the specified labels to the generated AutoHostEndpoint, labels from node "
               "with the same name will be overwritten by values from the template label")),
    Field("nodeSelector", "str", True, go_type="string",
          doc="NodeSelector allows the AutoHostEndpoint to be created only for specific nodes"),
)

# AutoHostEndpointConfig (api/pkg/apis/projectcalico/v3/kubecontrollersconfig.go)
_AUTO_HOST_ENDPOINT_CONFIG: tuple[Field, ...] = (
    Field("autoCreate", "str", True, enum=("Enabled", "Disabled"), go_type="string", default_doc="Disabled",
          doc="AutoCreate enables automatic creation of host endpoints for every node."),
    Field("createDefaultHostEndpoint", "str", True, enum=("Enabled", "Disabled"),
          go_type="DefaultHostEndpointMode"),
    Field("templates", "list", True, fields=_TEMPLATE, go_type="[]Template",
          doc="Templates contains definition for creating AutoHostEndpoints"),
)

# NodeControllerConfig (api/pkg/apis/projectcalico/v3/kubecontrollersconfig.go)
_NODE_CONTROLLER_CONFIG: tuple[Field, ...] = (
    Field("reconcilerPeriod", "duration", True, pointer=True, go_type="*metav1.Duration", default_doc="5m",
          doc="ReconcilerPeriod is the period to perform reconciliation with the Calico datastore."),
    Field("syncLabels", "str", True, enum=("Enabled", "Disabled"), go_type="string", default_doc="Enabled",
          doc="SyncLabels controls whether to copy Kubernetes node labels to Calico nodes."),
    Field("hostEndpoint", "object", True, fields=_AUTO_HOST_ENDPOINT_CONFIG, pointer=True,
          go_type="*AutoHostEndpointConfig",
          doc="HostEndpoint controls syncing nodes to host endpoints."),
    Field("leakGracePeriod", "duration", True, pointer=True, go_type="*metav1.Duration", default_doc="15m",
          doc=("LeakGracePeriod is the period used by the controller to determine if an IP address has "
               "been leaked.")),
)

# PolicyControllerConfig (api/pkg/apis/projectcalico/v3/kubecontrollersconfig.go)
_POLICY_CONTROLLER_CONFIG: tuple[Field, ...] = (
    Field("reconcilerPeriod", "duration", True, pointer=True, go_type="*metav1.Duration", default_doc="5m",
          doc="ReconcilerPeriod is the period to perform reconciliation with the Calico datastore."),
)

# WorkloadEndpointControllerConfig (api/pkg/apis/projectcalico/v3/kubecontrollersconfig.go)
_WORKLOAD_ENDPOINT_CONTROLLER_CONFIG: tuple[Field, ...] = (
    Field("reconcilerPeriod", "duration", True, pointer=True, go_type="*metav1.Duration", default_doc="5m",
          doc="ReconcilerPeriod is the period to perform reconciliation with the Calico datastore."),
)

# ServiceAccountControllerConfig (api/pkg/apis/projectcalico/v3/kubecontrollersconfig.go)
_SERVICE_ACCOUNT_CONTROLLER_CONFIG: tuple[Field, ...] = (
    Field("reconcilerPeriod", "duration", True, pointer=True, go_type="*metav1.Duration", default_doc="5m",
          doc="ReconcilerPeriod is the period to perform reconciliation with the Calico datastore."),
)

# NamespaceControllerConfig (api/pkg/apis/projectcalico/v3/kubecontrollersconfig.go)
_NAMESPACE_CONTROLLER_CONFIG: tuple[Field, ...] = (
    Field("reconcilerPeriod", "duration", True, pointer=True, go_type="*metav1.Duration", default_doc="5m",
          doc="ReconcilerPeriod is the period to perform reconciliation with the Calico datastore."),
)

# LoadBalancerControllerConfig (api/pkg/apis/projectcalico/v3/kubecontrollersconfig.go)
_LOAD_BALANCER_CONTROLLER_CONFIG: tuple[Field, ...] = (
    Field("assignIPs", "str", True, enum=("AllServices", "RequestedServicesOnly"), go_type="AssignIPs",
          doc="AssignIPs controls which LoadBalancer Service gets IP assigned from Calico IPAM."),
)

# ControllersConfig (api/pkg/apis/projectcalico/v3/kubecontrollersconfig.go)
_CONTROLLERS_CONFIG: tuple[Field, ...] = (
    Field("node", "object", True, fields=_NODE_CONTROLLER_CONFIG, pointer=True,
          go_type="*NodeControllerConfig",
          doc="Node enables and configures the node controller."),
    Field("policy", "object", True, fields=_POLICY_CONTROLLER_CONFIG, pointer=True,
          go_type="*PolicyControllerConfig",
          doc="Policy enables and configures the policy controller."),
    Field("workloadEndpoint", "object", True, fields=_WORKLOAD_ENDPOINT_CONTROLLER_CONFIG, pointer=True,
          go_type="*WorkloadEndpointControllerConfig",
          doc="WorkloadEndpoint enables and configures the workload endpoint controller."),
    Field("serviceAccount", "object", True, fields=_SERVICE_ACCOUNT_CONTROLLER_CONFIG, pointer=True,
          go_type="*ServiceAccountControllerConfig",
          doc="ServiceAccount enables and configures the service account controller."),
    Field("namespace", "object", True, fields=_NAMESPACE_CONTROLLER_CONFIG, pointer=True,
          go_type="*NamespaceControllerConfig",
          doc="Namespace enables and configures the namespace controller."),
    Field("loadBalancer", "object", True, fields=_LOAD_BALANCER_CONTROLLER_CONFIG, pointer=True,
          go_type="*LoadBalancerControllerConfig",
          doc="LoadBalancer enables and configures the LoadBalancer controller."),
)

# KubeControllersConfigurationSpec (api/pkg/apis/projectcalico/v3/kubecontrollersconfig.go)
KUBECONTROLLERSCONFIGURATION_SPEC_FIELDS: tuple[Field, ...] = (
    Field("logSeverityScreen", "str", True, enum=("Trace", "Debug", "Info", "Warning", "Error", "Fatal"),
          go_type="string", default_doc="Info",
          doc="LogSeverityScreen is the log severity above which logs are sent to the stdout."),
    Field("healthChecks", "str", True, enum=("Enabled", "Disabled"), go_type="string",
          default_doc="Enabled",
          doc="HealthChecks enables or disables support for health checks [Default: Enabled]"),
    Field("etcdV3CompactionPeriod", "duration", True, pointer=True, go_type="*metav1.Duration",
          default_doc="10m",
          doc="EtcdV3CompactionPeriod is the period between etcdv3 compaction requests."),
    Field("prometheusMetricsPort", "int", True, pointer=True, go_type="*int", default_doc="9094",
          doc="PrometheusMetricsPort is the TCP port that the Prometheus metrics server should bind to."),
    # controllers: NO omitempty: always serialised, zero value when unset
    Field("controllers", "object", False, fields=_CONTROLLERS_CONFIG, go_type="ControllersConfig",
          doc="Controllers enables and configures individual Kubernetes controllers"),
    Field("debugProfilePort", "int", True, pointer=True, go_type="*int32",
          doc="DebugProfilePort configures the port to serve memory and cpu profiles on."),
)


# AllocationAttribute (libcalico-go/lib/backend/model/block.go)
IPAM_ATTRIBUTE_FIELDS: tuple[Field, ...] = (
    # handle_id: NO omitempty: always serialised, zero value when unset
    Field("handle_id", "str", False, pointer=True, go_type="*string"),
    # secondary: NO omitempty: always serialised, zero value when unset
    Field("secondary", "dict", False, go_type="map[string]string"),
)

# AllocationBlock (libcalico-go/lib/backend/model/block.go)
IPAM_BLOCK_FIELDS: tuple[Field, ...] = (
    # cidr: NO omitempty: always serialised, zero value when unset
    Field("cidr", "str", False, go_type="net.IPNet",
          doc="The block's CIDR."),
    # affinity: NO omitempty: always serialised, zero value when unset
    Field("affinity", "str", False, pointer=True, go_type="*string",
          doc="Affinity of the block, if this block has one."),
    # allocations: NO omitempty: always serialised, zero value when unset
    Field("allocations", "list", False, go_type="[]*int",
          doc="Array of allocations in-use within this block."),
    # unallocated: NO omitempty: always serialised, zero value when unset
    Field("unallocated", "list", False, go_type="[]int",
          doc="Unallocated is an ordered list of allocations which are free in the block."),
    # attributes: NO omitempty: always serialised, zero value when unset
    Field("attributes", "list", False, fields=IPAM_ATTRIBUTE_FIELDS, go_type="[]AllocationAttribute",
          doc="Attributes is an array of arbitrary metadata associated with allocations in the block."),
    # sequenceNumber: NO omitempty: always serialised, zero value when unset
    Field("sequenceNumber", "int", False, go_type="uint64",
          doc="We store a sequence number that is updated each time the block is written."),
    # sequenceNumberForAllocation: NO omitempty: always serialised, zero value when unset
    Field("sequenceNumberForAllocation", "dict", False, go_type="map[string]uint64",
          doc=("Map of allocated ordinal within the block to sequence number of the block at the time of"
               " allocation.")),
    # deleted: NO omitempty: always serialised, zero value when unset
    Field("deleted", "bool", False, go_type="bool",
          doc=("Deleted is an internal boolean used to workaround a limitation in the Kubernetes API "
               "whereby deletion will not return a conflict error if the block has been updated.")),
    Field("hostAffinity", "str", True, pointer=True, go_type="*string",
          doc="HostAffinity is deprecated in favor of Affinity."),
)


# ---------------------------------------------------------------------------------------------
# Per-kind tables

SPEC_FIELDS: dict[str, tuple[Field, ...]] = {
    "IPPool": IPPOOL_SPEC_FIELDS,
    "FelixConfiguration": FELIXCONFIGURATION_SPEC_FIELDS,
    "BGPConfiguration": BGPCONFIGURATION_SPEC_FIELDS,
    "BGPPeer": BGPPEER_SPEC_FIELDS,
    "Node": NODE_SPEC_FIELDS,
    "ClusterInformation": CLUSTERINFORMATION_SPEC_FIELDS,
    "HostEndpoint": HOSTENDPOINT_SPEC_FIELDS,
    "WorkloadEndpoint": WORKLOADENDPOINT_SPEC_FIELDS,
    "KubeControllersConfiguration": KUBECONTROLLERSCONFIGURATION_SPEC_FIELDS,
}

# Spec differences in later versions (parsed from v3.32.1 and main; not modelled here):
# * IPPool: "ipip" and "nat-outgoing" (APIv1 leftovers) removed; validation moves to CRD CEL rules.
# * FelixConfiguration: removed iptablesLockFilePath, iptablesLockTimeout,
#   bpfKubeProxyEndpointSlicesEnabled; added nodeSelector, prometheusMetrics{CAFile,CertFile,KeyFile,
#   ClientAuth}, istioAmbientMode, istioDSCPMark, ipv{4,6}{Normal,Elevated}RoutePriority,
#   liveMigrationRouteConvergenceTime, bpfMaglevMaxEndpointsPerService, bpfMaglevMaxServices
#   (v3.32); main also adds nftablesFlowTableOffload, nftablesFlowTableDataIfacePattern,
#   bpfOverlayHostSourceIP, bpfIPFragTimeout, bpfIPFragmentReassemblyEnabled,
#   localSubnetL2Reachability[RefreshInterval] and makes iptablesMarkMask/nftablesMarkMask *int64.
#   bpfLogLevel still has no omitempty.
# * BGPConfiguration: adds programClusterRoutes, ipv4NormalRoutePriority, ipv6NormalRoutePriority.
# * BGPPeer: adds keepaliveTime.
# * ClusterInformation, HostEndpoint, Node, WorkloadEndpoint, KubeControllersConfiguration: same
#   JSON fields (Node/WorkloadEndpoint move to libcalico-go/lib/apis/internalapi).


# ---------------------------------------------------------------------------------------------
# IPAM (libcalico-go/lib/backend/model, v3.31.7). Values are json.Marshal of the model struct
# (model.SerializeValue). Key layout: see model.py.

# How v3.32 / main differ (read from git diff v3.31.7..v3.32.1 / ..main of model/*.go):
# * AllocationBlock gains AffinityClaimTime *metav1.Time `json:"affinity_claim_time,omitempty"`
#   right after "affinity" (v3.32 and main).
# * AllocationAttribute: AttrPrimary/AttrSecondary renamed HandleID/ActiveOwnerAttrs with the same
#   JSON names but now `omitempty` ("handle_id,omitempty", "secondary,omitempty"), plus
#   AlternateOwnerAttrs map[string]string `json:"alternateOwnerAttrs,omitempty"` (v3.32, KubeVirt
#   live migration) and, on main only, ReleasedAt *metav1.Time `json:"releasedAt,omitempty"`.
# * New secondary keys "vmi-name", "vmi-uid", "vm-uid", "vmim-uid" (v3.32).
# * IPAMConfig gains KubeVirtVMAddressPersistence *string `json:"kubeVirtVMAddressPersistence,
#   omitempty"` (v3.32) and IPCooldownSeconds int `json:"ipCooldownSeconds,omitempty"` (main).
# * Block affinities stored with an empty value are read as {} (parseValue, v3.32+).
# * main: BlockKey/BlockAffinityKey hold netip.Prefix and mask it before building the path.
# IPAMHandle and BlockAffinity JSON are unchanged.

# ---------------------------------------------------------------------------------------------
# IPPool block sizes (libcalico-go/lib/clientv3/ippool.go 388-395 defaults, 435-452 bounds);
# the IPPool rules that use them are in _calico/ippool.py.

IPPOOL_BLOCK_SIZE_RANGE = {4: (20, 32), 6: (116, 128)}
IPPOOL_DEFAULT_BLOCK_SIZE = {4: 26, 6: 122}
