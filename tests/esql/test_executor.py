"""The ES|QL executor follows ES|QL's semantics (see esql's docstring)."""

import pytest

from converters.engine.executor import ExecutionError
from converters.esql.executor import EsqlExecutor

EX = EsqlExecutor()
FROM = "FROM logs-endpoint.events.process-* METADATA _id | WHERE "


def hits(where, *events):
    return EX.run(FROM + where, list(events))


A = {"process.name": ["Node.exe"], "process.args": ["node", "-r", "a.js"], "process.pid": [42],
     "process.executable": ["C:\\Users\\bob\\node.exe"]}
B = {"process.name": ["cmd.exe"], "process.args": ["-r"], "process.pid": [7]}
C = {"process.pid": [8]}


def test_from_reads_the_documents_of_the_indexes_it_names():
    proc = {**B, "_index": ["logs-endpoint.events.process-default"]}
    file = {"process.pid": [7], "_index": ["logs-endpoint.events.file-default"]}
    beat = {"process.pid": [7], "_index": ["winlogbeat-8.15.0"]}
    events = [proc, file, beat, B]  # B: no _index, so in no known index: every FROM reads it
    assert EX.run("from * | where process.pid == 7", events) == [0, 1, 2, 3]
    assert EX.run("FROM logs-* | WHERE process.pid == 7", events) == [0, 1, 3]
    assert EX.run("FROM logs-endpoint.events.file-* | WHERE process.pid == 7", events) == [1, 3]
    assert EX.run('FROM "winlogbeat-*", logs-endpoint.events.process-* | WHERE process.pid == 7', events) == [0, 2, 3]
    assert EX.run("FROM logs-*, -logs-endpoint.events.file-* | WHERE process.pid == 7", events) == [0, 3]
    assert EX.run("FROM remote:winlogbeat-* | WHERE process.pid == 7", events) == [2, 3]
    # _index is a column only when METADATA asks for it
    assert EX.run('FROM * METADATA _index | WHERE _index LIKE "winlog*"', events) == [2]
    assert EX.run('FROM * | WHERE _index IS NULL', events) == [0, 1, 2, 3]
    with pytest.raises(ExecutionError, match="names no index"):
        EX.run("FROM -logs-* | WHERE process.pid == 7", [A])
    with pytest.raises(ExecutionError, match="must start with FROM"):
        EX.run("ROW a = 1", [A])


def test_equality_is_case_sensitive_and_tilde_equals_is_not():
    assert hits('process.name == "Node.exe"', A, B) == [0]
    assert hits('process.name == "node.exe"', A, B) == []
    assert hits('process.name =~ "node.EXE"', A, B) == [0]


def test_multivalued_field_in_a_comparison_is_null():
    # process.args of A has three values: == is null there, not "any element"
    assert hits('process.args == "-r"', A, B) == [1]
    assert hits('NOT process.args == "-r"', A, B) == []
    assert hits('process.args LIKE "*.js"', A) == []
    assert hits('ends_with(process.args, ".js")', A) == []
    assert hits('process.args IN ("-r", "x")', A, B) == [1]


def test_multivalue_aware_functions_and_mv_expand():
    assert hits("mv_count(process.args) == 3", A, B) == [0]
    assert hits('mv_contains(process.args, "-r")', A, B) == [0, 1]
    assert hits('mv_first(process.args) == "-r"', A) == [0]  # doc values are sorted
    assert hits('mv_concat(process.args, " ") == "-r a.js node"', A) == [0]
    assert hits('to_lower(process.name) == "node.exe"', A) == [0]
    assert EX.run('FROM * | MV_EXPAND process.args | WHERE process.args LIKE "*.js"', [A, B]) == [0]


def test_null_comparisons_are_never_true():
    assert hits('process.name != "cmd.exe"', A, B, C) == [0]
    assert hits('NOT process.name == "cmd.exe"', A, B, C) == [0]
    assert hits("process.name IS NULL", A, B, C) == [2]
    assert hits("process.name IS NOT NULL", A, B, C) == [0, 1]
    assert hits('process.name != "cmd.exe" OR process.name IS NULL', A, B, C) == [0, 2]
    assert hits("process.args IS NOT NULL", A) == [0]  # multi-value is not null


