# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one change tracker: what each object was before the run and is after it, whether anything
changed, and the resulting objects. Every module reports ``changed`` and ``--diff`` from one of these,
in one shape (``Changes.diff()``): Ansible's list of diffs, one entry per object that changed, in the
order of its first change::

    [{"before_header": "IPPool default-ipv4-ippool", "after_header": "IPPool default-ipv4-ippool",
      "before": {"name": ..., "labels": ..., "spec": ...}, "after": {...}}]

An absent object is ``{}``. A Calico resource is shown as name, labels, spec (never uid, timestamps
or revision); other objects (a host's file, an EC2 instance's interface) bring their own view: a
file's text, a dict of the compared fields."""

from __future__ import annotations

from typing import Any, Callable


def view(resource: dict | None) -> dict:
    """What --diff shows of a resource: name, labels, spec."""
    if not resource:
        return {}
    meta = resource.get("metadata") or {}
    out: dict[str, Any] = {"name": meta.get("name")}
    if meta.get("labels"):
        out["labels"] = meta["labels"]
    out["spec"] = resource.get("spec") or {}
    return out


class Changes:
    """Before/after per object, keyed ``Kind/name``; the first before and the last after win,
    so several writes to one object show as one change."""

    def __init__(self, view_fn: Callable[[dict | None], dict] | None = None) -> None:
        self.view = view_fn or view             # what --diff shows of an object
        self.changed = False
        self.before: dict[str, Any] = {}
        self.after: dict[str, Any] = {}
        self.resources: dict[str, Any] = {}
        self.headers: dict[str, tuple[str, str]] = {}
        self.order: list[str] = []

    def record(self, key: str, before: dict | None, after: dict | None, changed: bool) -> dict | None:
        """A Calico resource ``key`` (``Kind/name``); ``before``/``after`` are resources (None:
        absent). Returns ``after``."""
        self.record_view(key, self.view(before), self.view(after), changed)
        self.resources[key] = after
        return after

    def record_view(self, key: str, before: Any, after: Any, changed: bool | None = None,
                    headers: tuple[str, str] | None = None) -> None:
        """Any other object, already in its --diff view (``{}`` or ``""``: absent). ``changed``
        defaults to ``before != after``; ``headers`` (before, after) default to ``Kind name``."""
        if key not in self.before:
            self.order.append(key)
            self.before[key] = before
        self.after[key] = after
        name = key.replace("/", " ", 1)
        self.headers[key] = (self.headers.get(key, headers or (name, name))[0], (headers or (name, name))[1])
        self.changed = self.changed or (before != after if changed is None else changed)

    def diff(self, keys: list[str] | None = None) -> list[dict[str, Any]]:
        """The one --diff shape: the changed objects (of ``keys``, default all) as Ansible's list
        of diffs, each with its header."""
        out = []
        for key in self.order if keys is None else [k for k in self.order if k in keys]:
            (bh, ah) = self.headers[key]
            if self.before[key] != self.after[key] or bh != ah:
                out.append({"before_header": bh, "after_header": ah,
                            "before": self.before[key], "after": self.after[key]})
        return out
