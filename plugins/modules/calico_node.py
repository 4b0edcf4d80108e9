#!/usr/bin/python
# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: calico_node
short_description: Configure calico-node on a host
version_added: 0.1.0
description:
  - Prepares a host for calico-node and registers it in Calico's datastore.
  - "Kernel: loads the modules the chosen encapsulation and dataplane need (C(ipip), C(vxlan),
    C(ip_set)/C(xt_set), C(nf_tables), C(wireguard)) and lists them in
    C(/etc/modules-load.d/calico.conf) for boot; for the eBPF dataplane checks the kernel version
    (5.3, or 4.18.0-193 on Red Hat kernels) and mounts bpffs at C(/sys/fs/bpf). A module is found
    through C(/proc/modules), C(/sys/module), C(modules.builtin), the kernel config and
    C(modprobe --dry-run); a missing one fails the task with the fix (see O(on_missing_kernel_feature))."
  - "Sysctls: C(net.ipv4.ip_forward=1), C(net.ipv6.conf.all.forwarding=1) when the node has an IPv6
    address, and C(net.ipv4.conf.all.rp_filter) 1 when it is 2 (loose), which Felix refuses unless
    O(ignore_loose_rpf). Live and in C(/etc/sysctl.d/90-calico.conf)."
  - "NetworkManager, where it is installed: C(/etc/NetworkManager/conf.d/calico.conf) marks C(cali*),
    C(tunl*), C(vxlan.calico), C(vxlan-v6.calico), C(wireguard.cali) and C(wg-v6.cali) unmanaged, then
    asks a running NetworkManager to reload its configuration."
  - "Hosts outside Kubernetes (O(datastore_type=etcdv3)): writes C(/etc/calico/calico.env) (mode 0600)
    and C(/etc/systemd/system/calico-node.service), which runs the calico/node image with podman or
    docker (C(--net=host --privileged), Calico's mounts, C(Restart=on-failure)) as Calico's guide for
    non-cluster hosts does. The unit is checked with C(systemd-analyze verify) before it is written.
    O(state=started) also makes sure the image is there, enables and starts the service, and
    restarts it only when this task changed its configuration."
  - "Datastore: the host's C(Node) resource: name, BGP IPv4/IPv6 address (given, or found with
    calico-node's own autodetection methods), AS number, route-reflector cluster ID and labels. It
    is merged, never replaced: fields calico-node owns (tunnel addresses, WireGuard interface
    address and public key, interfaces, orchRefs) are kept. With O(felix_overrides), also the
    per-node C(FelixConfiguration) C(node.<name>)."
  - "In a Kubernetes cluster (O(datastore_type=kubernetes)) the calico-node DaemonSet runs calico-node:
    this module then prepares the kernel and sysctls and sets the per-node settings the DaemonSet
    reads (the C(Node) resource of an existing Kubernetes node, C(FelixConfiguration) C(node.<name>))."
  - "The datastore part can run elsewhere: O(scope=host) on the host returns RV(name) and
    RV(addresses), and O(scope=datastore) with C(delegate_to) a machine that reaches the datastore
    writes the C(Node) from them (see the examples)."
author:
  - netops.calico contributors (@netops-calico)
extends_documentation_fragment:
  - netops.calico.datastore
  - netops.calico.resource.labels
attributes:
  check_mode:
    support: full
    description:
      - Reads everything and decides the same way; skips only writes (files, sysctls, module
        loads, mounts, datastore writes, image pulls, systemctl actions). C(systemd-analyze verify)
        still checks the unit, in a private temporary directory.
  diff_mode:
    support: full
    description: Shows every file and datastore resource that changes, before and after.
  idempotent:
    support: full
    description: A second run with the same options reports no change and does not restart calico-node.
options:
  name:
    description:
      - The Calico node name (C(metadata.name) of the C(Node), C(CALICO_NODENAME)).
      - Defaults as calico-node does, to the name it stored in C(/var/lib/calico/nodename), else the
        host name in lower case. In a Kubernetes cluster it must be the Kubernetes node name.
      - Required with O(scope=datastore).
    type: str
  state:
    description:
      - V(present) writes the configuration (and the datastore) only.
      - V(started) also makes sure the image is on the host (pulling it when O(image_pull)),
        enables C(calico-node.service) and starts it, or restarts it when this task changed its
        configuration. Only for O(datastore_type=etcdv3).
    type: str
    choices: [present, started]
    default: present
  scope:
    description:
      - V(all) does the host part and the datastore part.
      - V(host) does only the host part (kernel, sysctls, NetworkManager, service); it does not
        connect to the datastore.
      - V(datastore) does only the C(Node) and C(FelixConfiguration) (for C(delegate_to) a
        machine that reaches the datastore); it needs O(name) and O(ipv4_address).
    type: str
    choices: [all, host, datastore]
    default: all
  ipv4_address:
    description:
      - The node's IPv4 address for BGP (C(spec.bgp.ipv4Address), C(IP)), as C(address/prefix) or an
        address (the prefix is then taken from the interface holding it, as calico-node does).
      - V(autodetect) (the default when unset) finds it with O(ipv4_autodetection_method).
      - V(none) leaves the C(Node)'s IPv4 address as it is (calico-node's C(IP=none)).
    type: str
  ipv4_autodetection_method:
    description:
      - calico-node's C(IP_AUTODETECTION_METHOD), evaluated on the host exactly as calico-node does
        it - V(first-found), C(can-reach=DEST), C(interface=REGEX[,REGEX]),
        C(skip-interface=REGEX[,REGEX]) or C(cidr=CIDR[,CIDR]).
    type: str
    default: first-found
  ipv6_address:
    description:
      - The node's IPv6 address for BGP (C(spec.bgp.ipv6Address), C(IP6)), like O(ipv4_address).
      - IPv6 is used only when this or O(ipv6_autodetection_method) is set, as in calico-node.
    type: str
  ipv6_autodetection_method:
    description: calico-node's C(IP6_AUTODETECTION_METHOD); setting it turns IPv6 autodetection on.
    type: str
  as_number:
    description:
      - The node's own AS number (C(spec.bgp.asNumber)); unset leaves it alone, V(0) removes it so
        the node uses the cluster's AS number.
    type: int
  route_reflector_cluster_id:
    description:
      - Makes the node a BGP route reflector with this cluster ID, an IPv4 address such as
        V(244.0.0.1) (C(spec.bgp.routeReflectorClusterID)). An empty string removes it.
    type: str
  networking_backend:
    description: calico-node's C(CALICO_NETWORKING_BACKEND) - V(bird) (BGP), V(vxlan) or V(none) (policy only).
    type: str
    choices: [bird, vxlan, none]
    default: bird
  encapsulation:
    description:
      - The encapsulation the kernel must support - V(ipip) (needs O(networking_backend=bird)),
        V(vxlan) or V(none).
      - Defaults to V(ipip) with O(networking_backend=bird), V(vxlan) with V(vxlan), V(none) with V(none).
      - The encapsulation itself is set on the IP pools (M(netops.calico.calico_ippool)).
    type: str
    choices: [ipip, vxlan, none]
  dataplane:
    description:
      - Felix's dataplane, for its kernel prerequisites - V(iptables) (C(ip_set), C(xt_set)),
        V(nftables) (C(nf_tables)) or V(bpf) (kernel version, bpffs).
    type: str
    choices: [iptables, nftables, bpf]
    default: iptables
  wireguard:
    description:
      - WireGuard encryption is on in the cluster, so the C(wireguard) kernel module is required.
        M(netops.calico.calico_wireguard) installs it.
    type: bool
    default: false
  ignore_loose_rpf:
    description:
      - Leave C(net.ipv4.conf.all.rp_filter=2) (loose) alone; Felix must then have
        C(IgnoreLooseRPF) set, or it refuses to start.
    type: bool
    default: false
  on_missing_kernel_feature:
    description:
      - V(fail) fails the task when a kernel feature is missing, naming it and the fix.
      - V(warn) reports the same as a warning and carries on.
    type: str
    choices: [fail, warn]
    default: fail
  networkmanager:
    description: Write the NetworkManager configuration when NetworkManager is installed.
    type: bool
    default: true
  felix_overrides:
    description:
      - Per-node Felix settings, written to C(FelixConfiguration) C(node.<name>). Keys are
        FelixConfiguration fields, camelCase (C(logSeverityScreen)) or snake_case
        (C(log_severity_screen)); only these keys are compared and written.
    type: dict
  container_engine:
    description: What runs the calico/node container; V(auto) takes podman, else docker.
    type: str
    choices: [auto, podman, docker]
    default: auto
  image:
    description:
      - The calico/node image, as a reference (C(registry/path:tag) or C(@sha256:digest)). Anything else (a space,
        a newline or another control character) is refused, since it is written into the systemd unit.
    type: str
    default: quay.io/calico/node:v3.31.7
  image_pull:
    description: With O(state=started), pull O(image) when it is not on the host.
    type: bool
    default: true
  env:
    description:
      - More environment for calico-node (for example C(FELIX_LOGSEVERITYSCREEN), C(CALICO_ROUTER_ID)),
        added to C(calico.env) and passed to the container. The variables this module sets from its
        options cannot be given here.
      - Values with a newline or another control character are refused. In C(--diff) output the values are
        shown as C(VALUE_HIDDEN) (the keys stay visible, and a changed value is marked), as Ansible hides
        C(no_log) values.
    type: dict
    default: {}
  no_default_pools:
    description: calico-node's C(NO_DEFAULT_POOLS); V(true) keeps it from creating IP pools (manage them with M(netops.calico.calico_ippool)).
    type: bool
    default: true
  start_timeout:
    description: Seconds to wait, after starting or restarting, for the service to be running steadily.
    type: int
    default: 30
