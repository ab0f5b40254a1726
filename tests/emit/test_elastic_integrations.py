"""PowerShell script-block rules on the Elastic targets: the Windows integration's data model.

A process_creation rule naming powershell.file.script_block_text is read where Elastic's Windows
integration (and Winlogbeat) index script blocks, with the integration's fields (platform facts,
converters/data/platforms/elastic-integrations.json): ES|QL matches the text's value, KQL writes a
phrase (what Elastic's own rules write) with a note, Lucene and EQL refuse the analysed text field.
"""

from __future__ import annotations

import pytest

from converters.emit import EmitError, emit
from converters.emit.datamodels import ELASTIC_DEFEND, ELASTIC_ECS, ELASTIC_POWERSHELL
from converters.esql.executor import EsqlExecutor
from converters.kql.evaluator import KibanaKqlExecutor
from converters.platforms import facts
from converters.prove.explain import explaining_note
from tests.emit.test_elastic_logsources import ev, sigma

PS_RULE = sigma("process_creation", "  sel:\n    powershell.file.script_block_text|contains:\n"
                "      - 'Install-TransportAgent'\n      - 'scriptCmd.GetSteppablePipeline'\n"
                "  filter:\n    user.id: S-1-5-18", condition="sel and not filter",
                extra="  definition: 'Elastic indexes: winlogbeat-*, logs-windows.powershell*'\n")


@pytest.fixture(scope="module")
def lucene_column():
    """The lucene target's executor: real Lucene, fields indexed by the Elastic facts' types."""
    from converters.emit.targets import TARGETS
    from tests.support import require

    executor = TARGETS["lucene"].executor()
    require("Lucene", executor.unavailable())
    yield executor
    executor.close()


def _ps(text, **kw):
    base = dict(event__category="process", event__type="info", event__code="4104", host__os__type="windows",
                powershell__file__script_block_text=text, user__id="S-1-5-21-1",
                data_stream__type="logs", data_stream__dataset="windows.powershell_operational")
    base.update(kw)
    return ev(**{k: v for k, v in base.items() if v is not None})


EVENTS = [
    _ps("Install-TransportAgent -Name x"),                 # 0 match (a script block is event.type info)
    _ps("$a = 'install-transportagent'"),                 # 1 match, ignoring case
    _ps("Install-TransportAgents"),                       # 2 |contains only: not a whole word
    _ps("scriptCmd.GetSteppablePipeline()"),              # 3 match
    _ps("scriptCmd GetSteppablePipeline"),                # 4 phrase only: the dot is no word character
    _ps("Install-TransportAgent", user__id="S-1-5-18"),   # 5 filtered
    _ps("Install-TransportAgent", host__os__type="linux"),  # 6 other OS
    _ps("Get-Process"),                                   # 7 no
]


def test_facts_declare_the_script_block_text_as_analysed_text():
    table = facts.table("elastic-integrations", "logs-windows.powershell_operational")
    field = table.fields["powershell.file.script_block_text"]
    assert (field.type, field.analyzer) == ("text", "powershell_script_analyzer")
    assert table.select["index"] == "logs-windows.powershell_operational-*" and table.kind == "script"
    text = ELASTIC_POWERSHELL.text_fields()
    assert text["powershell.file.script_block_text"] == "powershell_script_analyzer"
    assert text["powershell.command.value"] == text["message"] == text["process.command_line.text"] == "standard"
    assert "powershell.file.script_block_id" not in text and "process.command_line" not in text
    assert ELASTIC_DEFEND.text_fields() == {}
    assert ELASTIC_ECS.text_fields()["powershell.file.script_block_text"] == "powershell_script_analyzer"


def test_esql_reads_the_rule_indexes_and_matches_the_text_value():
    query = emit(PS_RULE, "esql").queries[0]
    head, _, where = query.partition("\n")
    assert head == "FROM winlogbeat-*, logs-windows.powershell*"
    assert 'TO_LOWER(powershell.file.script_block_text) LIKE "*install-transportagent*"' in where
    assert "event.type" not in where  # a script block is no process start
    assert EsqlExecutor().run(query, EVENTS) == [0, 1, 2, 3]


def test_kql_writes_phrases_with_an_exact_note():
    emitted = emit(PS_RULE, "kibana-kql")
    query = emitted.queries[0]
    assert 'powershell.file.script_block_text:"Install-TransportAgent"' in query
    assert 'powershell.file.script_block_text:"scriptCmd.GetSteppablePipeline"' in query
    assert "event.type" not in query
    matched = KibanaKqlExecutor().run(query, EVENTS)
    assert matched == [0, 1, 3, 4]
    notes = [n for n in emitted.notes if n.code == "emit/text-phrase"]
    assert {n.field for n in notes} == {"powershell.file.script_block_text"} and len(notes) == 2
    # the notes explain exactly the events where the phrase and |contains disagree (2 and 4)
    sigma_verdicts = {0, 1, 2, 3}
    for i, event in enumerate(EVENTS[:5]):
        differs = (i in matched) != (i in sigma_verdicts)
        note = explaining_note(notes, event, i in sigma_verdicts, i in matched)
        assert (note is not None) == differs, i


