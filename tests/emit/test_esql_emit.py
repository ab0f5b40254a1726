"""ES|QL emission: what the query says must hold as ES|QL reads it (run through the ES|QL executor)."""

from __future__ import annotations

import pytest

from converters.emit import emit
from converters.esql.executor import EsqlExecutor
from converters.platforms.models import render_elastic
from tests.emit.helpers import rule

EX = EsqlExecutor()


def _process(env_vars, name="bash"):
    return render_elastic({"event": {"category": ["process"], "type": ["start"]},
                           "host": {"os": {"type": "windows"}},
                           "process": {"name": name, "executable": f"C:\\x\\{name}", "env_vars": env_vars}})


def test_an_ecs_array_field_is_matched_on_any_element():
    # process.env_vars is an ECS array (normalize: array): with two values, `==` would be null in ES|QL
    text = rule("  sel:\n    process.env_vars|cased: HISTSIZE=0")
    query = emit(text, "esql").queries[0]
    assert 'MV_CONCAT(process.env_vars, "\\n") RLIKE' in query
    events = [_process(["OTHER=1", "HISTSIZE=0"]), _process(["HISTSIZE=0"]), _process(["OTHER=1", "X=2"])]
    assert EX.run(query, events) == [0, 1]
    assert "emit/array-joined" in {n.code for n in emit(text, "esql").notes}


@pytest.mark.parametrize("name, quoted", [
    ("azure.auditlogs.properties.target_resources.0.modified_properties", True),
    ("process.name", False), ("labels.a_1", False), ("labels.1b", True), ("labels.a-b", True),
])
def test_field_names_that_are_not_identifiers_are_backquoted(name, quoted):
    # ES|QL syntax reference: quote an identifier that does not start with a letter, `_` or `@`
    text = rule(f"  sel:\n    {name}|cased: v", category="").replace("  category: \n", "") \
        .replace("product: windows", "product: elastic\n  definition: 'Elastic indexes: logs-*'")
    query = emit(text, "esql").queries[0]
    assert (f"`{name}` ==" in query) is quoted, query
    doc = {name: ["v"], "_index": ["logs-x-default"]}
    assert EX.run(query, [doc, {name: ["w"]}]) == [0]


def test_a_category_is_read_from_defends_stream_and_the_note_says_which_events_are_not_read():
    from converters.prove.explain import holds, note_doc

    text = rule("  sel:\n    Image|endswith: '\\a.exe'")
    emitted = emit(text, "esql")
    assert emitted.queries[0].startswith("FROM logs-endpoint.events.process-*\n")
    (note,) = [n for n in emitted.notes if n.code == "emit/index-assumed"]
    event = {"event": {"category": ["process"], "type": ["start"]}, "host": {"os": {"type": "windows"}},
             "process": {"name": "a.exe", "executable": "C:\\x\\a.exe"}}
    elsewhere = {**event, "_index": "winlogbeat-default"}
    query = emitted.queries[0]
    assert EX.run(query, [render_elastic(event), render_elastic(elsewhere)]) == [0]
    # the note holds exactly on the event FROM does not read
    assert note.affects.direction == "less"
    assert not holds(note.affects.condition, note_doc(event))
    assert holds(note.affects.condition, note_doc(elsewhere))
    # a category-less rule reads the original rule's indexes: no such note
    ecs = rule("  sel:\n    labels.x|cased: v", category="").replace("  category: \n", "") \
        .replace("product: windows", "product: elastic\n  definition: 'Elastic indexes: logs-*'")
    assert "emit/index-assumed" not in {n.code for n in emit(ecs, "esql").notes}


def test_a_rule_naming_no_indexes_reads_logs_star_and_says_so():
    from converters.prove.explain import holds, note_doc

    text = rule("  sel:\n    labels.x|cased: v", category="").replace("  category: \n", "")
    emitted = emit(text, "esql")
    assert emitted.queries[0].startswith("FROM logs-*\n")
    (note,) = [n for n in emitted.notes if n.code == "emit/index-assumed"]
    assert holds(note.affects.condition, note_doc({"labels": {"x": "v"}, "_index": "auditbeat-default"}))
    assert not holds(note.affects.condition, note_doc({"labels": {"x": "v"}, "_index": "logs-system.auth-default"}))
