"""SPL commands across events (converters/spl/stats.py) and the events behind each result."""

from __future__ import annotations

import pytest

from converters.engine.executor import ExecutionError
from converters.spl.executor import SplunkSearchExecutor

EX = SplunkSearchExecutor()


def ev(t, **fields):
    return {"_time": float(t), **fields}


def test_multisearch_keeps_an_event_once_per_subsearch_and_append_adds_a_subsearch():
    events = [ev(1, a="x"), ev(2, a="y")]
    q = '| multisearch [ search a=x | eval s=1 ] [ search a=* | eval s=2 ]'
    assert EX.alerts(q, events) == [(0,), (1,)]
    rows = EX._rows(q, events)
    assert sorted((sorted(p) if isinstance(p, frozenset) else p, r["s"]) for p, r in rows) == [(0, 1), (0, 2), (1, 2)]
    assert len(EX._rows('a=x | append [ search a=y ]', events)) == 2


def test_streamstats_counts_the_group_within_the_time_window_before_each_event():
    events = [ev(0, u="a"), ev(10, u="a"), ev(20, u="b"), ev(25, u="a"), ev(100, u="a")]
    q = "* | sort 0 _time | streamstats time_window=30s count as n by u | where n >= 3"
    assert EX.alerts(q, events) == [(0, 1, 3)]
    assert EX.run(q, events) == [0, 1, 3]
    assert EX.alerts(q.replace("30s", "20s"), events) == []    # 25 - 0 > 20


def test_streamstats_max_stands_for_the_event_it_picked_and_current_f_excludes_itself():
    events = [ev(0, s=1, u="a"), ev(5, s=1, u="a"), ev(8, s=2, u="a")]
    q = ("* | sort 0 _time | eval c=if(s=1, _time, null()) "
         "| streamstats time_window=1m current=f max(c) as p by u | where s=2 AND isnotnull(p)")
    assert EX.alerts(q, events) == [(1, 2)]


def test_dc_counts_distinct_values_exactly_and_stats_groups():
    events = [ev(0, u="a", v="x"), ev(1, u="a", v="X"), ev(2, u="a", v="x"), ev(3, u="b", v="y")]
    # case-sensitive: x and X are two values; every later event of the group still sees both
    assert EX.alerts("* | streamstats dc(v) as d by u | where d >= 2", events) == [(0, 1), (0, 1, 2)]
    assert EX.alerts("* | stats count as n by u | where n >= 3", events) == [(0, 1, 2)]


def test_sort_is_stable_and_orders_numbers_as_numbers():
    events = [ev(10, k="b"), ev(9, k="a"), ev(100, k="c")]
    rows = EX._rows("* | sort 0 _time", events)
    assert [r["k"] for _, r in rows] == ["a", "b", "c"]
    rows = EX._rows("* | sort - _time", events)
    assert [r["k"] for _, r in rows] == ["c", "b", "a"]


def test_tstats_by_time_span_counts_per_bucket():
    events = [{"_time": 0.2, "Processes.user": "a"}, {"_time": 0.7, "Processes.user": "a"},
              {"_time": 1.1, "Processes.user": "a"}]
    q = '| tstats count from datamodel=Endpoint.Processes by _time span=1s Processes.user'
    rows = EX._rows(q, events)
    assert sorted((r["_time"], r["count"]) for _, r in rows) == [(0.0, 2), (1.0, 1)]
    assert sorted(EX.alerts(q, events)) == [(0, 1), (2,)]


def test_bin_rounds_time_down_to_the_span():
    rows = EX._rows("* | bin _time span=1m", [ev(61)])
    assert rows[0][1]["_time"] == 60.0


@pytest.mark.parametrize("query", [
    "* | streamstats median(x)",
    "search a [search b]",
    "* | multisearch [ search a ] [ search b ]",
    "| multisearch [ eval x=1 ] [ search b ]",
])
def test_what_is_not_modelled_raises(query):
    with pytest.raises(ExecutionError):
        EX.run(query, [ev(0, a="1")])
