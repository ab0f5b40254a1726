"""The Kusto executor against its documented rules, and against duckdb-kql."""

from __future__ import annotations

import json

import pytest

from converters.engine.executor import ExecutionError
from converters.emit.targets import defender_executor, sentinel_executor
from converters.kusto.executor import KustoExecutor
from converters.platforms.facts import kusto_schema
from tests.support import FIXTURES

T = "DeviceProcessEvents"

EVENTS = [
    {  # 0
        "FileName": "node.exe",
        "FolderPath": "C:\\Users\\bob\\AppData\\Local\\node.exe",
        "ProcessCommandLine": "node.exe -r hook.js",
        "InitiatingProcessFolderPath": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        "ProcessId": 1234,
    },
    {  # 1
        "FileName": "Node.EXE",
        "FolderPath": "D:\\tools\\Node.EXE",
        "ProcessCommandLine": "Node.EXE -e \"eval(atob('x'))\"",
        "ProcessVersionInfoOriginalFileName": "node.exe",
        "ProcessId": 99,
    },
    {  # 2
        "FileName": "cmd.exe",
        "FolderPath": "C:\\Windows\\System32\\cmd.exe",
        "ProcessCommandLine": "",
        "ProcessId": 100,
    },
]


@pytest.fixture(scope="module")
def kql():
    return defender_executor()


def run(kql, where, events=EVENTS):
    return kql.run(f"{T}\n| where {where}", events)


def test_equality_case_rules(kql):
    assert run(kql, 'FileName == "node.exe"') == [0]
    assert run(kql, 'FileName =~ "NODE.exe"') == [0, 1]
    assert run(kql, 'FileName != "node.exe"') == [1, 2]
    assert run(kql, 'FileName !~ "NODE.EXE"') == [2]


def test_substring_operators_insensitive_and_cs(kql):
    assert run(kql, 'FolderPath endswith "\\\\node.exe"') == [0, 1]
    assert run(kql, 'FolderPath endswith_cs "\\\\node.exe"') == [0]
    assert run(kql, 'FolderPath startswith "c:\\\\"') == [0, 2]
    assert run(kql, 'FolderPath startswith_cs "c:\\\\"') == []
    assert run(kql, 'ProcessCommandLine contains "EVAL("') == [1]
    assert run(kql, 'ProcessCommandLine contains_cs "EVAL("') == []
    assert run(kql, 'ProcessCommandLine !contains "eval("') == [0, 2]


def test_has_matches_whole_terms(kql):
    assert run(kql, 'ProcessCommandLine has "hook"') == [0]
    assert run(kql, 'ProcessCommandLine has "hoo"') == []  # not a whole term
    assert run(kql, 'ProcessCommandLine has "HOOK.JS"') == [0]
    assert run(kql, 'ProcessCommandLine has_cs "HOOK"') == []
    assert run(kql, 'ProcessCommandLine has_any ("zzz", "atob")') == [1]
    assert run(kql, 'ProcessCommandLine has_all ("node", "hook")') == [0]
    assert run(kql, 'FolderPath hasprefix "Sys"') == [2]
    assert run(kql, 'FolderPath hassuffix "Data"') == [0]


def test_in_lists(kql):
    assert run(kql, 'FileName in ("node.exe", "cmd.exe")') == [0, 2]
    assert run(kql, 'FileName in~ ("NODE.EXE", "x")') == [0, 1]
    assert run(kql, 'FileName !in~ ("NODE.EXE")') == [2]
    assert run(kql, "ProcessId in (99, 100)") == [1, 2]


def test_regex_is_unanchored_and_case_sensitive_by_default(kql):
    assert run(kql, 'FolderPath matches regex "node\\\\.exe"') == [0]
    assert run(kql, 'FolderPath matches regex "(?i)node\\\\.exe$"') == [0, 1]
    assert run(kql, 'FolderPath matches regex @"^C:\\\\Users\\\\[^\\\\]+\\\\AppData\\\\"') == [0]


