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
"""

    # What labels means on every module that writes a Calico resource (the one-resource modules and
    # calico_node), implemented once in module_utils/_resource/labels.py.
    LABELS = r"""
options:
  labels:
    description:
      - Labels to set on the resource. A label with a null value is removed; labels not named here are
        kept (other Calico components, Kubernetes and users label the same objects), unless O(purge_labels=true).
      - Omit it to leave the labels alone.
    type: dict
  purge_labels:
    description:
      - Make O(labels) the exact set of labels, removing every label not named in it.
      - Ignored when O(labels) is omitted.
    type: bool
    default: false
"""
