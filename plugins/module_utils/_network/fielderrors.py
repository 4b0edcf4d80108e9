# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kOps-style field errors, rendered the way k8s.io/apimachinery field.Error prints them."""

from __future__ import annotations

import json
from typing import Any


def go_value(value: Any) -> str:
    """A value the way field.Error prints it: strings quoted, the rest bare."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (int, float)) or value is None:
        return "null" if value is None else str(value)
    return json.dumps(value, default=str)


def unsupported(path: str, value: Any, valid: tuple[str, ...] | list[str]) -> str:
    return f"{path}: Unsupported value: {go_value(value)}: supported values: " + ", ".join(go_value(v) for v in valid)


def invalid(path: str, value: Any, detail: str) -> str:
    return f"{path}: Invalid value: {go_value(value)}: {detail}"


def forbidden(path: str, detail: str) -> str:
    return f"{path}: Forbidden: {detail}"
