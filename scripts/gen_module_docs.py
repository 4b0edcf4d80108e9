"""Regenerate the option docs of the modules whose options are a resource's spec fields
(calico_felix_config, calico_bgp_config, calico_bgp_peer) from plugins/module_utils/_datastore/fields.py.

    python scripts/gen_module_docs.py          # rewrite the generated blocks
    python scripts/gen_module_docs.py --check  # exit 1 when a module's docs are stale (CI)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / ".build" / "collections"))

from ansible_collections.netops.calico.plugins.module_utils._resource.specmodule import render_options_doc  # noqa: E402

MODULES = {
    "calico_felix_config": ("FelixConfiguration", ()),
    "calico_bgp_config": ("BGPConfiguration", ()),
    "calico_bgp_peer": ("BGPPeer", ()),
}
BEGIN = "  # BEGIN GENERATED OPTIONS (scripts/gen_module_docs.py)"
END = "  # END GENERATED OPTIONS"


def main() -> int:
    check = "--check" in sys.argv
    stale = []
    for name, (kind, exclude) in MODULES.items():
        path = REPO / "plugins" / "modules" / f"{name}.py"
        text = path.read_text()
        block = f"{BEGIN}\n{render_options_doc(kind, exclude)}\n{END}"
        new = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda _m: block, text, flags=re.S)
        if new == text:
            continue
        if check:
            stale.append(name)
        else:
            path.write_text(new)
            print(f"updated {path.relative_to(REPO)}")
    if stale:
        print(f"stale generated docs in: {', '.join(stale)}; run python scripts/gen_module_docs.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
