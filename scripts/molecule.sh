#!/usr/bin/env bash
# molecule with the project's shared base config (molecule/_shared/base.yml), from the repo
# root, with scripts/env.sh sourced and the test-host image present:
#   bash scripts/molecule.sh test -s <scenario>
#   bash scripts/molecule.sh converge -s <scenario>; bash scripts/molecule.sh destroy -s <scenario>
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/env.sh
. "$REPO/scripts/env.sh"
cd "$REPO"
bash scripts/lab-image.sh build >&2   # a no-op when the image is there
exec molecule -c "$REPO/molecule/_shared/base.yml" "$@"
