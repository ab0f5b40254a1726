"""Kibana KQL over Elastic events, with Kibana's and Elasticsearch's semantics.

The query is parsed by ruleport's KQL parser (converters.kql, which follows
Kibana's grammar: `and` binds tighter than `or`, keywords in any case,
`field:(a or b)` lists, quoted phrases, `*` wildcards only in unquoted
values, escapes `\\\\ \\( \\) \\: \\< \\> \\" \\* \\{ \\}`, `\\or`-style
keyword escapes, and no `?` wildcard). Events are in the doc-values view
(converters.execute.documents). Matching follows what Kibana's query becomes
in Elasticsearch, with every field taken as a `keyword` field:

- `field:value` (quoted or not, no wildcard) is an exact, case-SENSITIVE
  comparison of the whole value (a match or match_phrase query on a keyword
  field). A number or boolean in the event compares by its text, and a
  numeric query value also matches a number of equal value.
- An unquoted value with `*` is a wildcard over the whole value (any run,
  also empty), case-sensitive. Inside quotes `*` is a literal star.
- Fields named `*.caseless` are keyword fields with ECS's `lowercase`
  normalizer: Elasticsearch lower-cases the query's values and patterns for
  them, so matching there ignores case (the indexed values are lower case).
- An array field matches when any value does.
- `field:*` is true when the field has any value (also an empty string).
- `field > x` (also <, <=, >=) compares numbers numerically when both are
  numbers, else text lexicographically; a missing field is false.
- `not` is must_not: `not field:x` is TRUE for events without the field.
- A value with no field searches every field of the event (default_field
  `*`), with the same keyword rules.
- Nested queries (`field:{ ... }`) and wildcards in field names raise
  ExecutionError.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Callable, Sequence

from converters.execute.base import Event, ExecutionError, Executor
from converters.execute.documents import as_doc_values, doc_values_reader, gc_paused
from converters.kql import ast, parse_kql
from converters.kql.parser import KqlSyntaxError

Doc = dict
Pred = Callable[[Doc], bool]


class KibanaKqlExecutor(Executor):
    """KQL as Kibana runs it against keyword fields (see the module docstring)."""

    name = "kibana-kql"
    engine = "ruleport KQL evaluator (Kibana + Elasticsearch keyword semantics)"

    def run(self, query: str, events: Sequence[Event]) -> list[int]:
        test, fields = compile_kql(query)
        read = as_doc_values if fields is None else doc_values_reader(fields)
        with gc_paused():
            return [i for i, e in enumerate(events) if test(read(e))]


@lru_cache(maxsize=256)
def compile_kql(text: str) -> tuple[Pred, tuple[str, ...] | None]:
    """The query as a `doc -> bool` test, and the fields it reads (None: every field, for free text)."""
    try:
        tree = parse_kql(text)
    except KqlSyntaxError as exc:
        raise ExecutionError(f"KQL does not parse: {exc}") from None
    test = _compile(tree)
    if any(isinstance(n, ast.FreeText) for n in ast.iter_nodes(tree)):
        return test, None
    return test, tuple(ast.fields_of(tree))


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _as_float(s: str) -> float | None:
    try:
        return float(s)
    except ValueError:
        return None


def _check_field(field: str) -> str:
    if "*" in field:
        raise ExecutionError(f"KQL wildcard field names ({field}) are not supported")
    return field


def _value_test(value: ast.Value, fold: bool) -> Callable[[Any], bool]:
    if value.has_wildcard:
        source = "".join(".*" if isinstance(p, ast.Wildcard) else re.escape(p.lower() if fold else p)
                         for p in value.parts)
        rx = re.compile(source, re.DOTALL)
        if fold:
            return lambda v: rx.fullmatch(_text(v).lower()) is not None
        return lambda v: rx.fullmatch(_text(v)) is not None
    literal = value.literal or ""
    target = literal.lower() if fold else literal
    number = None if value.quoted else _as_float(literal)

    def equal(v: Any) -> bool:
        if number is not None and _is_num(v):
            return v == number
        t = _text(v)
        return (t.lower() if fold else t) == target

    return equal


def _compile(node) -> Pred:
    if isinstance(node, ast.MatchAll):
        return lambda d: True
    if isinstance(node, ast.And):
        parts = [_compile(t) for t in node.terms]
        return lambda d: all(p(d) for p in parts)
    if isinstance(node, ast.Or):
        parts = [_compile(t) for t in node.terms]
        return lambda d: any(p(d) for p in parts)
    if isinstance(node, ast.Not):
        inner = _compile(node.term)
        return lambda d: not inner(d)
    if isinstance(node, ast.FieldExists):
        field = _check_field(node.field)
        return lambda d: bool(d.get(field))
    if isinstance(node, ast.FieldMatch):
        field = _check_field(node.field)
        test = _value_test(node.value, fold=field.endswith(".caseless"))
        empty: list = []
        return lambda d: any(test(v) for v in d.get(field, empty))
    if isinstance(node, ast.Range):
        return _range(node)
    if isinstance(node, ast.FreeText):
        test = _value_test(node.value, fold=False)
        return lambda d: any(test(v) for values in d.values() for v in values)
    if isinstance(node, ast.Nested):
        raise ExecutionError(f"KQL nested queries ({node.field}:{{...}}) are not supported")
    raise ExecutionError(f"KQL construct {type(node).__name__} is not supported")


_ORDER = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def _range(node: ast.Range) -> Pred:
    field = _check_field(node.field)
    if node.value.has_wildcard:
        raise ExecutionError(f"KQL range on {field} with a wildcard value")
    bound = node.value.literal or ""
    num = _as_float(bound)
    cmp = _ORDER[node.op]

    def test(d: Doc) -> bool:
        for v in d.get(field, ()):
            if _is_num(v) and num is not None:
                if cmp(v, num):
                    return True
            elif cmp(_text(v), bound):
                return True
        return False

    return test


#: the name the proof matrix looks up (converters.execute.matrix.TARGETS)
KqlExecutor = KibanaKqlExecutor
