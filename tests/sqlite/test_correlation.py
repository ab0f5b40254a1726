"""Sigma correlation rules run in SQLite by pysigma-backend-sqlite (converters/sqlite/correlation.py)."""

from __future__ import annotations

import sqlite3

import pytest

from converters.emit.targets import TARGETS
from converters.sqlite.executor import SigmaSqliteExecutor
from tests.emit.test_correlation_emit import COUNT, DISTINCT, ORDERED, RUNS, TEMPORAL, THREE, collection


def proc(second: int, image: str, ppid: int = 7, user: str = "CORP\\alice", cmd: str = "x") -> dict:
    return {"EventID": 1, "UtcTime": f"2025-01-01 00:{second // 60:02d}:{second % 60:02d}.000",
            "Image": "C:\\Windows\\System32\\" + image, "ParentProcessId": ppid, "User": user, "CommandLine": cmd}


def alerts(text: str, events: list[dict]):
    return TARGETS["sigma"].executor().alerts(text, events)


def test_temporal_ordered_needs_the_rules_in_order_within_the_timespan():
    assert alerts(ORDERED, [proc(0, "cmd.exe"), proc(30, "whoami.exe")]) == [(0, 1)]
    assert alerts(ORDERED, [proc(0, "whoami.exe"), proc(30, "cmd.exe")]) == []
    assert alerts(ORDERED, [proc(0, "cmd.exe"), proc(61, "whoami.exe")]) == []
    assert alerts(ORDERED, [proc(0, "cmd.exe", ppid=1), proc(30, "whoami.exe", ppid=2)]) == []


def test_temporal_takes_any_order():
    assert alerts(TEMPORAL, [proc(0, "whoami.exe"), proc(30, "cmd.exe")]) == [(0, 1)]


def test_event_count_counts_a_sliding_window_per_group():
    events = [proc(0, "net.exe"), proc(40, "net.exe"), proc(80, "net.exe"), proc(90, "net.exe")]
    # windows of 60 s ending at each event: [40, 80, 90] holds three
    assert alerts(COUNT, events) == [(1, 2, 3)]
    assert alerts(COUNT, events[:3]) == []


def test_value_count_counts_distinct_values():
    events = [proc(i, "net.exe", cmd=f"net {c}") for i, c in enumerate(["a", "b", "c", "d"])]
    assert alerts(DISTINCT, events) == [(0, 1, 2, 3)]
    assert alerts(DISTINCT, events[:3] + [proc(3, "net.exe", cmd="net a")]) == []


def test_value_count_of_an_array_field_counts_the_values_of_its_elements():
    # Elasticsearch's cardinality aggregation counts every value of a multi-valued field: arrays
    # [net, a] [net, a] [net, b] hold three distinct values (net, a, b), not two distinct arrays
    args = DISTINCT.replace("field: CommandLine", "field: process.args").replace("gte: 4", "gte: 3")
    events = [{**proc(i, "net.exe"), "process.args": f"net\n{c}"} for i, c in enumerate("aab")]
    assert alerts(args, events) == [(0, 1, 2)]
    assert alerts(args, events[:2]) == []
    assert alerts(args.replace("gte: 3", "gte: 4"), events) == []
    # a field that is no array is counted whole (a command line may hold a line break)
    lines = [proc(i, "net.exe", cmd=f"net\n{c}") for i, c in enumerate("ab")]
    assert alerts(DISTINCT.replace("gte: 4", "gte: 3"), lines) == []


def test_run_is_the_union_of_the_alerts():
    executor = TARGETS["sigma"].executor()
    assert executor.run(ORDERED, [proc(0, "cmd.exe"), proc(30, "whoami.exe"), proc(40, "notepad.exe")]) == [0, 1]


def test_case_folding_is_declared_on_the_ecs_fields_of_the_keys():
    executor = TARGETS["sigma"].executor()
    [group] = executor.adaptation_notes(ORDERED)
    assert group.code == "sigma/group-by-case" and group.affects.direction == "more"
    assert group.affects.condition == {"group_fold_case": ["process.parent.pid"]}
    codes = {n.code: n.affects.condition for n in executor.adaptation_notes(DISTINCT)}
    assert codes["sigma/distinct-case"] == {"group_fold_case": ["process.command_line"]}
    # and it is what the backend does: keys differing only in case join
    events = [proc(0, "cmd.exe", user="CORP\\Alice"), proc(30, "whoami.exe", user="corp\\alice")]
    assert alerts(ORDERED.replace("ParentProcessId", "User"), events) == [(0, 1)]


