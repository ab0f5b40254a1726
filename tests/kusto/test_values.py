"""One tostring() for the single-row evaluator's predicates and `extend`, and the correlations'
expressions (converters/kusto/values.py): each had its own, and they differed on reals, on
non-ASCII text inside JSON, and (the correlations') on objects."""

from __future__ import annotations

from converters.kusto.executor import KustoExecutor
from converters.kusto.tabular import TabularQuery
from converters.kusto.values import parse_json, tostring, walk

OBJECT = {"n": "é", "a": [1, 2.5]}


def test_tostring_follows_kusto():
    assert tostring(None) == ""
    assert tostring(True) == "true"
    assert tostring(5.0) == "5" and tostring(2.5) == "2.5" and tostring(7) == "7"
    assert tostring(OBJECT) == '{"n":"é","a":[1,2.5]}'  # compact JSON, not Python's repr
    assert tostring(["x", None]) == '["x",null]'


def test_accessors_on_json_text_and_dynamic_values():
    assert walk(parse_json('{"a": {"b": [1, 2]}}'), ("a", "b", -1)) == 2
    assert walk(parse_json("not json"), ("a",)) is None
    assert walk(parse_json('["a"]'), ("a",)) is None
    assert walk({"a": 1}, ("a", "b")) is None


def test_extend_and_predicates_read_one_tostring():
    ex = KustoExecutor({"R": {"N": "real", "D": "dynamic"}}, "test")
    rows = [{"N": 5.0, "D": OBJECT}, {"N": 2.5, "D": {}}]
    assert ex.run('R | extend S = tostring(N) | where S == "5"', rows) == [0]
    assert ex.run('R | where tostring(N) == "5"', rows) == [0]
    assert ex.run('R | extend S = strcat(tostring(D), "|", N) | where S == \'{"n":"é","a":[1,2.5]}|5\'', rows) == [0]


def test_correlation_expressions_read_the_same_tostring():
    rows = [{"N": 5.0, "D": OBJECT}]
    query = "T | serialize | extend s = tostring(D), n = tostring(N), c = strcat(N, D.n)"
    [(_, row)] = TabularQuery(query, lambda table, text: lambda r: r, "T").run([(frozenset((0,)), rows[0])])
    assert (row["s"], row["n"], row["c"]) == ('{"n":"é","a":[1,2.5]}', "5", "5é")
