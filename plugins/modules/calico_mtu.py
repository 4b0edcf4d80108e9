#!/usr/bin/python
# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: calico_mtu
short_description: Detect a host's MTU the way Felix does and compute Calico's tunnel and pod MTUs
version_added: 0.1.0
description:
  - Host side of Calico's MTU. Reads the host's links through netlink (pyroute2), or sysfs when
    pyroute2 is missing, and takes the smallest MTU among the links that are up (C(IFF_RUNNING)) and
    whose name matches O(mtu_iface_pattern), as Felix's C(findHostMTU) does. When no link matches,
    the host MTU is 1460, Felix's fallback.
  - "Each tunnel MTU is the host MTU minus the tunnel's overhead: IP-in-IP 20, VXLAN 50 (70 over IPv6),
    WireGuard 60 (80 over IPv6). The pod MTU (C(veth)) is the smallest among O(encapsulations), or the
    host MTU when none is enabled (Felix's C(determinePodMTU))."
  - An explicit O(mtu) overrides the computation - every tunnel and the pods get that value, as kOps'
    C(mtu) does.
  - Reads only; never changes the host. The cluster value is the minimum of RV(host_mtu) over all
    hosts, given to M(netops.calico.calico_network) as its C(host_mtu), which writes the
    FelixConfiguration MTU fields and returns the CNI MTU, so pods and tunnels agree.
author:
  - netops.calico contributors (@netops-calico)
attributes:
  check_mode:
    support: full
    description: The module only reads, so check mode runs it unchanged.
  diff_mode:
    support: none
    description: Nothing is changed, so there is nothing to show.
  idempotent:
    support: full
    description: Never reports a change.
options:
  mtu:
    description:
      - Explicit MTU for pods and every tunnel (kOps C(mtu)); V(0) or unset computes it from the
        detected host MTU.
    type: int
  encapsulations:
    description: Encapsulations that are enabled, for the pod MTU.
    type: list
    elements: str
    choices: [ipip, vxlan, vxlan_v6, wireguard, wireguard_v6]
    default: []
  mtu_iface_pattern:
    description:
      - Regular expression of the links to consider, as Felix's C(mtuIfacePattern). The default is
        Felix's own default.
    type: str
    default: '^((en|wl|ww|sl|ib)[Pcopsvx].*|(eth|wlan|wwan).*)'
requirements:
  - pyroute2 (optional; sysfs is read without it)
seealso:
  - module: netops.calico.calico_network
"""

EXAMPLES = r"""
- name: Detect the MTU on every host
  netops.calico.calico_mtu:
    encapsulations: [ipip]
  register: calico_mtu_facts

- name: Apply the cluster-wide minimum once
  netops.calico.calico_network:
    host_mtu: "{{ ansible_play_hosts | map('extract', hostvars, ['calico_mtu_facts', 'host_mtu']) | min }}"
  run_once: true
"""

RETURN = r"""
host_mtu:
  description: The host MTU Felix would detect (1460 when no link matched).
  returned: always
  type: int
  sample: 9001
fallback:
  description: Whether no link matched and the 1460 fallback was used.
  returned: always
  type: bool
  sample: false
used_interfaces:
  description: The links the host MTU was taken from.
  returned: always
  type: list
  elements: str
  sample: [eth0]
interfaces:
  description: Every link seen, with its MTU, whether it is up and whether it matches the pattern.
  returned: always
  type: list
  elements: dict
  sample: [{name: eth0, mtu: 9001, up: true, matched: true}, {name: lo, mtu: 65536, up: true, matched: false}]
source:
  description: Where the links were read from, V(netlink) or V(sysfs).
  returned: always
  type: str
  sample: netlink
mtu:
  description: Computed MTUs of each tunnel and of pods (C(veth)).
  returned: always
  type: dict
  sample: {ipip: 8981, vxlan: 8951, vxlan_v6: 8931, wireguard: 8941, wireguard_v6: 8921, veth: 8981}
"""

import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.netops.calico.plugins.module_utils._node import mtu as _mtu


def main() -> None:
    module = AnsibleModule(argument_spec={
        "mtu": {"type": "int"},
        "encapsulations": {"type": "list", "elements": "str", "choices": list(_mtu.ENCAPSULATIONS), "default": []},
        "mtu_iface_pattern": {"type": "str", "default": _mtu.DEFAULT_IFACE_PATTERN},
    }, supports_check_mode=True)
    p = module.params
    if p["mtu"] and not _mtu.MIN_MTU <= p["mtu"] <= _mtu.MAX_MTU:
        module.fail_json(msg=f"mtu: Invalid value: {p['mtu']}: must be 0 (auto-detect) or between "
                             f"{_mtu.MIN_MTU} and {_mtu.MAX_MTU}")
    try:
        rx = re.compile(p["mtu_iface_pattern"])
    except re.error as exc:
        module.fail_json(msg=f"mtu_iface_pattern: Invalid value: {p['mtu_iface_pattern']!r}: does not compile: {exc}")
    try:
        links, source = _mtu.read_links()
    except OSError as exc:
        module.fail_json(msg=f"Could not read the host's links ({exc}); run the module as root on the host.")
    host, used, fallback = _mtu.host_mtu(links, p["mtu_iface_pattern"])
    if fallback:
        module.warn(f"No link that is up matches mtu_iface_pattern {p['mtu_iface_pattern']!r}: using Felix's "
                    f"fallback host MTU {_mtu.FALLBACK_HOST_MTU}. Set the pattern to match this host's NICs.")
    mtu = _mtu.compute(host, p["mtu"] or None, p["encapsulations"])
    for w in _mtu.mtu_warnings(host, p["mtu"] or None, p["encapsulations"]):
        module.warn(w)
    module.exit_json(
        changed=False, host_mtu=host, fallback=fallback, used_interfaces=used, source=source, mtu=mtu,
        interfaces=[{"name": link.name, "mtu": link.mtu, "up": link.oper_up, "matched": bool(rx.search(link.name))}
                    for link in links])


if __name__ == "__main__":
    main()
