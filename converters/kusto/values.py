"""Kusto values as the evaluators read them: the text the string operators see, the string
operators (case rules, `has` terms), conversions (tostring, toreal), dynamic values (parse_json and
accessors), IP ranges and RE2 regexes. The semantics, with Microsoft's pages, are written down in
converters/kusto/executor.py's docstring (single-row queries) and scalar.py's (correlations).
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable

from converters.engine.executor import ExecutionError


def as_text(value: Any) -> str:
    """A column value as Kusto's string operators see it (empty when missing)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


IP_RANGE_FUNCTIONS = ("ipv4_is_in_range", "ipv4_is_in_any_range", "ipv6_is_in_range", "ipv6_is_in_any_range")


def ip_network(text: str, version: int):
    import ipaddress

    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ExecutionError(f"{text!r} is not an IPv{version} range") from None
    if net.version != version:
        raise ExecutionError(f"{text!r} is not an IPv{version} range")
    return net


def in_ranges(value: str, networks: list, version: int) -> bool | None:
    """ipv4_is_in_range and friends: null when the value is not an address of that version."""
    import ipaddress

    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if address.version != version:
        return None
    return any(address in net for net in networks)


def _is_term_char(ch: str) -> bool:
    return ch.isalnum()


def has_term(value: str, term: str, prefix_only: bool = False, suffix_only: bool = False) -> bool:
    """`has`: `term` occurs in `value` on term boundaries (converters/kusto/executor.py's docstring)."""
    if term == "":
        return True
    need_before = _is_term_char(term[0]) and not suffix_only
    need_after = _is_term_char(term[-1]) and not prefix_only
    start = value.find(term)
    while start >= 0:
        end = start + len(term)
        ok_before = not need_before or start == 0 or not _is_term_char(value[start - 1])
        ok_after = not need_after or end == len(value) or not _is_term_char(value[end])
        if ok_before and ok_after:
            return True
        start = value.find(term, start + 1)
    return False


def _re2_unsupported(pattern: str) -> str | None:
    """The first construct of `pattern` that RE2 lacks (lookaround, backreference), or None."""
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            nxt = pattern[i + 1:i + 2]
            if nxt.isdigit() and nxt != "0":
                return f"backreference \\{nxt}"
            i += 2  # an escaped character, whatever it is
            continue
        for opener in ("(?=", "(?!", "(?<=", "(?<!", "(?P="):
            if pattern.startswith(opener, i):
                return f"{opener[:-1] if opener.endswith('=') else opener}... (lookaround or named backreference)"
        i += 1
    return None


def compile_regex(pattern: str) -> re.Pattern:
    lacking = _re2_unsupported(pattern)
    if lacking:
        raise ExecutionError(f"regex {pattern!r} uses {lacking}, which RE2 (Kusto) rejects")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ExecutionError(f"invalid regex {pattern!r}: {exc}") from None


def string_op(op: str, rhs: str) -> Callable[[str], bool]:
    """A test on a column's text for a string operator (without its `!`)."""
    cs = op.endswith("_cs") or op in ("==", "!=", "in")
    base = op[:-3] if op.endswith("_cs") else op
    if not cs:
        rhs = rhs.lower()
    if base in ("==", "=~"):
        return (lambda v: v == rhs) if cs else (lambda v: v.lower() == rhs)
    if base == "contains":
        return (lambda v: rhs in v) if cs else (lambda v: rhs in v.lower())
    if base == "startswith":
        return (lambda v: v.startswith(rhs)) if cs else (lambda v: v.lower().startswith(rhs))
    if base == "endswith":
        return (lambda v: v.endswith(rhs)) if cs else (lambda v: v.lower().endswith(rhs))
    if base in ("has", "hasprefix", "hassuffix"):
        pre, suf = base == "hasprefix", base == "hassuffix"
        return (lambda v: has_term(v, rhs, pre, suf)) if cs else (lambda v: has_term(v.lower(), rhs, pre, suf))
    raise ExecutionError(f"unsupported string operator {op}")


NUMERIC_OPS = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def to_number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def tostring(value: Any) -> str:
    """tostring(): "" for null, compact JSON for a dynamic array or object, true/false for a bool, a
    real without its fraction when it has none (5.0 is "5"), else the value's text."""
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return as_text(value)


def toreal(value: Any) -> float | None:
    if isinstance(value, bool) or isinstance(value, (dict, list)):
        return None
    return to_number(value)


CONVERTERS: dict[str, Callable[[Any], Any]] = {"tostring": tostring, "toreal": toreal, "todouble": toreal}


def parse_json(value: Any) -> Any:
    """parse_json: a string holding JSON is parsed; anything else is returned as it is."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def walk(value: Any, path: tuple) -> Any:
    """`.key`, `["key"]` and `[n]` accessors on a dynamic value: null where a step is absent."""
    for step in path:
        if isinstance(step, int) and not isinstance(step, bool):
            value = value[step] if isinstance(value, list) and -len(value) <= step < len(value) else None
        elif isinstance(value, dict):
            value = value.get(step)
        else:
            return None
    return value
