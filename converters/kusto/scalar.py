"""Kusto scalar expressions of ruleport's correlation queries (converters/kusto/tabular.py).

Values: strings, numbers, datetimes (ISO 8601 text, compared and subtracted
as times), timespans (`5m`, `30s`, `1h`, `2d`, `100ms`: seconds here) and
dynamic arrays; `tostring` of an array is its JSON text. Null propagates
through comparisons and arithmetic; `and`/`or` are three-valued. Functions:
tostring isempty isnotempty isnull isnotnull pack_array array_length iff
strcat trim bin not parse_json (with `.key`, `["key"]`, `[n]` accessors after a call
or a dynamic column: `RawEventData.UserId`), and prev(c, n) over serialized
rows. `s.c` reads column c of the record that matched scan step s (a name that
is no column of the row).

trim(regex, source) (https://learn.microsoft.com/kusto/query/trim-function):
"removes all leading and trailing matches of the specified regular
expression" (RE2, as `matches regex` reads it): every consecutive non-empty
match at the start, then every one ending at the end, are cut; the source is
read as text (tostring: null is "").
"""


from __future__ import annotations

from typing import Any, Callable

from converters.engine.executor import ExecutionError
from converters.engine.timestamps import epoch_seconds
from converters.kusto.lexer import Timespan, Token
from converters.kusto.values import compile_regex, parse_json, tostring, walk

Row = tuple[frozenset, dict]


def _time(v: Any) -> float | None:
    if isinstance(v, Timespan):
        return float(v)
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)
    return epoch_seconds(v) if isinstance(v, str) else None


def _empty(v: Any) -> bool:
    return v is None or v == "" or v == []


