"""Event synthesis (converters/prove/synthesize.py), construct by construct.

Every test judges the events with the rule's own evaluator over the Elastic
rendering (what `ruleport test` runs as the original column), and every
event with tests/prove/consistency.py, which is written apart from the
synthesizer.
"""

from __future__ import annotations

import ipaddress

import pytest

from converters.eql.evaluator import EqlExecutor
from converters.kql.evaluator import KibanaKqlExecutor
from converters.load import RuleFile, load_rule
from converters.platforms.models import ELASTIC
from converters.prove.synthesize import SynthesisError, synthesize, synthesize_cases
from tests.prove.synthesis_checks import problems
from tests.support import SEED_RULE


def make_rule(query: str, language: str = "eql", kind: str | None = None, **extra) -> RuleFile:
    rule = {"language": language, "type": kind or ("eql" if language == "eql" else "query"), "query": query, **extra}
    return RuleFile(path="rule.toml", text="", data={"rule": rule})


def hard_problems(event: dict) -> list[str]:
    """Inconsistencies real data never has (argv[0] naming another program can happen: symlinks)."""
    return [p for p in problems(event) if not p.startswith("soft:")]


def verdicts(rule: RuleFile, events: list[dict]) -> list[bool]:
    language, query = rule.rule["language"], rule.rule["query"]
    executor = EqlExecutor() if language == "eql" else KibanaKqlExecutor()
    docs, _ = ELASTIC.records(events)
    hits = set(executor.run(query, docs))
    return [i in hits for i in range(len(events))]


def cases_of(query: str, language: str = "eql", **kw):
    rule = make_rule(query, language, **kw.pop("rule_extra", {}))
    fixtures = synthesize_cases(rule, **kw)
    real = verdicts(rule, fixtures.events)
    for case, verdict in zip(fixtures.cases, real):
        assert verdict == case.expect, f"{case.kind}: {case.why}: built for {case.expect}, evaluated {verdict}"
        assert hard_problems(case.event) == [], (case.why, problems(case.event))
    return fixtures


def values_of(fixtures, path: str, matched: bool | None = None) -> list:
    out = []
    for case in fixtures.cases:
        if matched is not None and case.expect != matched:
            continue
        node = case.event
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node is not None:
            out.append(node)
    return out


def whys(fixtures, kind: str | None = None) -> list[str]:
    return [c.why for c in fixtures.cases if kind is None or c.kind == kind]


# --- the seed rule ---------------------------------------------------------------------------

def test_seed_rule_every_branch_matched_and_every_label_holds():
    rule = load_rule(SEED_RULE)
    fixtures = synthesize_cases(rule)
    assert fixtures.synthesis.branches == 9
    assert fixtures.synthesis.covered == 9
    assert fixtures.verdicts == verdicts(rule, fixtures.events)
    assert [c.expect for c in fixtures.cases] == fixtures.verdicts
    assert any(fixtures.verdicts) and not all(fixtures.verdicts)
    for case in fixtures.cases:
        assert hard_problems(case.event) == [], case.why
        if case.kind == "positive":
            assert problems(case.event) == [], case.why


def test_same_seed_same_events_other_seed_other_events():
    rule = load_rule(SEED_RULE)
    assert synthesize(rule, seed=3) == synthesize(rule, seed=3)
    assert synthesize(rule, seed=3) != synthesize(rule, seed=4)


def test_count_keeps_a_match_and_a_non_match():
    rule = load_rule(SEED_RULE)
    for count in (2, 5, 12):
        fixtures = synthesize_cases(rule, count=count)
        assert len(fixtures.cases) == count
        assert any(fixtures.verdicts) and not all(fixtures.verdicts)
    one = synthesize_cases(rule, count=1)
    assert one.verdicts == [True]


def test_timestamps_increase():
    events = synthesize(load_rule(SEED_RULE), count=6)
    stamps = [e["@timestamp"] for e in events]
    assert stamps == sorted(stamps) and len(set(stamps)) == 6


