r"""Evaluate the Kusto (KQL) subset that pySigma's Kusto backend emits.

No Kusto engine runs offline, so this module parses and evaluates the query
itself, following Microsoft's documented semantics; the query text is also
checked by Microsoft's own parser in tests (tools/kusto-parser) and the
evaluation is cross-checked against duckdb-kql (tests/kusto/test_executor.py).

Events are one platform's rows: a flat dict of column -> value (a dict for
a `dynamic` column). A row says which table holds it in `$table` (a row
without it belongs to every table). The executor is given the platform's
schema, table -> column -> Kusto type (the target record hands it the
platform facts, converters/data/platforms/); a query's table must be one of
them (else ExecutionError) and it reads the rows of that table only.

Query shape: `Table [()] | where <expr> | extend Name = <value>, ... | where ...`
in any order after the table, or `union (<query>), (<query>), ...` of such
queries (the rows of every operand; each operand reads its own table, so a
column typed differently in two tables keeps each table's type). Any other tabular operator is unsupported
(ExecutionError). `//` comments are ignored.

`ipv4_is_in_range(col, "10.0.0.0/8")`, `ipv4_is_in_any_range(col, r1, ...)`
and their ipv6_ forms: true when the column holds an address of that
version inside the range; anything else (not an address, the other
version) is null (Microsoft's reference: "null if conversion of either IPv4
string wasn't successful"). A range of the wrong version is an error.
`coalesce(p, ..., false)` of predicates is the first that is not null.
Logic is three-valued where a null can arise: `not(null)` is null, null
and false is false, null or true is true; `where` keeps rows that are true.

`extend` values: literals, columns, `Column.key` / `Column["key"]` (a key of
a dynamic column), `tostring(v)` (null and missing as ""), `strcat(v, ...)`
(nulls as ""), `iff(<predicate>, a, b)` / `iif`, `isempty(v)` inside a
predicate. An extended column is a string column from then on.

Operands of a predicate: a column, or a value inside a dynamic column or a
JSON string column: `tostring(parse_json(Column).key["other key"][0])`
(`toreal(...)` / `todouble(...)` for a number). After Microsoft's
scalar-function pages: parse_json parses a string (a string that is not JSON
stays that string) and leaves a dynamic value as it is; `.key` / `["key"]`
read a property and `[n]` an array element, null when absent; tostring gives
"" for null, true/false for booleans, the number's text, and compact JSON
for objects and arrays; toreal gives null for what is not a number.

Expressions: `or` binds loosest, then `and`; `not(expr)` is a function;
parentheses group. A predicate is `column <op> <literal>` or one of
`isempty(c)`, `isnotempty(c)`, `isnull(c)`, `isnotnull(c)`. Columns are plain
identifiers or bracketed `['name']` / `["name"]`.

Literals: "..." and '...' with backslash escapes (\\ \" \' \t \n \r and
\uXXXX), verbatim @"..." / @'...' where a backslash is itself and a doubled
quote is a quote, ```multi-line``` literals (no escapes), h"..." (hidden)
literals, adjacent literals concatenated; integers, reals, true/false.

Case rules, after Microsoft's "String operators" page
(https://learn.microsoft.com/azure/data-explorer/kusto/query/datatypes-string-operators):
`==`, `!=`, `in`, `!in`, `has_cs`, `contains_cs`, `startswith_cs`,
`endswith_cs`, `hasprefix_cs`, `hassuffix_cs` (and their `!` forms) are
case-sensitive; `=~`, `!~`, `in~`, `!in~`, `has`, `contains`, `startswith`,
`endswith`, `hasprefix`, `hassuffix`, `has_any`, `has_all` are not
(case folded here with Python's str.lower()).

- `has` looks for the right side as a whole term: where it starts with a
  letter or digit, the character before it in the value must not be one;
  likewise after its end (terms are maximal runs of letters and digits).
  `hasprefix` / `hassuffix` require the term boundary on one side only.
- `matches regex` is an unanchored search with RE2 syntax, run by Python's
  `re`; constructs RE2 lacks (lookaround, backreferences) raise
  ExecutionError, as Kusto would reject them. It is case-sensitive unless
  the pattern says `(?i)`.
- A column absent from an event, or None, is Kusto's empty value: an empty
  string for string operators (`FolderPath endswith "x"` is false,
  `FolderPath !contains "x"` is true, `isempty()` is true); numeric
  comparisons with it are false.
- Strings are never null in Kusto (https://learn.microsoft.com/kusto/query/
  scalar-data-types/null-values): `isnull(c)` is always false and
  `isnotnull(c)` always true for a string column, even when it is empty;
  for the documented non-string columns (numbers, dates, booleans) a missing
  value is null.
- `<`, `<=`, `>`, `>=` compare numbers; `==` between a number column and a
  number literal compares numerically.
- A column that no event has and that is not in the table's documented
  schema, nor extended, is an error (Kusto rejects unknown columns).
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Sequence

from converters.engine.executor import Event, ExecutionError, Executor
from converters.engine.logic import and_of, or_of
from converters.kusto.lexer import Token, tokenize
from converters.kusto.scalar import parse_json as _parse_json
from converters.kusto.scalar import walk as _walk

Predicate = Callable[[Event], bool]

# ---------------------------------------------------------------- tokens


# ---------------------------------------------------------------- values


def _text(value: Any) -> str:
    """A column value as Kusto's string operators see it (empty when missing)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