notes:
  - The etcd TLS files are mounted into the container at the same paths, so the paths in
    C(calico.env) are valid on the host and in the container.
  - calico-node owns some C(Node) fields and rewrites C(spec.bgp.ipv4Address) from C(IP) when it
    starts; this module writes the same address to both, so they agree.
seealso:
  - module: netops.calico.calico_wireguard
  - module: netops.calico.calico_felix_config
  - name: Calico on non-cluster hosts
    description: Calico's guide for calico-node as a container on hosts outside Kubernetes.
    link: https://docs.tigera.io/calico/latest/getting-started/bare-metal/about
"""

EXAMPLES = r"""
- name: calico-node on a bare-metal host, registered in etcd and running
  netops.calico.calico_node:
    state: started
    etcd_endpoints: https://10.0.0.1:2379
    etcd_ca_cert_file: /etc/calico/pki/ca.pem
    etcd_cert_file: /etc/calico/pki/node.pem
    etcd_key_file: /etc/calico/pki/node-key.pem
    ipv4_autodetection_method: can-reach=10.0.0.1
    encapsulation: vxlan
    labels:
      rack: r12

- name: A route reflector with its own AS number
  netops.calico.calico_node:
    state: started
    as_number: 64512
    route_reflector_cluster_id: 244.0.0.1
    labels:
      route-reflector: "true"

