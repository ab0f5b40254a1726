"""The seed Sigma rule on every target: the constructs that carry its meaning.

Each target is checked for its scope, every branch of the condition, and
how case and wildcards are handled; regexes are read back out of the
query and run (Python's re reads the PCRE/RE2 subset they use) against
values that must and must not match.
"""

from __future__ import annotations

import re

import eql
import pytest

from converters.emit import emit
from tests.emit.helpers import pcre, quoted_after, seed_yaml, unquote_backslashes
from tests.support import ROOT

# Values the seed's path and argv conditions must accept / refuse.
APPDATA_YES = [r"C:\Users\bob\AppData\Roaming\node.exe", r"c:\users\BOB\appdata\x\NODE.EXE"]
APPDATA_NO = [r"\\?\C:\Users\bob\AppData\x\node.exe", r"C:\Program Files\nodejs\node.exe"]
DEVICE_YES = [r"\Device\HarddiskVolume3\\Users\bob\AppData\x\node.exe"]
DEVICE_NO = [r"\Device\HarddiskVolume12\\Users\bob\AppData\x\node.exe",
             r"\Device\HarddiskVolume3\Users\bob\AppData\x\node.exe"]
ARG_R_YES = ["node -r x.js", 'node.exe "-R" y', "node -r"]
ARG_R_NO = ["node -rf x", "node --r x", "node x-r"]
ARG_JS_YES = [r"node C:\a\app.JS", r'node "C:\my dir\x.js" --flag']
ARG_JS_NO = ["node x.json", "node x.jsx --y"]


def _check(regex: re.Pattern, yes, no):
    for v in yes:
        assert regex.search(v), (regex.pattern, v)
    for v in no:
        assert not regex.search(v), (regex.pattern, v)


def _notes(emitted):
    return {(n.code, n.field) for n in emitted.notes}


@pytest.fixture(scope="module")
def out():
    text = seed_yaml()
    return {t: emit(text, t) for t in (
        "sigma", "splunk", "splunk-cim", "lucene", "eql", "esql", "kibana-kql", "kusto-defender", "kusto-sentinel")}


def test_sigma_target_is_the_rule_unchanged(out):
    assert out["sigma"].queries == [seed_yaml()]
    assert out["sigma"].notes == []


# --- Splunk -----------------------------------------------------------------

def _rex(query: str) -> dict[str, tuple[str, re.Pattern]]:
    """group-name -> (field, compiled regex) for each `| rex field=F "(?<G>re)"` line."""
    found = {}
    for m in re.finditer(r'^\| rex field=(\S+) "\(\?<(\w+)>(.*)\)"$', query, re.M):
        found[m.group(2)] = (m.group(1), pcre(unquote_backslashes(m.group(3))))
    return found


def test_splunk_scope_is_the_base_search(out):
    q = out["splunk"].queries[0]
    assert q.splitlines()[0] == 'source="XmlWinEventLog:Microsoft-Windows-Sysmon/Operational" EventCode=1'


def test_splunk_condition_is_fully_parenthesised(out):
    search = out["splunk"].queries[0].splitlines()[-1]
    assert search.startswith("| search (Image=\"*\\\\node.exe\" OR OriginalFileNameCondition=\"true\") AND (")
    # the AND inside each OR branch is grouped: SPL would otherwise bind OR first
    assert '((ImageCondition="true" OR ImageCondition2="true") AND CommandLineCondition="true")' in search
    assert '(CommandLineCondition2="true" AND ParentImage="*\\\\powershell.exe")' in search
    assert 'CommandLine IN ("*eval(*", "*atob(*", "*require*child_process*")' in search
    assert "code_signature" not in out["splunk"].queries[0]


def test_splunk_regexes_carry_case_and_wildcards(out):
    rex = _rex(out["splunk"].queries[0])
    field, ofn = rex["OriginalFileNameMatch"]
    assert field == "OriginalFileName"
    assert ofn.search("node.exe") and not ofn.search("NODE.EXE") and not ofn.search("xnode.exe")  # |cased, exact
    assert rex["ImageMatch"][0] == "Image"
    _check(rex["ImageMatch"][1], APPDATA_YES, APPDATA_NO)
    _check(rex["ImageMatch2"][1], DEVICE_YES, DEVICE_NO)
    assert rex["CommandLineMatch"][0] == "CommandLine"
    _check(rex["CommandLineMatch"][1], ARG_JS_YES, ARG_JS_NO)
    _check(rex["CommandLineMatch2"][1], ARG_R_YES, ARG_R_NO)


def test_splunk_notes(out):
    assert _notes(out["splunk"]) == {
        ("emit/branch-dropped", "process.code_signature.subject_name"),
        ("emit/field-approximated", "process.args"),
        ("emit/not-recorded", "event.type"),   # Sysmon records no fork (a Linux process start)
    }
    assert all(n.target == "splunk" for n in out["splunk"].notes)


