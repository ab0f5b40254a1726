"""ruleport's KQL (Kibana "kuery") AST: small frozen dataclasses, no behaviour.

What the nodes mean, following Kibana's own grammar (kbn-es-query):

- `FieldMatch(field, value)`: `field:value`. A value list
  `field:(a or b and not c)` is expanded by the parser into the same
  Or/And/Not shape over FieldMatch nodes of that field
  (`Or((FieldMatch(f, a), And((FieldMatch(f, b), Not(FieldMatch(f, c))))))`),
  exactly as Kibana expands it; a lone `*` in the list becomes FieldExists.
- `FieldExists(field)`: `field:*` (an unquoted lone wildcard). `field:"*"`
  is a FieldMatch on the literal text `*`.
- `Range(field, op, value)`: `field > 5`; op is one of < <= > >=.
- `Nested(field, query)`: `field:{ sub: value }`; field names inside
  `query` are relative to `field` (Kibana prefixes them with the path).
- `FreeText(value)`: a value with no field (`"text"`, `foo*`): Kibana
  searches the default fields. Translators will usually reject it.
- `MatchAll()`: the empty query, a lone `*` and `*:*`.
- `And`/`Or` are n-ary as written (`a and b and c` is one And); a
  parenthesised group stays its own node, so `a or (b or c)` nests.

Field names are plain strings. A `*` in a field name is a wildcard over
field names (Kibana expands it against the mapping; we do not).

Values keep what matching needs: `parts` is a tuple of literal strings and
WILDCARD markers, so an escaped `\\*` (a literal star, part of a string)
stays apart from a wildcard `*`; `quoted` tells a `"phrase"` (no wildcards
ever, analysed as a phrase on text fields) from an unquoted term. Kibana
also reads the unquoted terms `true`, `false` and `null` as booleans and
null, and numbers as numbers; we keep the text and leave typing to the
consumer (`Value.literal` and `quoted` are all that is needed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Union


@dataclass(frozen=True)
class Wildcard:
    """The `*` of an unquoted value: any run of characters (also none)."""

    def __repr__(self) -> str:
        return "WILDCARD"


WILDCARD = Wildcard()

Part = Union[str, Wildcard]


@dataclass(frozen=True)
class Value:
    """A value as written: literal strings and WILDCARD markers, in order.

    Adjacent literal text is merged and empty strings are never stored, so
    `""` is `Value((), quoted=True)` and equal values compare equal.
    """

    parts: tuple[Part, ...]
    quoted: bool = False

    @property
    def has_wildcard(self) -> bool:
        return any(isinstance(p, Wildcard) for p in self.parts)

    @property
    def literal(self) -> str | None:
        """The text when the value has no wildcard, else None."""
        if self.has_wildcard:
            return None
        return "".join(self.parts)  # type: ignore[arg-type]

    def pattern(self, wildcard: str = "*", escape: Callable[[str], str] | None = None) -> str:
        """Render as a pattern: WILDCARD as `wildcard`, literal text through `escape`."""
        out = []
        for p in self.parts:
            if isinstance(p, Wildcard):
                out.append(wildcard)
            else:
                out.append(escape(p) if escape else p)
        return "".join(out)


@dataclass(frozen=True)
class FieldMatch:
    field: str
    value: Value


@dataclass(frozen=True)
class FieldExists:
    field: str


@dataclass(frozen=True)
class Range:
    field: str
    op: str                 # < <= > >=
    value: Value


@dataclass(frozen=True)
class Nested:
    field: str              # the nested path
    query: "Query"          # field names relative to `field`


@dataclass(frozen=True)
class FreeText:
    value: Value


@dataclass(frozen=True)
class MatchAll:
    pass


@dataclass(frozen=True)
class And:
    terms: tuple["Query", ...]


@dataclass(frozen=True)
class Or:
    terms: tuple["Query", ...]


@dataclass(frozen=True)
class Not:
    term: "Query"


Query = Union[FieldMatch, FieldExists, Range, Nested, FreeText, MatchAll, And, Or, Not]


def iter_nodes(node):
    """Depth-first walk over every query node below (and including) `node`."""
    yield node
    if isinstance(node, (And, Or)):
        for t in node.terms:
            yield from iter_nodes(t)
    elif isinstance(node, Not):
        yield from iter_nodes(node.term)
    elif isinstance(node, Nested):
        yield from iter_nodes(node.query)


def fields_of(node, prefix: str = "") -> list[str]:
    """Every field a query names, in order, nested paths joined with dots."""
    out: list[str] = []
    if isinstance(node, (FieldMatch, FieldExists, Range)):
        out.append(prefix + node.field)
    elif isinstance(node, (And, Or)):
        for t in node.terms:
            out.extend(fields_of(t, prefix))
    elif isinstance(node, Not):
        out.extend(fields_of(node.term, prefix))
    elif isinstance(node, Nested):
        out.extend(fields_of(node.query, prefix + node.field + "."))
    return out
