"""The Lucene emitter writes what Elasticsearch's query_string parser reads as meant (real Lucene 9.12.2).

Each case emits a Sigma rule for the lucene target and runs the query on documents: the query must
parse and match exactly the documents the Sigma rule does.
"""

from __future__ import annotations

import pytest

from converters.emit import EmitError, emit
from converters.emit.backend_elastic import _path_bound, _regexp_term
from tests.emit.helpers import rule


def lucene_query(detection: str) -> str:
    return emit(rule(detection), "lucene").queries[0]


def docs(field: str, *values: str) -> list[dict]:
    """Process start documents of Windows (the process_creation scope) with one value each."""
    scope = {"event.category": ["process"], "event.type": ["start"], "host.os.type": ["windows"]}
    return [{**scope, field: [v]} for v in values]


def test_a_regex_ending_in_a_backslash_closes_its_term(lucene):
    # `\\` before the closing `/` would read as an escaped slash: the term ran on ("expected ')'")
    query = lucene_query("  sel:\n    OriginalFileName|endswith: '\\Run\\'")  # no .caseless: a regex
    assert "[\\\\]/" in query
    events = docs("process.pe.original_file_name", "HKLM\\Run\\", "HKLM\\Run", "HKLM\\RUN\\")
    assert lucene.run(query, events) == [0, 2]


def test_regexp_term_escapes_slashes_once():
    assert _regexp_term("a/b") == "/a\\/b/"
    assert _regexp_term("a\\/b") == "/a\\/b/"            # already escaped: kept
    assert _regexp_term("a\\\\") == "/a[\\\\]/"          # a final literal backslash
    assert _regexp_term("a\\\\\\\\") == "/a\\\\[\\\\]/"  # two of them: the last one only
    assert _regexp_term("a\\\\/") == "/a\\\\\\//"        # a backslash, then a slash


def test_a_value_beginning_with_a_comparison_is_a_term_not_a_range(lucene):
    # query_string reads `f:\>\>` as the range `> ">"` (it unescapes before it looks for `>`)
    query = lucene_query("  sel:\n    CommandLine|cased:\n      - '>>'\n      - '<x'")
    events = docs("process.command_line", ">>", "backup>", "<x", "z")
    assert lucene.run(query, events) == [0, 2]


def test_whitespace_the_parser_splits_on_is_escaped(lucene):
    # a newline in a value (an Elastic rule's value spanning two lines) is part of the value
    query = lucene_query("  sel:\n    CommandLine|cased|contains: \"conf.xml\\n  *.json\"")
    events = docs("process.command_line", "a conf.xml\n  b.json", "conf.xml", "x.json")
    assert lucene.run(query, events) == [0]


def test_a_regex_lucene_cannot_compile_is_refused():
    with pytest.raises(EmitError) as exc:
        emit(rule("  sel:\n    CommandLine|re|s: '^.{2000,}'"), "lucene")
    assert exc.value.code == "emit/regex-unsupported" and "automaton" in str(exc.value)
    assert "{1000}" in emit(rule("  sel:\n    CommandLine|re: '^a{1000}$'"), "lucene").queries[0]


def test_path_bound_of_lucene_regexes():
    assert _path_bound(".{2000,}.*") == 2002
    assert _path_bound("[aA]{1000}") == 1000
    assert _path_bound("(ab|c)+x?") == 5
    assert _path_bound("\\{a\\}[\\]x]") == 4


def test_the_refusal_limit_is_lucenes(lucene):
    # at the limit the query runs, past it Lucene rejects it: the emitter's bound is not narrower
    events = docs("f", "a" * 1000)
    assert lucene.run("f:/.{1000}/", events) == [0]
    with pytest.raises(Exception, match="too large"):
        lucene.run("f:/.{1001}/", events)
