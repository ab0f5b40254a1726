"""EQL sequences and samples over event streams, as Elasticsearch documents them (converters/eql/sequences.py)."""

from __future__ import annotations

import pytest

from converters.engine.executor import ExecutionError
from converters.eql.evaluator import EqlExecutor

EX = EqlExecutor()


def ev(second, name, user="root", category="process", **extra):
    e = {"@timestamp": f"2025-01-01T00:{second // 60:02d}:{second % 60:02d}Z", "event": {"category": [category]},
         "user": {"name": user}, "process": {"name": name}}
    e.update(extra)
    return e


def test_the_state_machine_example_of_elasticsearch_s_documentation():
    # "How sequence queries handle matches": ids 1..11 (0-based here)
    names = ["attrib", "attrib", "bash", "bash", "bash", "attrib", "attrib", "bash", "cat", "cat", "cat"]
    users = ["root", "root", "elkbee", "root", "root", "elkbee", "root", "elkbee", "root", "elkbee", "root"]
    events = [ev(i, n, u) for i, (n, u) in enumerate(zip(names, users))]
    q = ('sequence by user.name [process where process.name == "attrib"] '
         '[process where process.name == "bash"] [process where process.name == "cat"]')
    assert EX.alerts(q, events) == [(1, 3, 8), (5, 7, 9)]   # [2, 4, 9] and [6, 8, 10] in the docs' ids
    assert EX.run(q, events) == [1, 3, 5, 7, 8, 9]


def test_maxspan_counts_from_the_first_event_and_includes_its_bound():
    q = 'sequence with maxspan=10s [process where process.name == "a"] [process where process.name == "b"] ' \
        '[process where process.name == "c"]'
    assert EX.alerts(q, [ev(0, "a"), ev(6, "b"), ev(10, "c")]) == [(0, 1, 2)]
    assert EX.alerts(q, [ev(0, "a"), ev(6, "b"), ev(11, "c")]) == []   # 11 s after the first event


def test_events_are_taken_in_time_order_whatever_the_stream_order():
    q = 'sequence [process where process.name == "a"] [process where process.name == "b"]'
    assert EX.alerts(q, [ev(5, "b"), ev(1, "a")]) == [(1, 0)]


def test_until_expires_the_pending_sequences_of_its_key():
    q = ('sequence by user.name [process where process.name == "a"] [process where process.name == "b"] '
         'until [process where process.name == "stop"]')
    # A, C, B: cut; A, B, C: matches (the docs' example)
    assert EX.alerts(q, [ev(0, "a"), ev(1, "stop"), ev(2, "b")]) == []
    assert EX.alerts(q, [ev(0, "a"), ev(1, "b"), ev(2, "stop")]) == [(0, 1)]
    # another key's until does not cut
    assert EX.alerts(q, [ev(0, "a"), ev(1, "stop", "other"), ev(2, "b")]) == [(0, 2)]


def test_runs_repeat_a_step_and_one_event_can_both_advance_and_start_a_sequence():
    q = 'sequence by user.name with maxspan=10s [process where process.name == "x"] with runs=3'
    events = [ev(0, "x"), ev(1, "x"), ev(2, "x"), ev(3, "x")]
    assert EX.alerts(q, events) == [(0, 1, 2), (1, 2, 3)]
    assert EX.alerts(q, events[:2]) == []


def test_join_keys_must_be_present_unless_optional():
    q = 'sequence by user.name [process where process.name == "a"] [process where process.name == "b"]'
    no_user = [{k: v for k, v in ev(0, "a").items() if k != "user"}, {k: v for k, v in ev(1, "b").items()
                                                                        if k != "user"}]
    assert EX.alerts(q, no_user) == []
    assert EX.alerts(q.replace("by user.name", "by ?user.name"), no_user) == [(0, 1)]


def test_per_step_keys_join_positionally():
    q = ('sequence [process where process.name == "a"] by process.pid '
         '[network where true] by process.parent.pid')
    a = ev(0, "a", process={"name": "a", "pid": 7})
    n_same = ev(1, "x", category="network", process={"name": "x", "parent": {"pid": 7}})
    n_other = ev(2, "x", category="network", process={"name": "x", "parent": {"pid": 8}})
    assert EX.alerts(q, [a, n_other]) == []
    assert EX.alerts(q, [a, n_same]) == [(0, 1)]


def test_missing_events_reject_sequences_with_the_event_between():
    q = ('sequence by user.name with maxspan=1m [process where process.name == "a"] '
         '![process where process.name == "b"] [process where process.name == "c"]')
    assert EX.alerts(q, [ev(0, "a"), ev(2, "c")]) == [(0, 1)]
    assert EX.alerts(q, [ev(0, "a"), ev(1, "b"), ev(2, "c")]) == []
    with pytest.raises(ExecutionError, match="maxspan"):
        EX.alerts('sequence [process where true] ![process where true] [process where true]', [ev(0, "a")])


def test_samples_are_unordered_and_one_per_key():
    q = 'sample by user.name [process where process.name == "a"] [process where process.name == "b"]'
    events = [ev(0, "b"), ev(1, "a"), ev(2, "a", "other"), ev(3, "b"), ev(4, "a")]
    # root: the earliest a (1) and the earliest b (0); "other" has no b
    assert EX.alerts(q, events) == [(0, 1)]


def test_events_without_a_time_take_part_in_nothing():
    q = 'sequence [process where process.name == "a"] [process where process.name == "b"]'
    no_time = {k: v for k, v in ev(1, "b").items() if k != "@timestamp"}
    assert EX.alerts(q, [ev(0, "a"), no_time]) == []


def test_an_event_query_raises_one_alert_per_event():
    assert EX.alerts('process where process.name == "a"', [ev(0, "a"), ev(1, "b"), ev(2, "a")]) == [(0,), (2,)]


def test_a_rule_s_category_timestamp_and_tiebreaker_fields_are_read():
    # event_category_override, timestamp_field and tiebreaker_field of an Elastic EQL rule
    def e(t, name, seq):
        return {"event": {"type": ["info"], "created": f"2025-01-01T00:00:{t:02d}Z", "sequence": seq},
                "user": {"name": "root"}, "process": {"name": name}}
    q = 'sequence by user.name [info where process.name == "a"] [info where process.name == "b"]'
    events = [e(5, "b", 2), e(5, "a", 1), e(9, "a", 3)]
    ex = EqlExecutor("event.type", "event.created", "event.sequence")
    assert ex.alerts(q, events) == [(1, 0)]          # same second: the tiebreaker puts "a" (1) before "b" (2)
    assert EqlExecutor("event.type", "event.created").alerts(q, events) == []   # stream order: b, then a
    assert EX.alerts(q, events) == []                # no event.category and no @timestamp
