#!/usr/bin/env bash
# ansible-test sanity without Docker and without Galaxy.
#
#   bash scripts/sanity.sh [ansible-test sanity args...]    e.g. --test pylint, -v
#
# ansible-test must run from a directory whose path ends in ansible_collections/netops/calico
# (it resolves symlinks, so .build/collections/.../calico -> repo does not do): copy the
# git-tracked plus untracked-but-not-ignored files to .build/sanity/ansible_collections/
# netops/calico (a git repo of its own, nothing committed) and run
# `ansible-test sanity --python 3.11 --local` there.
# HOME is .build/home (ANSIBLE_TEST_HOME): ansible-test's per-test venvs, its offline get-pip
# stand-in (scripts/setup.sh puts it there) and pip's cache persist between runs, so a second
# run takes seconds. Exit status is ansible-test's.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SANITY_PYTHON=${SANITY_PYTHON:-3.11}
export ANSIBLE_TEST_HOME=${ANSIBLE_TEST_HOME:-$REPO/.build/home}
DEST=$REPO/.build/sanity/ansible_collections/netops/calico
log() { printf '[sanity %3ss] %s\n' "$SECONDS" "$*"; }

if [ ! -x "$REPO/.venv/bin/ansible-test" ] || ! ls "$ANSIBLE_TEST_HOME"/.ansible/test/cache/get_pip_*.py >/dev/null 2>&1; then
  log "toolchain or offline get-pip missing: running scripts/setup.sh"
  bash "$REPO/scripts/setup.sh"
fi
# shellcheck source=scripts/env.sh
. "$REPO/scripts/env.sh"
# ansible-test finds its own collection by the cwd; do not let the repo symlink confuse it
unset ANSIBLE_COLLECTIONS_PATH
export PYTHONPATH=

# one run at a time per clone: runs share the copy and ansible-test's venvs under HOME
mkdir -p "$REPO/.build"
exec 9>"$REPO/.build/sanity.lock"
if ! flock -n 9; then
  log "another sanity run holds $REPO/.build/sanity.lock: waiting"
  flock 9
fi

log "copying git-tracked + untracked-not-ignored files to $DEST"
rm -rf "$DEST"
mkdir -p "$DEST"
git -C "$REPO" ls-files -z --cached --others --exclude-standard | "$REPO/.venv/bin/python" -c '
import os, shutil, sys
src, dest = sys.argv[1], sys.argv[2]
n = 0
for rel in sorted(set(filter(None, sys.stdin.buffer.read().decode().split("\0")))):
    s, d = os.path.join(src, rel), os.path.join(dest, rel)
    if not os.path.lexists(s):          # tracked but deleted in the work tree
        continue
    os.makedirs(os.path.dirname(d), exist_ok=True)
    if os.path.islink(s):
        os.symlink(os.readlink(s), d)
    else:
        shutil.copy2(s, d)
    n += 1
print(f"  {n} files")
' "$REPO" "$DEST"

# ansible-test walks up to the nearest .git to list files; without one here it would find the
# repo's own .git, where .build/ is ignored, and see no files at all ("All targets skipped")
git -C "$DEST" init -q

cd "$DEST"
log "ansible-test sanity --python $SANITY_PYTHON --local $*"
rc=0
HOME=$ANSIBLE_TEST_HOME ansible-test sanity --python "$SANITY_PYTHON" --local "$@" || rc=$?
if [ $rc = 0 ]; then
  log "PASSED"
else
  log "FAILED (rc=$rc); results in $DEST/tests/output"
fi
exit $rc
