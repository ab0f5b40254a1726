"""A correlation step whose indexes are not only Elastic Defend's keeps the fields those indexes hold.

The Elastic process model lists Defend's fields; a Winlogbeat or Auditbeat step reads ECS and
integration fields Defend does not record (winlog.event_data.*, auditd.*), and the original rule reads
them there, so the Elastic targets keep them (transforms.RuleIndexes, KnownFields). A step reading only
Defend's indexes is still refused, naming the field. Each emitted query is run by the real executor.
"""

from __future__ import annotations

import pytest

from converters.emit import EmitError, emit
from converters.platforms.elastic import defend_only
from tests.support import alerted

WINLOG = "winlogbeat-*, logs-windows.sysmon_operational-*"
DEFEND = "logs-endpoint.events.process-*"

STEP = """title: {name}
name: {name}
logsource:
  category: process_creation
  product: windows
  definition: 'Elastic indexes: {indexes}'
detection:
  selection:
    Image|endswith: '\\\\{image}'
    winlog.event_data.IntegrityLevel: High
  condition: selection
---
"""


def chain(indexes: str, key: str = "winlog.computer_name") -> str:
    steps = "".join(STEP.format(name=f"s{i}", indexes=indexes, image=image)
                    for i, image in enumerate(("cmd.exe", "whoami.exe"), 1))
    return steps + (f"title: chain\nname: chain\ncorrelation:\n  type: temporal_ordered\n  rules:\n    - s1\n"
                    f"    - s2\n  group-by:\n    - {key}\n  timespan: 1m\n")


def start(second: int, image: str, computer: str = "ws1", level: str = "High") -> dict:
    return {"@timestamp": f"2025-01-01T00:00:{second:02d}Z", "_index": "winlogbeat-8.12.0",
            "host": {"os": {"type": "windows"}},
            "event": {"category": ["process"], "type": ["start"]},
            "process": {"name": image, "executable": f"C:\\Windows\\System32\\{image}"},
            "winlog": {"computer_name": computer, "event_data": {"IntegrityLevel": level}}}


@pytest.mark.parametrize("target", ["eql", "esql"])
def test_a_step_reading_winlogbeat_keeps_its_winlog_fields_and_join_key(target):
    query = emit(chain(WINLOG), target).queries[0]
    assert "winlog.event_data.IntegrityLevel" in query and "winlog.computer_name" in query
    events = [start(0, "cmd.exe"), start(10, "whoami.exe"),                               # one sequence
              start(20, "cmd.exe", "ws2"), start(30, "whoami.exe", "ws3"),                 # other hosts
              start(40, "cmd.exe", "ws4", "Medium"), start(50, "whoami.exe", "ws4")]       # step 1 not High
    alerts = alerted(target, query, events)
    assert alerts == {(0, 1)}


@pytest.mark.parametrize("target", ["eql", "esql"])
def test_a_step_reading_only_defend_indexes_is_still_refused_naming_the_field(target):
    with pytest.raises(EmitError, match="winlog.event_data.IntegrityLevel has no mapping") as exc:
        emit(chain(DEFEND, key="host.id"), target)
    assert exc.value.code == "emit/field-unmapped"


def test_a_join_key_defend_lacks_is_kept_only_beyond_defend():
    # (orchestrator.resource.name is a field of Defend's process template: a Winlogbeat one here)
    text = chain(WINLOG, key="winlog.computer_name").replace("    winlog.event_data.IntegrityLevel: High\n", "")
    assert "winlog.computer_name" in emit(text, "eql").queries[0]
    with pytest.raises(EmitError, match="join key winlog.computer_name"):
        emit(text.replace(WINLOG, DEFEND), "eql")


def test_single_event_rules_keep_only_the_fields_their_indexes_declare():
    # a single-event rule keeps the fields the platform facts declare for the integration data
    # streams its indexes name (the Sysmon channel's IntegrityLevel), not every dotted name
    single = STEP.format(name="one", indexes=WINLOG, image="cmd.exe").removesuffix("---\n")
    assert "winlog.event_data.IntegrityLevel" in emit(single, "eql").queries[0]
    with pytest.raises(EmitError, match="winlog.event_data.Nope has no mapping"):
        emit(single.replace("IntegrityLevel", "Nope"), "eql")


@pytest.mark.parametrize(("patterns", "only"), [
    (["logs-endpoint.events.process-*"], True),
    (["logs-endpoint.events.process*", "logs-endpoint.events.network*"], True),
    (["logs-endpoint.events.*", "-logs-endpoint.events.file-*"], True),
    (["logs-endpoint.events.process-*", "winlogbeat-*"], False),
    (["auditbeat-*"], False),
    (["logs-*"], False),
    (["logs-*endpoint.events.process-*"], False),
    (["remote:logs-endpoint.events.process-*"], False),
    ([], False),
])
def test_defend_only_names_patterns_that_can_name_only_defend_indexes(patterns, only):
    assert defend_only(patterns) is only


def test_pysigma_records_which_correlations_reference_a_rule():
    # transforms.referrers reads an attribute pySigma 1.5 does not document: pin it
    from sigma.collection import SigmaCollection
    from sigma.correlations import SigmaCorrelationRule

    from converters.emit.transforms import referrers

    collection = SigmaCollection.from_yaml("""title: base
name: base
logsource: {category: process_creation, product: windows}
detection: {sel: {Image|endswith: '\\\\x.exe'}, condition: sel}
---
title: many
correlation: {type: event_count, rules: [base], group-by: [User], timespan: 5m, condition: {gte: 3}}
""")
    base = next(r for r in collection.rules if r.title == "base")
    assert {type(r) for r in referrers(base)} == {SigmaCorrelationRule}
    alone = SigmaCollection.from_yaml("title: t\nlogsource: {category: process_creation}\n"
                                      "detection: {sel: {Image: x}, condition: sel}\n").rules[0]
    assert referrers(alone) == []
