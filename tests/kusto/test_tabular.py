"""Kusto operators across rows (converters/kusto/tabular.py, scalar.py), checked on Microsoft's own examples."""

from __future__ import annotations

import pytest

from converters.engine.executor import ExecutionError
from converters.emit.targets import defender_executor
from converters.kusto.tabular import TabularQuery

KQL = defender_executor()


def run(query: str, rows: list[dict]) -> list[tuple[frozenset, dict]]:
    compiled = TabularQuery(query, lambda table, text: KQL.reader(f"{table} | where {text}", rows),
                            "DeviceProcessEvents")
    return compiled.run([(frozenset((i,)), r) for i, r in enumerate(rows)])


def minute(m: int) -> str:
    return f"2025-01-01T00:{m:02d}:00Z"


# "Events between Start and Stop" (scan operator page): Start B D Stop within 5m; then Start E Stop
DOC_EVENTS = [{"Timestamp": minute(m), "Event": e} for m, e in
              [(0, "A"), (1, "Start"), (2, "B"), (3, "D"), (4, "Stop"), (6, "C"), (8, "Start"), (11, "E"), (12, "Stop")]]
DOC_QUERY = """DeviceProcessEvents
| sort by Timestamp asc
| scan with_match_id=m_id with
(
    step s1: Event == "Start";
    step s2: Event != "Start" and Event != "Stop" and Timestamp - s1.Timestamp <= 5m;
    step s3: Event == "Stop" and Timestamp - s1.Timestamp <= 5m;
)"""


def test_scan_follows_the_documented_walkthrough():
    out = run(DOC_QUERY, DOC_EVENTS)
    assert [(r["Event"], r["m_id"]) for _, r in out] == [
        ("Start", 0), ("B", 0), ("D", 0), ("Stop", 0), ("Start", 1), ("E", 1), ("Stop", 1)]


def test_a_scan_row_stands_for_its_sequence():
    out = run(DOC_QUERY, DOC_EVENTS)
    stop = [p for p, r in out if r["Event"] == "Stop"]
    assert stop == [frozenset({1, 3, 4}), frozenset({6, 7, 8})]  # Start, D (replaced B in s2), Stop


def test_output_none_steps_and_a_closing_step_fire_once_per_sequence():
    rows = [{"Timestamp": minute(m), "Event": e} for m, e in [(0, "a"), (1, "b"), (2, "b")]]
    out = run("""DeviceProcessEvents | sort by Timestamp asc | scan with (
        step s1 output=none: Event == "a";
        step s2: Event == "b" and Timestamp > s1.Timestamp and Timestamp - s1.Timestamp <= 5m;
        step done output=none: true;
    )""", rows)
    assert [p for p, _ in out] == [frozenset({0, 1})]


def test_partition_runs_the_subquery_per_key():
    rows = [{"Timestamp": minute(m), "Event": e, "K": k} for m, e, k in
            [(0, "a", "x"), (1, "a", "y"), (2, "b", "y"), (3, "b", "x")]]
    out = run("""DeviceProcessEvents | partition hint.strategy=native by K (sort by Timestamp asc | scan with (
        step s1 output=none: Event == "a";
        step s2: Event == "b" and Timestamp > s1.Timestamp;
    ))""", rows)
    assert sorted(p for p, _ in out) == [frozenset({0, 3}), frozenset({1, 2})]


def test_prev_reads_serialized_rows_and_stands_for_the_rows_it_spans():
    rows = [{"Timestamp": minute(m), "K": k} for m, k in [(0, "x"), (1, "x"), (2, "y"), (3, "x")]]
    out = run("""DeviceProcessEvents | sort by K asc, Timestamp asc
        | extend first = prev(Timestamp, 2), first_key = prev(K, 2)
        | where first_key == K and Timestamp - first <= 5m""", rows)
    assert [p for p, _ in out] == [frozenset({0, 1, 3})]


def test_summarize_bins_time_and_makes_sets():
    rows = [{"Timestamp": minute(m), "K": "x", "V": v} for m, v in [(0, "a"), (1, "b"), (2, "a"), (6, "c")]]
    out = run("""DeviceProcessEvents | summarize vs = make_set(V), n = count() by K, b = bin(Timestamp, 5m)
        | where array_length(vs) >= 2""", rows)
    assert [(p, r["n"]) for p, r in out] == [(frozenset({0, 1, 2}), 3)]