def test_splunk_cim_tstats(out):
    q = out["splunk-cim"].queries[0]
    head = q.splitlines()[0]
    assert head.startswith("| tstats ") and "from datamodel=Endpoint.Processes" in head
    # regex flags are computed after tstats, so `where` cannot hold the boolean (both top-level
    # conjuncts hold a regex); every field the later stages test is grouped by
    assert " where " not in head and " by Processes." in head
    assert all(f in head.split(" by ")[1].split() for f in (
        "Processes.original_file_name", "Processes.process_path", "Processes.process",
        "Processes.process_name", "Processes.parent_process_name"))
    search = q.splitlines()[-1]
    assert search.startswith('| search (Processes.process_name="node.exe" OR original_file_nameCondition="true")')
    assert 'Processes.parent_process_name="powershell.exe"' in search
    assert "IN (" not in q  # tstats-safe plain terms
    rex = _rex(q)
    assert rex["processMatch2"][0] == "Processes.process"
    _check(rex["processMatch2"][1], ARG_R_YES, ARG_R_NO)
    _check(rex["process_pathMatch"][1], APPDATA_YES, APPDATA_NO)
    assert ("emit/scope-widened", "host.os.type") in _notes(out["splunk-cim"])


# --- Elastic ----------------------------------------------------------------

def test_lucene_scope_and_caseless(out):
    q = out["lucene"].queries[0]
    assert q.startswith("(event.category:process AND (event.type:(start OR process_started)) AND host.os.type:windows) AND (")
    assert "process.name.caseless:node.exe" in q
    assert "process.parent.name.caseless:powershell.exe" in q
    assert r"process.executable.caseless:(?\:\\users\\*\\appdata\\*\\node.exe OR " \
           r"\\device\\harddiskvolume?\\\\users\\*\\appdata\\*\\node.exe)" in q
    assert r"process.command_line.caseless:(*eval\(* OR *atob\(* OR *require*child_process*)" in q
    # |cased: the keyword field itself, value as written
    assert "process.pe.original_file_name:node.exe" in q
    assert [n.code for n in out["lucene"].notes] == ["emit/scope-narrowed"]   # Defend's data stream only


def test_lucene_regexes_for_fields_without_caseless(out):
    q = out["lucene"].queries[0]
    found = re.findall(r"([\w.]+):/((?:[^/\\]|\\.)*)/", q)
    assert [f for f, _ in found] == ["process.code_signature.subject_name", "process.args", "process.args"]
    signer, js, r = (regex for _, regex in found)
    # Lucene regexes match the whole term
    assert re.fullmatch(signer, "openjs FOUNDATION") and not re.fullmatch(signer, "OpenJS Foundation Inc")
    assert re.fullmatch(js, "x.JS") and not re.fullmatch(js, "x.json")
    assert re.fullmatch(r, "-R") and not re.fullmatch(r, "-rf")


def test_eql_parses_and_keeps_case_operators(out):
    q = out["eql"].queries[0]
    with eql.parser.elasticsearch_syntax, eql.parser.ignore_missing_functions:
        eql.parse_query(q)
    assert q.startswith('process where ((event.type == "start" or event.type == "process_started") and host.os.type == "windows") and (')
    assert 'process.name:"node.exe"' in q and 'process.parent.name:"powershell.exe"' in q
    assert 'process.pe.original_file_name == "node.exe"' in q
    assert 'process.code_signature.subject_name:"OpenJS Foundation"' in q
    # the same spelling as the original rule's process.executable : (...)
    assert r'process.executable:("?:\\Users\\*\\AppData\\*\\node.exe", ' \
           r'"\\Device\\HarddiskVolume?\\\\Users\\*\\AppData\\*\\node.exe")' in q
    assert 'process.args:"*.js"' in q and 'process.args:"-r"' in q
    assert ".caseless" not in q
    assert [n.code for n in out["eql"].notes] == ["emit/scope-narrowed"]


def test_esql_query(out):
    q = out["esql"].queries[0]
    first, second = q.splitlines()
    assert first == "FROM logs-endpoint.events.process-*"
    assert second.startswith("| WHERE ")
    assert 'host.os.type == "windows"' in q
    assert 'process.name.caseless == "node.exe"' in q
    assert 'process.pe.original_file_name == "node.exe"' in q
    assert 'TO_LOWER(process.code_signature.subject_name) == "openjs foundation"' in q
    # LIKE pattern escapes `\` once, the string literal once more
    like = quoted_after(q, "process.executable.caseless LIKE ")
    # after the literal: each real backslash is `\\` in the pattern; `?` and `*` stay wildcards
    assert [unquote_backslashes(p) for p in like] == [
        r"?:\\users\\*\\appdata\\*\\node.exe",
        r"\\device\\harddiskvolume?\\\\users\\*\\appdata\\*\\node.exe",
    ]


