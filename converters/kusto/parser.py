"""The single-row Kusto query parser: `T | where ... | extend ...`, or a `union` of such queries,
compiled to each table's stages (a `where` predicate over a row, or an `extend`'s assignments).

The language and its semantics are written down in converters/kusto/executor.py's docstring, which
runs the stages; tokens come from converters/kusto/lexer.py, values from converters/kusto/values.py.
"""

from __future__ import annotations

from typing import Any, Callable

from converters.engine.executor import Event, ExecutionError
from converters.engine.logic import and_of, or_of
from converters.kusto.lexer import Token, tokenize
from converters.kusto.values import (
    CONVERTERS,
    IP_RANGE_FUNCTIONS,
    NUMERIC_OPS,
    as_text,
    compile_regex,
    has_term,
    in_ranges,
    ip_network,
    parse_json,
    string_op,
    to_number,
    tostring,
    walk,
)

Predicate = Callable[[Event], bool]

# a negated symbol, and the test it negates (a negated word operator is `!` and the word)
_NEGATED = {"!=": "==", "!~": "=~"}


class Parser:
    """Compiles one query: `query()` gives each table it reads with its stages."""

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
                return lambda e: tostring(args[0](e))
            if name == "strcat":
                return lambda e: "".join(tostring(f(e)) for f in args)
            raise ExecutionError(f"unsupported function {name}() in extend")
        col = self.column()
        if self.peek().kind == "op" and self.peek().value == "[":
            self.next()
            key = self.expect("string").value
            self.expect("op", "]")
            return lambda e: walk(parse_json(e.get(col)), (key,))
        if self.peek().kind == "op" and self.peek().value == ".":
            self.next()
            key = self.expect("ident").value
            return lambda e: walk(parse_json(e.get(col)), (key,))
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
                and tok.value not in CONVERTERS:
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
                return lambda e: as_text(get(e)) == ""
            if name == "isnotempty":
                return lambda e: as_text(get(e)) != ""
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
        if name in IP_RANGE_FUNCTIONS:
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
            networks = [ip_network(r, version) for r in ranges]
            return lambda e: in_ranges(as_text(get(e)), networks, version)
        raise ExecutionError(f"unsupported function {name}()")

    def operand(self) -> tuple[Callable[[Event], Any], bool]:
        """A column or a converted dynamic value: (value getter, whether it can be null)."""
        tok, nxt = self.peek(), self.peek(1)
        if tok.kind == "ident" and nxt.kind == "op" and nxt.value == "(" and tok.value in CONVERTERS:
            self.next()
            self.next()
            inner = self.dynamic()
            self.expect("op", ")")
            convert = CONVERTERS[tok.value]
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
            get: Callable[[Event], Any] = lambda e: parse_json(e.get(col))  # noqa: E731
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
        return lambda e: walk(get(e), path)

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
            rx = compile_regex(self._string_literal(col, "matches regex"))
            pred = lambda e: rx.search(as_text(get(e))) is not None  # noqa: E731
        elif op in ("in", "in~"):
            items = self.literal_list()
            if op == "in":
                texts = {x for x in items if isinstance(x, str)}
                numbers = {x for x in items if isinstance(x, (int, float)) and not isinstance(x, bool)}
                pred = lambda e: as_text(get(e)) in texts or (  # noqa: E731
                    bool(numbers) and to_number(get(e)) in numbers)
            else:
                lowered = {as_text(x).lower() for x in items}
                pred = lambda e: as_text(get(e)).lower() in lowered  # noqa: E731
        elif op in ("has_any", "has_all"):
            items = [as_text(x).lower() for x in self.literal_list()]
            agg = any if op == "has_any" else all
            pred = lambda e: agg(has_term(as_text(get(e)).lower(), t) for t in items)  # noqa: E731
        elif op in NUMERIC_OPS:
            rhs = to_number(self.literal())
            if rhs is None:
                raise ExecutionError(f"{col} {op} needs a number")
            cmp = NUMERIC_OPS[op]
            pred = lambda e: (lambda v: v is not None and cmp(v, rhs))(to_number(get(e)))  # noqa: E731
        else:
            rhs = self.literal()
            if op == "==" and isinstance(rhs, (int, float)) and not isinstance(rhs, bool):
                pred = lambda e: to_number(get(e)) == rhs  # noqa: E731
            elif isinstance(rhs, bool):
                pred = lambda e: get(e) is rhs or as_text(get(e)).lower() == str(rhs).lower()  # noqa: E731
            else:
                test = string_op(op, as_text(rhs))
                pred = lambda e: test(as_text(get(e)))  # noqa: E731
        if negate:
            inner = pred
            return lambda e: not inner(e)
        return pred

    def _string_literal(self, col: str, what: str) -> str:
        tok = self.next()
        if tok.kind != "string":
            raise ExecutionError(f"{col} {what} needs a string literal at offset {tok.pos}")
        return tok.value
