#!/usr/bin/python
# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: calico_wireguard
short_description: Install WireGuard for Calico and prove the kernel supports it
version_added: 0.1.0
description:
  - Installs the WireGuard packages where they are missing - C(wireguard) and C(wireguard-tools)
    on Debian and Ubuntu (without recommends, and C(wireguard) only where a distribution kernel
    package already provides C(wireguard-modules), so no kernel image is pulled in), C(wireguard-tools)
    on EL 8/9, Fedora and Amazon Linux, plus what a kernel older than 5.6 needs
    (C(kmod-wireguard) on EL, C(wireguard-dkms) and the kernel headers on Amazon Linux 2, Debian and
    Ubuntu; the repositories that carry them are yours to enable).
  - Then proves that the running kernel can make a WireGuard link - it finds the module through
    C(/proc/modules), C(/sys/module), C(modules.builtin), the kernel config and C(modprobe --dry-run),
    loads it when it is loadable, and creates a throwaway C(wireguard) link (netlink through
    pyroute2 when the host has it, else C(ip link add ... type wireguard)) and deletes it.
  - On a kernel without WireGuard it fails with what was checked and the fix for this OS (a newer
    or HWE kernel, C(linux-modules-extra) on Ubuntu, a reboot after a kernel update).
  - It never creates, reads or returns WireGuard keys; Felix makes each node's key pair.
author:
  - netops.calico contributors (@netops-calico)
attributes:
  check_mode:
    support: full
    description:
      - Decides the same way and skips the writes (package installation, module loading). The test
        link is still created when the module is already loaded or built in; it is deleted at once.
  diff_mode:
    support: full
    description: Shows each package installed and the wireguard kernel module loaded (C(Package <name>),
      C(KernelModule wireguard)), before and after.
  idempotent:
    support: full
    description: Once the packages are installed and the module loaded, a second run reports no change.
options:
  install:
    description: Install the packages that are missing. V(false) only checks.
    type: bool
    default: true
  packages:
    description: The packages to install instead of the default list for this OS.
    type: list
    elements: str
  install_recommends:
    description: On Debian and Ubuntu, also install recommended packages (Debian's C(wireguard) recommends a kernel image).
    type: bool
    default: false
  probe_link:
    description: Create and delete a throwaway WireGuard link to prove kernel support.
    type: bool
    default: true
  on_missing_kernel_feature:
    description:
      - V(fail) fails the task when the kernel has no WireGuard; V(warn) returns RV(supported=false)
        with the same message as a warning.
    type: str
    choices: [fail, warn]
    default: fail
requirements:
  - iproute2 (C(ip)) or the pyroute2 Python library on the host, for the link test.
seealso:
  - module: netops.calico.calico_node
"""

EXAMPLES = r"""
- name: WireGuard for Calico (fails with the fix when the kernel lacks it)
  netops.calico.calico_wireguard:

- name: Only check, do not install
  netops.calico.calico_wireguard:
    install: false
    on_missing_kernel_feature: warn
  register: wg

- name: Report it
  ansible.builtin.debug:
    msg: "WireGuard supported: {{ wg.supported }} ({{ wg.kernel.module.state }})"
"""

RETURN = r"""
supported:
  description:
    - Whether the running kernel can make WireGuard links; null in check mode when the packages
      that would bring WireGuard to this kernel are not installed yet.
  returned: always
  type: bool
  sample: true
os:
  description: The OS, from /etc/os-release.
  returned: always
  type: dict
  sample: {id: debian, version_id: "12", family: debian, pretty_name: Debian GNU/Linux 12 (bookworm)}
packages:
  description: Each WireGuard package and its installed version (null when not installed).
  returned: always
  type: dict
  sample: {wireguard: "1.0.20210914-1", wireguard-tools: "1.0.20210914-1"}
skipped_packages:
  description:
    - Default packages left out, with the reason. Debian's C(wireguard) metapackage is left out on a
      host where no installed package provides C(wireguard-modules) (no distribution kernel package,
      as in a container or with a custom kernel), because apt would install a kernel image for it.
  returned: always
  type: dict
  sample: {}
installed:
  description: The packages this task installed (would install, in check mode).
  returned: always
  type: list
  elements: str
  sample: [wireguard, wireguard-tools]
kernel:
  description:
    - The kernel release; the module's state (V(loaded), V(builtin), V(loadable), V(missing)) with
      its evidence and what was checked; whether this task loaded it; the test link's outcome.
  returned: always
  type: dict
  sample:
    release: 6.1.0-18-amd64
    module: {name: wireguard, state: loaded, evidence: listed in /proc/modules, checked: []}
    loaded_now: false
    link_probe: {kind: wireguard, ok: true, method: ip link add dev <probe> type wireguard, error: ""}
tools:
  description: Path of the C(wg) tool, null when it is not installed.
  returned: always
  type: dict
  sample: {wg: /usr/bin/wg}
msg:
  description: Why WireGuard is not supported and how to fix it.
  returned: when RV(supported) is not true
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.netops.calico.plugins.module_utils._node import wireguard as _wireguard
from ansible_collections.netops.calico.plugins.module_utils._module import module_host


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "install": {"type": "bool", "default": True},
            "packages": {"type": "list", "elements": "str"},
            "install_recommends": {"type": "bool", "default": False},
            "probe_link": {"type": "bool", "default": True},
            "on_missing_kernel_feature": {"type": "str", "choices": ["fail", "warn"], "default": "fail"},
        },
        supports_check_mode=True,
    )
    try:
        res = _wireguard.ensure(module_host(module), module.params)
    except _wireguard.WireguardError as exc:
        partial = dict(exc.result)
        partial.pop("msg", None)
        module.fail_json(msg=str(exc), **partial)
    if res.get("supported") is False:
        module.warn(res["msg"])
    module.exit_json(**res)


if __name__ == "__main__":
    main()
