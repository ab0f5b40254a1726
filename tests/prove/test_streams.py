"""Correlation streams (converters/prove/streams.py), the threshold model, and explanations on alert groups."""

from __future__ import annotations

import pytest

from converters.load import load_rule
from converters.notes import LESS, MORE, Affects, Note, all_, eq, group_crosses_bucket, group_span_over
from converters.prove.correlation import original_executor
from converters.prove.stream_explain import StreamContext, explaining_note, group_holds
from converters.prove.streams import StreamError, stream_cases
from converters.prove.threshold import ThresholdExecutor
from converters.kql.evaluator import KibanaKqlExecutor
from tests.support import FIXTURES

SEQUENCE = FIXTURES / "correlation" / "discovery_cmd_then_whoami.toml"
THRESHOLD = FIXTURES / "correlation" / "discovery_net_threshold.toml"


def alerts_by_scenario(rule_path):
    rule = load_rule(rule_path)
    stream = stream_cases(rule)
    events = stream.events
    fired = {i for group in original_executor(rule)().alerts(rule.rule["query"], events) for i in group}
    out, start = {}, 0
    for scenario in stream.scenarios:
        span = range(start, start + len(scenario.events))
        out[scenario.name] = (scenario.fires, bool(fired & set(span)), set(span) <= fired if scenario.fires else None)
        start += len(scenario.events)
    return stream, out


def test_sequence_streams_hold_a_scenario_for_each_side():
    stream, result = alerts_by_scenario(SEQUENCE)
    assert set(result) == {"in-order", "straddling", "out-of-order", "outside-maxspan", "other-key"}
    for name, (fires, fired, whole) in result.items():
        assert fires == fired, name
        assert whole in (None, True), name
    assert stream.skipped == []


def test_threshold_streams_count_on_each_side():
    _, result = alerts_by_scenario(THRESHOLD)
    assert set(result) == {"at-threshold", "straddling", "below-threshold", "spread-out", "other-keys"}
    assert all(fires == fired for fires, fired, _ in result.values())


def test_streams_are_deterministic_for_a_seed_and_time_ordered():
    rule = load_rule(SEQUENCE)
    assert stream_cases(rule, seed=3).events == stream_cases(rule, seed=3).events
    times = [e["@timestamp"] for e in stream_cases(rule).events]
    assert times == sorted(times)


def test_a_single_event_rule_has_no_stream(seed_rule):
    with pytest.raises(StreamError):
        stream_cases(load_rule(seed_rule))


def test_the_threshold_model_uses_look_back_windows_ending_at_each_event():
    rule = {"threshold": {"field": ["user.name"], "value": 2}}
    executor = ThresholdExecutor(KibanaKqlExecutor(), rule, 60)

    def ev(second, user):
        return {"@timestamp": f"2025-01-01T00:{second // 60:02d}:{second % 60:02d}Z", "user": {"name": user},
                "event": {"action": "x"}}

    events = [ev(0, "a"), ev(61, "a"), ev(70, "a"), ev(0, "b")]
    assert executor.alerts("event.action:x", events) == [(1, 2)]


def _ctx(times: list[int], original, column):
    events = {i: {"@timestamp": f"2025-01-01T00:{t // 60:02d}:{t % 60:02d}Z", "user": {"name": "A" if i else "a"}}
              for i, t in enumerate(times)}
    return StreamContext(events, original, column)


def test_group_conditions():
    ctx = _ctx([50, 70, 80], [(0, 1)], [])
    assert group_holds(group_crosses_bucket(60), (0, 1), ctx)
    assert not group_holds(group_crosses_bucket(60), (1, 2), ctx)
    assert group_holds(group_span_over(15), (0, 1), ctx) and not group_holds(group_span_over(30), (0, 1), ctx)
    assert group_holds({"group_fold_case": ["user.name"]}, (0, 1), ctx)
    assert group_holds({"group_shares_bucket": 60}, (1, 2), ctx)
    # an event condition holds on a group when it holds on one of its events
    assert group_holds(eq("user.name", "a"), (0, 1), ctx) and not group_holds(eq("user.name", "a"), (1, 2), ctx)
    assert group_holds(all_(group_crosses_bucket(60), eq("user.name", "A")), (0, 1), ctx)