_IP_RANGE_FUNCTIONS = ("ipv4_is_in_range", "ipv4_is_in_any_range", "ipv6_is_in_range", "ipv6_is_in_any_range")


def _ip_network(text: str, version: int):
    import ipaddress

    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ExecutionError(f"{text!r} is not an IPv{version} range") from None
    if net.version != version:
        raise ExecutionError(f"{text!r} is not an IPv{version} range")
    return net


def _in_ranges(value: str, networks: list, version: int) -> bool | None:
    """ipv4_is_in_range and friends: null when the value is not an address of that version."""
    import ipaddress

    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if address.version != version:
        return None
    return any(address in net for net in networks)


def _member(value: Any, key: str) -> Any:
    """`Column.key` of a dynamic column (a JSON object given as a dict or as its text)."""
    if isinstance(value, str):
        try:
            import json

            value = json.loads(value)
        except ValueError:
            return None
    return value.get(key) if isinstance(value, dict) else None


def _scalar(value: Any) -> Any:
    """A dynamic value as tostring() renders it: JSON for arrays and objects."""
    if isinstance(value, (list, dict)):
        import json

        return json.dumps(value, separators=(",", ":"))
    return value


def _is_term_char(ch: str) -> bool:
    return ch.isalnum()


def _has_term(value: str, term: str, prefix_only: bool = False, suffix_only: bool = False) -> bool:
    """`has`: `term` occurs in `value` on term boundaries (see module docstring)."""
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


def _compile_regex(pattern: str) -> re.Pattern:
    lacking = _re2_unsupported(pattern)
    if lacking:
        raise ExecutionError(f"regex {pattern!r} uses {lacking}, which RE2 (Kusto) rejects")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ExecutionError(f"invalid regex {pattern!r}: {exc}") from None


def _string_op(op: str, rhs: str) -> Callable[[str], bool]:
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
        return (lambda v: _has_term(v, rhs, pre, suf)) if cs else (lambda v: _has_term(v.lower(), rhs, pre, suf))
    raise ExecutionError(f"unsupported string operator {op}")


