"""The translation keeps the rule's meaning: each Sigma rule is run for real (pySigma's sqlite
backend in SQLite) next to the original query (ruleport's EQL and KQL evaluators) on the same
events, and every difference must be one a declared note's `affects` explains, and no other."""

from __future__ import annotations

import pytest
import yaml

from converters.emit import emit
from converters.eql.evaluator import EqlExecutor
from converters.errors import TranslationError
from converters.kql.evaluator import KibanaKqlExecutor
from converters.load import load_rule
from converters.notes import LESS
from converters.prove.explain import explaining_note, holds
from converters.sqlite.executor import SigmaSqliteExecutor
from converters.translate import translate_rule
from converters.translate.values import lucene_regex_to_sigma


def translate(tmp_path, query, language="eql", tags="[]"):
    path = tmp_path / "r.toml"
    path.write_text("\n".join([
        "[metadata]", 'creation_date = "2024/01/02"', 'maturity = "production"', 'updated_date = "2024/01/02"',
        "[rule]", 'author = ["Elastic"]', 'description = "d"', f'language = "{language}"', 'name = "n"',
        "risk_score = 21", 'rule_id = "00000000-0000-4000-8000-000000000003"', 'severity = "low"',
        f'type = "{"eql" if language == "eql" else "query"}"', f"tags = {tags}",
        f"query = '''\n{query}\n'''"]) + "\n")
    return translate_rule(load_rule(path))


def original(query, language, events):
    executor = EqlExecutor() if language == "eql" else KibanaKqlExecutor()
    return executor.run(query, events)


def check(tmp_path, query, events, language="eql", exact=True, target="sigma"):
    """Run both; every difference needs a note explaining it (and none may exist when `exact`).

    target "sigma": the Sigma rule itself in SQLite (flat events only); "eql": the Sigma rule
    emitted for Elastic EQL (arrays, addresses), run by the EQL evaluator."""
    result = translate(tmp_path, query, language)
    want = set(original(query, language, events))
    notes = list(result.notes)
    if target == "sigma":
        got = set(SigmaSqliteExecutor().run(result.sigma_yaml, events))
    else:
        emitted = emit(result.sigma_yaml, target)
        notes += emitted.notes
        got = set().union(*(EqlExecutor().run(q, events) for q in emitted.queries))
    unexplained = [i for i in sorted(want ^ got)
                   if explaining_note(notes, events[i], i in want, i in got) is None]
    assert unexplained == [], (result.sigma_yaml, [events[i] for i in unexplained])
    if exact:
        assert want == got, result.sigma_yaml
    return result, want, got


# --- length(): exact regexes on the number of characters -------------------------

LENGTHS = [{"f.v": "x" * n} for n in range(0, 8)] + [{"f.v": "ab\ncd"}, {"f.v": "a\n"}, {"other": 1}]


@pytest.mark.parametrize("op, n", [(">", 3), (">=", 3), ("<", 3), ("<=", 3), ("==", 3), ("!=", 3),
                                   ("==", 0), (">", 0), ("!=", 0), ("<", 1), ("<=", 0), (">", 2.5), ("<", 2.5)])
def test_length_comparisons_are_exact(tmp_path, op, n):
    check(tmp_path, f"any where length(f.v) {op} {n}", LENGTHS)
    check(tmp_path, f"any where not length(f.v) {op} {n}", LENGTHS)
    check(tmp_path, f"any where {n} {'<' if op == '>' else '>' if op == '<' else op} length(f.v)", LENGTHS) \
        if op in ("<", ">", "==", "!=") else None


def test_length_with_arithmetic_on_constants(tmp_path):
    result, _, _ = check(tmp_path, "any where length(f.v) > 2 * 3 - 2", LENGTHS)
    assert yaml.safe_load(result.sigma_yaml)["detection"]["selection_1"] == {"f.v|re|s": "^.{5,}"}


def test_length_of_a_name_keeps_the_name_field(tmp_path):
    result = translate(tmp_path, 'file where host.os.type == "windows" and not length(file.name) > 30')
    det = yaml.safe_load(result.sigma_yaml)["detection"]
    assert det["filter_1"] == {"file.name|re|s": "^.{31,}"}


def test_length_of_an_array_is_noted_exactly(tmp_path):
    # Elasticsearch's script reads the smallest value of an array; Sigma reads each element
    events = [{"process.args": ["a", "bbbb"]}, {"process.args": ["bbbb", "cccc"]}, {"process.args": ["a"]},
              {"process.args": ["", "x"]}, {"process.args": ["zzzzz", "a"]}]
    result, want, got = check(tmp_path, "any where length(process.args) > 3", events, exact=False, target="eql")
    assert want != got  # the array events differ, each explained by the note
    note = next(n for n in result.notes if n.code == "translate/array-script")
    assert [holds(note.affects.condition, {"process.args": e["process.args"]}) for e in events] == \
        [True, False, False, False, True]


