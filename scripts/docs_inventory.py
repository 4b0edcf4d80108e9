"""Write a Sphinx (intersphinx) inventory for the docs.ansible.com labels the generated pages use
(scripts/docs.sh), so the docs build offline with those links pointing at the real pages.

    python scripts/docs_inventory.py OUT.inv

antsibull-docs links every module page to "common return values" and the environment variable
index to the configuration settings. A new label used by a page makes sphinx-build warn
("undefined label"); add it here with its page and anchor on docs.ansible.com.
"""

from __future__ import annotations

import sys
import zlib

# label, page (relative to https://docs.ansible.com/projects/ansible/devel/) + anchor, title
LABELS = (
    ("common_return_values", "reference_appendices/common_return_values.html#common-return-values", "Return Values"),
    ("ansible_configuration_settings", "reference_appendices/config.html#ansible-configuration-settings",
     "Ansible Configuration Settings"),
)


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    header = (b"# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n"
              b"# The remainder of this file is compressed using zlib.\n")
    body = "".join(f"{label} std:label -1 {uri} {title}\n" for label, uri, title in LABELS)
    with open(sys.argv[1], "wb") as out:
        out.write(header + zlib.compress(body.encode()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
