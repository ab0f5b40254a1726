"""Write a KQL AST back as KQL text that parses to the same AST.

For notes that quote a part of a query, and to test the parser's escapes
by round trip. Value lists come out expanded (`f:a or f:b`), which parses
to the same nodes. Every And/Or inside another node is parenthesised,
so the nesting of the tree is kept exactly.
"""

from __future__ import annotations

import re

from converters.kql import ast
from converters.kql.parser import _JS_TRIM, _SP

_SPECIAL = re.compile(r'[\\():<>"*{}]')
# Kibana's keywords inside an unquoted value: `or`/`and` between whitespace, `not` before it.
# Escaped also at the end of the text, where the query around it may put a space.
_INNER_KEYWORD = re.compile(f"(?<=[{_SP}])(?i:or|and)(?=[{_SP}]|$)")
_NOT = re.compile(f"(?i:n)(?=(?i:ot)(?:[{_SP}]|$))")
_TRIMMED = frozenset(_JS_TRIM)
_BARE_FIELD = re.compile(r"[\w.@-]+")


def _unquoted_text(text: str) -> str:
    text = _SPECIAL.sub(lambda m: "\\" + m.group(), text)
    text = _INNER_KEYWORD.sub(lambda m: "\\" + m.group(), text)
    # `\not` would read as `\n` + "ot", so the n of `not` is written as \u006e / \u004e.
    text = _NOT.sub(lambda m: "\\u%04x" % ord(m.group()), text)
    return text


def value_text(value: ast.Value) -> str:
    """A value as KQL: quoted values in quotes, unquoted ones escaped, WILDCARD as `*`."""
    if value.quoted:
        body = "".join(value.parts).replace("\\", "\\\\").replace('"', '\\"')  # type: ignore[arg-type]
        return f'"{body}"'
    if not value.parts:
        return "\\t"  # an escaped tab, trimmed away: the only way to write an empty unquoted value
    first, last = value.parts[0], value.parts[-1]
    if (isinstance(first, str) and first[0] in _TRIMMED) or (isinstance(last, str) and last[-1] in _TRIMMED):
        # Kibana trims unquoted values after reading escapes: no way to keep it.
        raise ValueError(f"an unquoted KQL value cannot start or end with whitespace: {value!r}")
    return "".join("*" if isinstance(part, ast.Wildcard) else _unquoted_text(part) for part in value.parts)


def field_text(field: str) -> str:
    """A field name as KQL; `*` in it stays a wildcard."""
    if "*" not in field:
        # Bare when safe: quoted `null` is a field, unquoted it is none; a trailing
        # `not` would turn into the keyword before the space of ` >= `.
        if _BARE_FIELD.fullmatch(field) and field != "null" and not field.lower().endswith("not"):
            return field
        return value_text(ast.Value((field,) if field else (), quoted=True))
    parts = tuple(ast.WILDCARD if chunk == "*" else chunk for chunk in re.split(r"(\*)", field) if chunk)
    return value_text(ast.Value(parts, quoted=False))


def _group(node: ast.Query) -> str:
    text = to_kql(node)
    return f"({text})" if isinstance(node, (ast.And, ast.Or)) else text


def to_kql(node: ast.Query) -> str:
    """KQL text for `node`; parse_kql(to_kql(node)) == node."""
    if isinstance(node, ast.Or):
        return " or ".join(_group(t) for t in node.terms)
    if isinstance(node, ast.And):
        return " and ".join(_group(t) for t in node.terms)
    if isinstance(node, ast.Not):
        # `not not x` does not parse; `not (not x)` does, to the same nodes.
        term = node.term
        return "not " + (f"({to_kql(term)})" if isinstance(term, ast.Not) else _group(term))
    if isinstance(node, ast.FieldMatch):
        return f"{field_text(node.field)}:{value_text(node.value)}"
    if isinstance(node, ast.FieldExists):
        return f"{field_text(node.field)}:*"
    if isinstance(node, ast.Range):
        return f"{field_text(node.field)} {node.op} {value_text(node.value)}"
    if isinstance(node, ast.Nested):
        return f"{field_text(node.field)}:{{ {to_kql(node.query)} }}"
    if isinstance(node, ast.FreeText):
        return value_text(node.value)
    if isinstance(node, ast.MatchAll):
        return "*"
    raise TypeError(f"not a KQL node: {node!r}")
