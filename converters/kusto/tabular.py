"""Kusto tabular operators across rows: the shape ruleport's correlation queries take.

Microsoft's Kusto Query Language reference, for what is followed here:

- `union (T | where P | extend ...), (...)`: the rows of each subquery; a
  table's `where` predicate is the single-row language of
  converters.kusto.executor (string operators, case rules, empty strings),
  and so is an `extend` right after the table (a computed column the
  `where` stages read, and the rows keep, as a join key may read it).
- `extend c = expr, ...`, `where expr`, `project c, ...`.
- `sort by c [asc|desc], ...`: sorts (Kusto's default is desc) and
  serializes the rows; `serialize` only serializes.
- `prev(c, n)` (serialized rows): the value of c n rows before, null before
  the first row.
- `summarize a = count() | make_set(x) | make_set_if(x, cond) | min(x) |
  max(x), ... by c, b = bin(t, span)`: one row per group; `bin` rounds a
  time down to a multiple of the span (since the epoch).
- `partition hint.strategy=native by c ( subquery )`: the subquery on the
  rows of each value of c, results together.
- `scan [with_match_id=c] with (step s [output=all|last|none]: cond [=> c = e,
  ...]; ...)`: the documented matching logic, in full: each row is checked
  against the steps from the last to the first; "check 1": when the
  previous step's state is not empty and the row meets the step's condition
  (read against that state), the step's state is cleared, the previous
  step's state is promoted into it, the assignments extend the row, and the
  row joins the step's state and the output (unless output=none); "check 2"
  (only when check 1 did not match): when the step has an active sequence, or
  is the first step, and the row meets the condition (read against the
  step's own state), the row replaces the step's own record in its state and
  is output (output=all); on the first step this begins a new sequence. A
  condition reads `s.c` from the state: the record that matched step s.
- Expressions: converters/kusto/scalar.py.

The events behind a result row: every row carries the set of event indexes
it stands for. An extended row stands for the rows its `prev()` spans (the
window it reads); a summarize row for its group; a scan output row for the
records of its sequence (the promoted state and itself). A correlation's
alerts are the rows that survive the query.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from converters.engine.executor import ExecutionError
from converters.kusto.lexer import Token, tokenize
from converters.kusto.scalar import Row, _Ctx, _Expr, _time
from converters.kusto.values import tostring

# --- tabular operators ---------------------------------------------------------------------------

class TabularQuery:
    """Parses and runs a query over records; `read(table, text)` compiles a table's own stages (its
    `where`s and a leading `extend`) into a function giving a row as they leave it, or None when they
    filter it out."""

    def __init__(self, text: str, read: Callable[[str, str], Callable[[dict], dict | None]], default_table: str):
        self.text = text
        self.toks = tokenize(text)
        self.i = 0
        self.read_table = read
        self.default_table = default_table
        self.run = self._pipeline(top=True)
        if self.peek().kind != "eof":
            self._fail("unexpected text after the query")

    # tokens
    def peek(self, k: int = 0) -> Token:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def at(self, value: Any, k: int = 0) -> bool:
        tok = self.peek(k)
        return tok.kind in ("op", "ident", "word") and tok.value == value

    def take(self, value: Any) -> None:
        if not self.at(value):
            self._fail(f"expected {value!r}")
        self.i += 1

    def name(self) -> str:
        tok = self.peek()
        if tok.kind not in ("ident", "word"):  # `where` is a keyword (lexer), an operator's name here
            self._fail("expected a name")
        self.i += 1
        return tok.value

    def _fail(self, why: str):
        tok = self.peek()
        raise ExecutionError(f"Kusto: {why} at offset {tok.pos} (found {tok.value!r})")

    def expr(self):
        parser = _Expr(self.toks, self.i)
        fn = parser.expr()
        self.i = parser.i
        return fn

    # pipeline
    def _pipeline(self, top: bool = False, rows_in: bool = False):
        if rows_in:
            stages = [self._operator()]
        else:
            stages = [self._source()]
        while self.at("|"):
            self.i += 1
            stages.append(self._operator())
        if rows_in and stages and stages[0] is None:
            stages = stages[1:]

        def run(rows: list[Row]) -> list[Row]:
            for stage in stages:
                rows = stage(rows)
            return rows

        return run

    def _source(self):
        if self.at("union"):
            self.i += 1
            branches = []
            while True:
                self.take("(")
                branches.append(self._pipeline())
                self.take(")")
                if not self.at(","):
                    break
                self.i += 1
            return lambda rows: [r for b in branches for r in b(rows)]
        table = self.name()
        if self.at("(") and self.at(")", 1):
            self.i += 2  # a function without arguments (imProcessCreate())
        stages = []
        # the table's own `where` stages, after an `extend` right after the table (a column they
        # read): one single-row query (the executor's); an `extend` after a `where` is tabular
        chain = ""
        while self.at("|") and (self.at("where", 1) or (self.at("extend", 1) and not chain)):
            extend = self.at("extend", 1)
            self.i += 2
            start = self.peek().pos
            depth = 0
            while self.peek().kind != "eof":
                tok = self.peek()
                if tok.kind == "op" and tok.value == "(":
                    depth += 1
                elif tok.kind == "op" and tok.value == ")":
                    if depth == 0:
                        break
                    depth -= 1
                elif tok.kind == "op" and tok.value == "|" and depth == 0:
                    break
                self.i += 1
            piece = self.text[start:self.peek().pos].strip()
            chain = f"true\n| extend {piece}" if extend else (f"{chain}\n| where {piece}" if chain else piece)
        if chain:
            stages.append(self.read_table(table, chain))

        def read(rows: list[Row]) -> list[Row]:
            out = []
            for p, r in rows:
                if r.get("$table", self.default_table) != table:
                    continue
                for stage in stages:
                    r = stage(r)
                    if r is None:
                        break
                else:
                    out.append((p, r))
            return out

        return read

    def _operator(self):
        op = self.name()
        handler = getattr(self, f"_op_{op}", None)
        if handler is None:
            self._fail(f"the tabular operator {op!r} is not supported")
        return handler()

    def _assignments(self) -> list[tuple[str, Callable]]:
        out = []
        while True:
            name = self.name()
            self.take("=")
            out.append((name, self.expr()))
            if not self.at(","):
                return out
            self.i += 1

    def _op_where(self):
        cond = self.expr()

        def run(rows):
            return [(p, r) for n, (p, r) in enumerate(rows) if cond(_Ctx(r, rows, n)) is True]
        return run

    def _op_extend(self):
        assignments = self._assignments()

        def run(rows):
            out = []
            for n, (p, r) in enumerate(rows):
                ctx = _Ctx(r, rows, n)
                record = dict(r)
                for name, fn in assignments:
                    ctx.record = record
                    record[name] = fn(ctx)
                extra = [rows[n - k][0] for k in ctx.spanned if n - k >= 0]
                out.append((p.union(*extra) if extra else p, record))
            return out
        return run

    def _op_project(self):
        names = [self.name()]
        while self.at(","):
            self.i += 1
            names.append(self.name())
        return lambda rows: [(p, {k: r.get(k) for k in names}) for p, r in rows]

    def _op_serialize(self):
        return lambda rows: rows

    def _op_sort(self):
        self.take("by")
        keys = []
        while True:
            column = self.name()
            desc = True  # Kusto sorts descending unless told otherwise
            if self.at("asc") or self.at("desc"):
                desc = self.peek().value == "desc"
                self.i += 1
            keys.append((column, desc))
            if not self.at(","):
                break
            self.i += 1

        def run(rows):
            out = list(rows)
            for column, desc in reversed(keys):
                out.sort(key=lambda pr: _sort_key(pr[1].get(column)), reverse=desc)
            return out
        return run

    def _op_summarize(self):
        aggregations = []
        while not self.at("by"):
            name = self.name()
            self.take("=")
            fn = self.name()
            self.take("(")
            args = []
            if not self.at(")"):
                args.append(self.expr())
                while self.at(","):
                    self.i += 1
                    args.append(self.expr())
            self.take(")")
            if fn not in ("count", "make_set", "make_set_if", "min", "max"):
                self._fail(f"the aggregation {fn}() is not supported")
            aggregations.append((name, fn, args))
            if self.at(","):
                self.i += 1
        self.take("by")
        groups = []
        while True:
            if self.peek(1).kind == "op" and self.peek(1).value == "=":
                name = self.name()
                self.take("=")
                groups.append((name, self.expr()))
            else:
                column = self.name()
                groups.append((column, lambda c, col=column: c.record.get(col)))
            if not self.at(","):
                break
            self.i += 1

        def run(rows):
            buckets: dict[tuple, list[Row]] = {}
            for p, r in rows:
                key = tuple(_hashable(fn(_Ctx(r))) for _, fn in groups)
                buckets.setdefault(key, []).append((p, r))
            out = []
            for key, members in buckets.items():
                record = {name: value for (name, _), value in zip(groups, key)}
                for name, fn, args in aggregations:
                    record[name] = _aggregate(fn, args, [r for _, r in members])
                out.append((frozenset().union(*[p for p, _ in members]), record))
            return out
        return run

    def _op_partition(self):
        while not self.at("by"):  # hint.strategy=native and other hints
            self.i += 1
        self.take("by")
        column = self.name()
        self.take("(")
        inner = self._pipeline(rows_in=True)
        self.take(")")

        def run(rows):
            parts: dict[Any, list[Row]] = {}
            for p, r in rows:
                parts.setdefault(_hashable(r.get(column)), []).append((p, r))
            return [row for part in parts.values() for row in inner(part)]
        return run

    def _op_scan(self):
        match_id = None
        if self.at("with_match_id"):
            self.i += 1
            self.take("=")
            match_id = self.name()
        declared: dict[str, Any] = {}
        if self.at("declare"):
            self.i += 1
            self.take("(")
            while not self.at(")"):
                column = self.name()
                self.take(":")
                self.name()  # the type
                default = None
                if self.at("="):
                    self.i += 1
                    default = self.expr()(_Ctx({}))
                declared[column] = default
                if self.at(","):
                    self.i += 1
            self.take(")")
        self.take("with")
        self.take("(")
        steps = []
        while self.at("step"):
            self.i += 1
            name = self.name()
            output = "all"
            if self.at("output"):
                self.i += 1
                self.take("=")
                output = self.name()
                if output not in ("all", "none"):
                    self._fail(f"scan output={output} is not supported")
            self.take(":")
            cond = self.expr()
            assigns = []
            if self.at("=>"):
                self.i += 1
                assigns = self._assignments()
            self.take(";")
            steps.append((name, output, cond, assigns))
        self.take(")")
        return lambda rows: _scan(rows, steps, declared, match_id)


def _scan(rows: list[Row], steps, declared: dict, match_id: str | None) -> list[Row]:
    """The scan operator's matching logic (module docstring)."""
    n = len(steps)
    state: list[dict | None] = [None] * n     # per step: {"records": {step: (record, prov)}, "match": id}
    out: list[Row] = []
    next_id = 0

    def view(st: dict | None) -> dict:
        return {name: record for name, (record, _) in (st or {}).get("records", {}).items()}

    def extend(record: dict, assigns, st_view: dict) -> dict:
        row = {**declared, **record}
        ctx = _Ctx(row, state=st_view)
        for column, fn in assigns:
            row[column] = fn(ctx)
        return row

    for p, record in rows:
        for k in range(n - 1, -1, -1):
            name, output, cond, assigns = steps[k]
            prev = state[k - 1] if k > 0 else None
            if prev is not None and cond(_Ctx({**declared, **record}, state=view(prev))) is True:
                row = extend(record, assigns, view(prev))
                records = dict(prev["records"])
                records[name] = (row, p)
                state[k], state[k - 1] = {"records": records, "match": prev["match"]}, None
                if output == "all":
                    out.append(_scan_row(records, row, match_id, prev["match"]))
                continue
            own = state[k]
            if (own is not None or k == 0) and cond(_Ctx({**declared, **record}, state=view(own))) is True:
                row = extend(record, assigns, view(own))
                if k == 0:
                    own = {"records": {}, "match": next_id}
                    next_id += 1
                records = dict(own["records"])
                records[name] = (row, p)
                state[k] = {"records": records, "match": own["match"]}
                if output == "all":
                    out.append(_scan_row(records, row, match_id, own["match"]))
    return out


def _scan_row(records: dict, row: dict, match_id: str | None, match: int) -> Row:
    events = frozenset().union(*[p for _, p in records.values()])
    if match_id:
        row = {**row, match_id: match}
    return events, row


def _aggregate(fn: str, args, records: list[dict]) -> Any:
    if fn == "count":
        return len(records)
    values = [args[0](_Ctx(r)) for r in records]
    if fn == "make_set_if":
        values = [v for v, r in zip(values, records) if args[1](_Ctx(r)) is True]
    values = [v for v in values if v is not None]
    if fn in ("make_set", "make_set_if"):
        seen: list = []
        for v in values:
            if v not in seen:
                seen.append(v)
        return seen
    if not values:
        return None
    return (min if fn == "min" else max)(values, key=_sort_key)


def _sort_key(v: Any):
    if v is None:
        return (0, 0.0, "")
    t = _time(v)
    return (1, t, "") if t is not None else (2, 0.0, tostring(v))


def _hashable(v: Any) -> Any:
    return json.dumps(v) if isinstance(v, (list, dict)) else v
