# Copyright: netops.calico contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Go value formatting: what encoding/json writes for Calico's Go types after their UnmarshalJSON
(metav1.Duration, numorstring.ASNumber) and the fields Go always writes (zero values)."""

from __future__ import annotations

import re

from ansible_collections.netops.calico.plugins.module_utils._datastore.fields import Field


def fill_go_zero(obj: dict, fields: tuple[Field, ...] | None) -> dict:
    """Copy of ``obj`` with every field Go always writes present (zero value if missing).

    Recurses into nested structs and lists of structs that are present. Keys not in ``fields``
    are kept. Does not reorder (order with the table, e.g. model._order).
    """
    if not fields:
        return dict(obj)
    out = dict(obj)
    for f in fields:
        if f.json not in out:
            if not f.omitempty:
                out[f.json] = f.go_zero()
            continue
        v = out[f.json]
        if f.fields and isinstance(v, dict):
            out[f.json] = fill_go_zero(v, f.fields)
        elif f.fields and isinstance(v, list):
            out[f.json] = [fill_go_zero(i, f.fields) if isinstance(i, dict) else i for i in v]
    return out


# ---------------------------------------------------------------------------------------------
# Go value formatting (what json.Marshal writes after Calico's UnmarshalJSON of the input)

_UNITS = {"ns": 1, "us": 1_000, "\u00b5s": 1_000, "\u03bcs": 1_000, "ms": 1_000_000,
          "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000}
_MAX = 1 << 63


def parse_go_duration(text: str) -> int:
    """time.ParseDuration (Go 1.2x src/time/format.go), returning nanoseconds."""
    if not isinstance(text, str):
        raise ValueError(f"duration must be a string like '90s', got {text!r}")
    orig, s, neg, d = text, text, False, 0
    if s and s[0] in "+-":
        neg, s = s[0] == "-", s[1:]
    if s == "0":
        return 0
    if s == "":
        raise ValueError(f"time: invalid duration {orig!r}")
    while s:
        if not (s[0] == "." or s[0].isdigit() and s[0].isascii()):
            raise ValueError(f"time: invalid duration {orig!r}")
        i = 0
        v = 0
        while i < len(s) and "0" <= s[i] <= "9":          # leadingInt
            if v > _MAX // 10:
                raise ValueError(f"time: invalid duration {orig!r}")
            v = v * 10 + int(s[i])
            if v > _MAX:
                raise ValueError(f"time: invalid duration {orig!r}")
            i += 1
        pre, s = i > 0, s[i:]
        f, scale, post = 0, 1.0, False
        if s and s[0] == ".":                              # leadingFraction
            s = s[1:]
            i, overflow = 0, False
            while i < len(s) and "0" <= s[i] <= "9":
                if not overflow:
                    if f > (_MAX - 1) // 10:
                        overflow = True
                    else:
                        y = f * 10 + int(s[i])
                        if y > _MAX:
                            overflow = True
                        else:
                            f, scale = y, scale * 10
                i += 1
            post, s = i > 0, s[i:]
        if not pre and not post:
            raise ValueError(f"time: invalid duration {orig!r}")
        i = 0
        while i < len(s) and not (s[i] == "." or "0" <= s[i] <= "9"):
            i += 1
        if i == 0:
            raise ValueError(f"time: missing unit in duration {orig!r}")
        u, s = s[:i], s[i:]
        if u not in _UNITS:
            raise ValueError(f"time: unknown unit {u!r} in duration {orig!r}")
        unit = _UNITS[u]
        if v > _MAX // unit:
            raise ValueError(f"time: invalid duration {orig!r}")
        v *= unit
        if f > 0:
            v += int(float(f) * (float(unit) / scale))    # Go uses float64 here too
            if v > _MAX:
                raise ValueError(f"time: invalid duration {orig!r}")
        d += v
        if d > _MAX:
            raise ValueError(f"time: invalid duration {orig!r}")
    if neg:
        return -d
    if d > _MAX - 1:
        raise ValueError(f"time: invalid duration {orig!r}")
    return d


def _fmt_frac(v: int, prec: int) -> tuple[str, int]:
    digits, printed = [], False
    for _x in range(prec):
        digit = v % 10
        printed = printed or digit != 0
        if printed:
            digits.append(str(digit))
        v //= 10
    return ("." + "".join(reversed(digits)) if printed else ""), v


def format_go_duration(ns: int) -> str:
    """time.Duration.String()."""
    neg, u = ns < 0, abs(ns)
    if u == 0:
        return "0s"
    if u < 1_000_000_000:
        if u < 1_000:
            prec, unit = 0, "n"
        elif u < 1_000_000:
            prec, unit = 3, "\u00b5"
        else:
            prec, unit = 6, "m"
        frac, u = _fmt_frac(u, prec)
        out = f"{u}{frac}{unit}s"
    else:
        frac, u = _fmt_frac(u, 9)
        out = f"{u % 60}{frac}s"
        u //= 60
        if u > 0:
            out = f"{u % 60}m{out}"
            u //= 60
            if u > 0:
                out = f"{u}h{out}"
    return "-" + out if neg else out


def go_duration(text: str) -> str:
    """A metav1.Duration as Calico stores it: ``go_duration("90s") == "1m30s"``."""
    return format_go_duration(parse_go_duration(text))


def go_asnumber(value: int | str) -> int:
    """numorstring.ASNumber as stored (uint32 number); accepts "64512" and dotted "1.10"."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    s = str(value)
    if re.fullmatch(r"[0-9]+", s) and int(s) < 1 << 32:
        return int(s)
    parts = s.split(".")
    if len(parts) == 2 and all(re.fullmatch(r"[0-9]+", p) and int(p) < 1 << 16 for p in parts):
        return (int(parts[0]) << 16) + int(parts[1])
    raise ValueError(f"invalid AS Number format ({s})")


