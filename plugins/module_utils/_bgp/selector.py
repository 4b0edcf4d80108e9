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
    return _Parser(text, toks).selector()


class _Parser:
    """Recursive descent over the tokens: or of ands of unary terms."""

    def __init__(self, text: str, toks: list[tuple[str, str]]) -> None:
        self.text, self.toks, self.pos = text, toks, 0

    def error(self, what: str) -> SelectorError:
        return SelectorError(f"selector {self.text!r}: {what}")

    def peek(self, value: str | None = None) -> bool:
        return self.pos < len(self.toks) and (value is None or self.toks[self.pos][1] == value)

    def take(self) -> tuple[str, str]:
        if self.pos >= len(self.toks):
            raise self.error("unexpected end")
        self.pos += 1
        return self.toks[self.pos - 1]

    def selector(self) -> Matcher:
        result = self.expr_or()
        if self.pos != len(self.toks):
            raise self.error(f"unexpected {self.toks[self.pos][1]!r}")
        return result

    def _chain(self, op: str, operand: Callable[[], Matcher], combine: Callable[[Matcher, Matcher], Matcher]) -> Matcher:
        left = operand()
        while self.peek(op):
            self.take()
            left = combine(left, operand())
        return left

    def expr_or(self) -> Matcher:
        return self._chain("||", self.expr_and, _either)

    def expr_and(self) -> Matcher:
        return self._chain("&&", self.unary, _both)

    def unary(self) -> Matcher:
        if self.peek("!"):
            self.take()
            inner = self.unary()
            return lambda lab: not inner(lab)
        if self.peek("("):
            self.take()
            inner = self.expr_or()
            if self.take()[1] != ")":
                raise self.error("missing ')'")
            return inner
        kind, value = self.take()
        if kind == "all":
            return lambda lab: True
        if kind == "has":
            key = value[4:-1].strip()
            return lambda lab: key in lab
        if kind != "word":
            raise self.error(f"expected a label name, got {value!r}")
        return self.comparison(value)

    def comparison(self, key: str) -> Matcher:
        op_kind, op = self.take()
        if op in ("==", "!="):
            k2, lit = self.take()
            if k2 != "str":
                raise self.error(f"{key} {op} needs a quoted value")
            want = lit[1:-1]
            if op == "==":
                return lambda lab: lab.get(key) == want
            return lambda lab: lab.get(key) != want
        if op_kind == "in":
            if self.take()[1] != "{":
                raise self.error(f"{key} {op} needs {{'a', 'b'}}")
            values = set()
            while not self.peek("}"):
                k2, lit = self.take()
                if k2 != "str":
                    raise self.error("set members must be quoted")
                values.add(lit[1:-1])
                if self.peek(","):
                    self.take()
            self.take()
            if op == "in":
                return lambda lab: lab.get(key) in values
            return lambda lab: lab.get(key) not in values
        raise self.error(f"unknown operator {op!r} after {key}")


def matches(text: str, labels: Labels) -> bool:
    return parse(text)(labels)