# --- case sensitivity ----------------------------------------------------------------------

def test_case_sensitive_equality_gets_a_case_variant_near_miss():
    fx = cases_of('process where process.name == "cmd.exe"')
    misses = values_of(fx, "process.name", matched=False)
    assert "CMD.exe" in misses or "Cmd.exe" in misses
    assert any("case variant" in w for w in whys(fx, "near-miss"))


def test_case_insensitive_match_gets_a_case_variant_positive():
    fx = cases_of('process where process.name : "cmd.exe"')
    matched = values_of(fx, "process.name", matched=True)
    assert any(v != "cmd.exe" and v.lower() == "cmd.exe" for v in matched)
    assert not any("case variant" in w for w in whys(fx, "near-miss"))


@pytest.mark.parametrize("op,sensitive", [("in", True), ("in~", False)])
def test_set_membership_case(op, sensitive):
    fx = cases_of(f'process where process.name {op} ("a.exe", "b.exe")')
    folded = [v for v in values_of(fx, "process.name", matched=not sensitive) if v.lower() in ("a.exe", "b.exe")
              and v not in ("a.exe", "b.exe")]
    assert folded, "a case variant on the side its operator puts it"
    assert {"a.exe", "b.exe"} <= set(values_of(fx, "process.name", matched=True)), "every alternative matched"


def test_kql_keyword_is_case_sensitive_and_caseless_is_not():
    fx = cases_of('process.name:"cmd.exe"', language="kuery")
    assert any(v.lower() == "cmd.exe" and v != "cmd.exe" for v in values_of(fx, "process.name", matched=False))
    fx = cases_of('process.name.caseless:"cmd.exe"', language="kuery")
    assert any(v.lower() == "cmd.exe" and v != "cmd.exe" for v in values_of(fx, "process.name", matched=True))


# --- wildcards -------------------------------------------------------------------------------

def test_question_mark_with_zero_and_two_characters():
    fx = cases_of('file where file.path like "C:\\\\Temp\\\\?.dll"')
    misses = values_of(fx, "file.path", matched=False)
    assert "C:\\Temp\\.dll" in misses
    assert any(len(m) == len("C:\\Temp\\ab.dll") and m.startswith("C:\\Temp\\") for m in misses)


def test_star_matching_nothing_and_anchors():
    fx = cases_of('process where process.command_line : "*-enc *"')
    lines = values_of(fx, "process.command_line", matched=True)
    assert any(line.endswith("-enc ") for line in lines), "the trailing * empty"
    fx = cases_of('process where process.executable : "C:\\\\Windows\\\\*\\\\evil.exe"')
    misses = values_of(fx, "process.executable", matched=False)
    assert any(not m.startswith("C:\\Windows") for m in misses), "text before an anchored start"
    assert any(m.endswith("evil.exex") for m in misses), "text after an anchored end"


def test_kql_wildcard_value():
    fx = cases_of("process.executable:*\\\\AppData\\\\*", language="kuery")
    assert all("\\AppData\\" in v for v in values_of(fx, "process.executable", matched=True))


# --- regexes ------------------------------------------------------------------------------------

@pytest.mark.parametrize("op", ["regex", "regex~"])
def test_lucene_regex(op):
    fx = cases_of(f'process where process.name {op} """[a-z]{{3}}[0-9]+\\.exe"""')
    assert values_of(fx, "process.name", matched=True)
    assert values_of(fx, "process.name", matched=False)


# --- arrays and missing fields ------------------------------------------------------------------

def test_argument_match_not_in_the_first_element():
    fx = cases_of('process where process.args : "-enc"')
    for args in values_of(fx, "process.args", matched=True):
        assert args[0] != "-enc" and "-enc" in [a.lower() for a in args[1:]]


def test_match_only_in_a_later_array_element():
    fx = cases_of('any where event.type == "start" and process.name == "x.exe"')
    later = [t for t in values_of(fx, "event.type", matched=True) if len(t) > 1]
    assert later and all(t[0] != "start" and t[-1] == "start" for t in later)