# numorstring (api/pkg/lib/numorstring, v3.31.7): what json.Marshal writes after UnmarshalJSON.
_PORT_TYPES = ("numorstring.Port", "*numorstring.Port")
_UINT8_OR_STRING_TYPES = ("numorstring.Protocol", "*numorstring.Protocol", "numorstring.DSCP", "*numorstring.DSCP")


def go_port(value: int | str) -> int | str:
    """numorstring.Port as stored (port.go PortFromString, MarshalJSON): a single port is a JSON
    number ("8080" -> 8080, "80:80" -> 80), a range a string "min:max" with the numbers
    re-printed ("0100:0200" -> "100:200"), a name the string. A value Go would refuse is returned
    unchanged (the validator refuses it)."""
    if isinstance(value, str):
        if re.fullmatch(r"[0-9]+", value) and int(value) < 1 << 16:
            return int(value)
        m = re.fullmatch(r"([0-9]+):([0-9]+)", value)
        if m and int(m.group(1)) < 1 << 16 and int(m.group(2)) < 1 << 16:
            lo, hi = int(m.group(1)), int(m.group(2))
            return lo if lo == hi else f"{lo}:{hi}"
    return value


def go_uint8_or_string(value: int | str) -> int | str:
    """numorstring.Uint8OrString (Protocol, DSCP) as stored (uint8orstring.go): a string that
    parses as a uint8 is written as that number ("6" -> 6); any other string stays a string."""
    if isinstance(value, str) and re.fullmatch(r"[0-9]+", value) and int(value) < 256:
        return int(value)
    return value


def go_int_or_string(go_type: str, value):
    """``value`` as Go writes a field of ``go_type`` when it is a numorstring type (or a list of
    Ports); any other value unchanged."""
    if go_type in _PORT_TYPES:
        return go_port(value)
    if go_type in ("[]numorstring.Port", "*[]numorstring.Port") and isinstance(value, list):
        return [go_port(v) for v in value]
    if go_type in _UINT8_OR_STRING_TYPES:
        return go_uint8_or_string(value)
    return value
