# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ``labels`` means on every module that writes a Calico resource (the one-resource modules and
calico_node; doc fragment ``netops.calico.resource.labels``): the given labels are set, a label
given as null is removed, every other label is kept; ``purge_labels: true`` makes ``labels`` the
exact set. Merging is the default because a Calico object's labels are not all ours: calico-node,
calico-kube-controllers (Kubernetes node labels on a KDD Node), calicoctl users and the route
reflector switch (``route-reflector``) all label Nodes."""

from __future__ import annotations


def apply_labels(current: dict[str, str] | None, labels: dict[str, str | None] | None,
                 purge: bool = False) -> dict[str, str]:
    """``current`` after ``labels`` (None: unchanged, even with ``purge``)."""
    if labels is None:
        return dict(current or {})
    out = {} if purge else dict(current or {})
    for key, value in labels.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out