def test_union_branches_name_their_rows_with_extend():
    rows = [{"Timestamp": minute(0), "FileName": "a.exe"}, {"Timestamp": minute(1), "FileName": "b.exe"}]
    out = run("""union (DeviceProcessEvents | where FileName =~ "A.EXE" | extend step = 1),
                      (DeviceProcessEvents | where FileName endswith "exe" | extend step = 2)""", rows)
    assert sorted((sorted(p), r["step"]) for p, r in out) == [([0], 1), ([0], 2), ([1], 2)]


def test_a_column_extended_right_after_the_table_is_kept_for_the_stages_after_it():
    # Kusto's extend adds a column to the rows: the table's filter reads it, and so does a later stage
    # (a join key computed from two columns, converters/data/platforms/sentinel-asim.json imNetworkSession)
    rows = [{"Timestamp": minute(0), "FileName": "", "FolderPath": "b.exe"},
            {"Timestamp": minute(1), "FileName": "a.exe", "FolderPath": "c.exe"}]
    out = run("""DeviceProcessEvents | extend Name = iff(isempty(FileName), FolderPath, FileName)
              | where Name endswith ".exe" | extend key = tostring(Name)""", rows)
    assert sorted((sorted(p), r["key"]) for p, r in out) == [([0], "b.exe"), ([1], "a.exe")]


def test_sort_defaults_to_descending():
    rows = [{"Timestamp": minute(m)} for m in (1, 3, 2)]
    assert [r["Timestamp"] for _, r in run("DeviceProcessEvents | sort by Timestamp", rows)] == \
        [minute(3), minute(2), minute(1)]


@pytest.mark.parametrize("query", ["DeviceProcessEvents | take 5", "DeviceProcessEvents | summarize x = dcount(a) by b",
                                   "DeviceProcessEvents | extend x = tolower(a)"])
def test_unsupported_operators_and_functions_raise(query):
    with pytest.raises(ExecutionError):
        run(query, [{"Timestamp": minute(0), "a": "x", "b": "y"}])


def test_the_executor_answers_with_alerts():
    rows = [{"Timestamp": minute(0), "FileName": "cmd.exe", "InitiatingProcessId": 5},
            {"Timestamp": minute(1), "FileName": "whoami.exe", "InitiatingProcessId": 5}]
    query = """union (DeviceProcessEvents | where FileName == "cmd.exe" | extend s = 1, t = Timestamp,
                        k = tostring(InitiatingProcessId)),
                     (DeviceProcessEvents | where FileName == "whoami.exe" | extend s = 2, t = Timestamp,
                        k = tostring(InitiatingProcessId))
        | partition hint.strategy=native by k (sort by t asc | scan with (
            step s1 output=none: s == 1; step s2: s == 2 and t > s1.t and t - s1.t <= 5m;))"""
    assert KQL.alerts(query, rows) == [(0, 1)]
    assert KQL.run(query, rows) == [0, 1]


def test_a_guard_on_the_step_keeps_the_first_record_of_a_partial_sequence():
    """Check 2 lets a later event of step 2 replace the one a partial sequence holds; the emitted scan steps
    refuse it (`isnull(s2.t)`), as an EQL sequence keeps its first event (and an event of step 2 and step 3
    at once still completes the sequence)."""
    rows = [{"Timestamp": minute(m), "Event": e} for m, e in [(0, "a"), (1, "b"), (2, "b"), (3, "c")]]
    steps = """step s1 output=none: Event == "a";
        step s2 output=none: Event == "b" and {guard} Timestamp > s1.Timestamp;
        step s3: Event == "c" and Timestamp > s2.Timestamp;"""
    plain = run(f"DeviceProcessEvents | sort by Timestamp asc | scan with ({steps.format(guard='')})", rows)
    guarded = run("DeviceProcessEvents | sort by Timestamp asc | scan with ("
                  + steps.format(guard="isnull(s2.Timestamp) and") + ")", rows)
    assert [p for p, _ in plain] == [frozenset({0, 2, 3})]
    assert [p for p, _ in guarded] == [frozenset({0, 1, 3})]
    both = [{"Timestamp": minute(m), "Event": e, "s": s} for m, e, s in [(0, "a", 1), (1, "b", 2), (2, "x", 2),
                                                                       (2, "x", 3)]]
    out = run("""DeviceProcessEvents | sort by Timestamp asc | scan with (
        step s1 output=none: s == 1;
        step s2 output=none: s == 2 and isnull(s2.Timestamp) and Timestamp > s1.Timestamp;
        step s3: s == 3 and Timestamp > s2.Timestamp;)""", both)
    assert [p for p, _ in out] == [frozenset({0, 1, 3})]


