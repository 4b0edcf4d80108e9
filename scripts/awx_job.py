"""Run a playbook the way an AWX / Automation Controller job runs it: through ansible-runner, with
a private data directory laid out as AWX hands it to ansible-runner in the execution environment:

    project/              the project's checkout (this repository's playbooks/)
    inventory/hosts       the inventory as AWX writes it: an executable script answering --list
                          with the JSON of `ansible-inventory --list --export` (one slice of it
                          when the job template is sliced: AWX gives slice i of n the hosts
                          sorted by name, [i-1::n])
    env/extravars         the job template's variables and the survey's answers, merged
    env/envvars           what the credentials inject as environment variables
    env/passwords         prompts to answer (none here: the lab connects with podman)
    env/settings          runner settings (timeouts, no stdout: AWX reads the events)
    env/credentials/...   the credentials' file injectors (AWX writes them into the private data
                          directory and passes their paths through envvars or extravars)

and the job's result read from its events (artifacts/<ident>/job_events), as AWX shows a job.

    python scripts/awx_job.py -i INVENTORY [-e @vars.yml] [--env K=V] [--slices N] [--dir DIR]
                              [playbooks/site.yml]

prints one line per job (slice) with its status, time and per-host stats, and exits non-zero
unless every job is `successful`. The test tests/integration/test_awx_runner.py runs site.yml on
a lab this way (a whole job, a rerun, and two slices at once).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Job:
    """One finished job: AWX's status, the events, and the time it took."""

    ident: str
    status: str
    rc: int
    seconds: float
    events: list[dict] = field(default_factory=list)

    @property
    def stats(self) -> dict[str, dict[str, int]]:
        """playbook_on_stats as AWX stores it: {ok|changed|failures|dark|skipped|...: {host: n}}."""
        for e in self.events:
            if e.get("event") == "playbook_on_stats":
                return e.get("event_data") or {}
        return {}

    def count(self, kind: str) -> dict[str, int]:
        return dict(self.stats.get(kind) or {})

    def failed_events(self) -> list[dict]:
        return [e for e in self.events if e.get("event") in ("runner_on_failed", "runner_on_unreachable")
                and not (e.get("event_data") or {}).get("ignore_errors")]

    def summary(self) -> str:
        hosts = sorted(set(self.count("ok")) | set(self.count("failures")) | set(self.count("dark")))
        per = ", ".join(f"{h} ok={self.count('ok').get(h, 0)} changed={self.count('changed').get(h, 0)} "
                        f"failed={self.count('failures').get(h, 0)}" for h in hosts)
        return f"{self.ident}: {self.status} (rc {self.rc}) in {self.seconds:.1f} s; {per}"


