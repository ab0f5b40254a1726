"""KQL (Kibana Query Language, `language = "kuery"`) as a language.

`parse_kql(text)` returns ruleport's own AST (converters.kql.ast); bad
text raises KqlSyntaxError (code `query/kql-syntax`, 1-based `line` and
`column` within the query). `to_kql(node)` writes an AST back as KQL
that parses to the same AST.

    ast         the AST: small frozen dataclasses, no behaviour
    parser      KQL text to the AST (Kibana's grammar, recursive descent)
    render      the AST back to KQL text
    evaluator   KQL over Elastic documents, analysed as Kibana and Elasticsearch do (an Executor)
"""

from converters.kql.ast import *  # noqa: F401,F403
from converters.kql.parser import KqlSyntaxError, parse_kql  # noqa: F401
from converters.kql.render import to_kql  # noqa: F401
