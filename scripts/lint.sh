#!/usr/bin/env bash
# ansible-lint, production profile, offline (no Galaxy): config in .ansible-lint (+ .yamllint).
#   bash scripts/lint.sh [ansible-lint args...]
# Exit status is ansible-lint's.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ ! -x "$REPO/.venv/bin/ansible-lint" ] || [ ! -L "$REPO/.build/collections/ansible_collections/netops/calico" ]; then
  echo "[lint] toolchain missing: running scripts/setup.sh" >&2
  bash "$REPO/scripts/setup.sh"
fi
# shellcheck source=scripts/env.sh
. "$REPO/scripts/env.sh"
cd "$REPO"
# ansible-lint installs the collection it lints into $ANSIBLE_HOME/collections (default ~/.ansible,
# shared by every clone and worktree on the machine): a concurrent lint of another checkout would
# replace this one's copy mid-run. Keep it per clone, next to sanity's HOME.
export ANSIBLE_HOME="$REPO/.build/home/.ansible"
exec ansible-lint --profile production --offline "$@"
