"""EQL as a language: ruleport's own AST and a parser onto it.

Elastic's `eql` package folds `:`, `like` and `like~` into one node and
forgets the `?` optional-field marker; both carry meaning (case and
missing-field handling), so we walk its lark parse tree ourselves.

    ast         the AST: small frozen dataclasses, no behaviour
    parser      EQL text to the AST (eql's lark grammar, built without positions)
    evaluator   EQL over single events with Elasticsearch's semantics (an Executor)
"""

from converters.eql.ast import *  # noqa: F401,F403
from converters.eql.parser import EqlSyntaxError, parse_query, warm  # noqa: F401
