"""ruleport's EQL AST: small frozen dataclasses, no behaviour.

Case sensitivity is explicit on every string operation, because it is the
part of EQL that translations most often get wrong:
`:`, `like~`, `regex~`, `in~` and `fn~()` ignore case; `==`, `!=`, `like`,
`regex` and `in` do not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

Value = Union[str, int, float, bool, None]


@dataclass(frozen=True)
class Field:
    path: str               # dotted ECS path, e.g. process.parent.name
    optional: bool = False  # `?field`: a field absent from the mapping is null, not an error


@dataclass(frozen=True)
class Literal:
    value: Value


@dataclass(frozen=True)
class Comparison:
    left: "Expr"
    op: str                 # == != < <= > >=
    right: "Expr"


@dataclass(frozen=True)
class StringPredicate:
    """`field : "a*"`, `field like~ (...)`, `field regex "..."`: true if any pattern matches."""

    left: "Expr"
    op: str                 # ":" | "like" | "like~" | "regex" | "regex~"
    patterns: tuple[str, ...]

    @property
    def case_insensitive(self) -> bool:
        return self.op in (":", "like~", "regex~")

    @property
    def is_regex(self) -> bool:
        return self.op.startswith("regex")


@dataclass(frozen=True)
class InSet:
    left: "Expr"
    values: tuple["Expr", ...]
    case_insensitive: bool = False   # in~
    negated: bool = False            # not in


@dataclass(frozen=True)
class FunctionCall:
    name: str
    args: tuple["Expr", ...]
    case_insensitive: bool = False   # name~(...)


@dataclass(frozen=True)
class Arithmetic:
    left: "Expr"
    op: str                 # + - * / %
    right: "Expr"


@dataclass(frozen=True)
class Negative:
    operand: "Expr"


@dataclass(frozen=True)
class And:
    terms: tuple["Expr", ...]


@dataclass(frozen=True)
class Or:
    terms: tuple["Expr", ...]


@dataclass(frozen=True)
class Not:
    term: "Expr"


Expr = Union[Field, Literal, Comparison, StringPredicate, InSet, FunctionCall, Arithmetic, Negative, And, Or, Not]


@dataclass(frozen=True)
class EventQuery:
    category: str           # "any" when the query names none
    condition: Expr


@dataclass(frozen=True)
class SubQuery:
    query: EventQuery
    join_by: tuple[Expr, ...] = ()
    missing: bool = False   # ![...]: the event must not occur
    runs: int | None = None  # with runs=N
    fork: bool | None = None


@dataclass(frozen=True)
class Sequence:
    subqueries: tuple[SubQuery, ...]
    join_by: tuple[Expr, ...] = ()
    maxspan: str | None = None
    until: SubQuery | None = None


@dataclass(frozen=True)
class Sample:
    subqueries: tuple[SubQuery, ...]
    join_by: tuple[Expr, ...] = ()


@dataclass(frozen=True)
class Join:
    subqueries: tuple[SubQuery, ...]
    join_by: tuple[Expr, ...] = ()
    until: SubQuery | None = None


@dataclass(frozen=True)
class Pipe:
    name: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Query:
    base: Union[EventQuery, Sequence, Sample, Join, None]
    pipes: tuple[Pipe, ...] = ()


def iter_nodes(node):
    """Depth-first walk over every AST node below (and including) `node`."""
    yield node
    if isinstance(node, (Field, Literal)) or node is None:
        return
    for name in node.__dataclass_fields__:
        child = getattr(node, name)
        if isinstance(child, tuple):
            for c in child:
                if hasattr(c, "__dataclass_fields__"):
                    yield from iter_nodes(c)
        elif hasattr(child, "__dataclass_fields__"):
            yield from iter_nodes(child)


def fields_of(node) -> list[Field]:
    return [n for n in iter_nodes(node) if isinstance(n, Field)]


def category_as_condition(base: EventQuery, category_field: str) -> EventQuery:
    """`info where x` read under a category field F other than event.category (a rule's
    event_category_override) as `any where F == "info" and x`: Elasticsearch tests the category as a
    term query on F, which is exactly what `==` of a field and a string is (converters.eql.evaluator).
    The translator and the event synthesis use it, so that neither assumes event.category."""
    if base.category == "any" or category_field == "event.category":
        return base
    test = Comparison(Field(category_field), "==", Literal(base.category))
    terms = base.condition.terms if isinstance(base.condition, And) else (base.condition,)
    terms = tuple(t for t in terms if t != Literal(True))
    return EventQuery("any", And((test,) + terms) if terms else test)
