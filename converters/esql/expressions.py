"""ES|QL boolean and value expressions (the WHERE of converters.esql.executor).

The semantics are written down in esql's module docstring; this module is
the lexer, the parser and the evaluator. A row maps field -> value, where a
value is None (null), a scalar, or a list of two or more values (a
multi-value).
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from typing import Any, Callable

from converters.engine.executor import ExecutionError
from converters.engine.timestamps import epoch_seconds
from converters.engine.logic import and_of, or_of, or_values
from converters.engine.leaves import PatternError, ascii_lower, like_test, regexp_test

Fn = Callable[[dict], Any]

_TOKEN = re.compile(r'''
    (?P<ws>\s+|//[^\n]*|/\*.*?\*/)
  | (?P<raw>""".*?""")
  | (?P<str>"(?:\\.|[^"\\\r\n])*")
  | (?P<num>\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+|\d+)
  | (?P<bq>`(?:``|[^`])+`)
  | (?P<op>==|!=|<=|>=|=~|::|[<>+\-*/%(),.?=])
  | (?P<id>[A-Za-z_@][A-Za-z0-9_]*)
''', re.VERBOSE | re.DOTALL)
_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", '"': '"', "\\": "\\"}


def _string(text: str) -> str:
    out, i = [], 1
    while i < len(text) - 1:
        c = text[i]
        if c == "\\":
            nxt = text[i + 1]
            if nxt not in _ESCAPES:
                raise ExecutionError(f"ES|QL: invalid escape \\{nxt} in string {text}")
            out.append(_ESCAPES[nxt])
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def tokenize(text: str) -> list[tuple[str, Any]]:
    toks, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ExecutionError(f"ES|QL: cannot read {text[pos:pos + 30]!r}")
        pos = m.end()
        kind = m.lastgroup
        val = m.group(kind)
        if kind == "ws":
            continue
        if kind == "raw":
            toks.append(("str", val[3:-3]))
        elif kind == "str":
            toks.append(("str", _string(val)))
        elif kind == "num":
            toks.append(("num", float(val) if any(c in val for c in ".eE") else int(val)))
        elif kind == "bq":
            toks.append(("name", val[1:-1].replace("``", "`")))
        elif kind == "id":
            toks.append(("id", val))
        else:
            if val in ("::", "?"):
                raise ExecutionError(f"ES|QL `{val}` (casts, parameters) is not supported")
            toks.append(("op", val))
    return toks


# --- values ------------------------------------------------------------------

def _is_mv(v: Any) -> bool:
    return isinstance(v, list)


def _single(fn: Callable) -> Callable:
    """A single-value function: null for a null or multi-valued argument."""
    def call(*args):
        for a in args:
            if a is None or type(a) is list:
                return None
        return fn(*args)
    return call


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _text(v: Any) -> str:
    if type(v) is str:
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _pair(a: Any, b: Any):
    if _is_num(a) and _is_num(b):
        return a, b
    if isinstance(a, str) and isinstance(b, str):
        return a, b
    return _text(a), _text(b)


_CMP = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
    # case-insensitive equality folds ASCII letters only, and "" matches nothing (engine.leaves)
    "=~": lambda a, b: b != "" and ascii_lower(a) == ascii_lower(b) if isinstance(a, str) else a == b,
}


def _cidr(ip, *blocks):
    try:
        addr = ipaddress.ip_address(_text(ip))
    except ValueError:
        return None
    return any(addr in ipaddress.ip_network(_text(b), strict=False) for b in blocks)


def _substring(s, start, length=None):
    start = int(start)
    begin = max(len(s) + start, 0) if start < 0 else max(start - 1, 0)
    return s[begin:] if length is None else s[begin:begin + int(length)]


def _mv_map(fn):
    def call(v):
        if v is None:
            return None
        return [fn(x) for x in v] if _is_mv(v) else fn(v)
    return call


def _as_list(v):
    return [] if v is None else (v if _is_mv(v) else [v])


def _mv_contains(sup, sub):
    if sup is None or sub is None:
        return sub is None
    have = _as_list(sup)
    return all(x in have for x in _as_list(sub))


def _mv_dedupe(v):
    if not _is_mv(v):
        return v
    out = list(dict.fromkeys(v))
    return out if len(out) > 1 else out[0]


_TIME_UNITS = {"millisecond": 0.001, "second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800}


def _unit_seconds(word: str) -> float | None:
    word = word.lower()
    return _TIME_UNITS.get(word[:-1] if word.endswith("s") and word[:-1] in _TIME_UNITS else word)


class Timespan(float):
    """A time span literal (`5 minutes`), in seconds."""


def _date_seconds(v: Any) -> float | None:
    return epoch_seconds(v) if isinstance(v, str) else float(v) if _is_num(v) else None


def _date_trunc(span: Any, date: Any):
    """DATE_TRUNC(span, date): the date rounded down to a multiple of the span since the epoch (ISO text)."""
    from converters.engine.timestamps import iso_utc

    t = _date_seconds(date)
    if t is None or not isinstance(span, (int, float)) or span <= 0:
        return None
    return iso_utc((t // span) * span)


def _to_long(v: Any):
    """TO_LONG: a date (ISO text) as milliseconds since the epoch; a number as an integer."""
    if _is_num(v):
        return int(v)
    if isinstance(v, str):
        t = epoch_seconds(v)
        if t is not None:
            return int(round(t * 1000))
        try:
            return int(v)
        except ValueError:
            return None
    return None


def _case(*args):
    """CASE(cond, value, ..., [else]): the value of the first true condition (null counts as false)."""
    for k in range(0, len(args) - 1, 2):
        if args[k] is True:
            return args[k + 1]
    return args[-1] if len(args) % 2 else None


def _mv_append(a, b):
    if a is None:
        return b
    if b is None:
        return a
    out = _as_list(a) + _as_list(b)
    return out if len(out) > 1 else out[0]


def _mv_sort(v, order="ASC"):
    if v is None or not _is_mv(v):
        return v
    return sorted(v, key=_sort_key, reverse=_text(order).upper() == "DESC")


def _sort_key(v):
    return (0, v, "") if _is_num(v) else (1, 0, _text(v))


def _mv_slice(v, start, end=None):
    values = _as_list(v) if v is not None else []
    if not _is_num(start) or not values:
        return None
    start = int(start) + (len(values) if start < 0 else 0)
    end = start if end is None else int(end) + (len(values) if end < 0 else 0)
    part = values[max(start, 0):end + 1]
    return None if not part else part if len(part) > 1 else part[0]


_FUNCS: dict[str, tuple[int, int, Callable]] = {
    # correlations (converters/esql/stats.py): CASE, MV_APPEND, DATE_TRUNC, TO_LONG, MV_SORT, MV_SLICE
    "case": (2, 99, _case),
    "mv_append": (2, 2, _mv_append),
    "date_trunc": (2, 2, _single(_date_trunc)),
    "to_long": (1, 1, _single(_to_long)),
    "mv_sort": (1, 2, _mv_sort),
    "mv_slice": (2, 3, _mv_slice),
    "starts_with": (2, 2, _single(lambda s, p: _text(s).startswith(_text(p)))),
    "ends_with": (2, 2, _single(lambda s, p: _text(s).endswith(_text(p)))),
    "to_lower": (1, 1, _mv_map(lambda s: _text(s).lower())),
    "to_upper": (1, 1, _mv_map(lambda s: _text(s).upper())),
    "length": (1, 1, _single(lambda s: len(_text(s)))),
    "substring": (2, 3, _single(lambda s, *a: _substring(_text(s), *a))),
    "concat": (2, 99, _single(lambda *a: "".join(_text(x) for x in a))),
    "trim": (1, 1, _single(lambda s: _text(s).strip())),
    "to_string": (1, 1, _mv_map(_text)),
    "locate": (2, 3, _single(lambda s, sub, start=1: _text(s).find(_text(sub), max(int(start) - 1, 0)) + 1)),
    "cidr_match": (2, 99, _single(_cidr)),
    "coalesce": (1, 99, lambda *a: next((x for x in a if x is not None), None)),
    "mv_count": (1, 1, lambda v: None if v is None else len(_as_list(v))),
    "mv_first": (1, 1, lambda v: v[0] if _is_mv(v) else v),
    "mv_last": (1, 1, lambda v: v[-1] if _is_mv(v) else v),
    "mv_min": (1, 1, lambda v: min(v) if _is_mv(v) else v),
    "mv_max": (1, 1, lambda v: max(v) if _is_mv(v) else v),
    "mv_concat": (2, 2, lambda v, d: None if v is None or d is None else _text(d).join(_text(x) for x in _as_list(v))),
    "mv_dedupe": (1, 1, _mv_dedupe),
    "mv_contains": (2, 2, _mv_contains),
}


# --- parser --------------------------------------------------------------------

class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.toks = tokenize(text)
        self.i = 0
        self.fields: list[str] = []   # every field the expression reads

    def fail(self, why: str):
        near = repr(self.toks[self.i][1]) if self.i < len(self.toks) else "the end"
        raise ExecutionError(f"ES|QL: {why} near {near} in {self.text.strip()[:120]!r}")

    def peek(self, k: int = 0):
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else (None, None)

    def kw(self, *words: str) -> bool:
        kind, val = self.peek()
        if kind == "id" and val.lower() in words:
            self.i += 1
            return True
        return False

    def is_kw(self, word: str, k: int = 0) -> bool:
        kind, val = self.peek(k)
        return kind == "id" and val.lower() == word

    def op(self, *ops: str) -> str | None:
        kind, val = self.peek()
        if kind == "op" and val in ops:
            self.i += 1
            return val
        return None

    def expect(self, op: str):
        if not self.op(op):
            self.fail(f"expected {op!r}")

    # boolean -----------------------------------------------------------------
    def or_expr(self) -> Fn:
        parts = [self.and_expr()]
        while self.kw("or"):
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else or_of(parts)

    def and_expr(self) -> Fn:
        parts = [self.not_expr()]
        while self.kw("and"):
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else and_of(parts)

    def not_expr(self) -> Fn:
        if self.kw("not"):
            inner = self.not_expr()
            return lambda r: (lambda v: None if v is None else not v)(inner(r))
        return self.predicate()

    def predicate(self) -> Fn:
        left = self.value()
        if self.kw("is"):
            negate = self.kw("not")
            if not self.kw("null"):
                self.fail("expected NULL")
            return (lambda r: left(r) is not None) if negate else (lambda r: left(r) is None)
        negate = False
        if self.is_kw("not") and (self.is_kw("like", 1) or self.is_kw("rlike", 1) or self.is_kw("in", 1)):
            self.i += 1
            negate = True
        if self.kw("like", "rlike"):
            test = _single(self.patterns(self.toks[self.i - 1][1].lower()))
            return _negatable(lambda r: test(left(r)), negate)
        if self.kw("in"):
            self.expect("(")
            members = self.args()
            if not members:
                self.fail("empty IN list")

            def member(r):
                v = left(r)
                if v is None or _is_mv(v):
                    return None
                results = []
                for m in members:
                    w = m(r)
                    results.append(None if w is None or _is_mv(w) else _CMP["=="](*_pair(v, w)))
                return or_values(results)
            return _negatable(member, negate)
        op = self.op("==", "!=", "<", "<=", ">", ">=", "=~")
        if op:
            right = self.value()
            cmp = _CMP[op]

            def compare(r):
                a, b = left(r), right(r)
                if a is None or b is None or _is_mv(a) or _is_mv(b):
                    return None
                return cmp(*_pair(a, b))
            return compare
        if self.op("="):
            self.fail("`=` is assignment in ES|QL; use `==`")
        return left

    def patterns(self, kind: str) -> Callable[[Any], bool]:
        pats = []
        if self.op("("):
            while True:
                pats.append(self.string_literal())
                if self.op(")"):
                    break
                self.expect(",")
        else:
            pats.append(self.string_literal())
        try:
            if kind == "like":
                tests = [like_test(p) for p in pats]
            else:
                tests = [regexp_test(p) for p in pats]
        except PatternError as exc:
            raise ExecutionError(f"ES|QL {kind.upper()}: {exc}") from None
        return lambda v: any(t(_text(v)) for t in tests)

    def string_literal(self) -> str:
        kind, val = self.peek()
        if kind != "str":
            self.fail("expected a string pattern")
        self.i += 1
        return val

    # values ------------------------------------------------------------------
    def value(self) -> Fn:
        left = self.term()
        while True:
            op = self.op("+", "-")
            if not op:
                return left
            right = self.term()
            left = _arith(op, left, right)

    def term(self) -> Fn:
        left = self.unary()
        while True:
            op = self.op("*", "/", "%")
            if not op:
                return left
            right = self.unary()
            left = _arith(op, left, right)

    def unary(self) -> Fn:
        if self.op("-"):
            inner = self.unary()
            return lambda r: _single(lambda v: -v if _is_num(v) else None)(inner(r))
        return self.primary()

    def primary(self) -> Fn:
        kind, val = self.peek()
        if kind is None:
            self.fail("expected a value")
        self.i += 1
        if kind == "num" and self.peek()[0] == "id" and _unit_seconds(self.peek()[1]) is not None:
            span = Timespan(float(val) * _unit_seconds(self.peek()[1]))
            self.i += 1
            return lambda r: span
        if kind in ("str", "num"):
            return lambda r: val
        if kind == "op" and val == "(":
            inner = self.or_expr()
            self.expect(")")
            return inner
        if kind == "id" and val.lower() in ("true", "false"):
            const = val.lower() == "true"
            return lambda r: const
        if kind == "id" and val.lower() == "null":
            return lambda r: None
        if kind in ("id", "name"):
            if kind == "id" and self.peek()[0] == "op" and self.peek()[1] == "(":
                self.i += 1
                return self.call(val)
            name = val
            while self.peek() == ("op", ".") and self.peek(1)[0] in ("id", "name"):
                name += "." + self.peek(1)[1]
                self.i += 2
            self.fields.append(name)
            return lambda r: r.get(name)
        self.fail("unexpected token")

    def args(self) -> list[Fn]:
        out: list[Fn] = []
        if self.op(")"):
            return out
        while True:
            out.append(self.or_expr())
            if self.op(")"):
                return out
            self.expect(",")

    def call(self, name: str) -> Fn:
        spec = _FUNCS.get(name.lower())
        if spec is None:
            raise ExecutionError(f"ES|QL function {name.upper()}() is not supported by the executor")
        args = self.args()
        lo, hi, fn = spec
        if not lo <= len(args) <= hi:
            self.fail(f"{name.upper()}() takes {lo}..{hi} arguments")
        return lambda r: fn(*[a(r) for a in args])


def _negatable(fn: Fn, negate: bool) -> Fn:
    if not negate:
        return fn
    return lambda r: (lambda v: None if v is None else not v)(fn(r))


def _arith(op: str, left: Fn, right: Fn) -> Fn:
    def run(r):
        a, b = left(r), right(r)
        if not (_is_num(a) and _is_num(b)):
            return None
        if op in "/%" and b == 0:
            return None
        if op == "/":
            return int(a / b) if isinstance(a, int) and isinstance(b, int) else a / b
        if op == "%":
            return (abs(a) % abs(b)) * (1 if a >= 0 else -1) if isinstance(a, int) and isinstance(b, int) else a % b
        return a + b if op == "+" else a - b if op == "-" else a * b
    return run


@lru_cache(maxsize=512)
def compile_condition(text: str) -> tuple[Fn, tuple[str, ...]]:
    """A WHERE expression as `row -> True/False/None`, and the fields it reads."""
    p = _Parser(text)
    fn = p.or_expr()
    if p.i != len(p.toks):
        p.fail("unexpected token")
    return fn, tuple(p.fields)


def parse_field_list(text: str, single: bool = False) -> list[str]:
    """Field names (or name patterns with `*`) of KEEP, DROP and MV_EXPAND."""
    names = []
    for part in text.split(","):
        part = part.strip()
        if part.startswith("`") and part.endswith("`"):
            part = part[1:-1].replace("``", "`")
        if not part or not re.fullmatch(r"[\w@.*`-]+", part):
            raise ExecutionError(f"ES|QL: bad field name {part!r}")
        names.append(part)
    if single and len(names) != 1:
        raise ExecutionError("ES|QL MV_EXPAND takes one field")
    return names
