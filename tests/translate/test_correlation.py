"""Rules that correlate events, as Sigma correlation rules (converters/translate/correlation.py)."""

from __future__ import annotations

import pytest
import yaml
from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule

from converters.errors import TranslationError
from converters.load import load_rule
from converters.translate import translate_rule

WIN = 'host.os.type == "windows" and event.type == "start"'


def rule_toml(query: str, *, kind="eql", language="eql", extra: str = "") -> str:
    return "\n".join([
        "[metadata]", 'creation_date = "2025/01/02"', 'maturity = "production"', 'updated_date = "2025/01/03"',
        "[rule]", 'author = ["Elastic"]', 'description = "d"', f'language = "{language}"', 'name = "Shell Chain"',
        'risk_score = 47', 'rule_id = "00000000-0000-4000-8000-00000000c0de"', 'severity = "medium"',
        'from = "now-9m"', f'type = "{kind}"', f"query = '''\n{query}\n'''", extra]) + "\n"


def translate(tmp_path, query, **kw):
    path = tmp_path / "r.toml"
    path.write_text(rule_toml(query, **kw))
    return translate_rule(load_rule(path))


def docs(t) -> list[dict]:
    return list(yaml.safe_load_all(t.sigma_yaml))


def parsed(t):
    collection = SigmaCollection.from_yaml(t.sigma_yaml)
    collection.resolve_rule_references()
    return collection.rules


def test_sequence_is_temporal_ordered_with_base_rules_first(tmp_path):
    t = translate(tmp_path, f"""sequence by host.id with maxspan=30s
      [process where {WIN} and process.name : "cmd.exe"]
      [process where {WIN} and process.name : "whoami.exe"]""")
    *bases, corr = docs(t)
    assert [b["name"] for b in bases] == ["shell_chain_step1", "shell_chain_step2"]
    assert all(b["logsource"] == {"category": "process_creation", "product": "windows"} for b in bases)
    assert corr["correlation"] == {"type": "temporal_ordered", "rules": ["shell_chain_step1", "shell_chain_step2"],
                                   "group-by": ["host.id"], "timespan": "30s"}
    rules = parsed(t)
    assert isinstance(rules[-1], SigmaCorrelationRule) and rules[-1].timespan.seconds == 30
    assert [r.rule.name for r in rules[-1].referenced_rules] == ["shell_chain_step1", "shell_chain_step2"]


def test_per_step_keys_become_an_alias_mapped_per_rule(tmp_path):
    t = translate(tmp_path, f"""sequence by host.id with maxspan=1m
      [process where {WIN} and process.name : "git"] by process.entity_id
      [network where event.type == "start"] by process.parent.entity_id""")
    corr = docs(t)[-1]["correlation"]
    assert corr["group-by"] == ["host.id", "process_entity_id"]
    # process.entity_id is Sigma's ProcessGuid in a process_creation rule; the network rule keeps the ECS name
    assert corr["aliases"] == {"process_entity_id": {"shell_chain_step1": "ProcessGuid",
                                                     "shell_chain_step2": "process.parent.entity_id"}}
    assert parsed(t)[-1].aliases


def test_a_user_join_key_is_sysmon_s_user_in_every_step_that_records_one(tmp_path):
    # Sysmon records the acting account (DOMAIN\\name) as User in image loads, registry and DNS events too;
    # keying one step on the bare ECS user.name and another on User would never join
    t = translate(tmp_path, """sequence by host.id, user.name with maxspan=5s
      [library where host.os.type == "windows" and dll.name : "IEProxy.dll"]
      [registry where host.os.type == "windows" and registry.path : "HKLM\\\\x*"]
      [process where host.os.type == "windows" and event.type == "start" and process.name : "cmd.exe"]""")
    assert docs(t)[-1]["correlation"]["group-by"] == ["host.id", "User"]
    assert "aliases" not in docs(t)[-1]["correlation"]


def test_without_maxspan_the_look_back_is_the_timespan_with_a_note(tmp_path):
    t = translate(tmp_path, f"""sequence by host.id
      [process where {WIN} and process.name : "a.exe"] [process where {WIN} and process.name : "b.exe"]""")
    assert docs(t)[-1]["correlation"]["timespan"] == "9m"
    note = next(n for n in t.notes if n.code == "translate/timespan-from-lookback")
    assert note.affects.condition == {"group_span_over": 540.0}


def test_a_one_step_sequence_with_runs_is_an_event_count(tmp_path):
    t = translate(tmp_path, f"""sequence by host.id, user.name with maxspan=5s
      [process where {WIN} and process.name : "net.exe"] with runs=10""")
    *bases, corr = docs(t)
    assert len(bases) == 1
    assert corr["correlation"]["type"] == "event_count" and corr["correlation"]["condition"] == {"gte": 10}
    assert corr["correlation"]["group-by"] == ["host.id", "User"]


def test_runs_inside_a_longer_sequence_repeat_the_step(tmp_path):
    t = translate(tmp_path, """sequence by source.ip with maxspan=5s
      [authentication where event.outcome == "failure"] with runs=3
      [authentication where event.outcome == "success"]""")
    *bases, corr = docs(t)
    assert [b["name"] for b in bases] == ["shell_chain_step1_run1", "shell_chain_step1_run2", "shell_chain_step1_run3",
                                          "shell_chain_step2"]
    assert bases[0]["detection"] == bases[2]["detection"] != bases[3]["detection"]
    assert corr["correlation"]["type"] == "temporal_ordered" and len(corr["correlation"]["rules"]) == 4
    # the category Sigma has no logsource for stays in the detection
    assert bases[0]["detection"]["selection_1"]["event.category|cased"] == "authentication"


