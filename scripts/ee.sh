#!/usr/bin/env bash
# The execution environment's build context, made and checked offline (what CI runs):
#   1. ansible-galaxy collection build  -> .build/ee/netops-calico.tar.gz (this checkout)
#   2. ansible-builder create           -> .build/ee/context (Containerfile + _build/)
#   3. scripts/ee_check.py: the context names every dependency of requirements.txt and
#      bindep.txt, and ansible-builder's own introspect script, run on the collection installed
#      from that tarball, finds them again through meta/execution-environment.yml.
# No image is built (no container registry here); where one is reachable:
#   podman build -t netops-calico-ee .build/ee/context
# Exit status: non-zero when a step fails or a dependency is missing.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/env.sh
. "$REPO/scripts/env.sh"
cd "$REPO"
EE=.build/ee
log() { printf '[ee %3ss] %s\n' "$SECONDS" "$*"; }

rm -rf "$EE"
mkdir -p "$EE/dist"
log "ansible-galaxy collection build"
ansible-galaxy collection build --force --output-path "$EE/dist" . >"$EE/build.log"
tarball=$(ls "$EE"/dist/netops-calico-*.tar.gz)
cp "$tarball" "$EE/netops-calico.tar.gz"

log "ansible-builder create"
ansible-builder create -f execution-environment.yml -c "$EE/context" -v 2 >"$EE/create.log"

log "ansible-galaxy collection install -r requirements.yml, as the image's galaxy stage does"
# (its own collections path only: .build/collections, also on PYTHONPATH, has netops.calico)
(cd "$EE/context/_build" &&
  PYTHONPATH='' ANSIBLE_COLLECTIONS_PATH="$REPO/$EE/collections" ANSIBLE_GALAXY_DISABLE_GPG_VERIFY=1 \
    ansible-galaxy collection install --offline -r requirements.yml -p "$REPO/$EE/collections") \
  >"$EE/install.log"

log "checking the context"
python scripts/ee_check.py "$EE/context" "$EE/collections"
log "OK: context in $EE/context"