def test_like_wildcards_and_escapes():
    assert hits('process.name LIKE "N?de.*"', A) == [0]
    assert hits('process.name LIKE "n?de.*"', A) == []
    # "\\\\" in the query is one backslash for LIKE's escape: a literal backslash
    assert hits('process.executable LIKE "C:\\\\\\\\Users\\\\\\\\*"', A) == [0]
    # "\\\\*" is an escaped star: literal *
    assert hits('process.executable LIKE "C:\\\\*"', A) == []
    assert hits('process.executable LIKE """C:\\\\Users\\\\*"""', A) == [0]
    assert hits('process.name LIKE ("x*", "No*")', A) == [0]
    assert hits('process.name NOT LIKE "No*"', A, B) == [1]


def test_rlike_is_anchored_lucene_regex():
    assert hits('process.name RLIKE "N.de\\\\.exe"', A) == [0]
    assert hits('process.name RLIKE "ode"', A) == []
    assert hits('process.name RLIKE "[A-Z]ode.*"', A) == [0]
    with pytest.raises(ExecutionError, match="not modelled"):
        hits('process.name RLIKE "a&b"', A)


def test_string_escapes_are_strict():
    with pytest.raises(ExecutionError, match="invalid escape"):
        hits('process.executable == "C:\\Users"', A)
    assert hits('process.executable == "C:\\\\Users\\\\bob\\\\node.exe"', A) == [0]


def test_boolean_precedence_and_in():
    assert hits('process.pid == 7 OR process.pid == 42 AND process.name == "x"', A, B) == [1]
    assert hits('(process.pid == 7 OR process.pid == 42) AND process.name IS NOT NULL', A, B, C) == [0, 1]
    assert hits("process.pid IN (7, 8)", A, B, C) == [1, 2]
    assert hits("process.pid NOT IN (7, 8)", A, B, C) == [0]
    assert hits("process.pid + 1 > 9", A, B, C) == [0]


def test_functions():
    assert hits('starts_with(process.name, "No") AND ends_with(process.name, ".exe")', A, B) == [0]
    assert hits('starts_with(process.name, "no")', A) == []
    assert hits('substring(process.name, 1, 4) == "Node" AND length(process.name) == 8', A) == [0]
    assert hits('`process.name` == "cmd.exe"', A, B) == [1]
    assert EX.run('FROM * | WHERE cidr_match(source.ip, "10.0.0.0/8")', [{"source.ip": ["10.1.2.3"]}, {}]) == [0]


def test_keep_drop_limit_and_unsupported_commands():
    assert EX.run('FROM * | KEEP process.pid | WHERE process.name IS NULL', [A, B]) == [0, 1]
    assert EX.run('FROM * | DROP process.name | WHERE process.name IS NULL', [A]) == [0]
    assert EX.run('FROM * | WHERE process.pid > 0 | LIMIT 10', [A, B]) == [0, 1]
    with pytest.raises(ExecutionError, match="unspecified subset"):
        EX.run('FROM * | LIMIT 1', [A, B])
    for q in ["FROM * | STATS count(*)", "FROM * | WHERE foo(process.name)", "FROM * | WHERE process.name = 1",
              "FROM * | WHERE process.name::keyword == \"a\"", "FROM * | WHERE (process.pid == 1"]:
        with pytest.raises(ExecutionError):
            EX.run(q, [A])


def test_multivalues_are_read_as_sorted_deduplicated_doc_values():
    dup = {"process.args": ["-r", "-r"]}
    assert hits('process.args == "-r"', dup) == [0]  # one distinct keyword value: not a multi-value
    assert hits('mv_first(process.args) == "-r"', {"process.args": ["b", "-r", "a"]}) == [0]
    assert hits("mv_count(process.args) == 2", {"process.args": ["b", "a", "b"]}) == [0]
    assert hits("mv_first(n) == 1 AND mv_count(n) == 3", {"n": [3, 1, 3]}) == [0]


def test_rlike_follows_lucene_quirks():
    e = {"process.command_line": ["?iInvoke-Expression"], "x": ["Invoke-Expression"]}
    # `(?i)` is not a flag in Lucene: a group matching the text "?i"
    assert hits('process.command_line RLIKE "(?i)invoke.*"', e) == []
    assert hits('process.command_line RLIKE "(?i)Invoke.*"', e) == [0]
    assert hits('x RLIKE "(?i)Invoke.*"', e) == []
    # a backslash before a letter that is no class is an error in Lucene 9
    with pytest.raises(ExecutionError, match="invalid character class"):
        hits('x RLIKE "Invoke\\\\-\\\\x"', e)
    assert hits('x RLIKE "\\\\w+\\\\-\\\\w+"', e) == [0]