def test_regex_constructs_re2_lacks_are_errors(kql):
    with pytest.raises(ExecutionError, match="RE2"):
        run(kql, 'FolderPath matches regex "(?=node)"')
    with pytest.raises(ExecutionError, match="RE2"):
        run(kql, 'FolderPath matches regex "(a)\\\\1"')
    with pytest.raises(ExecutionError, match="RE2"):
        run(kql, 'FolderPath matches regex "(?<!x)node"')
    # an escaped backslash before digits is no backreference
    events = [{"FolderPath": "\\\\127.0.0.1\\C$\\x"}]
    assert run(kql, r'FolderPath matches regex @"^\\\\127\.0\.0\.1\\C\$"', events) == [0]


def test_missing_column_is_empty_string(kql):
    assert run(kql, "isempty(ProcessVersionInfoOriginalFileName)") == [0, 2]
    assert run(kql, "isnotempty(ProcessVersionInfoOriginalFileName)") == [1]
    assert run(kql, "isnotempty(ProcessCommandLine)") == [0, 1]  # "" is empty
    assert run(kql, 'ProcessVersionInfoOriginalFileName !contains "node"') == [0, 2]
    assert run(kql, 'ProcessVersionInfoOriginalFileName endswith ""') == [0, 1, 2]


def test_strings_are_never_null(kql):
    assert run(kql, "isnull(ProcessVersionInfoOriginalFileName)") == []
    assert run(kql, "isnotnull(ProcessVersionInfoOriginalFileName)") == [0, 1, 2]
    events = [{"ProcessId": 5}, {"ProcessId": None}, {}]
    assert run(kql, "isnull(ProcessId)", events) == [1, 2]  # numbers can be null


def test_boolean_structure_and_not(kql):
    assert run(kql, 'FileName =~ "node.exe" and not(FolderPath startswith "D:")') == [0]
    assert run(kql, 'FileName == "cmd.exe" or FileName == "Node.EXE" and ProcessId == 1') == [2]
    assert run(kql, '(FileName == "cmd.exe" or FileName == "Node.EXE") and ProcessId == 99') == [1]


def test_several_where_stages_are_anded(kql):
    q = f'{T}\n| where FileName =~ "node.exe"\n| where ProcessId > 100'
    assert kql.run(q, EVENTS) == [0]


def test_numeric_comparisons(kql):
    assert run(kql, "ProcessId > 99") == [0, 2]
    assert run(kql, "ProcessId <= 100") == [1, 2]
    assert run(kql, "ProcessId == 99") == [1]


def test_comments_ignored(kql):
    q = f"{T} // the table\n| where FileName == \"cmd.exe\" // only cmd\n"
    assert kql.run(q, EVENTS) == [2]


def test_bracketed_column_names(kql):
    assert run(kql, "['FileName'] == \"cmd.exe\"") == [2]


def test_wrong_table_is_an_error(kql):
    with pytest.raises(ExecutionError, match="imProcessCreate"):
        sentinel_executor().run(f'{T} | where FileName == "x"', EVENTS)
    with pytest.raises(ExecutionError, match="DeviceProcessEvents"):
        kql.run('imProcessCreate | where TargetProcessName == "x"', EVENTS)


def test_sentinel_table_accepts_function_call_form():
    ex = sentinel_executor()
    events = [{"TargetProcessName": "C:\\node.exe"}, {"TargetProcessName": "C:\\cmd.exe"}]
    assert ex.run('imProcessCreate | where TargetProcessName endswith "\\\\node.exe"', events) == [0]
    assert ex.run('imProcessCreate() | where TargetProcessName endswith "cmd.exe"', events) == [1]


def test_unknown_column_and_unsupported_syntax_are_errors(kql):
    with pytest.raises(ExecutionError, match="unknown column 'FileNam'"):
        run(kql, 'FileNam == "x"')
    with pytest.raises(ExecutionError, match="take"):
        kql.run(f"{T} | take 10", EVENTS)
    with pytest.raises(ExecutionError, match="unsupported function"):
        run(kql, 'tolower(FileName) == "x"')
    with pytest.raises(ExecutionError, match="unterminated"):
        run(kql, 'FileName == "x')
    with pytest.raises(ExecutionError, match="expected"):
        run(kql, "FileName == ")