def test_unstatable_expressions_name_the_construct(tmp_path):
    for query, words in [("any where length(substring(f.v, 1)) > 2", "substring(f.v, 1)"),
                         ("any where startsWith(a.b, c.d)", "case-sensitive"),
                         ("any where stringContains~(a.b, c.d)", "stringContains"),
                         ('any where user.id >= "1000"', "orders text"),
                         ("any where length(f.v) < 0", "never holds")]:
        with pytest.raises(TranslationError) as err:
            translate(tmp_path, query)
        assert err.value.code == "translate/unsupported-expression" and words in err.value.message, query


def test_case_insensitive_affix_of_another_field_is_a_field_reference(tmp_path):
    result = translate(tmp_path, 'any where startswith~(user.domain, host.name) and not endswith~(a.b, c.d)')
    det = yaml.safe_load(result.sigma_yaml)["detection"]
    assert det["selection_1"] == {"user.domain|fieldref|startswith": "host.name"}
    assert det["filter_1"] == {"a.b|fieldref|endswith": "c.d"}


def test_field_references_keep_name_fields(tmp_path):
    result = translate(tmp_path, 'process where host.os.type == "windows" and event.type == "start" '
                                 "and process.name == process.parent.name")
    det = yaml.safe_load(result.sigma_yaml)["detection"]
    assert det["selection_1"]["process.name|fieldref"] == "process.parent.name"


# --- exists-checks: the field itself ---------------------------------------------------

def test_name_exists_is_the_name_not_the_path(tmp_path):
    for query, language in [('process where host.os.type == "windows" and event.type == "start" and '
                             'process.name != null', "eql"),
                            ("event.category:process and event.type:start and host.os.type:windows and "
                             "process.name:*", "kuery")]:
        det = yaml.safe_load(translate(tmp_path, query, language).sigma_yaml)["detection"]
        assert det["selection_1"]["process.name|exists"] is True
        assert "Image|exists" not in yaml.safe_dump(det)
    det = yaml.safe_load(translate(tmp_path, 'process where host.os.type == "windows" and event.type == "start" '
                                             "and process.executable == null").sigma_yaml)["detection"]
    assert det["selection_1"] == {"event.type|cased": "start", "Image": None}


def test_null_checks_run_like_the_original(tmp_path):
    events = [{"a.b": "x"}, {"a.b": ""}, {"c": 1}, {"a.b": ["p", "q"]}]
    for query in ("any where a.b != null", "any where a.b == null", 'any where a.b in ("x", null)'):
        check(tmp_path, query, events[:3])
        check(tmp_path, query, events, target="eql")


# --- the logsource keeps the scope's meaning -----------------------------------------

def _sigma(result):
    return yaml.safe_load(result.sigma_yaml)


@pytest.mark.parametrize("scope, kept, noted", [
    ('event.type in ("start", "process_started")', None, False),
    ('event.type == "start"', {"event.type|cased": "start"}, False),
    ('event.type : "start"', {"event.type": "start"}, True),
    ('event.type == "end"', {"event.type|cased": "end"}, True),
    ('event.action == "exec"', {"event.action|cased": "exec"}, True),
])
def test_process_starts_in_the_logsource(tmp_path, scope, kept, noted):
    result = translate(tmp_path, f'process where host.os.type == "linux" and {scope} and process.pid == 1')
    doc = _sigma(result)
    assert doc["logsource"] == {"category": "process_creation", "product": "linux"}
    sel = doc["detection"]["selection_1"]
    assert {k: v for k, v in sel.items() if k != "ProcessId"} == (kept or {})
    notes = [n for n in result.notes if n.code == "translate/logsource-narrowed"]
    assert bool(notes) is noted
    for n in notes:
        assert n.affects.direction == LESS
        assert n.affects.condition == {"not": {"field": "event.type", "eq": ["process_started", "start"]}}


