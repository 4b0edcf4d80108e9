# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The machine a host module works on: its files (under ``root``) and its commands.

Reads (``read``, ``mode``, ``which``, ``run`` for commands that only look) and changes
(``write_file``, ``set_mode``, ``write_value``, ``change`` for commands that change the machine) are
separate methods, so that check mode is a wrapper around the host (``_host.dryrun.DryRunHost``) that
records the changes instead of making them, and the code above decides the same way in both modes."""

from __future__ import annotations

import os
import tempfile
from typing import Callable, Sequence

Runner = Callable[..., "tuple[int, str, str]"]

_SEARCH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")


class Host:
    """Files are read relative to ``root``; commands go through ``runner(argv, **kw)`` which has
    AnsibleModule.run_command's signature and returns (rc, stdout, stderr)."""

    #: True on a check-mode wrapper: changes are recorded, not made (reads that would observe a
    #: change, such as waiting for a started unit, answer as if it had been made)
    simulated = False

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

    # -- changes -----------------------------------------------------------------------------
    def write_file(self, path: str, content: str, mode: int, dir_mode: int = 0o755) -> None:
        """Replace ``path`` with ``content`` atomically (temp file in the same directory, then
        rename); missing parents are created with ``dir_mode``."""
        real = self.path(path)
        parent = os.path.dirname(real)
        os.makedirs(parent, mode=dir_mode, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(real)}.", dir=parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(content)
            os.chmod(tmp, mode)
            os.replace(tmp, real)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def set_mode(self, path: str, mode: int) -> None:
        os.chmod(self.path(path), mode)

    def write_value(self, path: str, value: str) -> None:
        """Write ``value`` into an existing kernel file in place (``/proc/sys``). Raises OSError
        (e.g. read-only /proc/sys in an unprivileged container)."""
        with open(self.path(path), "w", encoding="ascii") as fh:
            fh.write(value)

    def change(self, argv: Sequence[str], **kwargs) -> tuple[int, str, str]:
        """Run a command that changes the machine (modprobe, mount, systemctl start, a package
        install, ...). Returns (rc, stdout, stderr)."""
        return self.run(argv, **kwargs)
