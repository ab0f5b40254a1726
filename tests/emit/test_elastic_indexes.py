"""The Elastic targets read the original rule's indexes, and `.caseless` only where all of them have it.

A `.caseless` multi-field exists only in Elastic Defend's data streams (their index templates, in the
platform facts): a rule that also reads Winlogbeat or Sysmon-integration indexes finds no `.caseless`
value on those documents, so its case-insensitive matches are written another exact way (Lucene: a
regex of per-letter classes; ES|QL: TO_LOWER; KQL: every case spelling, else `(f.caseless or f)` and a
note on the other indexes), and ES|QL reads FROM the rule's own indexes. Each rule below is run by the
real executors over small events as Elasticsearch indexes them (converters.platforms.elastic).
"""

from __future__ import annotations

from converters.emit import emit
from converters.eql.evaluator import EqlExecutor
from converters.esql.executor import EsqlExecutor
from converters.kql.evaluator import KibanaKqlExecutor
from converters.platforms.elastic import render_elastic
from converters.prove.explain import explaining_note, holds, note_doc

ELASTIC = ("lucene", "eql", "esql", "kibana-kql")
DEFEND = "logs-endpoint.events.process-*"
MIXED = f"{DEFEND}, winlogbeat-*, logs-windows.sysmon_operational-*"


def sigma(detection: str, definition: str | None, condition: str = "sel") -> str:
    extra = f"  definition: 'Elastic indexes: {definition}'\n" if definition else ""
    return ("title: t\nid: 00000000-0000-0000-0000-000000000003\nstatus: test\n"
            f"logsource:\n  category: process_creation\n  product: windows\n{extra}"
            f"detection:\n{detection}\n  condition: {condition}\nlevel: low\n")


def ecs(index: str | None, name: str, command_line: str) -> dict:
    """A Windows process start (an ECS event); `index`: the index it lives in (None: Defend's, by kind)."""
    event = {"event": {"category": ["process"], "type": ["start"]}, "host": {"os": {"type": "windows"}},
             "process": {"name": name, "executable": "C:\\Windows\\System32\\" + name,
                         "command_line": command_line}}
    return {**event, "_index": index} if index else event


def run(target: str, query: str, docs: list[dict], lucene) -> list[int]:
    executor = {"eql": EqlExecutor, "esql": EsqlExecutor, "kibana-kql": KibanaKqlExecutor}.get(target)
    return executor().run(query, docs) if executor else lucene.run(query, docs)


RULE = "  sel:\n    Image|endswith: '\\nltest.exe'\n    CommandLine|contains: 'Trusts'"
EVENTS = [
    ecs(None, "nltest.exe", "nltest /domain_trusts"),                             # 0 Defend, match
    ecs("winlogbeat-default", "NLTEST.EXE", "nltest /DOMAIN_TRUSTS"),            # 1 Winlogbeat, match
    ecs("logs-windows.sysmon_operational-default", "nltest.exe", "nltest /trusts"),  # 2 Sysmon, match
    ecs("winlogbeat-default", "NLTEST.EXE", "nltest /dclist"),                   # 3 no
    ecs(None, "NLTEST.EXE", "nltest /dclist"),                                   # 4 no
]


def test_a_rule_reading_other_indexes_matches_case_insensitively_without_caseless(lucene):
    text = sigma(RULE, MIXED)
    docs = [render_elastic(e) for e in EVENTS]
    assert "process.name.caseless" not in docs[1] and "process.name.caseless" in docs[0]
    for target in ELASTIC:
        emitted = emit(text, target)
        query = emitted.queries[0]
        if target != "kibana-kql":
            assert ".caseless" not in query, (target, query)
            assert run(target, query, docs, lucene) == [0, 1, 2], target
        # it reads the rule's own indexes: no note that it reads Defend's data stream only
        assert not {"emit/index-assumed", "emit/scope-narrowed"} & {n.code for n in emitted.notes}, target
    assert emit(text, "esql").queries[0].startswith(f"FROM {MIXED}\n")
    assert "TO_LOWER(process.name) ==" in emit(text, "esql").queries[0]
    assert "process.name:/[nN][lL]" in emit(text, "lucene").queries[0]


def test_kql_uses_caseless_where_an_index_has_it_and_notes_exactly_what_the_others_miss(lucene):
    emitted = emit(sigma(RULE, MIXED), "kibana-kql")
    query = emitted.queries[0]
    # six letters: every case spelling (exact); nltest.exe: more than 64 spellings
    assert 'process.name.caseless:"nltest.exe" or process.name:"nltest.exe"' in query
    assert "*TRUSTS*" in query and "*trusts*" in query
    docs = [render_elastic(e) for e in EVENTS]
    got = run("kibana-kql", query, docs, lucene)
    assert got == [0, 2]  # event 1: NLTEST.EXE in an index without process.name.caseless
    (note,) = [n for n in emitted.notes if n.code == "emit/case-narrowed"]
    assert explaining_note([note], EVENTS[1], True, False) is note
    # the note holds on nothing else: not on a Defend event, nor where the case as written matches
    assert not holds(note.affects.condition, note_doc(ecs(None, "NLTEST.EXE", "nltest /trusts")))
    assert not holds(note.affects.condition, note_doc(EVENTS[2]))
    # the leaf's verdict changes on event 3 too (the rule does not match it either way)
    assert holds(note.affects.condition, note_doc(EVENTS[3]))


def test_a_rule_reading_only_defend_indexes_uses_caseless(lucene):
    text = sigma(RULE, DEFEND)
    docs = [render_elastic(e) for e in EVENTS if "_index" not in e]
    for target in ("lucene", "esql", "kibana-kql"):
        query = emit(text, target).queries[0]
        assert "process.name.caseless" in query and "process.command_line.caseless" in query, target
        assert run(target, query, docs, lucene) == [0], target
    assert emit(text, "esql").queries[0].startswith(f"FROM {DEFEND}\n")
    # a rule naming no index reads the data model's (Defend's) indexes: .caseless, and ES|QL says so
    emitted = emit(sigma(RULE, None), "esql")
    assert "process.name.caseless" in emitted.queries[0]
    assert {"emit/index-assumed", "emit/scope-narrowed"} <= {n.code for n in emitted.notes}


def test_caseless_needs_every_index_of_the_rule_to_have_it(lucene):
    # the registry stream's template has no process.command_line.caseless
    text = sigma(RULE, f"{DEFEND}, logs-endpoint.events.registry-*")
    query = emit(text, "lucene").queries[0]
    assert "process.name.caseless" in query and "process.command_line.caseless" not in query
    # a pattern wider than one template may name indexes of others: no .caseless
    assert ".caseless" not in emit(sigma(RULE, "logs-endpoint.events.*"), "esql").queries[0]


def test_eql_stays_case_insensitive_on_every_index(lucene):
    query = emit(sigma(RULE, MIXED), "eql").queries[0]
    assert ".caseless" not in query and 'process.name:"nltest.exe"' in query
    docs = [render_elastic(e) for e in EVENTS]
    assert EqlExecutor().run(query, docs) == [0, 1, 2]