def test_optional_field_missing_is_a_near_miss():
    fx = cases_of('process where ?process.pe.original_file_name == "x.exe"')
    assert any("?process.pe.original_file_name missing" in w for w in whys(fx, "near-miss"))


def test_exclusion_hit_and_exclusion_field_missing():
    fx = cases_of('process where process.name == "a.exe" and not user.name : "SYSTEM"')
    assert any("hits the exclusion" in w for w in whys(fx, "near-miss"))
    assert [c for c in fx.cases if c.expect and "user.name is missing" in c.why]


def test_exists_checks():
    fx = cases_of('process where process.name == "a.exe" and process.parent.executable == null')
    assert not values_of(fx, "process.parent.executable", matched=True)
    fx = cases_of('data_stream.dataset:"zoom.webhook" and not zoom.meeting.password:*', language="kuery")
    assert not values_of(fx, "zoom.meeting.password", matched=True)


# --- scoping ----------------------------------------------------------------------------------------

def test_other_values_of_scoping_conditions():
    fx = cases_of('process where host.os.type == "windows" and event.type == "start" and process.name == "a.exe"')
    miss_types = {t[0] for t in values_of(fx, "event.type", matched=False)}
    assert miss_types - {"start"}
    miss_os = set(values_of(fx, "host.os.type", matched=False))
    assert {"linux", "macos"} & miss_os
    assert [c for c in fx.cases if c.kind == "scope" and not c.expect]


def test_event_category_of_an_eql_query():
    fx = cases_of('process where process.name == "a.exe"')
    assert all("process" in e["event"]["category"] for e, v in zip(fx.events, fx.verdicts) if v)
    assert any("process" not in e["event"]["category"] for e, v in zip(fx.events, fx.verdicts) if not v)


# --- numbers and addresses -----------------------------------------------------------------------

@pytest.mark.parametrize("op,inside,outside", [(">", 3, 2), (">=", 2, 1), ("<", 1, 2), ("<=", 2, 3)])
def test_numeric_bounds_on_each_side(op, inside, outside):
    fx = cases_of(f'process where process.name == "a.exe" and process.args_count {op} 2')
    assert inside in values_of(fx, "process.args_count", matched=True)
    if outside >= 1:
        assert outside in values_of(fx, "process.args_count", matched=False)


def test_port_equality_near_misses_are_numbers():
    fx = cases_of("network where destination.port == 22")
    assert 22 in values_of(fx, "destination.port", matched=True)
    assert {21, 23} & set(values_of(fx, "destination.port", matched=False))
    assert all(isinstance(p, int) for p in values_of(fx, "destination.port"))


def test_cidr_edges():
    fx = cases_of('network where cidrMatch(destination.ip, "10.0.0.0/8")')
    net = ipaddress.ip_network("10.0.0.0/8")
    inside = values_of(fx, "destination.ip", matched=True)
    assert inside and all(ipaddress.ip_address(v) in net for v in inside)
    assert "10.0.0.0" in inside
    outside = set(values_of(fx, "destination.ip", matched=False))
    assert {"9.255.255.255", "11.0.0.0"} <= outside


def test_not_cidr_gives_an_address_outside_every_block():
    fx = cases_of('network where destination.port == 443 and not cidrMatch(destination.ip, "10.0.0.0/8", '
                  '"172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8")')
    assert values_of(fx, "destination.ip", matched=True)


def test_kql_ip_field_with_a_block():
    fx = cases_of('source.ip:"192.168.0.0/16" and destination.port:3389', language="kuery")
    assert all(ipaddress.ip_address(v) in ipaddress.ip_network("192.168.0.0/16")
               for v in values_of(fx, "source.ip", matched=True))


def test_kql_numbers_are_typed():
    fx = cases_of("event.category:process and process.args_count:2", language="kuery")
    assert 2 in values_of(fx, "process.args_count", matched=True)