def test_a_value_with_no_phrase_form_is_refused_naming_the_field():
    rule = PS_RULE.replace("|contains:", "|startswith:")
    with pytest.raises(EmitError, match="powershell.file.script_block_text is an analysed text field"):
        emit(rule, "kibana-kql")


def test_lucene_writes_phrases_its_words_match(lucene_column):
    emitted = emit(PS_RULE, "lucene")
    query = emitted.queries[0]
    assert 'powershell.file.script_block_text:"scriptCmd.GetSteppablePipeline"' in query
    assert lucene_column.run(query, EVENTS) == [0, 1, 3, 4]   # as KQL: the phrase of the words
    assert sum(n.code == "emit/text-phrase" for n in emitted.notes) == 2
    with pytest.raises(EmitError, match="a regex over its value has no form there"):
        emit(PS_RULE.replace("|contains:", "|re:"), "lucene")


def test_eql_refuses_the_text_field():
    with pytest.raises(EmitError, match="rejects EQL comparisons") as err:
        emit(PS_RULE, "eql")
    assert err.value.code == "emit/text-field" and "powershell.file.script_block_text" in err.value.message


def test_other_process_rules_stay_on_defend():
    rule = sigma("process_creation", "  sel:\n    Image|endswith: '\\powershell.exe'")
    assert emit(rule, "esql").queries[0].startswith("FROM logs-endpoint.events.process-*")
    # a field of neither data model is refused, naming the model it was read against
    unknown = PS_RULE.replace("user.id: S-1-5-18", "winlog.event_data.Nope: x")
    with pytest.raises(EmitError, match="winlog.event_data.Nope has no mapping on Windows PowerShell"):
        emit(unknown, "esql")
    # a Linux rule naming the text is not the Windows integration's: on Defend's indexes it has no home
    linux = PS_RULE.replace("product: windows", "product: linux")
    with pytest.raises(EmitError, match="no mapping on Elastic Defend"):
        emit(linux.replace("  definition: 'Elastic indexes: winlogbeat-*, logs-windows.powershell*'\n", ""), "esql")
    # ... and on the indexes it names (winlogbeat-*) the field is read as the text it is there
    assert 'powershell.file.script_block_text:"Install-TransportAgent"' in emit(linux, "lucene").queries[0]


SYSLOG_RULE = sigma(None, "  sel:\n    process.name: kernel\n    message|contains: 'started with executable stack'",
                    product="linux", extra="  definition: 'Elastic indexes: logs-system.syslog-*'\n")


def _syslog(message, **kw):
    base = dict(host__os__type="linux", process__name="kernel", message=message,
                data_stream__type="logs", data_stream__dataset="system.syslog")
    base.update(kw)
    return ev(**base)


def test_ecs_message_is_read_as_analysed_text_on_category_less_rules(lucene_column):
    events = [_syslog("foo[1]: started with executable stack"),    # 0 match
              _syslog("Started  with, executable stack!"),         # 1 phrase only (words, not characters)
              _syslog("started with executable stacks"),           # 2 |contains only
              _syslog("no stack here")]                            # 3 no
    esql = emit(SYSLOG_RULE, "esql").queries[0]
    assert 'TO_LOWER(message) LIKE "*started with executable stack*"' in esql
    assert EsqlExecutor().run(esql, events) == [0, 2]
    kql = emit(SYSLOG_RULE, "kibana-kql")
    assert 'message:"started with executable stack"' in kql.queries[0]
    assert KibanaKqlExecutor().run(kql.queries[0], events) == [0, 1]
    note = next(n for n in kql.notes if n.code == "emit/text-phrase")
    assert all(explaining_note([note], e, i in (0, 2), i in (0, 1)) is not None for i, e in enumerate(events[1:3], 1))
    assert lucene_column.run(emit(SYSLOG_RULE, "lucene").queries[0], events) == [0, 1]
    with pytest.raises(EmitError, match="message is an analysed text field"):
        emit(SYSLOG_RULE, "eql")


# --- Sysmon through the Windows integration ------------------------------------------------------

LSASS_RULE = sigma("process_creation", "  sel:\n    event.code: '10'\n"
                   "    winlog.event_data.TargetImage: '?:\\WINDOWS\\system32\\lsass.exe'\n"
                   "    winlog.event_data.CallTrace|contains: dbgcore",
                   extra="  definition: 'Elastic indexes: winlogbeat-*, logs-windows.sysmon_operational-*'\n")


def _access(target, **kw):
    base = dict(event__category="process", event__type="access", event__code="10", host__os__type="windows",
                winlog__event_data__TargetImage=target, winlog__event_data__CallTrace="C:\\x\\dbgcore.DLL+1",
                data_stream__type="logs", data_stream__dataset="windows.sysmon_operational")
    base.update(kw)
    return ev(**base)


