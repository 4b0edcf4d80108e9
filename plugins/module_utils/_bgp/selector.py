# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Calico label selectors (libcalico-go/lib/selector/parser), the subset BGPPeers use:
``all()``, ``has(k)``, ``!``, ``k == 'v'``, ``k != 'v'``, ``k in {'a', 'b'}``, ``k not in {...}``,
``&&``, ``||`` and parentheses. ``k != 'v'`` and ``not in`` match when the label is absent, as in
Calico."""

from __future__ import annotations

import re
from typing import Callable, Mapping

Labels = Mapping[str, str]
Matcher = Callable[[Labels], bool]

_TOKEN = re.compile(r"""\s*(?:(all\(\))|(has\(\s*[^)\s]+\s*\))|(&&|\|\||==|!=|!|\(|\)|\{|\}|,)
                        |('[^']*'|"[^"]*")|(not\s+in\b|in\b)|([A-Za-z0-9_./-]+))""", re.X)


class SelectorError(ValueError):
    pass


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise SelectorError(f"selector {text!r}: cannot parse at {text[pos:]!r}")
        pos = m.end()
        kinds = ("all", "has", "op", "str", "in", "word")
        for kind, value in zip(kinds, m.groups()):
            if value is not None:
                out.append((kind, value))
                break
    return out


def _either(a: Matcher, b: Matcher) -> Matcher:
    return lambda labels: a(labels) or b(labels)


def _both(a: Matcher, b: Matcher) -> Matcher:
    return lambda labels: a(labels) and b(labels)


def parse(text: str) -> Matcher:
    """A function labels -> bool for ``text``; raises SelectorError naming the selector."""
    toks = _tokens(text or "")
    if not toks:
        return lambda labels: True     # an empty selector matches everything (as all())
    pos = 0

    def peek(value: str | None = None) -> bool:
        return pos < len(toks) and (value is None or toks[pos][1] == value)

    def take() -> tuple[str, str]:
        nonlocal pos
        if pos >= len(toks):
            raise SelectorError(f"selector {text!r}: unexpected end")
        pos += 1
        return toks[pos - 1]

    def expr_or() -> Matcher:
        left = expr_and()
        while peek("||"):
            take()
            left = _either(left, expr_and())
        return left

    def expr_and() -> Matcher:
        left = unary()
        while peek("&&"):
            take()
            left = _both(left, unary())
        return left

    def unary() -> Matcher:
        if peek("!"):
            take()
            inner = unary()
            return lambda lab: not inner(lab)
        if peek("("):
            take()
            inner = expr_or()
            if take()[1] != ")":
                raise SelectorError(f"selector {text!r}: missing ')'")
            return inner
        kind, value = take()
        if kind == "all":
            return lambda lab: True
        if kind == "has":
            key = value[4:-1].strip()
            return lambda lab: key in lab
        if kind != "word":
            raise SelectorError(f"selector {text!r}: expected a label name, got {value!r}")
        key = value
        op_kind, op = take()
        if op in ("==", "!="):
            k2, lit = take()
            if k2 != "str":
                raise SelectorError(f"selector {text!r}: {key} {op} needs a quoted value")
            want = lit[1:-1]
            if op == "==":
                return lambda lab: lab.get(key) == want
            return lambda lab: lab.get(key) != want
        if op_kind == "in":
            if take()[1] != "{":
                raise SelectorError(f"selector {text!r}: {key} {op} needs {{'a', 'b'}}")
            values = set()
            while not peek("}"):
                k2, lit = take()
                if k2 != "str":
                    raise SelectorError(f"selector {text!r}: set members must be quoted")
                values.add(lit[1:-1])
                if peek(","):
                    take()
            take()
            if op == "in":
                return lambda lab: lab.get(key) in values
            return lambda lab: lab.get(key) not in values
        raise SelectorError(f"selector {text!r}: unknown operator {op!r} after {key}")

    result = expr_or()
    if pos != len(toks):
        raise SelectorError(f"selector {text!r}: unexpected {toks[pos][1]!r}")
    return result


def matches(text: str, labels: Labels) -> bool:
    return parse(text)(labels)