def test_process_started_events_reach_the_elastic_targets(tmp_path):
    """The emitted EQL (emit's Elastic scope + the translation) matches what the original matches."""
    events = [{"event": {"category": ["process"], "type": [t]}, "host": {"os": {"type": "linux"}},
               "process": {"name": "curl", "executable": "/usr/bin/curl"}}
              for t in ("start", "process_started", "end", "START")]
    for scope in ('event.type in ("start", "process_started")', 'event.type == "start"',
                  'event.type : "start"', 'event.type in~ ("start", "process_started")'):
        query = f'process where host.os.type == "linux" and {scope} and process.name == "curl"'
        result = translate(tmp_path, query)
        emitted = emit(result.sigma_yaml, "eql").queries
        got = set().union(*(EqlExecutor().run(q, events) for q in emitted))
        want = set(EqlExecutor().run(query, events))
        assert got <= want, (scope, emitted)
        for i in want - got:  # only case variants of the scope, explained by the note
            assert explaining_note(result.notes, events[i], True, False) is not None, (scope, events[i])


def test_os_tested_ignoring_case_is_noted(tmp_path):
    result = translate(tmp_path, 'process where host.os.type : "Windows" and event.type == "start" and '
                                 "process.pid == 4")
    assert _sigma(result)["logsource"]["product"] == "windows"
    note = next(n for n in result.notes if n.field == "host.os.type")
    assert note.affects.condition == {"not": {"field": "host.os.type", "eq": ["windows"]}}
    exact = translate(tmp_path, 'process where host.os.type == "windows" and event.type == "start" and '
                                "process.pid == 4")
    assert not any(n.field == "host.os.type" for n in exact.notes)


def test_product_from_a_tag_states_what_it_drops(tmp_path):
    result = translate(tmp_path, 'file where file.path : "/etc/x"', tags='["OS: Linux"]')
    note = next(n for n in result.notes if n.code == "translate/product-from-tag")
    assert note.affects.direction == LESS
    assert holds(note.affects.condition, {"host.os.type": ["windows"]})
    assert holds(note.affects.condition, {})
    assert not holds(note.affects.condition, {"host.os.type": ["linux"]})


def test_unmapped_event_category_stays_a_condition(tmp_path):
    result = translate(tmp_path, 'iam where event.action == "added-member-to-group"')
    doc = _sigma(result)
    assert doc["detection"]["selection_1"]["event.category|cased"] == "iam"
    events = [{"event.category": ["iam"], "event.action": "added-member-to-group"},
              {"event.category": ["process"], "event.action": "added-member-to-group"}]
    check(tmp_path, 'iam where event.action == "added-member-to-group"', events, target="eql")


def test_event_category_ignoring_case_is_noted(tmp_path):
    result = translate(tmp_path, 'any where event.category : "file" and file.path : "/x"')
    assert _sigma(result)["logsource"]["category"] == "file_event"
    assert any(n.code == "translate/logsource-narrowed" and n.field == "event.category" for n in result.notes)


# --- name fields on a rule naming no OS ---------------------------------------------

def test_a_name_without_an_os_matches_either_separator(tmp_path):
    det = _sigma(translate(tmp_path, 'process where event.type == "start" and process.name == "curl" and '
                                     'process.parent.name : "py*"'))["detection"]["selection_1"]
    assert det["Image|endswith|cased"] == ["\\curl", "/curl"]
    assert det["ParentImage|re|i"] == ["(?:^|\\\\)py[^\\\\]*$", "(?:^|/)py[^/]*$"]


def test_a_name_regex_that_can_cross_a_separator_stays_on_the_name(tmp_path):
    det = _sigma(translate(tmp_path, 'process where host.os.type == "windows" and event.type == "start" and '
                                     'process.name regex "a.b" and process.parent.name regex~ ".*\\\\.exe"'))
    sel = det["detection"]["selection_1"]
    assert sel["process.name|re"] == lucene_regex_to_sigma("a.b", False)
    assert sel["ParentImage|re"] == lucene_regex_to_sigma(".*\\.exe", True, "\\")


# --- KQL: values typed by the field's ECS type ---------------------------------------

def test_kql_numbers_booleans_and_addresses_keep_their_type(tmp_path):
    result = translate(tmp_path, 'event.category:process and event.type:start and host.os.type:linux and '
                                 'process.args_count:2 and process.parent.pid:"1" and '
                                 'process.code_signature.trusted:false and source.ip:(10.0.0.0/8 or "::1") and '
                                 'labels.flag:true and event.code:4624', "kuery")
    sel = _sigma(result)["detection"]["selection_1"]
    assert sel["process.args_count"] == 2 and sel["ParentProcessId"] == 1
    assert sel["process.code_signature.trusted"] is False and sel["labels.flag"] is True
    assert sel["source.ip|cidr"] == ["10.0.0.0/8", "::1/128"]
    single = _sigma(translate(tmp_path, "source.ip:127.0.0.1", "kuery"))["detection"]["selection_1"]
    assert single == {"source.ip": "127.0.0.1"}
    assert sel["event.code"] == "4624"   # a keyword: text
    lucene = emit(translate(tmp_path, "event.category:process and event.type:start and process.args_count:2 and "
                                      'process.parent.pid:"1"', "kuery").sigma_yaml, "lucene").queries[0]
    assert "process.args_count:2" in lucene and "process.parent.pid:1" in lucene


