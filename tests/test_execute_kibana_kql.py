"""The Kibana KQL executor follows Kibana's and Elasticsearch's semantics (see kibana_kql's docstring)."""

import pytest

from converters.execute.base import ExecutionError
from converters.execute.kibana_kql import KibanaKqlExecutor

EX = KibanaKqlExecutor()


def hits(query, *events):
    return EX.run(query, list(events))


A = {"process.name": ["Node.exe"], "process.name.caseless": ["node.exe"], "process.args": ["node", "-r", "a.js"],
     "process.pid": [42], "user.name": ["bob"]}
B = {"process.name": ["cmd.exe"], "process.name.caseless": ["cmd.exe"], "process.pid": [7]}


def test_keyword_match_is_exact_and_case_sensitive():
    assert hits("process.name:Node.exe", A, B) == [0]
    assert hits("process.name:node.exe", A, B) == []
    assert hits('process.name:"Node.exe"', A, B) == [0]
    assert hits("process.name:Node", A, B) == []  # whole value, not a token


def test_caseless_fields_are_normalized():
    assert hits("process.name.caseless:NODE.EXE", A, B) == [0]
    assert hits("process.name.caseless:NO*", A, B) == [0]


def test_unquoted_star_is_a_wildcard_and_quoted_star_is_literal():
    assert hits("process.name:N*.exe", A, B) == [0]
    assert hits('process.name:"N*.exe"', A, B) == []
    assert hits('process.name:"N*.exe"', {"process.name": ["N*.exe"]}) == [0]
    # no `?` wildcard in KQL
    assert hits("process.name:Nod?.exe", A) == []
    assert hits("process.name:Nod?.exe", {"process.name": ["Nod?.exe"]}) == [0]


def test_escapes():
    e = {"process.executable": ["C:\\Program Files (x86)\\a.exe"], "x": ["a:b*"]}
    assert hits(r"process.executable:C\:\\Program Files \(x86\)\\*", e) == [0]
    assert hits(r"x:a\:b\*", e) == [0]
    assert hits(r"x:a\:b*", e) == [0]
    assert hits(r"x:a\:bc\*", e) == []
    assert hits(r'x:"a:b*"', e) == [0]


def test_and_binds_tighter_than_or_and_keywords_ignore_case():
    q = "process.name:cmd.exe or process.name:Node.exe and user.name:alice"
    assert hits(q, A, B) == [1]
    assert hits("(process.name:cmd.exe OR process.name:Node.exe) AND user.name:bob", A, B) == [0]


def test_value_lists():
    assert hits("process.name:(cmd.exe or Node.exe)", A, B) == [0, 1]
    assert hits("process.args:(node and a.js)", A, B) == [0]
    assert hits("process.args:(node and b.js)", A, B) == []


def test_arrays_match_when_any_value_does():
    assert hits("process.args:-r", A, B) == [0]
    assert hits("process.args:*.js", A, B) == [0]


def test_not_is_must_not_and_matches_missing_fields():
    assert hits("not user.name:bob", A, B) == [1]
    assert hits("not process.args:-r", A, B) == [1]


def test_exists():
    assert hits("user.name:*", A, B) == [0]
    assert hits("not user.name:*", A, B) == [1]
    assert hits("e:*", {"e": [""]}) == [0]


def test_numbers_and_ranges():
    assert hits("process.pid:42", A, B) == [0]
    assert hits("process.pid >= 10", A, B) == [0]
    assert hits("process.pid < 10", A, B) == [1]
    assert hits("user.name > alice", A, B) == [0]


def test_free_text_searches_every_field():
    assert hits("bob", A, B) == [0]
    assert hits('"cmd.exe"', A, B) == [1]


def test_unsupported_and_bad_queries_raise():
    with pytest.raises(ExecutionError, match="nested"):
        hits("process:{ name: a }", A)
    with pytest.raises(ExecutionError, match="wildcard field"):
        hits("process.*:a", A)
    with pytest.raises(ExecutionError, match="does not parse"):
        hits("process.name:(a or", A)


def test_nested_ecs_objects_are_accepted():
    nested = {"process": {"name": "Node.exe", "parent": {"name": "pwsh.exe"}}}
    assert hits("process.parent.name:pwsh.exe and process.name:Node.exe", nested) == [0]
