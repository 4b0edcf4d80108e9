#!/usr/bin/env bash
# The docs site, offline, from the collection in .build/collections, failing on any warning
# (what CI runs). Output: .build/docsite/build/html/index.html
#   1. antsibull-docs lint-collection-docs: module and role docs (schema, markup, references),
#      docs/docsite/extra-docs.yml, links.yml and the hand-written pages in docs/docsite/rst/;
#   2. antsibull-docs sphinx-init --use-current: a Sphinx project for netops.calico;
#   3. its build.sh: `antsibull-docs collection --fail-on-error` writes the RST, then
#      `sphinx-build -W --keep-going` (every warning is an error, all of them are shown).
# antsibull-docs reads the collection with ansible-doc through a collections path that holds only
# the .build/collections copy of netops.calico: the other collections there (for molecule) would
# triple the time. Sphinx's intersphinx would fetch docs.ansible.com's inventory for the two
# labels the generated pages link to; scripts/docs_inventory.py writes those locally instead.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/env.sh
. "$REPO/scripts/env.sh"
OUT=$REPO/.build/docsite
COLL=$REPO/.build/docs-collections
log() { printf '[docs %3ss] %s\n' "$SECONDS" "$*"; }

[ -e "$REPO/.build/collections/ansible_collections/netops/calico/galaxy.yml" ] ||
  { echo "docs.sh: .build/collections has no netops.calico: run scripts/setup.sh" >&2; exit 1; }
rm -rf "$OUT" "$COLL"
mkdir -p "$COLL/ansible_collections/netops" "$OUT"
chmod 755 "$OUT"   # antsibull-docs wants its output directory writable by its owner only
ln -s "$REPO/.build/collections/ansible_collections/netops/calico" "$COLL/ansible_collections/netops/calico"
export ANSIBLE_COLLECTIONS_PATH=$COLL PYTHONPATH=

log "antsibull-docs lint-collection-docs"
# --skip-rstcheck: sphinx-build below parses every page anyway, with -W.
# --validate-collection-refs self: references to this collection's plugins, options and return
# values are checked; any other collection is refused (the collection depends on none, and the
# offline build could not resolve the link). Half the time of `all`, which loads ansible.builtin.
antsibull-docs lint-collection-docs --plugin-docs --check-extra-docs-refs --skip-rstcheck \
  --validate-collection-refs self --disallow-unknown-collection-refs \
  "$COLL/ansible_collections/netops/calico"

log "antsibull-docs sphinx-init"
antsibull-docs sphinx-init --use-current --squash-hierarchy --fail-on-error \
  --dest-dir "$OUT" --project netops.calico --copyright "netops.calico contributors" \
  --title "netops.calico" --no-add-antsibull-docs-version netops.calico >/dev/null
python "$REPO/scripts/docs_inventory.py" "$OUT/ansible_devel.inv"
cat >>"$OUT/conf.py" <<'EOF'

# scripts/docs.sh: offline build - the only inventory is the local one for docs.ansible.com
intersphinx_mapping = {
    'ansible_devel': ('https://docs.ansible.com/projects/ansible/devel/', '../ansible_devel.inv'),
}
EOF

log "build.sh (antsibull-docs collection, sphinx-build -W)"
rc=0
"$OUT/build.sh" >"$OUT/build.log" 2>&1 || rc=$?
if [ $rc != 0 ] || grep -qE 'WARNING|ERROR|CRITICAL' "$OUT/build.log"; then
  grep -E 'WARNING|ERROR|CRITICAL' "$OUT/build.log" >&2 || tail -n 40 "$OUT/build.log" >&2
  echo "docs.sh: the docs build has warnings or errors (full log: $OUT/build.log)" >&2
  exit 1
fi
log "OK: $OUT/build/html/index.html"