def test_sample_is_temporal_bounded_by_the_look_back(tmp_path):
    t = translate(tmp_path, """sample by host.id
      [file where file.path == "/etc/passwd"] [file where file.path == "/etc/shadow"]""")
    corr = docs(t)[-1]["correlation"]
    assert corr["type"] == "temporal" and corr["timespan"] == "9m"
    assert any(n.code == "translate/timespan-from-lookback" for n in t.notes)


def test_a_step_that_only_scopes_its_data_keeps_its_category(tmp_path):
    t = translate(tmp_path, f"""sequence by process.entity_id with maxspan=15s
      [process where {WIN} and process.name : "a.exe"] [network where host.os.type == "windows"]""")
    step2 = docs(t)[1]
    assert step2["logsource"] == {"category": "network_connection", "product": "windows"}
    assert step2["detection"]["selection_1"] == {"event.category|cased": "network"}


def test_an_optional_join_key_is_noted_with_the_events_it_affects(tmp_path):
    t = translate(tmp_path, f"""sequence by ?process.entity_id with maxspan=15s
      [process where {WIN} and process.name : "a.exe"] [process where {WIN} and process.name : "b.exe"]""")
    note = next(n for n in t.notes if n.code == "translate/optional-join-key")
    assert note.affects.direction == "less"
    assert note.affects.condition == {"not": {"exists": "process.entity_id"}}


@pytest.mark.parametrize("query, code", [
    ("sequence [process where true] [process where true] until [process where true]", "translate/until"),
    ("sequence with maxspan=1m [process where true] ![process where true] [process where true]",
     "translate/missing-events"),
    ("sequence [process where true] [process where true] | tail 1", "translate/pipes"),
    ("sequence [process where true] by length(process.name) [process where true] by length(process.name)",
     "translate/join-key-expression"),
    ("join [process where true] [file where true]", "translate/multi-event"),
])
def test_what_sigma_cannot_say_is_refused_with_a_code(tmp_path, query, code):
    with pytest.raises(TranslationError) as caught:
        translate(tmp_path, query)
    assert caught.value.code == code and caught.value.path


def test_threshold_is_event_count_grouped_by_the_threshold_fields(tmp_path):
    t = translate(tmp_path, 'event.category:authentication and event.outcome:failure', kind="threshold",
                  language="kuery", extra='[rule.threshold]\nfield = ["user.name", "source.ip"]\nvalue = 25')
    *bases, corr = docs(t)
    assert corr["correlation"] == {"type": "event_count", "rules": ["shell_chain_events"],
                                   "group-by": ["user.name", "source.ip"], "timespan": "9m",
                                   "condition": {"gte": 25}}
    assert any(n.code == "translate/threshold-window" for n in t.notes)


def test_threshold_cardinality_is_value_count(tmp_path):
    extra = ('[rule.threshold]\nfield = ["source.ip"]\nvalue = 1\n'
             '[[rule.threshold.cardinality]]\nfield = "destination.port"\nvalue = 250')
    t = translate(tmp_path, 'event.action:network_flow', kind="threshold", language="kuery", extra=extra)
    corr = docs(t)[-1]["correlation"]
    assert corr["type"] == "value_count"
    assert corr["condition"] == {"field": "destination.port", "gte": 250}
    assert not any(n.code == "translate/threshold-count-dropped" for n in t.notes)


def test_a_count_above_the_cardinality_is_noted_as_dropped(tmp_path):
    extra = ('[rule.threshold]\nfield = ["user.name"]\nvalue = 10\n'
             '[[rule.threshold.cardinality]]\nfield = "source.ip"\nvalue = 2')
    t = translate(tmp_path, 'event.action:login', kind="threshold", language="kuery", extra=extra)
    assert any(n.code == "translate/threshold-count-dropped" for n in t.notes)


def test_new_terms_rules_are_refused(tmp_path):
    with pytest.raises(TranslationError) as caught:
        translate(tmp_path, 'event.action:login', kind="new_terms", language="kuery")
    assert caught.value.code == "translate/new-terms"


def test_the_same_rule_gives_the_same_bytes(tmp_path):
    q = f"""sequence by host.id with maxspan=30s
      [process where {WIN} and process.name : "cmd.exe"] [process where {WIN} and process.name : "x.exe"]"""
    assert translate(tmp_path, q).sigma_yaml == translate(tmp_path, q).sigma_yaml


def test_a_step_category_reads_the_rule_s_event_category_override(tmp_path):
    t = translate(tmp_path, """sequence by user.id with maxspan=1m
      [info where event.action == "GetUser"] [iam where event.action == "CreateUser"]""",
                  extra='event_category_override = "event.type"')
    step1, step2 = docs(t)[:2]
    assert step1["detection"]["selection_1"] == {"event.type|cased": "info", "event.action|cased": "GetUser"}
    assert step2["detection"]["selection_1"] == {"event.type|cased": "iam", "event.action|cased": "CreateUser"}
