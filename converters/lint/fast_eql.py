"""A faster EQL parse for validation: the same grammar and AST builder, without positions.

converters.eql parses with eql's lark parser, built with
`propagate_positions=True`; copying positions onto every tree node costs
about half of the parse time, and the AST does not need them (syntax errors
take their line and column from the token, not from tree positions). Here a
second lark parser is built from the same grammar without them, and the
tree goes through converters.eql's own builder. The grammar is read from
the eql package's data file, so eql's own parser is built only if a query
fails (to word the error).

Anything unexpected (no such internals, a tree the builder refuses, a
syntax error) falls back on `converters.eql.parse_query`, so results and
errors are always that parser's. tests/test_lint_query.py checks both give
equal ASTs on every corpus EQL query.
"""

from __future__ import annotations

import functools


# The options eql.parser builds its parser with (eql 1.0.1), less propagate_positions.
_OPTIONS = dict(parser="lalr", start=["piped_query", "definition", "definitions", "field_parts",
                                      "query_with_definitions", "expr", "signed_single_atom"])


@functools.cache
def _fast_parser():
    """(lark parser, builder class), or None. Reads eql's grammar file without importing
    the eql package, whose import alone builds its own parser (~0.25 s)."""
    try:
        import importlib.util  # noqa: PLC0415
        from pathlib import Path  # noqa: PLC0415

        from lark import Lark  # noqa: PLC0415

        from converters.eql.parser import _Builder  # noqa: PLC0415

        spec = importlib.util.find_spec("eql")
        grammar = Path(spec.submodule_search_locations[0], "etc", "eql.g").read_text(encoding="utf-8")
        return Lark(grammar, propagate_positions=False, **_OPTIONS), _Builder
    except Exception:  # internals moved: use the public parser only
        return None


def parse_eql(text: str):
    """Like converters.eql.parse_query (same AST, same EqlSyntaxError), faster."""
    from converters.eql import parse_query  # noqa: PLC0415

    fast = _fast_parser()
    if fast is not None:
        parser, builder = fast
        try:
            return builder().build(parser.parse(text, start="piped_query"))
        except Exception:  # let the reference parser decide, and word the error
            pass
    return parse_query(text)


def warm() -> None:
    _fast_parser()
