"""BIRD's control-socket protocol: reply parsing, ``show protocols`` rows, the bounded wait, and the
client against a strict fake BIRD on a Unix socket (an unscripted command fails the test)."""

from __future__ import annotations

import socket
import threading

import pytest

from ansible_collections.netops.calico.plugins.module_utils._bgp import birdctl

SHOW_PROTOCOLS = (
    "2002-Name       Proto      Table      State  Since         Info\n"
    "1002-device1    Device     ---        up     16:40:12.345  \n"
    " static_blocks Static     master4    up     16:40:12.345  \n"
    " Mesh_198_18_0_2 BGP        ---        up     16:40:13.512  Established   \n"
    " Node_198_18_0_11 BGP        ---        start  16:40:13.512  Active        Socket: Connection refused\n"
    " Node_198_18_0_12 BGP        ---        start  2026-11-30 16:40:13  Connect\n"
    "0000 \n"
)


def test_parse_reply_keeps_codes_on_continuation_lines():
    reply = birdctl.parse_reply(SHOW_PROTOCOLS.splitlines())
    assert reply[0] == (2002, "Name       Proto      Table      State  Since         Info")
    assert [code for code, _text in reply] == [2002, 1002, 1002, 1002, 1002, 1002, 0]


def test_parse_reply_rejects_garbage():
    with pytest.raises(birdctl.BirdError, match="unexpected line"):
        birdctl.parse_reply(["hello"])


def test_parse_protocols():
    protos = {p.name: p for p in birdctl.parse_protocols(birdctl.parse_reply(SHOW_PROTOCOLS.splitlines()))}
    assert protos["Mesh_198_18_0_2"].established
    assert protos["Node_198_18_0_11"].bgp_state == "Active" and not protos["Node_198_18_0_11"].established
    assert protos["Node_198_18_0_11"].info == "Active Socket: Connection refused"
    assert protos["Node_198_18_0_12"].bgp_state == "Connect"          # a 'since' with a space
    assert protos["device1"].bgp_state is None and protos["device1"].state == "up"


def _proto(name, state="up", bgp="Established"):
    return birdctl.Protocol(name, "BGP", "---", state, bgp, bgp)


def test_wait_returns_when_all_established():
    reads = iter([[_proto("A", "start", "Active")], [_proto("A")]])
    t = [0.0]
    res = birdctl.wait_established(lambda: next(reads), ["A"], timeout=10, interval=1,
                                   clock=lambda: t[0], sleep=lambda s: t.__setitem__(0, t[0] + s))
    assert res.established == ["A"] and res.missing == {} and res.waited == 1.0


def test_wait_is_bounded_and_names_what_is_missing():
    t = [0.0]
    res = birdctl.wait_established(lambda: [_proto("A", "start", "Active")], ["A", "B"], timeout=3, interval=1,
                                   clock=lambda: t[0], sleep=lambda s: t.__setitem__(0, t[0] + s))
    assert res.waited == 3.0
    assert res.missing == {"A": "start Active", "B": "absent (not in BIRD's configuration yet)"}


class FakeBird:
    """A Unix socket answering exactly the scripted commands; anything else is recorded as an error."""

    def __init__(self, path, script: dict[str, str]) -> None:
        self.script = dict(script)
        self.errors: list[str] = []
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(str(path))
        self.srv.listen(1)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _addr = self.srv.accept()
        with conn:
            conn.sendall(b"0001 BIRD 2.0.12 ready.\n")
            buf = b""
            while True:
                data = conn.recv(4096)
                if not data:
                    return
                buf += data
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    cmd = line.decode()
                    if cmd not in self.script:
                        self.errors.append(f"unscripted command {cmd!r}")
                        return
                    conn.sendall(self.script.pop(cmd).encode())

    def close(self) -> None:
        self.srv.close()
        self.thread.join(2)


def test_client_against_strict_fake(tmp_path):
    path = tmp_path / "bird.ctl"
    fake = FakeBird(path, {"show protocols": SHOW_PROTOCOLS,
                           'configure "/etc/bird.conf"': "0002-Reading configuration from /etc/bird.conf\n"
                                                         "0003 Reconfigured\n",
                           "configure": "0002-Reading configuration from /etc/bird.conf\n"
                                        "8002 /etc/bird.conf:3:1 syntax error\n"})
    try:
        with birdctl.BirdControl(str(path), timeout=2) as ctl:
            assert ctl.version == "BIRD 2.0.12"
            assert len(ctl.protocols()) == 5
            assert ctl.configure("/etc/bird.conf") == "Reconfigured"
            with pytest.raises(birdctl.BirdError, match="8002 /etc/bird.conf:3:1 syntax error"):
                ctl.configure()
    finally:
        fake.close()
    assert fake.errors == [] and fake.script == {}


def test_missing_socket_says_what_to_do(tmp_path):
    with pytest.raises(birdctl.BirdError, match="Is BIRD .* running"):
        birdctl.BirdControl(str(tmp_path / "none.ctl")).connect()