def _compare(op: str, a: Any, b: Any) -> bool | None:
    if a is None or b is None:
        return None
    if isinstance(a, str) and isinstance(b, str) and op in ("==", "!="):
        return (a == b) == (op == "==")
    x, y = _time(a), _time(b)
    if x is None or y is None:
        x, y = str(a), str(b)
    return {"==": x == y, "!=": x != y, "<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]


# --- expressions --------------------------------------------------------------------------------

class _Ctx:
    """What an expression reads: the row, the serialized rows around it, the scan state."""

    def __init__(self, record: dict, rows: list[Row] | None = None, index: int = 0, state: dict | None = None):
        self.record = record
        self.rows = rows
        self.index = index
        self.state = state or {}
        self.spanned: set[int] = set()       # row offsets back that prev() read


class _Expr:
    """A recursive-descent parser of the scalar expressions ruleport's correlation queries use."""

    def __init__(self, tokens: list[Token], start: int):
        self.toks = tokens
        self.i = start

    def peek(self, k: int = 0) -> Token:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def at(self, value: Any, k: int = 0) -> bool:
        return self.peek(k).value == value and self.peek(k).kind in ("op", "word", "ident")

    def take(self, value: Any) -> None:
        if not self.at(value):
            tok = self.peek()
            raise ExecutionError(f"Kusto: expected {value!r} at offset {tok.pos}, found {tok.value!r}")
        self.i += 1

    def expr(self) -> Callable[[_Ctx], Any]:
        left = self.and_expr()
        while self.at("or"):
            self.i += 1
            right = self.and_expr()
            left = (lambda a, b: lambda c: _or(a(c), b(c)))(left, right)
        return left

    def and_expr(self):
        left = self.comparison()
        while self.at("and"):
            self.i += 1
            right = self.comparison()
            left = (lambda a, b: lambda c: _and(a(c), b(c)))(left, right)
        return left

    def comparison(self):
        left = self.additive()
        tok = self.peek()
        if tok.kind == "op" and tok.value in ("==", "!=", "<", "<=", ">", ">="):
            self.i += 1
            right = self.additive()
            return lambda c, op=tok.value: _compare(op, left(c), right(c))
        return left

    def additive(self):
        left = self.primary()
        while self.peek().kind == "op" and self.peek().value in ("+", "-"):
            op = self.peek().value
            self.i += 1
            right = self.primary()
            left = (lambda a, b, o: lambda c: _arith(o, a(c), b(c)))(left, right, op)
        return left

    def primary(self):
        tok = self.peek()
        self.i += 1
        if tok.kind in ("number", "timespan", "string"):
            return lambda c: tok.value
        if tok.kind == "op" and tok.value == "(":
            inner = self.expr()
            self.take(")")
            return inner
        if tok.kind in ("ident", "word"):
            name = tok.value
            if name in ("true", "false"):
                return lambda c: name == "true"
            if self.at("("):
                return self.call(name)
            path = self._accessors()
            if not path:
                return lambda c: c.record.get(name)
            return lambda c: _member(c, name, path)
        raise ExecutionError(f"Kusto: unexpected {tok.value!r} at offset {tok.pos}")

    def call(self, name: str):
        self.take("(")
        args = []
        if not self.at(")"):
            args.append(self.expr())
            while self.at(","):
                self.i += 1
                args.append(self.expr())
        self.take(")")
        if name == "prev":
            return self._prev(args)
        fn = _FUNCTIONS.get(name)
        if fn is None:
            raise ExecutionError(f"Kusto function {name}() is not supported by the correlation evaluator")
        call = lambda c: fn(*[a(c) for a in args])  # noqa: E731
        # property and element accessors on a dynamic value: parse_json(Column).key["other key"][0]
        path = self._accessors()
        if not path:
            return call
        return lambda c: walk(call(c), path)

    def _accessors(self) -> tuple:
        """The `.key`, `["key"]` and `[n]` accessors that follow a value."""
        steps: list = []
        while self.peek().kind == "op" and self.peek().value in (".", "["):
            self.i += 1
            if self.toks[self.i - 1].value == ".":
                key = self.peek()
                if key.kind not in ("ident", "word"):
                    raise ExecutionError(f"Kusto: expected a property name at offset {key.pos}")
                self.i += 1
                steps.append(key.value)
            else:
                key = self.peek()
                if key.kind not in ("string", "number"):
                    raise ExecutionError(f"Kusto: expected a key or an index at offset {key.pos}")
                self.i += 1
                self.take("]")
                steps.append(key.value)
        return tuple(steps)

    def _prev(self, args):
        if not 1 <= len(args) <= 2:
            raise ExecutionError("prev() takes a column and an offset")

        def prev(c: _Ctx):
            if c.rows is None:
                raise ExecutionError("prev() needs serialized rows (sort or serialize first)")
            n = int(args[1](c)) if len(args) > 1 else 1
            j = c.index - n
            if j < 0:
                return None
            c.spanned.update(range(1, n + 1))
            return args[0](_Ctx(c.rows[j][1], c.rows, j, c.state))

        return prev


def _and(a, b):
    if a is False or b is False:
        return False
    return None if a is None or b is None else True


def _or(a, b):
    if a is True or b is True:
        return True
    return None if a is None or b is None else False


def _arith(op: str, a: Any, b: Any):
    if a is None or b is None:
        return None
    if isinstance(a, str) or isinstance(b, str):
        x, y = _time(a), _time(b)
        if x is None or y is None:
            return None
        return Timespan(x - y) if op == "-" and not isinstance(b, Timespan) else x + y if op == "+" else x - y
    return a + b if op == "+" else a - b


def _member(c: _Ctx, name: str, path: tuple) -> Any:
    """`name.key...`: a property of the row's dynamic column `name` when the row has that column,
    else column `key` of the record that matched scan step `name` (`s1.ruleport_time`). Kusto
    resolves the name against the row's columns too; ruleport's step names are never columns."""
    if name in c.record:
        value = c.record[name]
        return walk(value, path) if isinstance(value, (dict, list)) else None
    step = c.state.get(name) or {}
    return walk(step.get(path[0]), path[1:]) if isinstance(path[0], str) else None


def _bin(value, span):
    t = _time(value)
    if t is None or not span:
        return None
    return (t // float(span)) * float(span)


def _trim(regex: Any, source: Any) -> str:
    if not isinstance(regex, str):
        raise ExecutionError(f"trim(): the regular expression must be a string, got {regex!r}")
    rx = compile_regex(f"(?:{regex})")
    text = tostring(source)
    while (m := rx.match(text)) and m.end():
        text = text[m.end():]
    ends = compile_regex(f"(?:{regex})\\Z")   # RE2's `$` is the very end; Python's also matches before a final newline
    while (m := ends.search(text)) and m.start() < len(text):
        text = text[:m.start()]
    return text


_FUNCTIONS: dict[str, Callable] = {
    "tostring": tostring,
    "isempty": _empty,
    "isnotempty": lambda v: not _empty(v),
    "isnull": lambda v: v is None,
    "isnotnull": lambda v: v is not None,
    "pack_array": lambda *a: list(a),
    "array_length": lambda v: len(v) if isinstance(v, list) else None,
    "iff": lambda cond, a, b: a if cond is True else b,
    "strcat": lambda *a: "".join(tostring(x) for x in a),
    "trim": _trim,
    "bin": _bin,
    "parse_json": parse_json,
    "not": lambda v: None if v is None else not v,
}


