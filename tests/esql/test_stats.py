"""ES|QL EVAL and STATS (converters/esql/stats.py), the functions correlations use, and alerts."""

from __future__ import annotations

import pytest

from converters.engine.executor import ExecutionError
from converters.esql.executor import EsqlExecutor

EX = EsqlExecutor()


def ev(ts, **fields):
    return {"@timestamp": [ts], **{k: [v] for k, v in fields.items()}}


EVENTS = [ev("2025-01-01T00:00:10Z", u="a", s="x"), ev("2025-01-01T00:00:50Z", u="a", s="y"),
          ev("2025-01-01T00:01:10Z", u="a", s="x"), ev("2025-01-01T00:00:20Z", u="b", s="x")]


def test_stats_groups_by_bucket_and_key_and_a_group_stands_for_its_events():
    q = ("FROM logs-* | EVAL b = DATE_TRUNC(1 minute, @timestamp) "
         "| STATS n = COUNT(*) BY b, u | WHERE n >= 2")
    assert EX.alerts(q, EVENTS) == [(0, 1)]
    assert EX.run(q, EVENTS) == [0, 1]


def test_count_distinct_min_max_and_case():
    q = ("FROM * | EVAL t = TO_LONG(@timestamp), first = CASE(s == \"x\", 1) "
         "| STATS d = COUNT_DISTINCT(s), lo = MIN(t), hi = MAX(t), xs = COUNT(first) BY u "
         "| WHERE d == 2 AND lo < hi AND xs == 2")
    assert EX.alerts(q, EVENTS) == [(0, 1, 2)]


def test_mv_append_and_mv_expand_make_one_row_per_value():
    q = "FROM * | EVAL k = MV_APPEND(CASE(s == \"x\", 1), CASE(u == \"a\", 2)) | MV_EXPAND k | STATS n = COUNT(*) BY k"
    rows = EX._rows(q, EVENTS)
    assert sorted((r["k"], r["n"]) for _, r in rows) == [(1, 3), (2, 3)]


def test_mv_sort_and_mv_slice():
    q = ("FROM * | EVAL t = TO_LONG(@timestamp) | STATS ts = VALUES(t) BY u "
         "| EVAL second = MV_SLICE(MV_SORT(ts), 1), last = MV_SLICE(MV_SORT(ts), -1) | WHERE second < last")
    assert EX.alerts(q, EVENTS) == [(0, 1, 2)]


def test_a_null_group_value_is_its_own_group():
    events = EVENTS + [ev("2025-01-01T00:00:30Z", s="x"), ev("2025-01-01T00:00:31Z", s="x")]
    rows = EX._rows("FROM * | STATS n = COUNT(*) BY u", events)
    assert sorted((r.get("u") or "", r["n"]) for _, r in rows) == [("", 2), ("a", 3), ("b", 1)]


@pytest.mark.parametrize("query", ["FROM * | STATS n = MEDIAN(x)", "FROM * | EVAL 1", "FROM * | STATS COUNT(*)"])
def test_unsupported_forms_raise(query):
    with pytest.raises(ExecutionError):
        EX.run(query, EVENTS)