- name: Host part on the host, Node written from the controller (datastore not reachable from hosts)
  netops.calico.calico_node:
    scope: host
    state: started
  register: calico_host

- name: Register the Node from the controller
  netops.calico.calico_node:
    scope: datastore
    name: "{{ calico_host.name }}"
    ipv4_address: "{{ calico_host.addresses.ipv4 }}"
  delegate_to: localhost

- name: Kubernetes node - kernel prerequisites and per-node Felix settings
  netops.calico.calico_node:
    datastore_type: kubernetes
    name: "{{ inventory_hostname }}"
    encapsulation: vxlan
    networking_backend: vxlan
    felix_overrides:
      logSeverityScreen: Debug
"""

RETURN = r"""
name:
  description: The Calico node name used.
  returned: always
  type: str
  sample: node-1
addresses:
  description:
    - The node's BGP addresses as C(address/prefix), V(none) (left alone) or null (not used), the
      interface each is on, and how it was found.
  returned: always
  type: dict
  sample: {ipv4: 198.18.128.11/24, ipv4_interface: eth0, ipv4_source: autodetected (first-found),
           ipv6: null, ipv6_interface: null, ipv6_source: null}
kernel:
  description:
    - The kernel release and, for every module needed, its state (V(loaded), V(builtin),
      V(loadable) or V(missing)), the evidence, what was checked, and whether this task loaded it;
      the missing features; for the eBPF dataplane the version check and bpffs.
  returned: when the host part ran
  type: dict
  sample:
    release: 6.1.0-18-amd64
    modules:
      vxlan: {name: vxlan, state: builtin, evidence: /sys/module/vxlan exists without initstate (built into the kernel),
              checked: [not in /proc/modules], loaded_now: false}
    missing: []
