# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one change tracker: what each object was before the run and is after it (the --diff view:
name, labels, spec; never uid, timestamps or revision), whether anything changed, and the
resulting objects. Every module reports ``changed`` and ``--diff`` from one of these."""

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
        self.before: dict[str, dict] = {}
        self.after: dict[str, dict] = {}
        self.resources: dict[str, Any] = {}
        self.order: list[str] = []

    def record(self, key: str, before: dict | None, after: dict | None, changed: bool) -> dict | None:
        """``before``/``after`` are resources (None: absent). Returns ``after``."""
        if key not in self.before:
            self.order.append(key)
            self.before[key] = self.view(before)
        self.after[key] = self.view(after)
        self.resources[key] = after
        self.changed = self.changed or changed
        return after

    def diff(self) -> dict[str, dict]:
        """Every object: ``{"before": {key: view}, "after": {key: view}}``."""
        return {"before": dict(self.before), "after": dict(self.after)}

    def diff_of(self, key: str) -> dict[str, dict]:
        """One object's before/after (the modules that manage exactly one)."""
        return {"before": self.before.get(key, {}), "after": self.after.get(key, {})}

    def diff_list(self) -> list[dict[str, Any]]:
        """The changed objects as Ansible's list of diffs, each with its ``Kind name`` header."""
        out = []
        for key in self.order:
            if self.before[key] != self.after[key]:
                header = key.replace("/", " ", 1)
                out.append({"before_header": header, "after_header": header,
                            "before": self.before[key], "after": self.after[key]})
        return out
