# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What host modules do on a machine: read kernel state from /proc and /sys, write files and
sysctls, run commands (always an argv list, never a shell), drive systemd.

Every helper takes a :class:`system.Host`, which carries the filesystem root (``/`` on a real
host, a fake tree in unit tests) and the command runner (``AnsibleModule.run_command``)."""