def test_sysmon_process_access_reads_the_sysmon_channel(lucene_column):
    events = [_access("C:\\WINDOWS\\system32\\lsass.exe"),                   # 0 match (event.type access)
              _access("C:\\Windows\\System32\\svchost.exe"),                 # 1 another target
              _access("C:\\Windows\\System32\\lsass.exe", event__code="8")]  # 2 another record
    esql = emit(LSASS_RULE, "esql").queries[0]
    assert esql.startswith("FROM winlogbeat-*, logs-windows.sysmon_operational-*") and "event.type" not in esql
    assert EsqlExecutor().run(esql, events) == [0]
    assert KibanaKqlExecutor().run(emit(LSASS_RULE, "kibana-kql").queries[0], events) == [0]
    assert lucene_column.run(emit(LSASS_RULE, "lucene").queries[0], events) == [0]
    assert emit(LSASS_RULE, "eql").queries[0].startswith("process where host.os.type == \"windows\" and (event.code")
    # the integration's pipeline renames SourceImage to process.executable: no such field there
    with pytest.raises(EmitError, match="winlog.event_data.SourceImage has no mapping on Sysmon process access"):
        emit(LSASS_RULE.replace("TargetImage", "SourceImage"), "esql")


def test_a_defend_rule_keeps_the_sysmon_fields_of_the_indexes_it_names():
    detection = ("  sel:\n    Image|endswith: '\\whoami.exe'\n  level:\n"
                 "    - process.Ext.token.integrity_level_name: System\n"
                 "    - winlog.event_data.IntegrityLevel: System")
    named = sigma("process_creation", detection, condition="sel and level",
                  extra="  definition: 'Elastic indexes: winlogbeat-*, logs-endpoint.events.process-*'\n")
    assert "winlog.event_data.IntegrityLevel" in emit(named, "esql").queries[0]
    alone = named.replace("winlogbeat-*, ", "")  # Defend's indexes only: the Sysmon field is not there
    with pytest.raises(EmitError, match="winlog.event_data.IntegrityLevel has no mapping on Elastic Defend"):
        emit(alone, "esql")


def test_defend_fields_its_index_template_maps_are_known():
    rule = sigma("process_creation", "  sel:\n    process.user.id: '0'\n  filter:\n    process.real_user.id: '0'",
                 condition="sel and not filter", product="linux")
    assert 'NOT COALESCE(process.real_user.id == "0", false)' in emit(rule, "esql").queries[0]
    with pytest.raises(EmitError, match="process.no_such_field has no mapping"):
        emit(rule.replace("process.real_user.id", "process.no_such_field"), "esql")


def test_problem_child_enrichment_fields_are_read_on_defend_process_events():
    # the package's setup maps them in Defend's process data stream (its @custom component template)
    rule = sigma("process_creation", "  sel:\n    problemchild.prediction: 1\n    problemchild.prediction_probability|gt: 0.98",
                 extra="  definition: 'Elastic indexes: logs-endpoint.events.process-*'\n")
    events = [ev(event__category="process", event__type="start", host__os__type="windows",
                 problemchild__prediction=1, problemchild__prediction_probability=p) for p in (0.99, 0.5)]
    query = emit(rule, "esql").queries[0]
    assert query.startswith("FROM logs-endpoint.events.process-*")
    assert EsqlExecutor().run(query, events) == [0]
    # not where the rule reads other indexes only
    with pytest.raises(EmitError, match="problemchild.prediction has no mapping"):
        emit(rule.replace("logs-endpoint.events.process-*", "auditbeat-*"), "esql")


def test_a_join_key_probe_reads_its_base_rule_s_elastic_data_model():
    # a probe names only the key field: by itself it would take Defend's process model; it must read
    # the data its base rule reads (the Sysmon channel's process access records here)
    from sigma.rule import SigmaRule

    from converters.emit.datamodels import ELASTIC_SYSMON_TARGET
    from converters.emit.pipelines import elastic_model
    from converters.emit.transforms import mark_probe

    logsource = {"category": "process_creation", "product": "windows"}
    base = SigmaRule.from_dict({"title": "b", "logsource": logsource, "detection": {
        "sel": {"winlog.event_data.TargetImage|endswith": "\\lsass.exe"}, "condition": "sel"}})
    probe = SigmaRule.from_dict({"title": "p", "logsource": logsource, "detection": {
        "probe": {"ProcessGuid|cased": "x"}, "condition": "probe"}})
    assert elastic_model(base) is ELASTIC_SYSMON_TARGET
    assert elastic_model(probe) is not ELASTIC_SYSMON_TARGET   # alone, it reads Defend's data
    probe = SigmaRule.from_dict({"title": "p", "logsource": logsource, "detection": {
        "probe": {"ProcessGuid|cased": "x"}, "condition": "probe"}})
    mark_probe(probe, base)
    assert elastic_model(probe) is ELASTIC_SYSMON_TARGET
