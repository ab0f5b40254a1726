"""The Kusto executor over the cloud audit tables: values inside dynamic and JSON-text columns
(`tostring(parse_json(Column).key["other key"][0])`, `toreal(...)`), rows of several tables, and
the emitted cloud queries checked by Microsoft's parser against the tables' columns."""

from __future__ import annotations

import re

import pytest

from converters.engine.executor import ExecutionError
from converters.kusto.executor import KustoExecutor
from converters.platforms.cloud.models import kusto_schema as cloud_schema
from tests.kusto.test_microsoft_parser import kusto_check  # noqa: F401 - the fixture
from tests.support import FIXTURES

SCHEMA = {
    "Audit": {"Op": "string", "Props": "dynamic", "Text": "string", "Count": "long"},
    "Other": {"Op": "string"},
}
ROWS = [
    {"$table": "Audit", "Op": "Add", "Props": {"a": {"b c": ["x", "y"]}, "n": 3, "flag": True},
     "Text": '{"k": [{"Name": "ForwardTo", "Value": "m@x"}], "n": "4.5"}', "Count": 1},
    {"$table": "Audit", "Op": "add", "Props": {"a": {"b c": []}, "n": None}, "Text": "not json", "Count": 2},
    {"$table": "Other", "Op": "Add"},
]


def run(query: str) -> list[int]:
    return KustoExecutor(SCHEMA, "test").run(query, ROWS)


def test_a_query_reads_the_rows_of_its_table_only():
    assert run('Audit | where Op == "Add"') == [0]
    assert run('Other | where Op =~ "add"') == [2]
    with pytest.raises(ExecutionError, match="Nope"):
        run('Nope | where Op == "Add"')


def test_property_and_element_access_in_dynamic_and_json_text_columns():
    assert run('Audit | where tostring(Props.a["b c"][0]) == "x"') == [0]
    assert run('Audit | where tostring(parse_json(Props).a["b c"][1]) == "y"') == [0]
    assert run('Audit | where tostring(parse_json(Text).k[0].Name) == "ForwardTo"') == [0]
    assert run('Audit | where tostring(parse_json(Text).k[0].Value) endswith "@x"') == [0]


def test_tostring_of_missing_values_is_empty_and_objects_are_compact_json():
    # a missing element, a null property and text that is not JSON all read as ""
    assert run('Audit | where isempty(tostring(Props.a["b c"][0]))') == [1]
    assert run('Audit | where isempty(tostring(Props.n))') == [1]
    assert run('Audit | where isempty(tostring(parse_json(Text).k))') == [1]
    assert run('Audit | where tostring(Props.a) == "{\\"b c\\":[\\"x\\",\\"y\\"]}"') == [0]
    assert run('Audit | where tostring(Props.flag) == "true"') == [0]
    # tostring() is a string: never null; toreal() of what is not a number is null
    assert run('Audit | where isnull(tostring(Props.n))') == []
    assert run('Audit | where isnull(toreal(Props.n))') == [1]


def test_toreal_reads_numbers_and_numeric_text():
    assert run("Audit | where toreal(Props.n) > 2") == [0]
    assert run("Audit | where toreal(parse_json(Text).n) == 4.5") == [0]
    assert run("Audit | where toreal(Props.flag) > 0") == []


def test_unknown_columns_inside_paths_are_errors():
    with pytest.raises(ExecutionError, match="Propz"):
        run('Audit | where tostring(Propz.a) == "x"')


def test_every_cloud_table_declares_typed_columns():
    for platform in ("sentinel", "defender"):
        for table, columns in cloud_schema(platform).items():
            assert columns, table
            assert set(columns.values()) <= {"string", "bool", "int", "long", "real", "datetime", "dynamic"}
    assert {"Timestamp", "ReportId", "AccountObjectId"} <= set(cloud_schema("defender")["CloudAppEvents"])


def test_cloud_fixture_queries_parse_against_their_tables(kusto_check):  # noqa: F811
    """Every cloud fixture rule's Sentinel and Defender query is valid Kusto for Microsoft's analyser,
    given the cloud tables' columns from the cloud facts."""
    from converters.convert import convert_file

    checked = 0
    for path in sorted((FIXTURES / "cloud").glob("*.toml")):
        conversion = convert_file(path, path.name, ["kusto-defender", "kusto-sentinel"])
        for target, query in conversion.outputs.items():
            table = query.split("\n", 1)[0].strip()
            tables = re.findall(r"^\s*\((\w+)$", query, re.MULTILINE) if table == "union" else [table]
            assert kusto_check([query], tables) == [[]], (path.name, target, query)
            checked += 1
    assert checked >= 8


def test_a_source_in_several_tables_is_read_as_the_union_of_the_rule_on_each():
    """Entra sign-ins: SigninLogs (detail columns dynamic) and AADNonInteractiveUserSignInLogs (the
    same columns as JSON text); the rule runs on each table, then the rows are put together."""
    schema = cloud_schema("sentinel")
    assert schema["SigninLogs"]["DeviceDetail"] == "dynamic"
    assert schema["AADNonInteractiveUserSignInLogs"]["DeviceDetail"] == "string"
    query = ('union\n    (SigninLogs\n    | where tostring(parse_json(DeviceDetail).isCompliant) == "false"),\n'
             '    (AADNonInteractiveUserSignInLogs\n    | where tostring(parse_json(DeviceDetail).isCompliant) == "false")')
    rows = [{"$table": "SigninLogs", "DeviceDetail": {"isCompliant": False}},
            {"$table": "AADNonInteractiveUserSignInLogs", "DeviceDetail": '{"isCompliant":false}'},
            {"$table": "AADNonInteractiveUserSignInLogs", "DeviceDetail": '{"isCompliant":true}'},
            {"$table": "AuditLogs", "DeviceDetail": '{"isCompliant":false}'}]
    assert KustoExecutor(schema, "kusto-sentinel").run(query, rows) == [0, 1]