sysctl:
  description: For each kernel parameter set, its value before and after and whether it changed.
  returned: when the host part ran
  type: dict
  sample: {net.ipv4.ip_forward: {before: "0", after: "1", changed: true}}
networkmanager:
  description: Whether NetworkManager is installed, whether its configuration was written, and whether it was reloaded.
  returned: when the host part ran
  type: dict
  sample: {present: true, managed: true, reloaded: false}
service:
  description:
    - calico-node.service - engine, image, file paths, what this task did (daemon_reloaded,
      enabled_now, started, restarted, image_pulled), whether a restart is pending
      (restart_needed) and the unit's systemd state.
  returned: when the host part ran with O(datastore_type=etcdv3)
  type: dict
  sample: {engine: podman, image: quay.io/calico/node:v3.31.7, env_file: /etc/calico/calico.env,
           unit_file: /etc/systemd/system/calico-node.service, systemd: true, started: false,
           restarted: false, restart_needed: false, state: {ActiveState: inactive, UnitFileState: disabled}}
files:
  description: For each file the task manages (env, unit, sysctl, modules_load, networkmanager), its path and what changed.
  returned: when the host part ran
  type: dict
  sample: {env: {path: /etc/calico/calico.env, changed: true, created: true, content_changed: true, mode_changed: false}}
node:
  description: The C(Node) resource after the task (what would be written, in check mode).
  returned: when the datastore part ran
  type: dict
  sample:
    kind: Node
    apiVersion: projectcalico.org/v3
    metadata: {name: node-1, labels: {rack: r12}}
    spec: {bgp: {ipv4Address: 198.18.128.11/24, ipv4IPIPTunnelAddr: 100.96.1.1}}
    status: {}
felix_configuration:
  description: The C(FelixConfiguration) C(node.<name>) after the task, or null without O(felix_overrides).
  returned: when the datastore part ran
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.netops.calico.plugins.module_utils._node.calico_node import execute
from ansible_collections.netops.calico.plugins.module_utils._node import options as node_options
from ansible_collections.netops.calico.plugins.module_utils._datastore.connection import datastore_argspec
from ansible_collections.netops.calico.plugins.module_utils._module import module_host, run


def main() -> None:
    module = AnsibleModule(argument_spec=datastore_argspec(**node_options.ARGSPEC), supports_check_mode=True)
    p = module.params
    errors = node_options.validate(p)
    if errors:
        module.fail_json(msg="Invalid options, nothing was done: " + "; ".join(errors), errors=errors)
    scope = p["scope"]
    host = module_host(module) if scope in ("all", "host") else None

    def body(ds):
        try:
            res = execute(host, p, module.warn, ds)
        except node_options.NodeError as exc:
            partial = dict(exc.details)
            diffs = partial.pop("diffs", [])
            module.fail_json(msg=str(exc), diff=diffs, **partial)
        res["diff"] = res.pop("diffs")
        return res

    run(module, body, use_datastore=scope in ("all", "datastore"))


if __name__ == "__main__":
    main()