def test_a_computed_column_right_after_the_table_is_read_by_its_where_stages():
    # the endpoint targets' shape: table, computed column, pre-filter, rule; then the correlation's own extend
    rows = [{"$table": "DeviceRegistryEvents", "RegistryKey": "HKEY_LOCAL_MACHINE\\Run", "RegistryValueName": "x",
             "ActionType": "RegistryValueSet", "Timestamp": minute(0)},
            {"$table": "DeviceRegistryEvents", "RegistryKey": "HKEY_LOCAL_MACHINE\\Run", "RegistryValueName": "y",
             "ActionType": "RegistryValueSet", "Timestamp": minute(1)}]
    out = run('DeviceRegistryEvents | extend RegistryPath = strcat(RegistryKey, "\\\\", RegistryValueName)'
              ' | where ActionType == "RegistryValueSet"\n| where RegistryPath endswith "\\\\x"\n| extend step = 1', rows)
    assert [(sorted(p), r["step"]) for p, r in out] == [([0], 1)]


def test_a_dynamic_columns_properties_are_read_beside_scan_step_columns():
    # CloudAppEvents.RawEventData is dynamic: `RawEventData.UserId` is its property, `s1.t` a scan step's column
    rows = [{"Timestamp": minute(m), "RawEventData": {"UserId": u, "Ops": [{"n": op}]}}
            for m, u, op in [(0, "alice", "a"), (1, "bob", "b"), (2, "alice", "b")]]
    out = run("""DeviceProcessEvents | where isnotnull(Timestamp) | extend k = tostring(RawEventData.UserId), t = Timestamp
        | partition hint.strategy=native by k (sort by t asc | scan with (
            step s1 output=none: tostring(RawEventData.Ops[0].n) == "a";
            step s2: RawEventData["Ops"][0]["n"] == "b" and t > s1.t and isnull(RawEventData.Missing);))""", rows)
    assert [(sorted(p), r["k"]) for p, r in out] == [([0, 2], "alice")]
    absent = run("DeviceProcessEvents | where isnotnull(Timestamp) | extend k = tostring(RawEventData.UserId)",
                 [{"Timestamp": minute(0)}])
    assert [r["k"] for _, r in absent] == [""]


def test_trim_cuts_every_leading_and_trailing_match_of_its_regex():
    # trim() page (learn.microsoft.com/kusto/query/trim-function): "--https://bing.com--" with "--" is
    # "https://bing.com"; @"[^\w]+" on "- Te st1// $" is "Te st1"; repeated matches go too; the middle stays
    rows = [{"Timestamp": minute(0), **({"S": s} if s is not None else {})}
            for s in ("--https://bing.com--", "- Te st1// $", "{{AB-{C}-D}}", "x", None)]
    out = run('DeviceProcessEvents | where isnotnull(Timestamp) | extend a = trim("--", S), b = trim(@"[^\\w]+", S), '
              'c = trim(@"[{}]", tostring(S))', rows)
    assert [(r["a"], r["b"], r["c"]) for _, r in out] == [
        ("https://bing.com", "https://bing.com", "--https://bing.com--"),
        ("- Te st1// $", "Te st1", "- Te st1// $"),
        ("{{AB-{C}-D}}", "AB-{C}-D", "AB-{C}-D"),
        ("x", "x", "x"), ("", "", "")]


def test_trim_refuses_a_regex_re2_rejects():
    with pytest.raises(ExecutionError, match="RE2"):
        run('DeviceProcessEvents | where isnotnull(Timestamp) | extend a = trim(@"(?=x)", S)',
            [{"Timestamp": minute(0), "S": "x"}])


def test_trim_reads_the_end_of_the_text_as_re2_does():
    # RE2's `$` (without the m flag) is the very end of the text; Python's also matches before a final
    # newline, which would cut "c" from "abc\n"
    rows = [{"Timestamp": minute(0), "S": "abc\n"}, {"Timestamp": minute(0), "S": "{ABC}\n"}]
    out = run('DeviceProcessEvents | where isnotnull(Timestamp) | extend a = trim("c", S), b = trim(@"[{}]", S)', rows)
    assert [(r["a"], r["b"]) for _, r in out] == [("abc\n", "abc\n"), ("{ABC}\n", "ABC}\n")]