def test_booleans():
    fx = cases_of('process where process.name == "a.exe" and process.code_signature.trusted == false')
    assert values_of(fx, "process.code_signature.trusted", matched=True) == [False] * len(
        values_of(fx, "process.code_signature.trusted", matched=True))
    assert True in values_of(fx, "process.code_signature.trusted", matched=False)


# --- functions, relations, text ---------------------------------------------------------------

def test_string_functions_and_length():
    fx = cases_of('process where startsWith~(process.name, "ps") and endsWith(process.name, ".exe") and '
                  'length(process.command_line) > 40')
    for name in values_of(fx, "process.name", matched=True):
        assert name.lower().startswith("ps") and name.endswith(".exe")
    assert all(len(c) > 40 for c in values_of(fx, "process.command_line", matched=True))


def test_field_to_field_relation():
    fx = cases_of('process where process.name == "a.exe" and process.name == process.parent.name')
    assert values_of(fx, "process.parent.name", matched=True)


def test_kql_text_field_phrase():
    fx = cases_of('powershell.file.script_block_text:"Invoke-Mimikatz" and event.code:4104', language="kuery")
    assert all("invoke-mimikatz" in v.lower() for v in values_of(fx, "powershell.file.script_block_text", True))
    assert values_of(fx, "powershell.file.script_block_text", matched=False)


# --- consistency ------------------------------------------------------------------------------------

def test_process_entity_is_consistent_on_each_os():
    for os, path in (("windows", "C:\\\\Program Files\\\\My App\\\\app.exe"), ("linux", "/usr/local/bin/my app")):
        fx = cases_of(f'process where host.os.type == "{os}" and process.executable == "{path}" '
                      'and process.args : "--flag"')
        for case in fx.cases:
            assert problems(case.event) == [] or not case.expect, case.why
        assert any(" " in a[0] for a in values_of(fx, "process.args", matched=True)), "the path with a space"


def test_an_argv0_naming_the_program_leaves_the_executable_a_path():
    # `process.args in ("sh", "bash")` with one argument: argv[0] is the bare name, the executable a full path
    fx = cases_of('process where host.os.type == "linux" and process.name in ("bash", "dash", "ash", "sh") and '
                  'process.args in ("sh", "dash", "bash", "/bin/sh") and process.args_count == 1')
    executables = values_of(fx, "process.executable", matched=True)
    assert executables and all(e.startswith("/") for e in executables), executables
    assert any(a[0] in ("sh", "dash", "bash") for a in values_of(fx, "process.args", matched=True))


def test_a_missing_name_is_a_missing_path():
    # the name is the path's last component: platforms read one from the other (Image, FolderPath)
    fx = cases_of('registry where registry.value : "RunAsPPL" and process.name != null and '
                  'not process.executable : "C:\\\\Windows\\\\x.exe" and user.name != null')
    nameless = [c.event for c in fx.cases if "process.name missing" in c.why]
    assert nameless and all("executable" not in e.get("process", {}) for e in nameless)
    assert all("name" not in e["process"] for e in nameless)
    userless = [c.event for c in fx.cases if "user.name missing" in c.why]
    assert userless and all("name" not in e.get("user", {}) for e in userless)


def test_a_constrained_registry_key_is_the_key_of_the_path():
    # platforms read the key from the path (Defender's and ASIM's RegistryKey, Sysmon's TargetObject)
    fx = cases_of('registry where host.os.type == "windows" and registry.value == "ImagePath" and '
                  'registry.key : ("*\\\\ADWS", "*\\\\DNS")')
    for case in fx.cases:
        path, key = case.event["registry"]["path"], case.event["registry"].get("key")
        assert path.split("\\")[0] in ("HKEY_LOCAL_MACHINE", "HKEY_USERS"), path
        if key is not None:
            assert path.split("\\", 1)[1].rpartition("\\")[0] == key, (case.why, path, key)
    assert {k.rpartition("\\")[2] for k in values_of(fx, "registry.key", matched=True)} == {"ADWS", "DNS"}


