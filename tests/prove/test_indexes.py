"""Synthesized events live in an index the rule reads (converters/prove/synthesis/indexes.py)."""

from __future__ import annotations

import pytest

from converters.platforms.models import render_elastic
from converters.prove.synthesis.indexes import concrete, placed

PROCESS = {"event": {"category": ["process"], "type": ["start"]}, "process": {"name": "a.exe", "pid": 1}}
ZEEK = {"event": {"category": ["network"], "dataset": "zeek.ftp"}, "destination": {"port": 21}}


@pytest.mark.parametrize("pattern, name", [
    ("logs-endpoint.alerts-*", "logs-endpoint.alerts-default"), ("apm-*-transaction*", "apm-default-transaction"),
    ("logs-gcp*", "logs-gcp"), (".alerts-security.*", ".alerts-security.default"), ("ml_beaconing.all", "ml_beaconing.all"),
    ("remote:filebeat-*", "filebeat-default"), ("*", "default"),
])
def test_a_pattern_made_concrete_is_matched_by_it(pattern, name):
    assert concrete(pattern) == name


def test_an_event_outside_the_rules_indexes_names_the_rules_first_index():
    rule = {"index": ["filebeat-*", "packetbeat-*", "logs-endpoint.events.*"]}
    process, zeek = placed([PROCESS, ZEEK], rule)
    # the process event lives in Defend's process stream, which logs-endpoint.events.* reads: unchanged
    assert process is PROCESS and render_elastic(process)["_index"] == ["logs-endpoint.events.process-default"]
    # a zeek.ftp event would live in logs-zeek.ftp-default, which the rule never reads
    assert render_elastic(ZEEK)["_index"] == ["logs-zeek.ftp-default"]
    assert zeek["_index"] == "filebeat-default" and render_elastic(zeek)["_index"] == ["filebeat-default"]
    assert "_index" not in ZEEK  # the input event is not changed


def test_excluded_indexes_and_rules_without_indexes():
    assert placed([PROCESS], {}) == [PROCESS]  # a data view: nothing is known of the indexes
    assert placed([PROCESS], {"index": ["-logs-*"]}) == [PROCESS]
    # the first pattern made concrete is excluded by a later one: the next pattern is the home
    (event,) = placed([PROCESS], {"index": ["endgame-*", "winlogbeat-*", "-endgame-default"]})
    assert event["_index"] == "winlogbeat-default"


def test_synthesized_fixtures_of_a_rule_live_in_its_indexes(tmp_path):
    from converters.esql.executor import Source
    from converters.load import load_rule
    from converters.prove.synthesize import synthesize

    path = tmp_path / "r.toml"
    path.write_text('''[metadata]
creation_date = "2024/01/01"
maturity = "production"
updated_date = "2024/01/01"

[rule]
author = ["Elastic"]
description = "d"
from = "now-9m"
index = ["endgame-*"]
language = "kuery"
license = "Elastic License v2"
name = "n"
risk_score = 47
rule_id = "00000000-0000-0000-0000-00000000beef"
severity = "medium"
type = "query"
query = \'\'\'
event.kind:alert and event.module:endgame and endgame.metadata.type:detection
\'\'\'
''', encoding="utf-8")
    events = synthesize(load_rule(str(path)))
    assert events
    source = Source(["endgame-*"], [])
    assert all(source.reads(render_elastic(e)["_index"][0]) for e in events)
