# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""BIRD's control socket, spoken directly (no ``birdc`` text scraping).

The protocol (BIRD user's guide, "Remote control"; the same for BIRD 1.x, which calico-node runs,
and BIRD 2): the client writes one command line; every reply line starts with a four-digit code
followed by ``-`` when more lines follow or a space on the last line; a line starting with a space
continues the previous code. 0xxx: the action's result, 1xxx: table rows, 2xxx: table headers,
8xxx: run-time errors, 9xxx: parse errors. ``show protocols`` rows are code 1002 (name, protocol,
table, state, since, info); the info of a BGP protocol is its BGP state (``Established``...).
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from typing import Callable, Iterable

CALICO_SOCKET = "/var/run/calico/bird.ctl"
BGP_STATES = ("Idle", "Connect", "Active", "OpenSent", "OpenConfirm", "Established", "Close")


class BirdError(Exception):
    """A sentence with the fix."""


@dataclass(frozen=True)
class Protocol:
    name: str
    proto: str
    table: str
    state: str            # up | down | start | stop | ...
    bgp_state: str | None  # Established | Active | ... (BGP protocols)
    info: str

    @property
    def established(self) -> bool:
        return self.state == "up" and self.bgp_state == "Established"


def parse_reply(lines: Iterable[str]) -> list[tuple[int, str]]:
    """[(code, text)] from raw reply lines (without newlines); continuation lines keep the code."""
    out: list[tuple[int, str]] = []
    code = 0
    for line in lines:
        if len(line) >= 5 and line[:4].isdigit() and line[4] in "- ":
            code = int(line[:4])
            out.append((code, line[5:]))
        elif line.startswith(" "):
            out.append((code, line[1:]))
        elif line:
            raise BirdError(f"unexpected line from BIRD's control socket: {line!r}")
    return out


def parse_protocols(reply: Iterable[tuple[int, str]]) -> list[Protocol]:
    """Protocols from a ``show protocols`` reply (rows with code 1002)."""
    out = []
    for code, text in reply:
        if code != 1002:
            continue
        tokens = text.split()
        if len(tokens) < 4:
            continue
        name, proto, table, state = tokens[:4]
        rest = tokens[4:]
        # 'since' is one token with BIRD's default time formats; find the info after it
        idx = next((i for i, t in enumerate(rest) if t in BGP_STATES), None)
        bgp_state = rest[idx] if idx is not None and proto == "BGP" else None
        info = " ".join(rest[idx:]) if idx is not None else " ".join(rest[1:])
        out.append(Protocol(name, proto, table, state, bgp_state, info))
    return out


def _reply_done(line: str) -> bool:
    return len(line) >= 5 and line[:4].isdigit() and line[4] == " "


class BirdControl:
    """One connection to a BIRD control socket: ``with BirdControl(path) as b: b.protocols()``."""

    def __init__(self, path: str = CALICO_SOCKET, timeout: float = 5.0) -> None:
        self.path = path
        self.timeout = timeout
        self._sock: socket.socket | None = None
        self._buf = b""

    def __enter__(self) -> BirdControl:
        self.connect()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.path)
        except OSError as exc:
            sock.close()
            raise BirdError(f"cannot connect to BIRD's control socket {self.path}: {exc.strerror or exc}. "
                            "Is BIRD (calico-node's bird) running? Set socket to its control socket "
                            f"(calico-node: {CALICO_SOCKET}).") from None
        self._sock = sock
        hello = parse_reply(self._read_reply())    # 0001 BIRD <version> ready.
        if not hello or hello[0][0] != 1:
            raise BirdError(f"{self.path} did not greet like BIRD: {hello!r}")
        self.version = hello[0][1].replace(" ready.", "")

    def close(self) -> None:
        if self._sock:
            self._sock.close()
            self._sock = None

    def _read_reply(self) -> list[str]:
        if self._sock is None:
            raise BirdError(f"not connected to {self.path}")
        lines: list[str] = []
        while True:
            while b"\n" in self._buf:
                raw, self._buf = self._buf.split(b"\n", 1)
                line = raw.decode("utf-8", "replace")
                lines.append(line)
                if _reply_done(line):
                    return lines
            try:
                chunk = self._sock.recv(65536)
            except socket.timeout:
                raise BirdError(f"BIRD did not answer on {self.path} within {self.timeout} s") from None
            if not chunk:
                raise BirdError(f"BIRD closed its control socket {self.path} mid-reply")
            self._buf += chunk

    def command(self, cmd: str) -> list[tuple[int, str]]:
        """Send one command; the reply as [(code, text)]. 8xxx/9xxx codes raise BirdError."""
        if self._sock is None:
            self.connect()
        if self._sock is None:
            raise BirdError(f"not connected to {self.path}")
        self._sock.sendall(cmd.encode() + b"\n")
        reply = parse_reply(self._read_reply())
        bad = [(c, t) for c, t in reply if c >= 8000]
        if bad:
            raise BirdError(f"BIRD refused {cmd!r}: " + "; ".join(f"{c} {t}" for c, t in bad))
        return reply

    def protocols(self) -> list[Protocol]:
        return parse_protocols(self.command("show protocols"))

    def configure(self, path: str | None = None) -> str:
        """Reload the configuration (``configure ["path"]``); the final message (Reconfigured...)."""
        reply = self.command(f'configure "{path}"' if path else "configure")
        return reply[-1][1] if reply else ""


@dataclass
class WaitResult:
    established: list[str]
    missing: dict[str, str]          # protocol -> its state/info, or "absent"
    protocols: list[Protocol]
    waited: float


def check(protocols: list[Protocol], wanted: Iterable[str]) -> tuple[list[str], dict[str, str]]:
    by_name = {p.name: p for p in protocols}
    ok, missing = [], {}
    for name in wanted:
        p = by_name.get(name)
        if p is not None and p.established:
            ok.append(name)
        else:
            missing[name] = "absent (not in BIRD's configuration yet)" if p is None else (
                f"{p.state} {p.info}".strip())
    return ok, missing


def wait_established(read: Callable[[], list[Protocol]], wanted: list[str], timeout: float, interval: float = 1.0,
                     clock: Callable[[], float] = time.monotonic,
                     sleep: Callable[[float], None] = time.sleep) -> WaitResult:
    """Poll ``read()`` until every protocol in ``wanted`` is Established, at most ``timeout`` s.
    Returns the last observation; the caller decides what a non-empty ``missing`` means."""
    start = clock()
    while True:
        protocols = read()
        ok, missing = check(protocols, wanted)
        waited = clock() - start
        if not missing or waited >= timeout:
            return WaitResult(ok, missing, protocols, round(waited, 3))
        sleep(min(interval, max(0.0, timeout - waited)))
