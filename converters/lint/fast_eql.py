"""A faster EQL parse for validation: the same grammar and AST builder, without positions.

converters.eql parses with eql's lark parser, built with
`propagate_positions=True`; copying positions onto every tree node costs
about half of the parse time, and the AST does not need them (syntax errors
take their line and column from the token, not from tree positions). Here a
second lark parser is built from the same grammar without them, and the
tree goes through converters.eql's own builder.

Anything unexpected (no such internals, a tree the builder refuses, a
syntax error) falls back on `converters.eql.parse_query`, so results and
errors are always that parser's. tests/test_lint_query.py checks both give
equal ASTs on every corpus EQL query.
"""

from __future__ import annotations

import functools


@functools.cache
def _fast_parser():
    try:
        from lark import Lark  # noqa: PLC0415

        from converters.eql.parser import _Builder, _lark  # noqa: PLC0415

        ref = _lark()
        o = ref.options
        parser = Lark(ref.source_grammar, parser=o.parser, lexer=o.lexer, start=o.start,
                      propagate_positions=False, maybe_placeholders=o.maybe_placeholders,
                      keep_all_tokens=o.keep_all_tokens, tree_class=o.tree_class,
                      lexer_callbacks=o.lexer_callbacks, g_regex_flags=o.g_regex_flags, regex=o.regex,
                      priority=o.priority, import_paths=o.import_paths, postlex=o.postlex)
        return parser, _Builder
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
