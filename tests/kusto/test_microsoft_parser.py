"""Kusto query text checked by Microsoft's official parser (Kusto.Language).

tools/kusto-parser holds the pinned npm package (@kusto/language-service-next)
and a script that prints each query's diagnostics; `.ci/run` runs `npm ci`
there. Locally the tests skip when node or the package is missing; under
CI=true they fail.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.support import require

from converters.emit.targets import defender_executor, sentinel_executor
from converters.platforms.cloud.models import kusto_schema as cloud_schema
from converters.platforms.facts import kusto_schema
from tests.support import ROOT

PARSER_DIR = ROOT / "tools" / "kusto-parser"
SCRIPT = PARSER_DIR / "check.js"
PACKAGE = PARSER_DIR / "node_modules" / "@kusto" / "language-service-next"

def _schema(table: str) -> dict:
    for schema in (kusto_schema("defender"), kusto_schema("asim"), cloud_schema("defender"), cloud_schema("sentinel")):
        if table in schema:
            return {table: schema[table]}
    raise KeyError(table)


@pytest.fixture(scope="module")
def kusto_check():
    reason = None
    if shutil.which("node") is None:
        reason = "node is not installed"
    elif not PACKAGE.is_dir():
        reason = f"{PACKAGE} is missing (run `npm ci` in {PARSER_DIR})"
    require("Microsoft's Kusto parser", reason)

    # one node process for the module: loading Kusto.Language takes about a second
    proc = subprocess.Popen(["node", str(SCRIPT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=PARSER_DIR)

    def check(queries: list[str], table: str | list[str] | None = None) -> list[list[dict]]:
        """Diagnostics of each query, checked against the schema of `table` (or tables) when given."""
        replies = []
        for q in queries:
            req = {"query": q}
            if table:  # a table, or the tables of a union
                tables = [table] if isinstance(table, str) else list(table)
                req["tables"] = {k: v for t in tables for k, v in _schema(t).items()}
            proc.stdin.write(json.dumps(req) + "\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
            assert line, f"the Kusto parser died: {proc.stderr.read()}"
            reply = json.loads(line)
            assert "error" not in reply, reply
            replies.append(reply["diagnostics"])
        return replies

    yield check
    proc.stdin.close()
    proc.wait(timeout=60)


def test_package_json_pins_exact_version():
    pkg = json.loads((PARSER_DIR / "package.json").read_text())
    version = pkg["dependencies"]["@kusto/language-service-next"]
    assert version[0].isdigit(), "pin an exact version"
    lock = json.loads((PARSER_DIR / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/@kusto/language-service-next"]["version"] == version


VALID = [
    'DeviceProcessEvents\n| where FolderPath endswith "\\\\node.exe" or FileName =~ "node.exe"',
    'DeviceProcessEvents | where ProcessCommandLine contains_cs "eval(" and not(FileName in~ ("a", "b"))',
    'DeviceProcessEvents | where FolderPath matches regex @"(?i)\\\\node\\.exe$" and isnotempty(AccountName)',
    "DeviceProcessEvents | where ProcessId > 100 and ProcessCommandLine has_any (\"a\", \"b\")",
    "DeviceProcessEvents | where ['FileName'] == 'x' // comment\n| where FileName !~ \"y\"",
]


def test_valid_queries_have_no_diagnostics(kusto_check):
    assert kusto_check(VALID, "DeviceProcessEvents") == [[] for _ in VALID]


def test_invalid_queries_have_the_expected_diagnostics(kusto_check):
    bad = [
        'DeviceProcessEvents | where FileName == "x" and',          # missing expression
        'DeviceProcessEvents | where FileNam == "x"',               # unknown column
        'DeviceProcessEvents | where FileName == "x',               # unterminated string
    ]
    diags = kusto_check(bad, "DeviceProcessEvents")
    assert all(d and d[0]["severity"] == "Error" for d in diags), diags
    assert "FileNam" in diags[1][0]["message"]
    assert diags[0][0]["code"] != diags[1][0]["code"]


def test_executor_test_queries_are_real_kusto(kusto_check):
    """Everything the executor's own tests feed it is valid for Microsoft's parser."""
    from tests.kusto.test_executor import CROSS_CHECK

    queries = [f"DeviceProcessEvents | where {w}" for w in CROSS_CHECK]
    assert kusto_check(queries, "DeviceProcessEvents") == [[] for _ in queries]


def _seed_sigma() -> str:
    from converters.load import load_rule
    from converters.translate import translate_rule

    seed = ROOT / "rules" / "windows" / "execution_nodejs_susp_patterns.toml"
    return translate_rule(load_rule(seed)).sigma_yaml


@pytest.mark.parametrize("target,table,executor", [
    ("kusto-defender", "DeviceProcessEvents", defender_executor),
    ("kusto-sentinel", "imProcessCreate", sentinel_executor),
])
def test_seed_kusto_outputs_parse_and_run(kusto_check, target, table, executor):
    from converters.emit import emit

    queries = emit(_seed_sigma(), target).queries
    assert queries, f"no {target} query for the seed"
    assert kusto_check(queries, table) == [[] for _ in queries]
    for q in queries:
        executor().run(q, [])  # our evaluator accepts everything the target emits


STOCK_RULE = r"""
title: t
logsource: {category: process_creation, product: windows}
detection:
  a:
    Image|endswith: '\node.exe'
    OriginalFileName: node.exe
  b:
    CommandLine|contains|all: [eval(, atob(]
  c:
    Image: ['?:\Users\\*\AppData\\*\node.exe', 'C:\x.exe', 'C:\y.exe']
  d:
    CommandLine|re: '(?i)require.*child_process'
  e:
    ParentCommandLine: null
  condition: a and (b or c or d) and not e
"""


def test_stock_pysigma_kusto_output_parses_and_runs(kusto_check):
    """What pySigma's Kusto backend emits today (taxonomy fields only) is real Kusto and runs here."""
    from sigma.backends.kusto import KustoBackend
    from sigma.collection import SigmaCollection
    from sigma.pipelines.microsoftxdr import microsoft_xdr_pipeline

    [query] = KustoBackend(microsoft_xdr_pipeline()).convert(SigmaCollection.from_yaml(STOCK_RULE))
    assert kusto_check([query], "DeviceProcessEvents") == [[]]
    events = [
        {"FolderPath": "C:\\Users\\a\\AppData\\b\\node.exe", "ProcessVersionInfoOriginalFileName": "NODE.EXE",
         "ProcessCommandLine": "x", "InitiatingProcessCommandLine": "p"},
        {"FolderPath": "C:\\n\\node.exe", "ProcessVersionInfoOriginalFileName": "node.exe",
         "ProcessCommandLine": "eval(atob(1))", "InitiatingProcessCommandLine": "p"},
        {"FolderPath": "C:\\n\\node.exe", "ProcessVersionInfoOriginalFileName": "node.exe",
         "ProcessCommandLine": "REQUIRE('child_process')", "InitiatingProcessCommandLine": "p"},
        {"FolderPath": "C:\\n\\node.exe", "ProcessVersionInfoOriginalFileName": "node.exe",
         "ProcessCommandLine": "eval(atob(1))"},  # a string is never null: `not(isnull(...))` holds
        {"FolderPath": "C:\\n\\node.exe", "ProcessVersionInfoOriginalFileName": "node.exe",
         "ProcessCommandLine": "eval(1)", "InitiatingProcessCommandLine": "p"},
    ]
    assert defender_executor().run(query, events) == [0, 1, 2, 3]


@pytest.mark.parametrize("target,table", [("kusto-defender", "DeviceProcessEvents"), ("kusto-sentinel", "imProcessCreate")])
def test_correlation_outputs_are_real_kusto(kusto_check, target, table):
    """Each correlation type's query (union, extend, sort, prev, summarize, partition, scan) parses cleanly."""
    from converters.emit import emit
    from tests.emit.test_correlation_emit import COUNT, DISTINCT, ORDERED, RUNS, TEMPORAL

    queries = [emit(text, target).queries[0] for text in (ORDERED, RUNS, COUNT, DISTINCT, TEMPORAL)]
    assert kusto_check(queries, table) == [[] for _ in queries]


def test_a_defender_process_key_correlation_is_real_kusto(kusto_check):
    """The composite process key (device, PID, creation time: a long and a datetime packed with a string)
    types and parses against both tables' columns."""
    from converters.emit import emit
    from tests.emit.test_correlation_emit import PROCESS_THEN_CONNECTION

    query = emit(PROCESS_THEN_CONNECTION, "kusto-defender").queries[0]
    assert "pack_array(DeviceId, ProcessId, ProcessCreationTime)" in query
    assert kusto_check([query], ["DeviceProcessEvents", "DeviceNetworkEvents"]) == [[]]


def test_a_sentinel_process_guid_correlation_is_real_kusto(kusto_check):
    """The ASIM process-GUID keys, normalized with trim() (a verbatim regex), type and parse against the
    process-create and network-session tables' columns."""
    from converters.emit import emit
    from tests.emit.test_join_keys import sequence

    query = emit(sequence("process", "network", "ProcessGuid", "process.entity_id"), "kusto-sentinel").queries[0]
    assert 'trim(@"[{}]", tostring(TargetProcessGuid))' in query
    assert kusto_check([query], ["imProcessCreate", "imNetworkSession"]) == [[]]


def test_endpoint_queries_parse_against_the_platform_facts(kusto_check):
    """Every endpoint fixture rule's Defender and Sentinel query (file, registry with a computed
    path, network, DNS from DeviceEvents' dynamic AdditionalFields, library loads) is valid Kusto for
    Microsoft's analyser, given the tables' columns from the platform facts."""
    from converters.convert import convert_file

    checked = 0
    for path in sorted((ROOT / "tests" / "fixtures" / "endpoint").glob("*.toml")):
        conversion = convert_file(path, path.name, ["kusto-defender", "kusto-sentinel"])
        for target, query in conversion.outputs.items():
            table = query.split("\n", 1)[0].strip()
            assert kusto_check([query], table) == [[]], (path.name, target, query)
            checked += 1
    assert checked >= 10


def test_cidr_queries_parse(kusto_check):
    from converters.emit import emit

    rule = ("title: t\nlogsource: {category: network_connection, product: windows}\ndetection:\n  sel:\n"
            "    DestinationIp|cidr: ['10.0.0.0/8', 'fe80::/10']\n  condition: not sel\n")
    for target, table in (("kusto-defender", "DeviceNetworkEvents"), ("kusto-sentinel", "imNetworkSession")):
        assert kusto_check(emit(rule, target).queries, table) == [[]]
