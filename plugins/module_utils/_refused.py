# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A policy refusal: a change a module will not make without an explicit option (migrate, force,
acknowledge_dataplane_switch, max_fraction...). Not a datastore error: nothing failed, and nothing
was written. The module runner turns it into fail_json with ``result`` (what was planned)."""

from __future__ import annotations

from typing import Any


class Refused(Exception):
    """``str(refusal)`` says what was refused and which option allows it."""

    def __init__(self, msg: str, hint: str | None = None, result: dict[str, Any] | None = None) -> None:
        self.msg = msg
        self.hint = hint
        self.result = dict(result or {})
        super().__init__(f"{msg} {hint}" if hint else msg)
