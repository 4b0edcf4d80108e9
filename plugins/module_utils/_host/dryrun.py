# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check mode on a host, the way ``_datastore.dryrun.DryRun`` is check mode on the datastore: a
wrapper around a :class:`system.Host` that records every change (file written, mode set, kernel
value written, changing command run) in ``actions`` instead of making it. Reads and looking
commands still run; files it "wrote" read back as written, so the same code decides the same way in
both modes. A recorded command answers success (rc 0, no output)."""

from __future__ import annotations

from typing import Any, Sequence

from ansible_collections.netops.calico.plugins.module_utils._host.system import Host


class DryRunHost:
    """Wraps a ``Host``; every read passes through, every change is recorded."""

    simulated = True

    def __init__(self, host: Host) -> None:
        self.host = host
        self.actions: list[tuple[str, str]] = []           # (verb, what), in order
        self._files: dict[str, tuple[str, int]] = {}       # path -> (content, mode) as written

    def __getattr__(self, name: str) -> Any:
        return getattr(self.host, name)

    def read(self, path: str) -> str | None:
        if path in self._files:
            return self._files[path][0]
        return self.host.read(path)

    def mode(self, path: str) -> int | None:
        if path in self._files:
            return self._files[path][1]
        return self.host.mode(path)

    def exists(self, path: str) -> bool:
        return path in self._files or self.host.exists(path)

    def write_file(self, path: str, content: str, mode: int, dir_mode: int = 0o755) -> None:
        self._files[path] = (content, mode)
        self.actions.append(("write", path))

    def set_mode(self, path: str, mode: int) -> None:
        self._files[path] = (self.read(path) or "", mode)
        self.actions.append(("chmod", f"{path} {mode:04o}"))

    def write_value(self, path: str, value: str) -> None:
        self._files[path] = (value, self.mode(path) or 0o644)
        self.actions.append(("write", path))

    def change(self, argv: Sequence[str], **kwargs) -> tuple[int, str, str]:
        self.actions.append(("run", " ".join(str(a) for a in argv)))
        return 0, "", ""