# --- refusals ------------------------------------------------------------------------------------

@pytest.mark.parametrize("query,code", [
    ("sequence by host.id [process where true] [file where true]", "fixtures/multi-event"),
    ("sample by host.id [process where true] [file where true]", "fixtures/multi-event"),
    ("process where true | head 5", "fixtures/unsupported"),
    ("process where (", "fixtures/query-syntax"),
])
def test_refusals_name_the_construct(query, code):
    with pytest.raises(SynthesisError) as info:
        synthesize(make_rule(query))
    assert info.value.code == code


def test_threshold_and_other_languages_are_refused():
    with pytest.raises(SynthesisError) as info:
        synthesize(make_rule("event.category:process", language="kuery", kind="threshold"))
    assert info.value.code == "fixtures/threshold"
    with pytest.raises(SynthesisError) as info:
        synthesize(make_rule("FROM logs-* | LIMIT 1", language="esql", kind="esql"))
    assert info.value.code == "fixtures/language"


def test_a_query_no_event_satisfies_is_refused():
    with pytest.raises(SynthesisError) as info:
        synthesize(make_rule('process where process.name == "a" and process.name == "b"'))
    assert info.value.code == "fixtures/unsatisfiable"


def test_the_ecs_shapes_table_is_ecs_9_4():
    """The generated table synthesis reads (scripts/gen_ecs_table.py) is the real one, not a test's."""
    from converters.prove.synthesis import ecs

    table = ecs.shapes()
    assert table["ecs_version"] == "9.4.0"
    assert {"process.args", "event.category", "event.type", "related.ip"} <= set(table["arrays"])
    assert {"process", "file", "network"} <= set(ecs.allowed_values("event.category"))
    assert "start" in ecs.expected_types("process")
    assert set(ecs.OS_TYPES) <= set(ecs.allowed_values("host.os.type"))


def test_one_subquery_of_a_sequence_as_an_ast_node():
    """The single-event generator correlation streams build on: a subquery, a pinned join key."""
    from converters.eql import parse_query
    from converters.prove.synthesis.generate import EventSynthesizer
    from converters.prove.synthesis.values import Exact, Need

    sequence = parse_query('sequence by user.id [process where process.name == "a.exe"] '
                           '[network where destination.port in (22, 3389)]').base
    second = EventSynthesizer.from_eql(sequence.subqueries[1].query, seed=5)
    assert len(second.branches) == 1
    values = second.solve(0, force={"user.id": Need([Exact("u-1")])})
    event = second.positive(0, force={"user.id": Need([Exact("u-1")])})
    assert event["user"]["id"] == "u-1" and event["destination"]["port"] in (22, 3389)
    assert second.matches([event]) == [True]
    misses = list(second.near_misses(0, values))
    assert misses and all(second.matches([e]) == [expect] for _, e, expect in misses)
    assert any(not expect for _, _, expect in misses)


def test_events_set_the_field_of_the_rule_s_event_category_override():
    # `info where` under event_category_override = "event.type": the matches hold info in event.type,
    # a near miss another event.type, whatever event.category says (checked by the overriding evaluator)
    query = 'info where event.action == "PutBucketVersioning" and event.outcome == "success"'
    rule = make_rule(query, event_category_override="event.type")
    fixtures = synthesize_cases(rule)
    real = [i in set(EqlExecutor(category_field="event.type").run(query, ELASTIC.records(fixtures.events)[0]))
            for i in range(len(fixtures.events))]
    assert real == [c.expect for c in fixtures.cases]
    assert all("info" in t for t in values_of(fixtures, "event.type", matched=True))
    assert any("info" not in t for t in values_of(fixtures, "event.type", matched=False))
    assert not any("info" in (c.event.get("event", {}).get("category") or []) for c in fixtures.cases if c.expect)
