"""The one Kusto tokenizer (converters/kusto/lexer.py), as Microsoft documents the lexical forms, and
the forms where the single-row evaluator and the correlation evaluator used to read Kusto apart."""

from __future__ import annotations

import pytest

from converters.engine.executor import ExecutionError
from converters.kusto.executor import KustoExecutor
from converters.kusto.lexer import Timespan, tokenize
from converters.kusto.tabular import TabularQuery
from tests.kusto.test_microsoft_parser import kusto_check  # noqa: F401 - the fixture


def kinds(text: str) -> list[tuple[str, object]]:
    return [(t.kind, t.value) for t in tokenize(text)[:-1]]


def test_string_literal_forms():
    def value(src):
        toks = tokenize(src)
        assert toks[0].kind == "string" and toks[1].kind == "eof"
        return toks[0].value

    assert value(r'"a\\b\"c\td"') == 'a\\b"c\td'
    assert value(r"'it\'s'") == "it's"
    assert value(r'@"C:\Users\""x"""') == 'C:\\Users\\"x"'
    assert value(r"@'a\'") == "a\\"
    assert value('```line1\nline2\\n```') == "line1\nline2\\n"
    assert value('h"secret"') == "secret"
    assert value("H@'C:\\x'") == "C:\\x"
    assert value(r'"\u00e9"') == "é"


def test_literals_with_only_space_and_comments_between_are_spliced():
    assert kinds('"ab" \'cd\' @"e\\"') == [("string", "abcde\\")]
    assert kinds('"Hello"\n  // comment\n  \', \'@"world!"') == [("string", "Hello, world!")]
    assert kinds('"a", "b"') == [("string", "a"), ("op", ","), ("string", "b")]


def test_keywords_are_words_and_negated_operators_one_token():
    assert kinds("FileName has_cs x and not(y) or z in~ w") == [
        ("ident", "FileName"), ("word", "has_cs"), ("ident", "x"), ("word", "and"), ("ident", "not"),
        ("op", "("), ("ident", "y"), ("op", ")"), ("word", "or"), ("ident", "z"), ("op", "in~"), ("ident", "w")]
    assert kinds("a !contains b !in~ c !~ d != e") == [
        ("ident", "a"), ("op", "!contains"), ("ident", "b"), ("op", "!in~"), ("ident", "c"),
        ("op", "!~"), ("ident", "d"), ("op", "!="), ("ident", "e")]
    assert kinds("s1 => a >= 1; b == 2") == [
        ("ident", "s1"), ("op", "=>"), ("ident", "a"), ("op", ">="), ("number", 1), ("op", ";"),
        ("ident", "b"), ("op", "=="), ("number", 2)]
    with pytest.raises(ExecutionError, match="unexpected character '!'"):
        tokenize("a ! contains b")  # no `!` operator of its own: negation is not()


def test_numbers_and_timespans():
    assert kinds("12 1.5 1e5 2.5E-1") == [("number", 12), ("number", 1.5), ("number", 100000.0), ("number", 0.25)]
    assert isinstance(tokenize("12")[0].value, int)
    spans = tokenize("5m 1.5h 100ms 2d 30s 1tick")[:-1]
    assert [t.kind for t in spans] == ["timespan"] * 6
    assert [float(t.value) for t in spans] == [300, 5400, 0.1, 172800, 30, 1e-7]
    assert all(isinstance(t.value, Timespan) for t in spans)
    assert kinds("5 m") == [("number", 5), ("ident", "m")]  # a unit follows at once or not at all
    assert kinds("1.50h") == [("timespan", 5400.0)]


def test_microsoft_parser_reads_these_forms_alike(kusto_check):  # noqa: F811
    valid = ['print x = "Hello"\n  // comment\n  \', \'@"world!"', "print x = 1e5, y = 2.5E-1",
             "print x = 5m, y = 1.5h, z = 100ms, w = 1tick",
             'print x = "a" !contains "b" and "c" !in~ ("C") and "d" !~ "e"']
    invalid = ['print x = "a" ! contains "b"', 'T | where in == 1']
    assert kusto_check(valid) == [[] for _ in valid]
    assert all(diagnostics for diagnostics in kusto_check(invalid))


def test_a_keyword_column_is_bracketed():
    ex = KustoExecutor({"T": {"in": "string"}}, "test")
    assert ex.run("T | where ['in'] == 'x'", [{"in": "x"}, {"in": "y"}]) == [0]
    with pytest.raises(ExecutionError, match="expected a column"):
        ex.run("T | where in == 'x'", [{"in": "x"}])


def _tabular(query: str, rows: list[dict]) -> list[dict]:
    compiled = TabularQuery(query, lambda table, text: lambda r: r, "T")
    return [r for _, r in compiled.run([(frozenset((i,)), r) for i, r in enumerate(rows)])]


def test_correlation_expressions_read_the_same_literals():
    """The correlation evaluator had a tokenizer of its own that neither spliced literals nor read
    exponents, and read a timespan's unit by the printed length of its number (not `1.50h`)."""
    rows = _tabular("T | serialize | extend s = 'a' \"b\", n = 1e3, h = 1.50h, w = 2 | where w < 3", [{}])
    assert rows == [{"s": "ab", "n": 1000.0, "h": 5400.0, "w": 2}]