def test_esql_args_any_element(out):
    q = out["esql"].queries[0]
    patterns = [unquote_backslashes(p) for p in quoted_after(q, 'TO_LOWER(MV_CONCAT(process.args, "\\n")) RLIKE ')]
    assert len(patterns) == 2
    js, r = (re.compile(p, re.S) for p in patterns)
    joined = lambda args: "\n".join(a.lower() for a in args)  # noqa: E731
    assert js.fullmatch(joined(["node.exe", "App.JS", "--x"])) and not js.fullmatch(joined(["node", "x.json"]))
    assert r.fullmatch(joined(["node", "-R", "a"])) and not r.fullmatch(joined(["node", "-rf"]))
    assert ("emit/array-joined", "process.args") in _notes(out["esql"])


def test_kibana_kql_seed(out):
    q = out["kibana-kql"].queries[0]
    assert q.startswith('(event.category:"process" and (event.type:("start" or "process_started")) and host.os.type:"windows") and (')
    assert 'process.name.caseless:"node.exe"' in q
    assert 'process.args:("-r" or "-R")' in q
    assert "process.args:(*.js or *.jS or *.Js or *.JS)" in q
    assert 'process.pe.original_file_name:"node.exe"' in q
    assert r"process.executable.caseless:(*\:\\users\\*\\appdata\\*\\node.exe or " in q
    notes = _notes(out["kibana-kql"])
    assert ("emit/case-narrowed", "process.code_signature.subject_name") in notes
    assert ("emit/wildcard-widened", "process.executable.caseless") in notes


# --- Kusto ------------------------------------------------------------------

def _kusto_regexes(q: str, field: str) -> list[re.Pattern]:
    return [pcre(unquote_backslashes(p)) for p in quoted_after(q, f"{field} matches regex ")]


def test_kusto_defender(out):
    q = out["kusto-defender"].queries[0]
    assert q.splitlines()[0] == "DeviceProcessEvents"
    # the table's own column first, then the rule
    assert q.splitlines()[1] == '| where ActionType == "ProcessCreated"'
    assert q.splitlines()[2].startswith("| where (")
    assert '(FileName =~ "node.exe" or ProcessVersionInfoOriginalFileName == "node.exe")' in q
    assert 'InitiatingProcessFileName =~ "powershell.exe"' in q
    assert 'ProcessCommandLine contains "eval("' in q
    appdata, device = _kusto_regexes(q, "FolderPath")
    _check(appdata, APPDATA_YES, APPDATA_NO)
    _check(device, DEVICE_YES, DEVICE_NO)
    js, r, inner = _kusto_regexes(q, "ProcessCommandLine")
    _check(js, ARG_JS_YES, ARG_JS_NO)
    _check(r, ARG_R_YES, ARG_R_NO)
    _check(inner, ["x REQUIRE('child_process')"], ["child_process require"])
    assert _notes(out["kusto-defender"]) >= {
        ("emit/branch-dropped", "process.code_signature.subject_name"),
        ("emit/field-approximated", "process.args"), ("emit/scope-widened", "host.os.type")}


def test_kusto_sentinel(out):
    q = out["kusto-sentinel"].queries[0]
    assert q.splitlines()[0] == "imProcessCreate"
    assert q.splitlines()[1] == '| where EventType == "ProcessCreated" and DvcOs =~ "Windows"'
    assert 'TargetProcessName endswith "\\\\node.exe"' in q
    assert 'TargetProcessFileOriginalName == "node.exe"' in q
    assert 'ActingProcessName endswith "\\\\powershell.exe"' in q
    appdata, device = _kusto_regexes(q, "TargetProcessName")
    _check(appdata, APPDATA_YES, APPDATA_NO)
    _check(device, DEVICE_YES, DEVICE_NO)
    assert "code_signature" not in q


def test_every_target_keeps_every_branch(out):
    """Each of the seed's alternatives leaves a trace in every query language."""
    marks = {
        "splunk": ["node.exe", "AppData", "powershell.exe", "eval("],
        "splunk-cim": ["node.exe", "AppData", "powershell.exe", "eval("],
        "lucene": ["node.exe", "appdata", "powershell.exe", "eval"],
        "eql": ["node.exe", "AppData", "powershell.exe", "eval("],
        "esql": ["node.exe", "appdata", "powershell.exe", "eval("],
        "kibana-kql": ["node.exe", "appdata", "powershell.exe", "eval"],
        "kusto-defender": ["node.exe", "AppData", "powershell.exe", "eval("],
        "kusto-sentinel": ["node.exe", "AppData", "powershell.exe", "eval("],
    }
    for target, words in marks.items():
        q = out[target].queries[0]
        assert len(out[target].queries) == 1
        for w in words:
            assert w in q, (target, w)


def test_docs_show_the_current_seed_outputs(out):

    docs = (ROOT / "docs" / "targets.md").read_text(encoding="utf-8")
    for target, emitted in out.items():
        if target != "sigma":
            assert f"### {target}\n\n```\n{emitted.queries[0]}\n```" in docs, target
