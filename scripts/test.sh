#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls exactly this):
#   unit + integration (pytest: real etcd, bird2, wireguard-go, moto, a local Kubernetes API
#   stand-in), generated docs in sync, ansible-test sanity, ansible-lint (production),
#   molecule scenarios on podman test hosts; and the release artefacts: changelog fragments,
#   the execution environment's build context, the docs site.
# Knobs: SKIP_MOLECULE=1, SKIP_SANITY=1, SKIP_DOCS=1, PYTEST_ARGS="-k ippool".
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
bash scripts/setup.sh
# shellcheck disable=SC1091
source scripts/env.sh

step() { printf '\n=== %s (%ss)\n' "$*" "$SECONDS"; }

step "generated module docs in sync"
python scripts/gen_module_docs.py --check

step "pytest: unit + integration"
# pytest exits 5 when it collects nothing: that is a failure here too
read -r -a pytest_args <<<"${PYTEST_ARGS:-}"
python -m pytest "${pytest_args[@]}" -p no:cacheprovider

if [ "${SKIP_SANITY:-0}" != 1 ]; then
  step "ansible-test sanity"
  bash scripts/sanity.sh
  step "ansible-lint (production profile)"
  bash scripts/lint.sh
fi

# --- release artefacts: changelog, execution environment, docs (SKIP_DOCS=1 skips the block) ---
# Measured on 2 CPUs shared with other jobs (load 5-9): changelog lint 6 s, EE context 9-12 s,
# docs 60 s (CPU time 3 s, 4 s, 27 s); in the docs, sphinx-build takes 2/3, the lint 1/3.
if [ "${SKIP_DOCS:-0}" != 1 ]; then
  step "antsibull-changelog lint (changelogs/fragments)"
  antsibull-changelog lint
  antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml
  step "execution environment: ansible-builder create, context names every dependency"
  bash scripts/ee.sh
  step "docs site: antsibull-docs + sphinx, no warnings"
  bash scripts/docs.sh
fi

if [ "${SKIP_MOLECULE:-0}" != 1 ]; then
  shopt -s nullglob
  for scenario in molecule/*/molecule.yml; do
    s=$(basename "$(dirname "$scenario")")
    [ "$s" = _shared ] && continue
    step "molecule test -s $s"
    bash scripts/molecule.sh test -s "$s"
  done
fi
step "all tests passed"