_NEGATED = {"!=": "==", "!~": "=~"}
_NUMERIC_OPS = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _tostring(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _text(value)


def _toreal(value: Any) -> float | None:
    if isinstance(value, bool) or isinstance(value, (dict, list)):
        return None
    return _number(value)


_CONVERTERS: dict[str, Callable[[Any], Any]] = {"tostring": _tostring, "toreal": _toreal, "todouble": _toreal}


# ---------------------------------------------------------------- parser


Stage = Callable[[list], list]


class _Parser:
    def __init__(self, text: str, schema: dict, extra: set[str], platform: str):
        self.schema = schema
        self.extra = extra
        self.platform = platform
        self.tokens = tokenize(text)
        self.i = 0
        self.table = ""
        self.columns: set[str] = set()
        self.non_string: dict[str, str] = {}
        self.used: set[str] = set()

    def peek(self, k: int = 0) -> Token:
        return self.tokens[min(self.i + k, len(self.tokens) - 1)]

    def next(self) -> Token:
        tok = self.tokens[self.i]
        self.i = min(self.i + 1, len(self.tokens) - 1)
        return tok

    def expect(self, kind: str, value: Any = None) -> Token:
        tok = self.next()
        if tok.kind != kind or (value is not None and tok.value != value):
            want = repr(value) if value is not None else kind
            got = repr(tok.value) if tok.value is not None else "end of query"
            raise ExecutionError(f"expected {want} at offset {tok.pos}, found {got}")
        return tok

    def query(self) -> list[tuple[str, list[tuple[str, Any]]]]:
        """Each table the query reads with its stages: one, or one per operand of a leading
        `union (T1 | ...), (T2 | ...)` (whose result is the rows of every operand)."""
        tok = self.peek()
        if tok.kind == "ident" and tok.value == "union" and self.peek(1).kind == "op" and self.peek(1).value == "(":
            self.next()
            parts = []
            while True:
                self.expect("op", "(")
                parts.append(self.tabular())
                self.expect("op", ")")
                if not (self.peek().kind == "op" and self.peek().value == ","):
                    break
                self.next()
        else:
            parts = [self.tabular()]
        tok = self.peek()
        if tok.kind != "eof":
            raise ExecutionError(f"unexpected {tok.value!r} at offset {tok.pos}")
        return parts

    def tabular(self) -> tuple[str, list[tuple[str, Any]]]:
        """The table, and the stages: ("where", predicate) or ("extend", [(name, value fn), ...])."""
        table = self.expect("ident").value
        if table not in self.schema:
            raise ExecutionError(f"the query reads table {table!r}; the {self.platform} platform has "
                                 f"{', '.join(sorted(self.schema))}")
        self.table = table
        self.columns = set(self.schema[table]) | self.extra
        self.non_string = {c: t for c, t in self.schema[table].items() if t != "string"}
        if self.peek().kind == "op" and self.peek().value == "(" and self.peek(1).value == ")":
            self.i += 2  # imProcessCreate() is a function call without arguments
        stages: list[tuple[str, Any]] = []
        while self.peek().kind == "op" and self.peek().value == "|":
            self.next()
            op = self.next()
            if op.value == "where":
                stages.append(("where", self.or_expr()))
            elif op.value == "extend":
                stages.append(("extend", self.extend()))
            else:
                raise ExecutionError(f"unsupported tabular operator {op.value!r} at offset {op.pos} "
                                     "(only `where` and `extend`)")
        return table, stages

    def extend(self) -> list[tuple[str, Callable]]:
        assignments = []
        while True:
            name = self.expect("ident").value
            tok = self.next()
            if not (tok.kind == "op" and tok.value == "=") and not (tok.kind == "op" and tok.value == "=="):
                raise ExecutionError(f"expected `=` after {name} in extend at offset {tok.pos}")
            if tok.value == "==":
                raise ExecutionError(f"extend assigns with `=`, not `==` (offset {tok.pos})")
            assignments.append((name, self.value()))
            self.columns.add(name)
            self.non_string.pop(name, None)
            if self.peek().kind == "op" and self.peek().value == ",":
                self.next()
                continue
            return assignments

    def value(self) -> Callable[[Event], Any]:
        """A scalar value expression of `extend`."""
        tok = self.peek()
        if tok.kind in ("string", "number"):
            self.next()
            return lambda e, v=tok.value: v
        if tok.kind == "ident" and self.peek(1).kind == "op" and self.peek(1).value == "(":
            name = self.next().value
            self.expect("op", "(")
            if name in ("iff", "iif"):
                cond = self.or_expr()
                self.expect("op", ",")
                a = self.value()
                self.expect("op", ",")
                b = self.value()
                self.expect("op", ")")
                return lambda e: a(e) if cond(e) else b(e)
            args = []
            if not (self.peek().kind == "op" and self.peek().value == ")"):
                args.append(self.value())
                while self.peek().kind == "op" and self.peek().value == ",":
                    self.next()
                    args.append(self.value())
            self.expect("op", ")")
            if name == "tostring" and len(args) == 1:
                return lambda e: _text(_scalar(args[0](e)))
            if name == "strcat":
                return lambda e: "".join(_text(_scalar(f(e))) for f in args)
            raise ExecutionError(f"unsupported function {name}() in extend")
        col = self.column()
        if self.peek().kind == "op" and self.peek().value == "[":
            self.next()
            key = self.expect("string").value
            self.expect("op", "]")
            return lambda e: _member(e.get(col), key)
        if self.peek().kind == "op" and self.peek().value == "." :
            self.next()
            key = self.expect("ident").value
            return lambda e: _member(e.get(col), key)
        return lambda e: e.get(col)

    def or_expr(self) -> Predicate:
        parts = [self.and_expr()]
        while self.peek().kind == "word" and self.peek().value == "or":
            self.next()
            parts.append(self.and_expr())
        if len(parts) == 1:
            return parts[0]
        return or_of(tuple(parts))

    def and_expr(self) -> Predicate:
        parts = [self.unary()]
        while self.peek().kind == "word" and self.peek().value == "and":
            self.next()
            parts.append(self.unary())
        if len(parts) == 1:
            return parts[0]
        return and_of(tuple(parts))

    def unary(self) -> Predicate:
        tok = self.peek()
        if tok.kind == "op" and tok.value == "(":
            self.next()
            inner = self.or_expr()
            self.expect("op", ")")
            return inner
        if tok.kind == "ident" and self.peek(1).kind == "op" and self.peek(1).value == "(" \
                and tok.value not in _CONVERTERS:
            return self.function()
        if tok.kind == "ident" and tok.value in ("true", "false") and not (
                self.peek(1).kind in ("op", "word") and self.peek(1).value not in (")", "and", "or", "|")):
            self.next()   # a bool literal as the whole condition
            value = tok.value == "true"
            return lambda e: value
        return self.comparison()

    def function(self) -> Predicate:
        name = self.next().value
        self.expect("op", "(")
        if name == "not":
            inner = self.or_expr()
            self.expect("op", ")")
            return lambda e: (lambda v: None if v is None else not v)(inner(e))
        if name in ("isempty", "isnotempty", "isnull", "isnotnull"):
            get, nullable = self.operand()
            self.expect("op", ")")
            if name == "isempty":
                return lambda e: _text(get(e)) == ""
            if name == "isnotempty":
                return lambda e: _text(get(e)) != ""
            if not nullable:
                # a string is never null in Kusto: isnull() is false even for ""
                return (lambda e: False) if name == "isnull" else (lambda e: True)
            if name == "isnull":
                return lambda e: get(e) is None
            return lambda e: get(e) is not None
        if name == "coalesce":  # of predicates: the first that is not null
            parts = [self.or_expr()]
            while self.peek().kind == "op" and self.peek().value == ",":
                self.next()
                tok = self.peek()
                if tok.kind == "ident" and tok.value in ("true", "false") and self.peek(1).value == ")":
                    self.next()
                    parts.append(lambda e, v=tok.value == "true": v)
                else:
                    parts.append(self.or_expr())
            self.expect("op", ")")
            return lambda e: next((v for v in (p(e) for p in parts) if v is not None), None)
        if name in _IP_RANGE_FUNCTIONS:
            start = self.peek()
            get, _ = self.operand()
            col = start.value
            ranges = []
            while self.peek().kind == "op" and self.peek().value == ",":
                self.next()
                ranges.append(self._string_literal(col, name))
            self.expect("op", ")")
            if not ranges or (not name.endswith("_any_range") and len(ranges) != 1):
                raise ExecutionError(f"{name}() takes a column and {'ranges' if 'any' in name else 'one range'}")
            version = 4 if name.startswith("ipv4") else 6
            networks = [_ip_network(r, version) for r in ranges]
            return lambda e: _in_ranges(_text(get(e)), networks, version)
        raise ExecutionError(f"unsupported function {name}()")

    def operand(self) -> tuple[Callable[[Event], Any], bool]:
        """A column or a converted dynamic value: (value getter, whether it can be null)."""
        tok, nxt = self.peek(), self.peek(1)
        if tok.kind == "ident" and nxt.kind == "op" and nxt.value == "(" and tok.value in _CONVERTERS:
            self.next()
            self.next()
            inner = self.dynamic()
            self.expect("op", ")")
            convert = _CONVERTERS[tok.value]
            return (lambda e: convert(inner(e))), tok.value != "tostring"
        col = self.column()
        return (lambda e: e.get(col)), col in self.non_string

    def dynamic(self) -> Callable[[Event], Any]:
        """`parse_json(Column)` or a column, then property and element accessors."""
        tok, nxt = self.peek(), self.peek(1)
        if tok.kind == "ident" and tok.value == "parse_json" and nxt.kind == "op" and nxt.value == "(":
            self.next()
            self.next()
            col = self.column()
            self.expect("op", ")")
            get: Callable[[Event], Any] = lambda e: _parse_json(e.get(col))  # noqa: E731
        else:
            col = self.column()
            get = lambda e: e.get(col)  # noqa: E731
        steps: list = []
        while self.peek().kind == "op" and self.peek().value in (".", "["):
            if self.next().value == ".":
                steps.append(self.expect("ident").value)
            else:
                key = self.next()
                if key.kind not in ("string", "number"):
                    raise ExecutionError(f"expected a key or an index at offset {key.pos}")
                self.expect("op", "]")
                steps.append(key.value)
        if not steps:
            return get
        path = tuple(steps)
        return lambda e: _walk(get(e), path)

    def column(self) -> str:
        tok = self.next()
        if tok.kind == "ident":
            name = tok.value
        elif tok.kind == "op" and tok.value == "[":
            name = self.expect("string").value
            self.expect("op", "]")
        elif tok.kind == "string":
            raise ExecutionError(
                f"a string literal stands where a column belongs at offset {tok.pos} (quote columns as ['name'])"
            )
        else:
            raise ExecutionError(f"expected a column at offset {tok.pos}, found {tok.value!r}")
        if name not in self.columns:
            raise ExecutionError(f"unknown column {name!r}")
        self.used.add(name)
        return name

    def literal(self) -> Any:
        tok = self.next()
        if tok.kind in ("string", "number"):
            return tok.value
        if tok.kind == "ident" and tok.value in ("true", "false"):
            return tok.value == "true"
        raise ExecutionError(f"expected a literal at offset {tok.pos}, found {tok.value!r}")

    def literal_list(self) -> list:
        self.expect("op", "(")
        items = [self.literal()]
        while self.peek().kind == "op" and self.peek().value == ",":
            self.next()
            items.append(self.literal())
        self.expect("op", ")")
        return items

    def comparison(self) -> Predicate:
        start = self.peek()
        get, _ = self.operand()
        col = start.value
        tok = self.next()
        op = tok.value
        if tok.kind not in ("op", "word") or op in ("(", ")", ",", "|", "[", "]", "and", "or", "where"):
            raise ExecutionError(f"expected an operator after {col} at offset {tok.pos}, found {op!r}")
        negate = False
        if op in _NEGATED:
            op, negate = _NEGATED[op], True
        elif isinstance(op, str) and op.startswith("!"):
            op, negate = op[1:], True
        if op == "matches":
            self.expect("ident", "regex")
            rx = _compile_regex(self._string_literal(col, "matches regex"))
            pred = lambda e: rx.search(_text(get(e))) is not None  # noqa: E731
        elif op in ("in", "in~"):
            items = self.literal_list()
            if op == "in":
                texts = {x for x in items if isinstance(x, str)}
                numbers = {x for x in items if isinstance(x, (int, float)) and not isinstance(x, bool)}
                pred = lambda e: _text(get(e)) in texts or (  # noqa: E731
                    bool(numbers) and _number(get(e)) in numbers)
            else:
                lowered = {_text(x).lower() for x in items}
                pred = lambda e: _text(get(e)).lower() in lowered  # noqa: E731
        elif op in ("has_any", "has_all"):
            items = [_text(x).lower() for x in self.literal_list()]
            agg = any if op == "has_any" else all
            pred = lambda e: agg(_has_term(_text(get(e)).lower(), t) for t in items)  # noqa: E731
        elif op in _NUMERIC_OPS:
            rhs = _number(self.literal())
            if rhs is None:
                raise ExecutionError(f"{col} {op} needs a number")
            cmp = _NUMERIC_OPS[op]
            pred = lambda e: (lambda v: v is not None and cmp(v, rhs))(_number(get(e)))  # noqa: E731
        else:
            rhs = self.literal()
            if op == "==" and isinstance(rhs, (int, float)) and not isinstance(rhs, bool):
                pred = lambda e: _number(get(e)) == rhs  # noqa: E731
            elif isinstance(rhs, bool):
                pred = lambda e: get(e) is rhs or _text(get(e)).lower() == str(rhs).lower()  # noqa: E731
            else:
                test = _string_op(op, _text(rhs))
                pred = lambda e: test(_text(get(e)))  # noqa: E731
        if negate:
            inner = pred
            return lambda e: not inner(e)
        return pred

    def _string_literal(self, col: str, what: str) -> str:
        tok = self.next()
        if tok.kind != "string":
            raise ExecutionError(f"{col} {what} needs a string literal at offset {tok.pos}")
        return tok.value


# ---------------------------------------------------------------- executor


class KustoExecutor(Executor):
    """The KQL subset pySigma emits, over one platform's tables (semantics: module docstring)."""

    engine = "ruleport Kusto evaluator (Microsoft-documented semantics)"

    def __init__(self, schema: dict[str, dict[str, str]], name: str):
        """`schema`: table -> column -> Kusto type, as the platform documents its tables."""
        if not schema:
            raise ValueError("a Kusto executor needs the platform's tables")
        self.schema = schema
        self.name = name
        #: the table of a row that names none (`$table`): the schema's first (the process table)
        self.table = next(iter(schema))

    def compile(self, query: str, events: Sequence[Event] = ()) -> list[tuple[str, list[Stage]]]:
        """Each table the query reads (one, or the operands of a union) with its compiled stages."""
        extra: set[str] = set()
        for event in events:
            extra.update(k for k in event.keys() if k != TABLE_KEY)
        return [(table, self._stages(stages))
                for table, stages in _Parser(query, self.schema, extra, self.name).query()]

    @staticmethod
    def _stages(stages) -> list[Stage]:
        compiled: list[Stage] = []
        for kind, step in stages:
            if kind == "where":
                compiled.append(lambda rows, p=step: [(i, r) for i, r in rows if p(r) is True])
            else:
                def extend(rows, assignments=step):
                    out = []
                    for i, r in rows:
                        r = dict(r)
                        for name, fn in assignments:
                            r[name] = fn(r)
                        out.append((i, r))
                    return out
                compiled.append(extend)
        return compiled

    def run(self, query: str, events: Sequence[Event]) -> list[int]:
        if _is_tabular(query):
            return sorted({i for group in self.alerts(query, events) for i in group})
        found: set[int] = set()
        for table, stages in self.compile(query, events):
            rows = [(i, e) for i, e in enumerate(events) if e.get(TABLE_KEY, table) == table]
            for stage in stages:
                rows = stage(rows)
            found.update(i for i, _ in rows)
        return sorted(found)

    def predicate(self, query: str, events: Sequence[Event] = ()) -> Callable[[Event], bool]:
        """A single-table query (`T | where ... | extend ...`) as a test of one row of T."""
        compiled = self.compile(query, events)
        if len(compiled) != 1:
            raise ExecutionError(f"{self.name}: a test of one row reads one table, not a union: {query[:60]}")
        [(table, stages)] = compiled

        def test(row: Event) -> bool:
            if row.get(TABLE_KEY, table) != table:
                return False
            rows = [(0, row)]
            for stage in stages:
                rows = stage(rows)
            return bool(rows)
        return test

    def alerts(self, query: str, events: Sequence[Event]) -> list[tuple[int, ...]]:
        """The rows a query across rows returns, each as the events it stands for (converters/kusto/tabular.py);
        a single-row query's matches are alerts of one event each."""
        from converters.kusto.tabular import TabularQuery

        if not _is_tabular(query):
            return [(i,) for i in self.run(query, events)]

        def predicate(table: str, text: str):
            return self.predicate(f"{table}\n| where {text}", events)

        found: list[tuple[int, ...]] = []
        rows = [(frozenset((i,)), e) for i, e in enumerate(events)]
        for p, _ in TabularQuery(query, predicate, self.table).run(rows):
            group = tuple(sorted(p))
            if group not in found:
                found.append(group)
        return found


def _is_tabular(query: str) -> bool:
    """A query with operators other than `where` (a correlation), which converters.kusto.tabular runs."""
    # a union of single-table queries (a source held by several tables) is one too: only an
    # operator after it at the top level (a correlation's summarize or scan) makes it tabular
    toks = tokenize(query)
    depth = 0
    for n, tok in enumerate(toks):
        if tok.kind == "op" and tok.value in "([":
            depth += 1
        elif tok.kind == "op" and tok.value in ")]":
            depth -= 1
        elif tok.kind == "op" and tok.value == "|" and depth == 0 and toks[n + 1].value not in ("where", "extend"):
            return True   # `where` and `extend` are the single-table queries compile() runs
    return False


#: the key of a row naming its table (converters.platforms.microsoft sets it)
TABLE_KEY = "$table"
