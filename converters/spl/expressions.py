"""SPL eval expressions (for `eval` and `where`), per Splunk's Search Reference.

- Precedence: NOT, then AND, then OR (unlike the search command); keywords
  in any case. `=` and `==` are equality, `!=` inequality; `LIKE` and `IN`
  operators; `+ - * / %` arithmetic.
- Strings compare case-SENSITIVELY; two values that both read as numbers
  compare as numbers. Bare names and 'single-quoted' names are fields,
  "double-quoted" text is a string (unescaped as in splunk_lex).
- Null: a missing field is null; a comparison or function on null is null
  (except isnull/isnotnull/coalesce/if); AND/OR/NOT follow three-valued
  logic; `where` keeps rows whose value is exactly true.
- A multi-value field in a comparison or function is true when any value
  satisfies it.
- Functions: lower upper len isnull isnotnull if coalesce match (PCRE,
  unanchored) like (SQL: % any run, _ one character, no escapes)
  cidrmatch in tostring true false null. Others raise ExecutionError.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from typing import Any, Callable

from converters.engine.executor import ExecutionError
from converters.engine.logic import and_of, or_of, or_values
from converters.engine.patterns import PatternError, pcre_to_python
from converters.spl.lexer import unescape

Fn = Callable[[dict], Any]

_TOKEN = re.compile(r'''\s*(?:
    (?P<num>\d+(?:\.\d+)?(?![\w.]))
  | (?P<str>"(?:\\.|[^"\\])*")
  | (?P<qname>'(?:[^'])*')
  | (?P<op>==|!=|<=|>=|=|<|>|\+|-|\*|/|%|\(|\)|,)
  | (?P<name>[A-Za-z_@][\w.:@-]*)
)''', re.VERBOSE)


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ExecutionError(f"SPL eval: cannot read {text[pos:pos + 30]!r}")
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


@lru_cache(maxsize=1024)
def regex_test(pattern: str) -> Callable[[str], bool]:
    """An unanchored PCRE search over one value."""
    try:
        rx = re.compile(pcre_to_python(pattern), re.DOTALL)
    except PatternError as exc:
        raise ExecutionError(f"SPL regex: {exc}") from None
    return lambda v: rx.search(v) is not None


def _num(v: Any):
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return None
    return None


def _each(v: Any) -> list:
    return list(v) if isinstance(v, (list, tuple)) else [v]


def _cmp(op: str, a: Any, b: Any):
    if a is None or b is None:
        return None
    for x in _each(a):
        for y in _each(b):
            nx, ny = _num(x), _num(y)
            if nx is not None and ny is not None:
                x2, y2 = nx, ny
            else:
                x2, y2 = _str(x), _str(y)
            if _CMP[op](x2, y2):
                return True
    return False


_CMP = {"=": lambda a, b: a == b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b,
        "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def _str(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


@lru_cache(maxsize=1024)
def _like(pattern: str):
    rx = re.compile("".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern), re.DOTALL)
    return lambda v: rx.fullmatch(v) is not None


def _any_str(v, test):
    if v is None:
        return None
    return any(test(_str(x)) for x in _each(v))


def _cidr(cidr, ip):
    if cidr is None or ip is None:
        return None
    try:
        net = ipaddress.ip_network(_str(cidr), strict=False)
    except ValueError:
        raise ExecutionError(f"cidrmatch: {cidr!r} is not a CIDR block") from None
    for x in _each(ip):
        try:
            if ipaddress.ip_address(_str(x)) in net:
                return True
        except ValueError:
            pass
    return False


def _map(fn):
    return lambda v: None if v is None else ([fn(_str(x)) for x in v] if isinstance(v, list) else fn(_str(v)))


_FUNCS: dict[str, tuple[int, int, Callable]] = {
    "lower": (1, 1, _map(str.lower)),
    "upper": (1, 1, _map(str.upper)),
    "len": (1, 1, lambda v: None if v is None else len(_str(v))),
    "tostring": (1, 1, lambda v: None if v is None else _str(v)),
    "isnull": (1, 1, lambda v: v is None),
    "isnotnull": (1, 1, lambda v: v is not None),
    "coalesce": (1, 99, lambda *a: next((x for x in a if x is not None), None)),
    "match": (2, 2, lambda s, r: None if r is None else _any_str(s, regex_test(_str(r)))),
    "like": (2, 2, lambda s, p: None if p is None else _any_str(s, _like(_str(p)))),
    "cidrmatch": (2, 2, _cidr),
    "true": (0, 0, lambda: True),
    "false": (0, 0, lambda: False),
    "null": (0, 0, lambda: None),
}


class _EvalParser:
    def __init__(self, text: str):
        self.text = text
        self.toks = _tokens(text)
        self.i = 0

    def fail(self, why: str):
        near = self.toks[self.i][1] if self.i < len(self.toks) else "the end"
        raise ExecutionError(f"SPL eval: {why} near {near!r} in {self.text.strip()[:100]!r}")

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else (None, None)

    def kw(self, word: str) -> bool:
        kind, text = self.peek()
        if kind == "name" and text.upper() == word:
            self.i += 1
            return True
        return False

    def op(self, *ops) -> str | None:
        kind, text = self.peek()
        if kind == "op" and text in ops:
            self.i += 1
            return text
        return None

    def expr(self) -> Fn:
        parts = [self.and_expr()]
        while self.kw("OR"):
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else or_of(parts)

    def and_expr(self) -> Fn:
        parts = [self.not_expr()]
        while self.kw("AND"):
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else and_of(parts)

    def not_expr(self) -> Fn:
        if self.kw("NOT"):
            inner = self.not_expr()

            def negate(r):
                v = inner(r)
                return None if v is None else not v
            return negate
        return self.comparison()

    def comparison(self) -> Fn:
        left = self.additive()
        op = self.op("==", "=", "!=", "<", "<=", ">", ">=")
        if op:
            right = self.additive()
            return lambda r: _cmp(op, left(r), right(r))
        if self.kw("LIKE"):
            pat = self.additive()
            return lambda r: (lambda p: None if p is None else _any_str(left(r), _like(_str(p))))(pat(r))
        if self.kw("IN"):
            if not self.op("("):
                self.fail("expected ( after IN")
            members = self.args()
            return lambda r: or_values([_cmp("==", left(r), m(r)) for m in members])
        return left

    def additive(self) -> Fn:
        left = self.term()
        while True:
            op = self.op("+", "-", "*", "/", "%")
            if not op:
                return left
            right = self.term()
            left = _arith(op, left, right)

    def args(self) -> list[Fn]:
        out: list[Fn] = []
        if self.op(")"):
            return out
        while True:
            out.append(self.expr())
            if self.op(")"):
                return out
            if not self.op(","):
                self.fail("expected , or )")

    def term(self) -> Fn:
        kind, text = self.peek()
        if kind is None:
            self.fail("expected a value")
        self.i += 1
        if kind == "num":
            v = float(text) if "." in text else int(text)
            return lambda r: v
        if kind == "str":
            s = unescape(text[1:-1])
            return lambda r: s
        if kind == "qname":
            return _field(text[1:-1])
        if kind == "op" and text == "(":
            inner = self.expr()
            if not self.op(")"):
                self.fail("unclosed parenthesis")
            return inner
        if kind == "op" and text == "-":
            inner = self.term()
            return lambda r: (lambda v: None if _num(v) is None else -_num(v))(inner(r))
        if kind == "name":
            if self.op("("):
                return self.call(text)
            return _field(text)
        self.fail("unexpected token")

    def call(self, name: str) -> Fn:
        args = self.args()
        lname = name.lower()
        if lname == "if":
            if len(args) != 3:
                self.fail("if() takes 3 arguments")
            c, a, b = args
            return lambda r: a(r) if c(r) is True else b(r)
        if lname == "in":
            if len(args) < 2:
                self.fail("in() takes a value and a list")
            first, rest = args[0], args[1:]
            return lambda r: or_values([_cmp("==", first(r), m(r)) for m in rest])
        spec = _FUNCS.get(lname)
        if spec is None:
            raise ExecutionError(f"SPL eval function {name}() is not supported")
        lo, hi, fn = spec
        if not lo <= len(args) <= hi:
            self.fail(f"{name}() takes {lo}..{hi} arguments")
        if len(args) == 1:
            (a0,) = args
            return lambda r: fn(a0(r))
        if len(args) == 2:
            a0, a1 = args
            return lambda r: fn(a0(r), a1(r))
        return lambda r: fn(*[a(r) for a in args])


def _field(name: str) -> Fn:
    def get(r):
        v = r.get(name)
        if isinstance(v, (list, tuple)):
            v = [x for x in v if x is not None]
            return v or None
        return v
    return get


def _arith(op: str, left: Fn, right: Fn) -> Fn:
    def run(r):
        a, b = _num(left(r)), _num(right(r))
        if a is None or b is None:
            if op == "+" and left(r) is not None and right(r) is not None:
                return _str(left(r)) + _str(right(r))
            return None
        if op in "/%" and b == 0:
            return None
        return {"+": a + b, "-": a - b, "*": a * b, "/": a / b if op == "/" else 0, "%": a % b if op == "%" else 0}[op]
    return run


@lru_cache(maxsize=512)
def compile_eval(text: str) -> Fn:
    """An eval expression as `record -> value` (True/False/None for conditions)."""
    p = _EvalParser(text)
    fn = p.expr()
    if p.i != len(p.toks):
        p.fail("unexpected token")
    return fn


def parse_eval_assignments(text: str) -> list[tuple[str, Fn]]:
    """`a=expr, b=expr` of the eval command."""
    p = _EvalParser(text)
    out = []
    while True:
        kind, name = p.peek()
        if kind not in ("name", "qname"):
            p.fail("expected a field name to assign")
        p.i += 1
        if not p.op("="):
            p.fail("expected =")
        out.append((name.strip("'"), p.expr()))
        if p.i == len(p.toks):
            return out
        if not p.op(","):
            p.fail("expected , between assignments")