def export_inventory(source: str) -> dict[str, Any]:
    """The inventory as AWX imports it: `ansible-inventory --list --export` (groups keep their vars)."""
    exe = shutil.which("ansible-inventory", path=os.path.dirname(sys.executable)) or "ansible-inventory"
    out = subprocess.run([exe, "-i", source, "--list", "--export"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def inventory_hosts(inv: dict[str, Any]) -> list[str]:
    names: set[str] = set(inv.get("_meta", {}).get("hostvars", {}))
    for group, data in inv.items():
        if group != "_meta" and isinstance(data, dict):
            names.update(data.get("hosts") or [])
    return sorted(names)


def slice_inventory(inv: dict[str, Any], number: int, count: int) -> dict[str, Any]:
    """Slice ``number`` (1-based) of ``count``, as AWX slices a job template: the hosts sorted by
    name, every ``count``-th one from ``number - 1``; groups and their variables stay."""
    keep = set(inventory_hosts(inv)[number - 1::count])
    out: dict[str, Any] = {}
    for group, data in inv.items():
        if group == "_meta":
            out[group] = {"hostvars": {h: v for h, v in data.get("hostvars", {}).items() if h in keep}}
        else:
            out[group] = {**data, **({"hosts": [h for h in data["hosts"] if h in keep]} if "hosts" in data else {})}
    return out


def private_data_dir(root: Path, inventory: dict[str, Any], extravars: dict[str, Any],
                     envvars: dict[str, str], files: dict[str, str] | None = None,
                     project: Path = REPO / "playbooks", job_timeout: int = 1800) -> Path:
    """Lay out ``root`` as AWX does for one job. ``files``: credential file injectors, name ->
    content; each is written to env/credentials/<name>, and ``{{ tower.filename.<name> }}`` in the
    values of ``envvars`` and ``extravars`` becomes its path, as in AWX's injectors."""
    if root.exists():
        shutil.rmtree(root)
    (root / "env").mkdir(parents=True)
    shutil.copytree(project, root / "project" / project.name)
    paths: dict[str, str] = {}
    if files:
        cred = root / "env" / "credentials"
        cred.mkdir(mode=0o700)
        for name, content in files.items():
            p = cred / name
            p.write_text(content)
            p.chmod(0o600)
            paths[name] = str(p)

    def fill(v: Any) -> Any:
        if isinstance(v, str):
            for name, path in paths.items():
                v = v.replace("{{ tower.filename.%s }}" % name, path)
            return v
        if isinstance(v, dict):
            return {k: fill(x) for k, x in v.items()}
        return v

    (root / "inventory").mkdir()
    script = root / "inventory" / "hosts"
    script.write_text("#!/usr/bin/env python3\n# the inventory as AWX writes it for the job (answers --list)\n"
                      f"import json\nprint(json.dumps(json.loads({json.dumps(inventory)!r})))\n")
    script.chmod(0o700)
    (root / "env" / "extravars").write_text(json.dumps({k: fill(v) for k, v in extravars.items()}, indent=1))
    env = {k: fill(v) for k, v in envvars.items()}
    # what the execution environment's image provides: the collections (here, the build tree)
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", str(REPO / ".build" / "collections"))
    env.setdefault("ANSIBLE_FORCE_COLOR", "0")
    (root / "env" / "envvars").write_text(json.dumps(env, indent=1))
    (root / "env" / "passwords").write_text("{}\n")
    (root / "env" / "settings").write_text(json.dumps({"job_timeout": job_timeout, "idle_timeout": 600,
                                                       "suppress_ansible_output": True}))
    for p in (root / "env").iterdir():
        if p.is_file():
            p.chmod(0o600)
    return root


def start(pdd: Path, playbook: str, ident: str):
    """Start one job (ansible_runner.run_async); returns (thread, runner, start time)."""
    import ansible_runner  # the engine AWX uses; pinned in requirements-dev.txt

    thread, runner = ansible_runner.run_async(private_data_dir=str(pdd), playbook=playbook, ident=ident,
                                              quiet=True)
    return thread, runner, time.monotonic()


def finish(started) -> Job:
    thread, runner, t0 = started
    thread.join()
    return Job(ident=runner.config.ident, status=runner.status, rc=runner.rc,
               seconds=time.monotonic() - t0, events=list(runner.events))


def run_jobs(specs: list[tuple[Path, str, str]]) -> list[Job]:
    """Run jobs (private data dir, playbook, ident) at the same time, as AWX runs a sliced job's
    slices, and wait for all of them."""
    started = [start(pdd, playbook, ident) for pdd, playbook, ident in specs]
    return [finish(s) for s in started]


def _main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    ap.add_argument("playbook", nargs="?", default="playbooks/site.yml", help="relative to the project")
    ap.add_argument("-i", "--inventory", required=True)
    ap.add_argument("-e", "--extra-vars", action="append", default=[], help="@FILE (YAML/JSON) or JSON")
    ap.add_argument("--env", action="append", default=[], help="K=V, as a credential's env injector")
    ap.add_argument("--slices", type=int, default=1)
    ap.add_argument("--dir", default=str(REPO / ".build" / "awx"), help="where the private data dirs go")
    a = ap.parse_args()
    import yaml

    extravars: dict[str, Any] = {}
    for e in a.extra_vars:
        extravars.update(yaml.safe_load(Path(e[1:]).read_text()) if e.startswith("@") else json.loads(e))
    envvars = dict(kv.split("=", 1) for kv in a.env)
    inv = export_inventory(a.inventory)
    specs = []
    for n in range(1, a.slices + 1):
        part = inv if a.slices == 1 else slice_inventory(inv, n, a.slices)
        ident = "job" if a.slices == 1 else f"slice{n}"
        pdd = private_data_dir(Path(a.dir) / ident, part, extravars, envvars)
        specs.append((pdd, a.playbook, ident))
    jobs = run_jobs(specs)
    for j in jobs:
        print(j.summary())
        for e in j.failed_events():
            d = e.get("event_data") or {}
            print(f"  failed: {d.get('host')} {d.get('task')}: {(d.get('res') or {}).get('msg')}")
    return 0 if all(j.status == "successful" for j in jobs) else 1


if __name__ == "__main__":
    sys.exit(_main())