def test_rows_belong_to_the_table_they_name():
    schema = {"A": {"x": "string"}, "B": {"x": "string", "n": "long"}}
    ex = KustoExecutor(schema, "test")
    rows = [{"$table": "A", "x": "1"}, {"$table": "B", "x": "1"}, {"x": "1"}]
    assert ex.run('A | where x == "1"', rows) == [0, 2]  # a row naming no table is in every table
    assert ex.run('B | where x == "1"', rows) == [1, 2]
    with pytest.raises(ExecutionError, match="has A, B"):
        ex.run('C | where x == "1"', rows)
    with pytest.raises(ExecutionError, match="unknown column 'n'"):
        ex.run("A | where n == 1", [{"$table": "A", "x": "1"}])


def test_extend_computes_columns_from_documented_functions():
    schema = {"R": {"Key": "string", "Value": "string", "Extra": "dynamic"}}
    ex = KustoExecutor(schema, "test")
    rows = [{"Key": "HKLM\\Run", "Value": "evil", "Extra": {"Q": "a.example"}},
            {"Key": "HKLM\\Run", "Value": "", "Extra": '{"Q": "b.example"}'},
            {"Key": "HKLM\\Other"}]
    path = '| extend P = iff(isempty(Value), Key, strcat(Key, "\\\\", Value))'
    assert ex.run(f'R {path} | where P == "HKLM\\\\Run\\\\evil"', rows) == [0]
    assert ex.run(f'R {path} | where P == "HKLM\\\\Run"', rows) == [1]
    # a key of a dynamic column, as a dict or as its JSON text; missing keys are ""
    assert ex.run('R | extend Q = tostring(Extra.Q) | where Q endswith ".example"', rows) == [0, 1]
    assert ex.run('R | extend Q = tostring(Extra["Q"]) | where isempty(Q)', rows) == [2]
    # filters before and after an extend, in order
    assert ex.run('R | where Key endswith "Run" | extend Q = tostring(Extra.Q) | where Q startswith "b"', rows) == [1]
    with pytest.raises(ExecutionError, match="unsupported function"):
        ex.run("R | extend Q = tolower(Key)", rows)


def test_documented_column_absent_from_events_is_accepted(kql):
    assert run(kql, 'AccountName =~ "bob"') == []
    assert run(kql, 'AccountName !~ "bob"') == [0, 1, 2]


# ------------------------------------------------- cross-check with duckdb-kql

CROSS_CHECK = [
    'FileName == "node.exe"',
    'FileName =~ "NODE.exe"',
    'FileName !~ "NODE.EXE"',
    'FolderPath endswith "\\\\node.exe"',
    'FolderPath startswith "c:\\\\"',
    'ProcessCommandLine contains "EVAL("',
    'ProcessCommandLine !contains "eval("',
    'ProcessCommandLine contains_cs "eval("',
    'ProcessCommandLine has "hook"',
    'ProcessCommandLine has "hoo"',
    'FileName in~ ("NODE.EXE", "x")',
    'FileName in ("node.exe", "cmd.exe")',
    'FolderPath matches regex "(?i)node\\\\.exe$"',
    "isnotempty(ProcessCommandLine)",
    "isempty(ProcessVersionInfoOriginalFileName)",
    'FileName =~ "node.exe" and not(FolderPath startswith "D:")',
    '(FileName == "cmd.exe" or FileName == "Node.EXE") and ProcessId == 99',
    "ProcessId > 99",
]


@pytest.fixture(scope="module")
def duck():
    import duckdb_kql
    return duckdb_kql, _duck_table(duckdb_kql, T, EVENTS)


@pytest.mark.parametrize("where", CROSS_CHECK)
def test_agrees_with_duckdb_kql(kql, duck, where):
    duckdb_kql, con = duck
    theirs = sorted(row[0] for row in duckdb_kql.query(con, f"{T} | where {where} | project _i").fetchall())
    assert run(kql, where) == theirs


