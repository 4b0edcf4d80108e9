"""Check an ansible-builder build context against requirements.txt and bindep.txt (scripts/ee.sh).

    python scripts/ee_check.py CONTEXT COLLECTIONS_PATH

CONTEXT is what `ansible-builder create` wrote, COLLECTIONS_PATH a collections tree holding
netops.calico installed from the context's requirements.yml. Every dependency named in the
repo's requirements.txt and bindep.txt must be named:
  - in the context's _build/requirements.txt and _build/bindep.txt (the user requirements);
  - in what ansible-builder's introspect script (the copy in the context, run as the image's
    builder stage runs it) reports for collection netops.calico, i.e. through
    meta/execution-environment.yml of the installed collection.
Exit status 1 with the missing names, 0 when every dependency is there.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parent.parent
COLLECTION = "netops.calico"


def lines(path: Path) -> list[str]:
    """Non-empty lines with comments removed (the way introspect.py strips them)."""
    out = []
    for line in path.read_text().splitlines():
        line = re.sub(r"(?:^|\s+)#.*$", "", line).strip()
        if line:
            out.append(line)
    return out


def pip_names(entries: list[str]) -> set[str]:
    return {re.sub(r"[-_.]+", "-", Requirement(e).name).lower() for e in entries}


def bindep_names(entries: list[str]) -> set[str]:
    return {e.split(maxsplit=1)[0] for e in entries}


def annotated(path: Path, source: str) -> list[str]:
    """Lines introspect.py wrote for one source ('from collection <source>')."""
    if not path.exists():
        return []
    tag = f"# from collection {source}"
    return [line.split("#", 1)[0].strip() for line in path.read_text().splitlines() if line.endswith(tag)]


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    context, collections = Path(sys.argv[1]), Path(sys.argv[2])
    build = context / "_build"
    want_pip = pip_names(lines(REPO / "requirements.txt"))
    want_sys = bindep_names(lines(REPO / "bindep.txt"))
    problems = []

    def expect(what: str, want: set[str], got: set[str]) -> None:
        missing = sorted(want - got)
        if missing:
            problems.append(f"{what}: missing {', '.join(missing)}")
        else:
            print(f"  {what}: all {len(want)} named")

    expect("context _build/requirements.txt", want_pip, pip_names(lines(build / "requirements.txt")))
    expect("context _build/bindep.txt", want_sys, bindep_names(lines(build / "bindep.txt")))

    containerfile = (context / "Containerfile").read_text()
    for needle in ("--user-pip=requirements.txt", "--user-bindep=bindep.txt",
                   "ansible-galaxy collection install $ANSIBLE_GALAXY_CLI_COLLECTION_OPTS -r requirements.yml"):
        if needle not in containerfile:
            problems.append(f"Containerfile: no {needle!r}")

    galaxy = yaml.safe_load((build / "requirements.yml").read_text()) or {}
    files = [c["name"] for c in galaxy.get("collections", []) if isinstance(c, dict) and c.get("type") == "file"]
    if not files or not all((build / f).is_file() for f in files):
        problems.append(f"requirements.yml: collection tarball(s) {files} not in {build}")
    if not (collections / "ansible_collections" / "netops" / "calico" / "meta" / "execution-environment.yml").is_file():
        problems.append(f"{collections}: netops.calico without meta/execution-environment.yml")

    with tempfile.TemporaryDirectory() as tmp:
        pip_out, sys_out = Path(tmp) / "requirements.txt", Path(tmp) / "bindep.txt"
        run = subprocess.run(
            [sys.executable, str(build / "scripts" / "introspect.py"), "introspect",
             f"--user-pip={build / 'requirements.txt'}", f"--user-bindep={build / 'bindep.txt'}",
             f"--write-pip={pip_out}", f"--write-bindep={sys_out}", str(collections)],
            capture_output=True, text=True, check=False)
        if run.returncode != 0:
            problems.append(f"introspect failed: {run.stderr.strip() or run.stdout.strip()}")
        else:
            for source in ("user", COLLECTION):
                expect(f"introspect, python from {source}", want_pip, pip_names(annotated(pip_out, source)))
                expect(f"introspect, system from {source}", want_sys, bindep_names(annotated(sys_out, source)))

    if problems:
        print("execution environment context is incomplete:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