PROCESS_THEN_NETWORK = """\
title: started
name: started
logsource: {category: process_creation, product: windows}
detection:
  s:
    Image|endswith: \\\\mshta.exe
  condition: s
---
title: connected
name: connected
logsource: {category: network_connection, product: windows}
detection:
  s:
    Image|endswith: \\\\mshta.exe
  condition: s
---
title: mshta started, then connected
correlation:
  type: temporal_ordered
  rules: [started, connected]
  group-by: [ProcessGuid]
  timespan: 10m
"""


def test_each_base_rule_reads_only_its_own_logsources_records():
    def record(second: int, category: str) -> dict:
        return {"UtcTime": f"2025-01-01 00:00:{second:02d}.000", "Image": "C:\\Windows\\System32\\mshta.exe",
                "ProcessGuid": "g1", "sigma.category": category, "sigma.product": "windows"}

    in_order = [record(1, "process_creation"), record(2, "network_connection")]
    assert alerts(PROCESS_THEN_NETWORK, in_order) == [(0, 1)]
    # the connection comes first: it must not stand for the process creation (it names the same Image)
    assert alerts(PROCESS_THEN_NETWORK, [record(1, "network_connection"), record(2, "process_creation")]) == []
    # a record naming no logsource is read by every rule; a field no record holds is still NULL
    loose = [{k: v for k, v in r.items() if k != "sigma.category"} for r in in_order]
    assert alerts(PROCESS_THEN_NETWORK, loose) == [(0, 1)]
    assert alerts(PROCESS_THEN_NETWORK.replace("Image|endswith", "Missing|endswith", 1), in_order) == []


def one_statement_alerts(text: str, events: list[dict]):
    """The alerts of the backend's one-statement form of the correlation (WITH stage AS (...) ... SELECT)."""
    class OneStatement(SigmaSqliteExecutor):
        def _convert_anew(self, sigma_yaml):
            return super()._convert_anew(sigma_yaml)._replace(plans={})

    sigma = TARGETS["sigma"].executor()
    return OneStatement(sigma.pipeline, sigma.key_field, sigma.ecs_field).alerts(text, events)


@pytest.mark.parametrize("text", [ORDERED, TEMPORAL, COUNT, DISTINCT, RUNS, THREE])
def test_the_staged_plan_finds_the_alerts_of_the_one_statement_form(text):
    events = [proc(i * 7, image, ppid=1 + i % 2, cmd=f"c{i % 5}") for i, image in
              enumerate(["cmd.exe", "net.exe", "net.exe", "whoami.exe", "net.exe", "cmd.exe", "net.exe",
                         "net.exe", "whoami.exe", "net.exe", "net.exe", "whoami.exe", "net.exe"])]
    staged = alerts(text, events)
    assert staged == one_statement_alerts(text, events)
    assert staged or text is DISTINCT  # the events raise alerts (but for the distinct count's threshold)


def test_a_long_ordered_chain_runs_stage_by_stage(monkeypatch):
    # a 26-step temporal_ordered chain (EQL `with runs=25`, as in Elastic's SSH brute-force rule): as one
    # statement, SQLite flattens the nested stages, and preparing it alone took 2 GB and 25 s
    chain = collection("temporal_ordered", ["net.exe"] * 25 + ["whoami.exe"])
    events = [proc(i, "net.exe") for i in range(25)] + [proc(25, "whoami.exe"), proc(26, "whoami.exe")]
    statements: list[str] = []
    connect = sqlite3.connect

    def traced(*args, **kwargs):
        con = connect(*args, **kwargs)
        con.set_trace_callback(statements.append)
        return con

    monkeypatch.setattr(sqlite3, "connect", traced)
    assert alerts(chain, events) == [tuple(range(26))]
    assert any(s.startswith("CREATE TEMP TABLE") for s in statements)
    assert not any(s.lstrip().startswith("WITH") for s in statements)
    assert max(len(s) for s in statements) < 20_000  # no stage holds the whole chain
    assert alerts(chain, events[1:]) == []            # 24 runs are not enough