def test_a_note_explains_on_the_groups_of_the_column_that_matched():
    buckets = Note("emit/fixed-buckets", "m", "esql", None, Affects.of(LESS, group_crosses_bucket(60)))
    wider = Note("emit/x", "m", "esql", None, Affects.of(MORE, group_crosses_bucket(60)))
    ctx = _ctx([50, 70, 80], original=[(0, 1)], column=[])
    assert explaining_note([wider, buckets], 0, True, False, ctx) is buckets
    inside = _ctx([65, 70, 80], original=[(0, 1)], column=[])
    assert explaining_note([buckets], 0, True, False, inside) is None


def test_group_differs_holds_when_a_group_mixes_values():
    from converters.notes import group_differs

    events = {0: {"host": {"id": "a"}}, 1: {"host": {"id": "a"}}, 2: {"host": {"id": "b"}}, 3: {}}
    ctx = StreamContext(events, [], [])
    assert not group_holds(group_differs("host.id"), (0, 1), ctx)
    assert group_holds(group_differs("host.id"), (0, 2), ctx)
    assert group_holds(group_differs("host.id"), (0, 3), ctx)


def test_a_sequence_without_maxspan_is_bounded_by_the_rule_s_look_back():
    from converters.eql.evaluator import EqlExecutor
    from converters.prove.correlation import LookBack

    def ev(minute, name):
        return {"@timestamp": f"2025-01-01T{minute // 60:02d}:{minute % 60:02d}:00Z", "event": {"category": ["process"]},
                "host": {"id": "h"}, "process": {"name": name}}

    q = 'sequence by host.id [process where process.name == "a"] [process where process.name == "b"]'
    events = [ev(0, "a"), ev(120, "b"), ev(200, "a"), ev(205, "b")]
    assert EqlExecutor().alerts(q, events) == [(0, 1), (2, 3)]          # the bare query: no time bound
    assert LookBack(EqlExecutor(), 9 * 60).alerts(q, events) == [(2, 3)]  # each run searches the last 9m


def test_sequence_streams_follow_the_rule_s_event_category_override(tmp_path):
    # each step's category is read from event.type: the stream's events set it there, and the
    # original (reading the override too) fires exactly on the scenarios built to fire
    text = SEQUENCE.read_text()
    path = tmp_path / "override.toml"
    path.write_text(text.replace("[rule]\n", '[rule]\nevent_category_override = "event.type"\n', 1))
    stream, result = alerts_by_scenario(path)
    for name, (fires, fired, _whole) in result.items():
        assert fires == fired, name
    assert result["in-order"][:2] == (True, True)
    in_order = next(s for s in stream.scenarios if s.name == "in-order")
    assert all({"process", "start"} <= set(e["event"]["type"]) for e in in_order.events)


def test_a_pinned_process_entity_keeps_one_pid_on_every_event(tmp_path):
    # a process has one PID: Defender XDR identifies it by device, PID and start, so a stream whose
    # events share an entity id (as process and as parent) gives them that process's PID everywhere
    from converters.prove.streams import pid_of

    text = SEQUENCE.read_text()
    start, end = text.index("query = '''") + len("query = '''"), text.index("'''", text.index("query = '''") + 11)
    query = ('\nsequence with maxspan=1m\n  [process where process.name : "cmd.exe"] by process.entity_id\n'
             '  [process where process.name : "whoami.exe"] by process.parent.entity_id\n')
    path = tmp_path / "entity.toml"
    path.write_text(text[:start] + query + text[end:])
    stream = stream_cases(load_rule(path))
    in_order = next(s for s in stream.scenarios if s.name == "in-order")
    first, second = in_order.events
    entity = first["process"]["entity_id"]
    assert second["process"]["parent"]["entity_id"] == entity
    assert first["process"]["pid"] == second["process"]["parent"]["pid"] == pid_of(entity)
    other = next(s for s in stream.scenarios if s.name == "other-key").events[-1]["process"]["parent"]
    assert other["entity_id"] != entity and other["pid"] == pid_of(other["entity_id"])


def test_a_stream_gives_each_host_id_one_host_name(tmp_path):
    # a platform that records only the host's name groups host.id by it (converters.emit.tables.NamedBy):
    # a real host keeps its name, and so do the stream's hosts; another host has another name
    path = tmp_path / "by_host.toml"
    path.write_text(THRESHOLD.read_text().replace('field = ["user.name"]', 'field = ["host.id"]'))
    stream, result = alerts_by_scenario(path)
    assert all(fires == fired for fires, fired, _ in result.values())
    names: dict = {}
    for event in stream.events:
        names.setdefault(event["host"]["id"], set()).add(event["host"]["name"])
    assert len(names) > 1 and all(len(n) == 1 for n in names.values())
    assert len({n for ns in names.values() for n in ns}) == len(names)
