"""Real BGP speakers for tests: bird2 in network namespaces on one bridge (198.18.0.0/24), each
configured from the Calico datastore the way calico-node's confd would (netops.calico's _bgp.confd:
Node, BGPPeer, BGPConfiguration, IPPool and the node's block affinities -> BIRD config), reloaded
through BIRD's control socket when the rendering changes (confd's ``reload_cmd``).

Namespaces are ``rr-<random>-<node>`` and are deleted in ``close()``; BIRD runs in the foreground
(``bird -f``) as a child of the test and is stopped by its process handle; control sockets live in
a private temp dir. Routes are read with pyroute2 (netlink), never by parsing ``ip route``."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ansible_collections.netops.calico.plugins.module_utils._bgp import birdctl, confd
from ansible_collections.netops.calico.plugins.module_utils._datastore import ipam, model
from conftest import stop_process

RTPROT_BIRD = 12
FAST = confd.Timers(connect_delay=1, connect_retry=1, error_wait=(1, 5), hold=9, keepalive=3)


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


@dataclass
class Speaker:
    name: str
    ns: str
    addr: str
    conf: Path
    ctl: Path
    proc: subprocess.Popen | None = None
    rendered: str = ""


@dataclass
class Lab:
    """``Lab(names_to_addrs)``; ``up()``; ``reconcile(ds)``; ``routes(name)``; ``close()``."""
    addrs: dict[str, str]
    tag: str = field(default_factory=lambda: secrets.token_hex(2))
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="rr-bird-")))
    speakers: dict[str, Speaker] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)
    static: tuple[str, ...] = ()          # speakers not configured from the datastore

    @property
    def hub(self) -> str:
        return f"rr-{self.tag}-hub"

    def up(self) -> None:
        ip("netns", "add", self.hub)
        self.created.append(self.hub)
        ip("-n", self.hub, "link", "add", "br0", "type", "bridge")
        ip("-n", self.hub, "link", "set", "br0", "up")
        for i, (name, addr) in enumerate(sorted(self.addrs.items()), 1):
            ns = f"rr-{self.tag}-{name}"
            ip("netns", "add", ns)
            self.created.append(ns)
            ip("link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", f"p{i}", "netns", self.hub)
            ip("-n", self.hub, "link", "set", f"p{i}", "master", "br0", "up")
            ip("-n", ns, "link", "set", "lo", "up")
            ip("-n", ns, "link", "set", "eth0", "up")
            ip("-n", ns, "addr", "add", f"{addr}/24", "dev", "eth0")
            self.speakers[name] = Speaker(name, ns, addr, self.workdir / f"{name}.conf", self.workdir / f"{name}.ctl")

    # -- calico-node stand-in -------------------------------------------------------------
    def render(self, ds, name: str) -> str:
        nodes = ds.list("Node")
        blocks = [a["name"].split("/", 1)[1] for a in ds.ipam_list("BlockAffinity", node=name)
                  if (a.get("value") or {}).get("state") == "confirmed"]
        cfg = confd.node_config(name, nodes, ds.list("BGPPeer"), ds.get("BGPConfiguration", "default"),
                                ds.list("IPPool"), blocks)
        return confd.render_bird2(cfg, FAST, log=str(self.workdir / f"{name}.log"))

    def reconcile(self, ds, names: list[str] | None = None) -> dict[str, str]:
        """What calico-node's confd does on a datastore change: render, check (``bird -p``), and
        start BIRD or ``configure`` it when the file changed. {speaker: BIRD's answer}."""
        out = {}
        for name in names or sorted(n for n in self.speakers if n not in self.static):
            sp = self.speakers[name]
            text = self.render(ds, name)
            if text == sp.rendered and sp.proc is not None:
                continue
            tmp = sp.conf.with_suffix(".new")
            tmp.write_text(text)
            check = subprocess.run(["bird", "-p", "-c", str(tmp)], capture_output=True, text=True, check=False)
            if check.returncode != 0:
                raise AssertionError(f"bird -p refused the rendering for {name}: {check.stderr}\n{text}")
            os.replace(tmp, sp.conf)
            sp.rendered = text
            if sp.proc is None:
                sp.proc = subprocess.Popen(["ip", "netns", "exec", sp.ns, "bird", "-f", "-c", str(sp.conf),
                                            "-s", str(sp.ctl)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                out[name] = "started"
            else:
                with birdctl.BirdControl(str(sp.ctl)) as ctl:
                    out[name] = ctl.configure(str(sp.conf))
        return out

    def start_static(self, name: str, text: str) -> None:
        """A BIRD whose configuration is not Calico's (a dedicated reflector): check, write, start or
        reload through the control socket."""
        sp = self.speakers[name]
        tmp = sp.conf.with_suffix(".new")
        tmp.write_text(text)
        check = subprocess.run(["bird", "-p", "-c", str(tmp)], capture_output=True, text=True, check=False)
        if check.returncode != 0:
            raise AssertionError(f"bird -p refused the configuration for {name}: {check.stderr}\n{text}")
        os.replace(tmp, sp.conf)
        sp.rendered = text
        if sp.proc is None:
            sp.proc = subprocess.Popen(["ip", "netns", "exec", sp.ns, "bird", "-f", "-c", str(sp.conf),
                                        "-s", str(sp.ctl)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        else:
            with birdctl.BirdControl(str(sp.ctl)) as ctl:
                ctl.configure(str(sp.conf))

    def control(self, name: str) -> birdctl.BirdControl:
        return birdctl.BirdControl(str(self.speakers[name].ctl))

    def wait_socket(self, name: str, bound: float = 10.0) -> None:
        import time
        deadline = time.monotonic() + bound
        while not self.speakers[name].ctl.exists():
            proc = self.speakers[name].proc
            if proc is not None and proc.poll() is not None:
                raise AssertionError(f"bird for {name} exited: {proc.stderr.read().decode() if proc.stderr else ''}")
            if time.monotonic() > deadline:
                raise AssertionError(f"bird for {name} has no control socket after {bound} s")
            time.sleep(0.05)

    # -- probes ---------------------------------------------------------------------------
    def routes(self, name: str) -> list[str]:
        """Block routes BIRD installed in the speaker's kernel (netlink dump, proto bird, /26)."""
        from pyroute2 import IPRoute
        with IPRoute(netns=self.speakers[name].ns) as ipr:
            out = []
            for r in ipr.route("dump", family=2):
                if r["proto"] == RTPROT_BIRD and r["dst_len"] == 26:
                    out.append(f"{r.get_attr('RTA_DST')}/26")
            return sorted(out)

    def close(self) -> None:
        try:
            for sp in self.speakers.values():
                stop_process(sp.proc)
        finally:
            for ns in reversed(self.created):
                subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)
            shutil.rmtree(self.workdir, ignore_errors=True)


_WATCH = r"""
import json, sys
from pyroute2 import IPRoute
ipr = IPRoute()
ipr.bind()
print(json.dumps({"ready": True}), flush=True)
while True:
    for m in ipr.get():
        if m.get("event") in ("RTM_NEWROUTE", "RTM_DELROUTE") and m.get("family") == 2:
            print(json.dumps({"event": m["event"], "proto": m.get("proto"), "dst": m.get_attr("RTA_DST"),
                              "len": m.get("dst_len")}), flush=True)
"""


class RouteWatch:
    """Netlink route events in one namespace while the switch runs: every RTM_DELROUTE of a block
    (proto bird, /26) is recorded, so a route that disappears even for a moment between two probes
    is seen. pyroute2 listens in a child process started in the namespace (its netns= sockets do
    not deliver multicast events to another thread here); ``stop()`` ends it by its handle and
    returns the deleted prefixes."""

    def __init__(self, ns: str) -> None:
        self.proc = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", _WATCH],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = self.proc.stdout.readline() if self.proc.stdout else ""
        if '"ready"' not in first:
            err = self.proc.stderr.read() if self.proc.stderr else ""
            stop_process(self.proc)
            raise AssertionError(f"route monitor in {ns} did not start: {first!r} {err[-2000:]}")
        self.deleted: list[str] = []
        self.added: list[str] = []

    def stop(self) -> list[str]:
        stop_process(self.proc)
        for line in (self.proc.stdout.read() if self.proc.stdout else "").splitlines():
            ev = json.loads(line)
            if ev.get("proto") != RTPROT_BIRD or ev.get("len") != 26:
                continue
            (self.deleted if ev["event"] == "RTM_DELROUTE" else self.added).append(f"{ev['dst']}/26")
        return self.deleted


# -- the route-reflector switch lab (tests of calico_route_reflector and its role) ----------------

SPEAKERS = {f"s{i}": f"198.18.0.{i}" for i in range(1, 6)}
REFLECTORS = {"r1": "198.18.0.11", "r2": "198.18.0.12"}
BLOCKS = {f"s{i}": f"198.19.{(i - 1) // 4}.{((i - 1) % 4) * 64}/26" for i in range(1, 6)}
BOUND = 60.0


def seed(ds) -> None:
    """The pool, the seven Nodes and each speaker's block affinity."""
    ds.create(model.new_resource("IPPool", "default-ipv4-ippool", {
        "cidr": "198.19.0.0/16", "blockSize": 26, "ipipMode": "Never", "vxlanMode": "Never",
        "natOutgoing": True, "nodeSelector": "all()"}))
    for name, addr in {**SPEAKERS, **REFLECTORS}.items():
        ds.create(model.new_resource("Node", name, {"bgp": {"ipv4Address": f"{addr}/24"}},
                                     labels={"kubernetes.io/hostname": name}))
    for name, cidr in BLOCKS.items():
        ds.ipam_create("BlockAffinity", f"{name}/{cidr}", ipam.affinity_value("confirmed"))


def wait_routes(lab: Lab, want: dict[str, int], bound: float = BOUND) -> dict[str, int]:
    deadline = time.monotonic() + bound
    while True:
        counts = {n: len(lab.routes(n)) for n in want}
        if all(counts[n] >= want[n] for n in want) or time.monotonic() > deadline:
            return counts
        time.sleep(0.2)


def stop_watches(watches: dict[str, RouteWatch], table: list[tuple[str, dict[str, int]]],
                 title: str) -> tuple[dict[str, list], dict[str, list]]:
    """Stop the route monitors and print the per-step route counts and the deletions they saw
    (pytest shows it with -s). Returns (deleted, added) block routes per speaker."""
    deleted = {sp: w.stop() for sp, w in watches.items()}
    added = {sp: sorted(set(w.added)) for sp, w in watches.items()}
    print("\n" + title)
    for step, counts in table:
        print(f"  {step:<38} " + " ".join(f"{n}={c}" for n, c in counts.items()))
    print("block routes deleted from start to end (netlink monitor):", deleted)
    return deleted, added
