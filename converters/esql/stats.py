"""ES|QL EVAL and STATS, the commands correlations are written with (Elastic's ES|QL reference).

EVAL name = expr [, name = expr ...]
  Adds (or replaces) columns, each computed from the row as it is after the
  assignments before it.
STATS name = AGG(expr) [, ...] [BY g1, g2 ...]
  One row per distinct combination of the grouping values, holding the
  aggregations and the grouping columns. A null grouping value is a group of
  its own (a null bucket); a multi-valued grouping value puts the row in the
  group of each value. Aggregations skip nulls: COUNT(*) counts rows,
  COUNT(expr) non-null values (each value of a multi-value), COUNT_DISTINCT
  distinct values (ES|QL's is approximate above its precision threshold,
  3000 by default; exact here), MIN, MAX, VALUES (the distinct values).
  A BY group is a column like `g` or `name = expr`.

The events behind a result: each row carries the set of event indexes it
stands for; a STATS row stands for all the rows of its group, so a
correlation's alerts are the groups that survive the WHERE after STATS.
"""

from __future__ import annotations

from typing import Any, Callable

from converters.engine.executor import ExecutionError, provenance
from converters.esql.expressions import _Parser


def _assignments(text: str, allow_bare: bool = False) -> list[tuple[str, Callable, tuple[str, ...]]]:
    """`a = expr, b = expr` (and, with allow_bare, plain column names) as (name, fn, fields read)."""
    p = _Parser(text)
    out = []
    while True:
        start = p.i
        kind, val = p.peek()
        name = None
        if kind in ("id", "name") and p.peek(1) == ("op", "="):
            name = val
            p.i += 2
        elif kind == "bq" and p.peek(1) == ("op", "="):
            name = val[1:-1].replace("``", "`")
            p.i += 2
        before = len(p.fields)
        fn = p.or_expr()
        if name is None:
            if not allow_bare:
                p.fail("expected `name = expression`")
            name = text_of(p, start)
        out.append((name, fn, tuple(p.fields[before:])))
        if p.i == len(p.toks):
            return out
        if not p.op(","):
            p.fail("expected , between assignments")


def text_of(p: _Parser, start: int) -> str:
    """A bare column reference's name (`host.id`, `` `a b` ``)."""
    parts = []
    for kind, val in p.toks[start:p.i]:
        parts.append(val[1:-1].replace("``", "`") if kind == "bq" else str(val))
    return "".join(parts)


def eval_command(rest: str, fields: list[str]):
    assignments = _assignments(rest)
    for _, _, read in assignments:
        fields.extend(read)

    def run(rows):
        out = []
        for i, r in rows:
            r = dict(r)
            for name, fn, _ in assignments:
                value = fn(r)
                if value is None:
                    r.pop(name, None)
                else:
                    r[name] = value
            out.append((i, r))
        return out

    return run


_AGGREGATIONS = ("count", "count_distinct", "min", "max", "values")


def _split_by(rest: str) -> tuple[str, str]:
    depth, quote = 0, None
    words = rest
    for k, c in enumerate(words):
        if quote:
            if c == quote:
                quote = None
            continue
        if c in '"`':
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif depth == 0 and words[k:k + 4].lower() == " by " :
            return words[:k], words[k + 4:]
    return rest, ""


def stats_command(rest: str, fields: list[str]):
    body, by = _split_by(" " + rest.strip())
    aggs = []
    for name, spec in _aggregation_specs(body.strip()):
        aggs.append((name, spec))
        fields.extend(spec[2])
    groups = _assignments(by, allow_bare=True) if by.strip() else []
    for _, _, read in groups:
        fields.extend(read)

    def run(rows):
        buckets: dict[tuple, list] = {}
        for i, r in rows:
            keys = [fn(r) for _, fn, _ in groups]
            choices = [[None] if k is None else (k if isinstance(k, list) else [k]) for k in keys]
            for combo in _product(choices):
                buckets.setdefault(tuple(combo), []).append((i, r))
        out = []
        for combo, members in buckets.items():
            record = {name: value for (name, _, _), value in zip(groups, combo) if value is not None}
            for name, (fn, arg, _) in aggs:
                value = _aggregate(fn, arg, [r for _, r in members])
                if value is not None:
                    record[name] = value
            out.append((frozenset().union(*[provenance(i) for i, _ in members]), record))
        return out

    return run


def _product(choices: list[list]) -> list[list]:
    out: list[list] = [[]]
    for options in choices:
        out = [o + [c] for o in out for c in options]
    return out


def _aggregation_specs(body: str) -> list[tuple[str, tuple[str, Callable | None, tuple[str, ...]]]]:
    p = _Parser(body)
    out = []
    while True:
        kind, val = p.peek()
        if kind not in ("id", "name") or p.peek(1) != ("op", "="):
            p.fail("expected `name = AGGREGATION(...)`")
        name = val
        p.i += 2
        kind, fn = p.peek()
        if kind != "id" or fn.lower() not in _AGGREGATIONS or p.peek(1) != ("op", "("):
            p.fail(f"STATS aggregations supported: {', '.join(a.upper() for a in _AGGREGATIONS)}")
        p.i += 2
        before = len(p.fields)
        if p.peek() == ("op", "*"):
            if fn.lower() != "count":
                p.fail("only COUNT takes *")
            p.i += 1
            arg = None
        else:
            arg = p.or_expr()
        p.expect(")")
        out.append((name, (fn.lower(), arg, tuple(p.fields[before:]))))
        if p.i == len(p.toks):
            return out
        if not p.op(","):
            p.fail("expected , between aggregations")


def _values(arg: Callable, rows: list[dict]) -> list[Any]:
    out = []
    for r in rows:
        v = arg(r)
        if v is None:
            continue
        out.extend(v if isinstance(v, list) else [v])
    return out


def _key(v: Any):
    return (0, v, "") if isinstance(v, (int, float)) and not isinstance(v, bool) else (1, 0, str(v))


def _aggregate(fn: str, arg: Callable | None, rows: list[dict]) -> Any:
    if fn == "count" and arg is None:
        return len(rows)
    values = _values(arg, rows)
    if fn == "count":
        return len(values)
    if fn == "count_distinct":
        return len({(type(v).__name__, v) for v in values})
    if not values:
        return None
    if fn == "min":
        return min(values, key=_key)
    if fn == "max":
        return max(values, key=_key)
    if fn == "values":
        distinct = sorted(set(values), key=_key)
        return distinct if len(distinct) > 1 else distinct[0]
    raise ExecutionError(f"ES|QL aggregation {fn.upper()} is not supported")
