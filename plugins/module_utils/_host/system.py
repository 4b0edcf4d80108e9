# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The machine a host module works on: its files (under ``root``) and its commands."""

from __future__ import annotations

import os
from typing import Callable, Sequence

Runner = Callable[..., "tuple[int, str, str]"]

_SEARCH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")


class Host:
    """Files are read relative to ``root``; commands go through ``runner(argv, **kw)`` which has
    AnsibleModule.run_command's signature and returns (rc, stdout, stderr)."""

    def __init__(self, root: str = "/", runner: Runner | None = None,
                 warn: Callable[[str], None] | None = None) -> None:
        self.root = root
        self._runner = runner
        self.warn = warn or (lambda msg: None)

    # -- files ---------------------------------------------------------------------------
    def path(self, path: str) -> str:
        """The real location of absolute ``path`` on this host."""
        if self.root in ("", "/"):
            return path
        return os.path.join(self.root, path.lstrip("/"))

    def exists(self, path: str) -> bool:
        return os.path.lexists(self.path(path))

    def isdir(self, path: str) -> bool:
        return os.path.isdir(self.path(path))

    def read(self, path: str) -> str | None:
        """Text of ``path``, or None when it does not exist or cannot be read."""
        try:
            with open(self.path(path), encoding="utf-8", errors="replace") as fh:
                return fh.read()
        except OSError:
            return None

    def read_bytes(self, path: str) -> bytes | None:
        try:
            with open(self.path(path), "rb") as fh:
                return fh.read()
        except OSError:
            return None

    def listdir(self, path: str) -> list[str]:
        try:
            return sorted(os.listdir(self.path(path)))
        except OSError:
            return []

    def mode(self, path: str) -> int | None:
        try:
            return os.stat(self.path(path)).st_mode & 0o7777
        except OSError:
            return None

    # -- commands --------------------------------------------------------------------------
    def which(self, name: str, extra: Sequence[str] = ()) -> str | None:
        """Absolute path of executable ``name`` in the usual system directories (as seen on the
        host, i.e. without ``root``), or None."""
        dirs = list(extra) + [d for d in os.environ.get("PATH", "").split(os.pathsep) if d] + list(_SEARCH)
        seen = set()
        for d in dirs:
            if d in seen or not d.startswith("/"):
                continue
            seen.add(d)
            cand = os.path.join(d, name)
            real = self.path(cand)
            if os.path.isfile(real) and os.access(real, os.X_OK):
                return cand
        return None

    def run(self, argv: Sequence[str], **kwargs) -> tuple[int, str, str]:
        """Run ``argv`` (a list: no shell is involved). Returns (rc, stdout, stderr)."""
        if self._runner is None:
            raise RuntimeError("this Host has no command runner")
        rc, out, err = self._runner(list(argv), **kwargs)
        return rc, out or "", err or ""
