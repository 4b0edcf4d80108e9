# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whole-file content and mode, written atomically (``Host.write_file``: temp file in the same
directory + rename), recorded in the change tracker for --diff (the file's text, the mode in the
header when it changes). In check mode the host is a ``DryRunHost``, which records the write instead
of making it, so the same code decides in both modes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ansible_collections.netops.calico.plugins.module_utils._host.system import Host
from ansible_collections.netops.calico.plugins.module_utils._resource.changes import Changes


@dataclass
class FileChange:
    path: str
    changed: bool = False
    created: bool = False
    content_changed: bool = False
    mode_changed: bool = False

    def as_dict(self) -> dict:
        return {"path": self.path, "changed": self.changed, "created": self.created,
                "content_changed": self.content_changed, "mode_changed": self.mode_changed}


def ensure_file(host: Host, path: str, content: str, mode: int = 0o644, dir_mode: int = 0o755,
                changes: Changes | None = None,
                shown: Callable[[str, str], tuple[str, str]] | None = None) -> FileChange:
    """Make ``path`` hold exactly ``content`` with ``mode`` (parents created with ``dir_mode``);
    the change is recorded in ``changes`` under ``File/<path>``.

    The file's text goes into the diff; ``shown(before, after)`` gives the texts to show instead
    (e.g. with values masked), so pass secrets only with a ``shown`` that hides them."""
    before = host.read(path)
    cur_mode = host.mode(path)
    res = FileChange(path=path)
    res.created = before is None
    res.content_changed = before != content
    res.mode_changed = not res.created and cur_mode != mode
    res.changed = res.content_changed or res.mode_changed
    headers = (f"{path} (mode {cur_mode:04o})", f"{path} (mode {mode:04o})") if res.mode_changed else (path, path)
    if changes is not None:
        seen = shown(before or "", content) if shown else (before or "", content)
        changes.record_view(f"File/{path}", seen[0], seen[1], res.changed, headers)
    if res.content_changed:
        host.write_file(path, content, mode, dir_mode)
    elif res.mode_changed:
        host.set_mode(path, mode)
    return res
