"""What every query-language evaluator shares, below the language packages.

    executor    the one small interface (`Executor.run(query, events) -> indexes`)
    documents   events as Elasticsearch doc values (dotted path -> values)
    patterns    wildcard and regex dialects translated to Python's `re`
    logic       three-valued (true, false, null) AND / OR

Nothing here knows a query language; each language package (eql, kql, spl,
esql, kusto) and each engine adapter (lucene, sqlite) builds on it.
"""

from converters.engine.executor import Event, ExecutionError, Executor

__all__ = ["Event", "ExecutionError", "Executor"]
