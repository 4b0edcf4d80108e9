# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Modules that manage one Calico v3 resource through _resource.ensure_resource.
    DOCUMENTATION = r"""
attributes:
  check_mode:
    support: full
    description: Computes the change and the diff the same way, and skips only the write.
  diff_mode:
    support: full
    description: Shows the resource's name, labels and spec before and after.
  idempotent:
    support: full
    description: A second run with the same options reports no change.
options:
  state:
    description: Whether the resource should exist.
    type: str
    choices: [present, absent]
    default: present
  labels:
    description: Labels of the resource; when set, its labels become exactly these.
    type: dict
"""