def _duck_table(duckdb_kql, table: str, events: list[dict]):
    """A DuckDB table of the events, strings never null (as in Kusto), plus their index `_i`."""
    con = duckdb_kql.connect()
    con.execute("SET autoinstall_known_extensions = false")  # never fetch an extension: no network in tests
    columns = sorted({c for e in events for c in e if not c.startswith("$")})
    schema = kusto_schema("defender").get(table) or kusto_schema("asim")[table]
    types = {c: "BIGINT" if schema.get(c) == "long" else "VARCHAR" for c in columns}
    con.sql(f"CREATE TABLE {table} (" + ", ".join(f'"{c}" {types[c]}' for c in columns) + ", _i BIGINT)")
    for i, e in enumerate(events):
        row = [e.get(c, None if types[c] != "VARCHAR" else "") for c in columns] + [i]
        con.execute(f"INSERT INTO {table} VALUES (" + ", ".join("?" for _ in row) + ")", row)
    return con


@pytest.mark.parametrize("target,platform,make", [
    ("kusto-defender", "defender", defender_executor),
    ("kusto-sentinel", "asim", sentinel_executor),
])
def test_seed_emitted_query_agrees_with_duckdb_kql(seed_rule, target, platform, make):
    """The seed's emitted Kusto over the fixture's platform events: same rows as duckdb-kql (RE2 regexes)."""
    import duckdb_kql
    from converters.emit import emit
    from converters.platforms.models import render_events
    from converters.load import load_rule
    from converters.translate import translate_rule

    fixture = FIXTURES / "windows" / "execution_nodejs_susp_patterns.jsonl"
    raw = [json.loads(line) for line in fixture.read_text().splitlines() if line.strip()]
    events, _ = render_events(platform, raw)
    executor = make()
    [query] = emit(translate_rule(load_rule(seed_rule)).sigma_yaml, target).queries
    con = _duck_table(duckdb_kql, query.split("\n", 1)[0].strip(), events)
    theirs = sorted(row[0] for row in duckdb_kql.query(con, query + "\n| project _i").fetchall())
    mine = executor.run(query, events)
    assert mine == theirs
    assert 0 < len(mine) < len(events)  # the comparison says something


def test_ip_range_functions_follow_kusto():
    ex = KustoExecutor({"N": {"RemoteIP": "string"}}, "test")
    rows = [{"RemoteIP": ip} for ip in ("10.1.2.3", "8.8.8.8", "fe80::1", "2001:db8::1", "", "not an ip")]
    assert ex.run('N | where ipv4_is_in_range(RemoteIP, "10.0.0.0/8")', rows) == [0]
    assert ex.run('N | where ipv4_is_in_any_range(RemoteIP, "10.0.0.0/8", "8.8.8.0/24")', rows) == [0, 1]
    assert ex.run('N | where ipv6_is_in_range(RemoteIP, "fe80::/10")', rows) == [2]
    # not an address of that version: null, so neither the test nor its negation holds
    assert ex.run('N | where not(ipv4_is_in_range(RemoteIP, "10.0.0.0/8"))', rows) == [1]
    assert ex.run('N | where not(ipv4_is_in_range(RemoteIP, "10.0.0.0/8")) or isempty(RemoteIP)', rows) == [1, 4]
    with pytest.raises(ExecutionError, match="not an IPv4 range"):
        ex.run('N | where ipv4_is_in_range(RemoteIP, "fe80::/10")', rows)


def test_emitted_cidr_of_either_version():
    from converters.emit import emit

    rule = ("title: t\nlogsource: {category: network_connection, product: windows}\ndetection:\n  sel:\n"
            "    DestinationIp|cidr: ['10.0.0.0/8', 'fe80::/10']\n  condition: sel\n")
    q = emit(rule, "kusto-defender").queries[0]
    assert 'coalesce(ipv4_is_in_range(RemoteIP, "10.0.0.0/8"), false)' in q
    assert 'coalesce(ipv6_is_in_range(RemoteIP, "fe80::/10"), false)' in q
    rows = [{"$table": "DeviceNetworkEvents", "ActionType": "ConnectionSuccess", "RemoteIP": ip}
            for ip in ("10.9.9.9", "fe80::2", "192.0.2.1")]
    assert defender_executor().run(q, rows) == [0, 1]
    # Sigma's NOT of a CIDR holds for an address of the other version
    negated = rule.replace("condition: sel", "condition: not sel").replace("'fe80::/10'", "'10.0.0.0/16'")
    assert defender_executor().run(emit(negated, "kusto-defender").queries[0], rows) == [1, 2]
