# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""systemd through systemctl / systemd-analyze / journalctl (argv lists, machine-readable output:
``systemctl show --property`` is key=value by design)."""

from __future__ import annotations

import os
import shutil
import tempfile
import time

from ansible_collections.netops.calico.plugins.module_utils._host.system import Host


class SystemdError(Exception):
    pass


class Systemd:
    def __init__(self, host: Host) -> None:
        self.host = host
        self.systemctl = host.which("systemctl")

    @property
    def running(self) -> bool:
        """systemd is the init system and is up (sd_booted(3): /run/systemd/system exists)."""
        return bool(self.systemctl) and self.host.isdir("/run/systemd/system")

    def _ctl(self, *args: str, check: bool = True, changes: bool = False) -> tuple[int, str, str]:
        """systemctl ``args``; ``changes``: the command changes the machine (``Host.change``)."""
        if not self.systemctl:
            raise SystemdError("systemctl is not installed: this host does not run systemd")
        rc, out, err = (self.host.change if changes else self.host.run)([self.systemctl, *args])
        if check and rc != 0:
            raise SystemdError(f"systemctl {' '.join(args)} failed (exit {rc}): {' '.join((err or out).split())}")
        return rc, out, err

    def verify(self, unit_name: str, content: str) -> list[str]:
        """``systemd-analyze verify`` on ``content`` as unit ``unit_name`` in a private temporary
        directory (nothing under /etc is touched, so it also runs in check mode). Returns the
        problems found, empty when the unit is accepted."""
        analyze = self.host.which("systemd-analyze")
        if not analyze:
            return []
        tmpdir = tempfile.mkdtemp(prefix="calico-unit-")
        try:
            path = os.path.join(tmpdir, unit_name)
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(content)
            rc, out, err = self.host.run([analyze, "verify", path])
        finally:
            shutil.rmtree(tmpdir, ignore_errors=True)
        lines = [ln.strip() for ln in (err + "\n" + out).splitlines() if ln.strip()]
        # verify also loads the units ours depends on and reports their (unrelated) problems:
        # keep only what names our unit or its file
        mine = [ln.replace(path, unit_name) for ln in lines if unit_name in ln or path in ln]
        if rc != 0 and not mine:
            mine = lines[-5:] or [f"systemd-analyze verify exited {rc}"]
        return mine

    def show(self, unit: str, *props: str) -> dict[str, str]:
        _rc, out, _err = self._ctl("show", unit, "--property=" + ",".join(props), check=False)
        values = {}
        for line in out.splitlines():
            k, sep, v = line.partition("=")
            if sep:
                values[k] = v
        return values

    def state(self, unit: str) -> dict[str, str]:
        return self.show(unit, "LoadState", "ActiveState", "SubState", "UnitFileState", "Result",
                         "ExecMainStatus", "NRestarts")

    def daemon_reload(self) -> None:
        self._ctl("daemon-reload", changes=True)

    def enable(self, unit: str) -> None:
        self._ctl("enable", unit, changes=True)

    def start(self, unit: str) -> None:
        self._ctl("start", unit, changes=True)

    def restart(self, unit: str) -> None:
        self._ctl("restart", unit, changes=True)

    def journal(self, unit: str, lines: int = 20) -> str:
        journalctl = self.host.which("journalctl")
        if not journalctl:
            return ""
        _rc, out, _err = self.host.run([journalctl, "--unit", unit, "--lines", str(lines), "--no-pager",
                                        "--output", "cat"])
        return out.strip()

    def wait_running(self, unit: str, settle: float = 3.0, timeout: float = 30.0) -> dict[str, str]:
        """Wait until ``unit`` is active and has stayed so for ``settle`` seconds (a container that
        exits at once shows as active for a moment). Returns its final state; on a check-mode host
        (``Host.simulated``: nothing was started) the state the start would lead to."""
        if self.host.simulated:
            return {**self.state(unit), "ActiveState": "active", "SubState": "running"}
        deadline = time.monotonic() + timeout
        since = None
        st = self.state(unit)
        while time.monotonic() < deadline:
            st = self.state(unit)
            if st.get("ActiveState") == "active" and st.get("SubState") == "running":
                since = since or time.monotonic()
                if time.monotonic() - since >= settle:
                    return st
            else:
                since = None
                if st.get("ActiveState") == "failed":
                    return st
            time.sleep(0.5)
        return st
