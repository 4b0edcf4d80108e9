"""Benchmark (not a test): the idempotent rerun of playbooks/site.yml on the lab against a floor
measured in the same run, a playbook of as many `ansible.builtin.ping` tasks per host as site.yml
runs on its busiest host (the recap's ok + skipped, which counts the controller-side tasks too:
includes, set_fact, assert, the delegated datastore tasks), on the same inventory and connection.

    bash scripts/lab.sh up && python bench/site.py [--runs 3]

Prints both medians and the ratio (target: at most 1.5x).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
INVENTORY = REPO / "playbooks/inventory/lab.yml"
RECAP = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)", re.M)


def play(playbook: Path) -> tuple[float, dict[str, tuple[int, ...]]]:
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    t0 = time.perf_counter()
    p = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(INVENTORY), str(playbook)],
                       env=env, capture_output=True, text=True, cwd=REPO, check=False)
    elapsed = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"{playbook.name} failed:\n{p.stdout[-3000:]}{p.stderr[-2000:]}")
    return elapsed, {m[0]: tuple(int(x) for x in m[1:]) for m in RECAP.findall(p.stdout)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    site = REPO / "playbooks/site.yml"
    _t, recap = play(site)                       # converge first: what follows is the idempotent rerun
    tasks = max(ok + skipped for ok, _c, _u, _f, skipped in recap.values())
    (REPO / ".build").mkdir(exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".yml", dir=REPO / ".build", prefix="bench-floor-", delete=False) as f:
        f.write("---\n- name: Floor\n  hosts: calico_nodes\n  gather_facts: false\n  tasks:\n")
        f.writelines(f"    - name: Ping {i}\n      ansible.builtin.ping:\n" for i in range(tasks))
        floor_book = Path(f.name)
    try:
        site_times, floor_times = [], []
        for _i in range(args.runs):              # interleaved, so both see the same machine load
            t, recap = play(site)
            changed = {h: c for h, (_o, c, *_r) in recap.items() if c}
            if changed:
                sys.exit(f"site.yml rerun is not idempotent: {changed}")
            site_times.append(t)
            floor_times.append(play(floor_book)[0])
    finally:
        floor_book.unlink()
    s, fl = statistics.median(site_times), statistics.median(floor_times)
    print(f"hosts: {len(recap)}, tasks per host (busiest): {tasks}, runs: {args.runs}")
    print(f"site.yml idempotent rerun: {s:.2f} s (median of {', '.join(f'{x:.2f}' for x in site_times)})")
    print(f"{tasks} ping tasks per host:  {fl:.2f} s (median of {', '.join(f'{x:.2f}' for x in floor_times)})")
    print(f"ratio: {s / fl:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