def test_kql_typed_values_run_like_the_original(tmp_path):
    events = [{"source.ip": "10.1.2.3"}, {"source.ip": "::1"}, {"source.ip": "192.168.0.1"},
              {"process.args_count": 2}, {"process.args_count": 3}, {"destination.port": 443}]
    check(tmp_path, 'source.ip:(10.0.0.0/8 or "::1")', events, "kuery")
    # addresses, not their spelling (pySigma's sqlite backend compares IPv6 blocks as text; Elastic does not)
    spelled = events + [{"source.ip": "0:0:0:0:0:0:0:1"}, {"source.ip": "10.0.0.255"}]
    check(tmp_path, 'source.ip:(10.0.0.0/8 or "::1")', spelled, "kuery", target="eql")
    check(tmp_path, "process.args_count:2", events, "kuery")
    check(tmp_path, "destination.port >= 400", events, "kuery")


@pytest.mark.parametrize("query, words", [
    ("process.args_count:2*", "long field"),
    ("process.args_count:two", "rejects"),
    ("source.ip:10.*", "wildcard"),
    ("source.ip:localhost", "not an address"),
    ("process.code_signature.trusted:yes", "boolean field"),
    ("event.code >= 4624", "orders as text"),
    ("azure.x.*:value", "names no ECS field"),
])
def test_kql_values_a_field_cannot_hold_are_refused(tmp_path, query, words):
    with pytest.raises(TranslationError) as err:
        translate(tmp_path, query, "kuery")
    assert words in err.value.message


def test_kql_wildcard_field_names_expand_to_ecs_fields(tmp_path):
    result = translate(tmp_path, "file.hash.*:* and event.action:x", "kuery")
    doc = _sigma(result)
    assert set(yaml.safe_dump(doc["detection"]).split()) >= {"file.hash.md5|exists:", "file.hash.sha256|exists:"}
    assert any(n.code == "translate/field-pattern" for n in result.notes)


# --- KQL text fields: the note says exactly where Sigma's |contains differs -----------

PS = "powershell.file.script_block_text"
SCRIPTS = ["Set-PSBreakpoint -x", "set-psbreakpoint", "Set-PSBreakpointX", "xSet-PSBreakpoint",
           "a [Ref] . Assembly.GetType(1)", "[Ref].Assembly.GetType(", "Ref.Assembly", "nothing here",
           "VirtualAlloc(", "virtualallocex", "Invoke-Expression", "DumpCreds and DumpCerts", "dumpcreds"]


@pytest.mark.parametrize("value", ['"Set-PSBreakpoint"', '"[Ref].Assembly.GetType("', "VirtualAlloc",
                                   "Virtual*", "*Alloc*", "(DumpCreds and DumpCerts)", '"::"'])
def test_powershell_text_notes_are_exact(tmp_path, value):
    events = [{PS: s} for s in SCRIPTS] + [{"other": "x"}]
    query = f"{PS}:{value}"
    try:
        result = translate(tmp_path, query, "kuery")
    except TranslationError:
        pytest.fail(query)
    want = set(original(query, "kuery", events))
    got = set(SigmaSqliteExecutor().run(result.sigma_yaml, events))
    notes = [n for n in result.notes if n.code == "translate/text-field"]
    assert len(notes) == 1
    where = notes[0].affects.condition
    # the condition holds exactly on the events whose verdicts differ
    assert [i for i, e in enumerate(events) if holds(where, {k: [v] for k, v in e.items()})] == sorted(want ^ got)


def test_standard_text_notes_bound_the_differences(tmp_path):
    messages = ["segfault at 0", "Segfault", "xsegfaultx", "seg fault", "a kernel: segfault", "nothing",
                "module verification failed: signature and/or required key missing", "failed signature"]
    events = [{"message": m} for m in messages]
    for value in ("segfault", '"verification failed"', "seg*", "(segfault and kernel)"):
        query = f"message:{value}"
        result, want, got = check(tmp_path, query, events, "kuery", exact=False)
        where = next(n for n in result.notes if n.code == "translate/text-field").affects.condition
        # a bound: never holds on an event holding none of the words
        assert not holds(where, {"message": ["nothing"]}), value
