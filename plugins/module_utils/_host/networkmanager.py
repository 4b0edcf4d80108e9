# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keep NetworkManager away from the interfaces Calico creates.

NetworkManager reads ``/etc/NetworkManager/conf.d/*.conf``; ``[keyfile] unmanaged-devices`` lists
devices it must not touch (NetworkManager.conf(5), "Device List Format"). Calico's own guide
("Configure NetworkManager") and kubespray (roles/kubernetes/preinstall/tasks/
0062-networkmanager-unmanaged-devices.yml) write the same file; the names are Felix's defaults
(cali* workload veths, tunl0 IP-in-IP, vxlan.calico / vxlan-v6.calico, wireguard.cali / wg-v6.cali).
"""

from __future__ import annotations

from ansible_collections.netops.calico.plugins.module_utils._host.system import Host

CONF_PATH = "/etc/NetworkManager/conf.d/calico.conf"
CALICO_INTERFACES = ("cali*", "tunl*", "vxlan.calico", "vxlan-v6.calico", "wireguard.cali", "wg-v6.cali")


def present(host: Host) -> bool:
    """NetworkManager is installed (its binary or its configuration directory exists)."""
    return bool(host.which("NetworkManager")) or host.isdir("/etc/NetworkManager")


def render(interfaces: tuple[str, ...] | list[str] = CALICO_INTERFACES) -> str:
    devices = ";".join(f"interface-name:{i}" for i in interfaces)
    return ("# Managed by netops.calico: NetworkManager must not manage Calico's interfaces.\n"
            "[keyfile]\n"
            f"unmanaged-devices={devices}\n")


def reload(host: Host) -> tuple[bool, str]:
    """Ask a running NetworkManager to re-read its configuration (``nmcli general reload conf``).
    Returns (reloaded, message); not running is not an error (it reads the file when it starts)."""
    nmcli = host.which("nmcli")
    systemctl = host.which("systemctl")
    if systemctl:
        rc, _o, _e = host.run([systemctl, "is-active", "--quiet", "NetworkManager.service"])
        if rc != 0:
            return False, "NetworkManager is not running; it reads the file when it starts"
    if not nmcli:
        return False, "nmcli is not installed; restart NetworkManager to apply"
    rc, _o, err = host.change([nmcli, "general", "reload", "conf"])
    if rc != 0:
        return False, f"nmcli general reload conf failed: {' '.join(err.split())}"
    return True, "NetworkManager reloaded its configuration"
