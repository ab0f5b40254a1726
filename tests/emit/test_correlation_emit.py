"""Sigma correlation rules emitted for each target (converters/emit/correlation/), and each output run."""

from __future__ import annotations

import eql
import pytest
from sigma.backends.elasticsearch import EqlBackend
from sigma.collection import SigmaCollection

from converters.emit import EmitError, emit
from converters.emit.targets import TARGETS
from converters.eql import parse_query
from converters.esql.executor import compile_esql
from converters.kusto.tabular import TabularQuery
from converters.spl.executor import compile_spl
from tests.support import alerted

BASE = """title: {title}
name: {name}
logsource:
  category: process_creation
  product: windows
detection:
  selection:
    Image|endswith: '\\\\{image}'
  condition: selection
---
"""


def collection(kind: str, steps: list[str], extra: str = "", group_by: str = "ParentProcessId") -> str:
    text = "".join(BASE.format(title=f"step {i}", name=f"s{i}", image=image) for i, image in enumerate(steps, 1))
    rules = "".join(f"    - s{i}\n" for i in range(1, len(steps) + 1))
    return text + (f"title: chain\nname: chain\ncorrelation:\n  type: {kind}\n  rules:\n{rules}"
                   f"  group-by:\n    - {group_by}\n  timespan: 1m\n{extra}")


ORDERED = collection("temporal_ordered", ["cmd.exe", "whoami.exe"])
TEMPORAL = collection("temporal", ["cmd.exe", "whoami.exe"])
COUNT = collection("event_count", ["net.exe"], "  condition:\n    gte: 3\n", group_by="User")
DISTINCT = collection("value_count", ["net.exe"], "  condition:\n    field: CommandLine\n    gte: 4\n", group_by="User")
RUNS = collection("temporal_ordered", ["net.exe", "net.exe", "net.exe", "whoami.exe"])
THREE = collection("temporal_ordered", ["cmd.exe", "net.exe", "whoami.exe"])


def eql_1_0_1_parses(query: str) -> None:
    with eql.parser.elasticsearch_syntax, eql.parser.ignore_missing_functions, eql.parser.allow_runs, \
            eql.parser.allow_sample:
        eql.parse_query(query)


# --- EQL ----------------------------------------------------------------------------------------

def test_eql_sequence_parses_in_eql_1_0_1_where_the_stock_backend_s_does_not():
    stock = EqlBackend().convert(SigmaCollection.from_yaml(ORDERED))[0]
    with pytest.raises(eql.EqlError):
        eql_1_0_1_parses(stock)
    ours = emit(ORDERED, "eql").queries[0]
    assert ours.startswith("sequence by process.parent.pid with maxspan=1m\n")
    assert ours.count("[process where") == 2
    eql_1_0_1_parses(ours)
    parse_query(ours)


@pytest.mark.parametrize("text, expected", [
    (TEMPORAL, "sample by process.parent.pid\n"),
    (COUNT, "with runs=3"),
    (RUNS, "with runs=3\n  [process where"),
])
def test_eql_forms_parse_in_both_parsers(text, expected):
    query = emit(text, "eql").queries[0]
    assert expected in query
    eql_1_0_1_parses(query)
    parse_query(query)


def test_eql_sample_notes_the_timespan_it_drops():
    notes = emit(TEMPORAL, "eql").notes
    note = next(n for n in notes if n.code == "emit/sample-no-window")
    assert note.affects.direction == "more" and note.affects.condition == {"group_span_over": 60}


@pytest.mark.parametrize("text, why", [
    (DISTINCT, "distinct values"),
    (COUNT.replace("gte: 3", "lt: 3"), "count lt 3"),
    (COUNT.replace("gte: 3", "gte: 101"), "at most 100"),
])
def test_eql_refuses_what_a_sequence_cannot_say(text, why):
    with pytest.raises(EmitError) as caught:
        emit(text, "eql")
    assert why in caught.value.message and caught.value.code == "emit/correlation-unsupported"


def test_eql_count_of_one_is_an_event_query_with_its_keys_present():
    query = emit(COUNT.replace("gte: 3", "gte: 1"), "eql").queries[0]
    assert query.startswith("process where (") and query.endswith(" and user.name != null")
    parse_query(query)


# --- SPL --------------------------------------------------------------------------------------------

def test_splunk_orders_steps_with_a_streamstats_chain():
    query = emit(ORDERED, "splunk").queries[0]
    lines = query.split("\n")
    assert lines[0] == "| multisearch" and lines[1].startswith("  [ search ") and "ruleport_step=2" in lines[2]
    assert "| sort 0 _time, -ruleport_step" in lines
    assert any(line.startswith("| streamstats time_window=1m current=f max(ruleport_c1)") for line in lines)
    assert lines[-1] == "| where isnotnull(ruleport_c2)"
    compile_spl(query)


@pytest.mark.parametrize("text, aggregation", [
    (COUNT, "| streamstats time_window=1m count as ruleport_count by ruleport_k0\n| where ruleport_count >= 3"),
    (DISTINCT, "dc(ruleport_value) as ruleport_count by ruleport_k0\n| where ruleport_count >= 4"),
    (TEMPORAL, "max(ruleport_t1) as ruleport_l1 max(ruleport_t2) as ruleport_l2 by ruleport_k0"),
])
def test_splunk_counts_in_a_sliding_window(text, aggregation):
    query = emit(text, "splunk").queries[0]
    assert aggregation in query
    compile_spl(query)


def test_splunk_cim_appends_tstats_per_second_and_sums_counts():
    ordered = emit(ORDERED, "splunk-cim").queries[0]
    assert ordered.startswith("| tstats ") and "by _time span=1s " in ordered and "\n| append [ | tstats " in ordered
    assert 'ruleport_k0!="null"' in ordered
    count = emit(COUNT, "splunk-cim").queries[0]
    assert "sum(count) as ruleport_count" in count
    compile_spl(ordered)
    compile_spl(count)


# --- ES|QL ------------------------------------------------------------------------------------------------

def test_esql_buckets_the_time_and_says_so():
    emitted = emit(ORDERED, "esql")
    query = emitted.queries[0]
    assert "| MV_EXPAND ruleport_step" in query and "DATE_TRUNC(1 minute, @timestamp)" in query
    assert "| WHERE ruleport_a < ruleport_b" in query
    note = next(n for n in emitted.notes if n.code == "emit/fixed-buckets")
    assert note.affects.direction == "less" and note.affects.condition == {"group_crosses_bucket": 60}
    compile_esql(query)


def test_esql_orders_repeated_steps_by_their_nth_times():
    query = emit(RUNS, "esql").queries[0]
    assert "MV_SLICE(MV_SORT(ruleport_a), 2)" in query and "MV_SLICE(MV_SORT(ruleport_b), -1)" in query
    compile_esql(query)


def test_esql_refuses_longer_chains():
    with pytest.raises(EmitError, match="order of two kinds"):
        emit(THREE, "esql")


@pytest.mark.parametrize("text", [COUNT, DISTINCT, TEMPORAL])
def test_esql_other_types_compile(text):
    compile_esql(emit(text, "esql").queries[0])


# --- Kusto --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["kusto-defender", "kusto-sentinel"])
def test_kusto_orders_steps_with_scan_per_key(target):
    query = emit(ORDERED, target).queries[0]
    assert query.startswith("union\n") and "| partition hint.strategy=native by ruleport_key" in query
    assert "step s2: ruleport_step == 2 and isnull(s2.ruleport_time) and ruleport_time > s1.ruleport_time" in query
    assert "step ruleport_done output=none: true;" in query
    TabularQuery(query, lambda table, text: (lambda r: r), TARGETS[target].executor().table)


def test_kusto_counts_with_prev_and_bins_distinct_values():
    count = emit(COUNT, "kusto-defender").queries[0]
    assert "prev(ruleport_time, 2)" in count and "ruleport_time - ruleport_first_time <= 1m" in count
    distinct = emit(DISTINCT, "kusto-defender")
    assert "bin(ruleport_time, 1m)" in distinct.queries[0]
    assert any(n.code == "emit/fixed-buckets" for n in distinct.notes)


# --- refusals ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["lucene", "kibana-kql"])
def test_query_string_targets_refuse_correlations(target):
    with pytest.raises(EmitError) as caught:
        emit(ORDERED, target)
    assert caught.value.code == "emit/correlation-unsupported" and "single documents" in caught.value.message


def test_a_join_key_the_platform_lacks_is_refused_naming_it():
    with pytest.raises(EmitError) as caught:
        emit(collection("temporal_ordered", ["cmd.exe", "whoami.exe"], group_by="container.id"), "splunk")
    assert "container.id" in caught.value.message and "s1" in caught.value.message


def test_base_rule_notes_reach_the_correlation():
    notes = emit(ORDERED, "kusto-defender").notes
    assert any(n.code == "emit/scope-widened" for n in notes)


def test_a_join_key_the_platform_lacks_is_left_out_beside_another_key_with_a_note():
    text = ORDERED.replace("  group-by:\n    - ParentProcessId\n",
                           "  group-by:\n    - container.id\n    - ParentProcessId\n")
    emitted = emit(text, "splunk")
    assert "ruleport_k0=ParentProcessId" in emitted.queries[0] and "container.id" not in emitted.queries[0]
    note = next(n for n in emitted.notes if n.code == "emit/join-key-dropped")
    assert note.field == "container.id" and note.affects.direction == "more"
    assert note.affects.condition == {"group_differs": "container.id"}


def test_a_join_key_only_approximated_from_another_field_is_refused():
    text = ORDERED.replace("    - ParentProcessId\n", "    - process.args\n")
    with pytest.raises(EmitError, match="only approximated"):
        emit(text, "kusto-defender")


# --- an event that several steps select ----------------------------------------------------------------------

def process_start(second: int, image: str = "cmd.exe", ppid: int = 7) -> dict:
    return {"@timestamp": f"2025-01-01T00:00:{second:02d}Z", "host": {"name": "ws1", "os": {"type": "windows"}},
            "event": {"category": ["process"], "type": ["start"], "kind": "event"},
            "process": {"executable": f"C:\\Windows\\System32\\{image}", "name": image, "pid": 100 + second,
                        "command_line": image, "args": [image], "parent": {"pid": ppid}},
            "user": {"name": "alice", "domain": "CORP"}}


@pytest.mark.parametrize("target", ["splunk", "splunk-cim", "kusto-defender", "kusto-sentinel"])
def test_events_every_step_selects_make_the_sequence_in_time_order(target):
    # each event is one row per step at the same time: its step-1 row must not restart (Kusto's scan) or
    # hide (Splunk's max of earlier starts) the chain its step-2 row continues
    text = collection("temporal_ordered", ["cmd.exe", "cmd.exe", "cmd.exe"])
    query = emit(text, target).queries[0]
    events = [process_start(0), process_start(10), process_start(20),                 # one sequence
              process_start(30, ppid=8), process_start(40, ppid=8)]                   # two events: none
    alerts = alerted(target, query, events)
    assert (0, 1, 2) in alerts
    assert all(3 not in a and 4 not in a for a in alerts)


# --- join keys read as the platform's own id of the entity ---------------------------------------

def _on_host(event: dict, host_id: str) -> dict:
    return {**event, "host": {**event["host"], "id": host_id}}


@pytest.mark.parametrize("target, column", [("kusto-defender", "DeviceId"), ("kusto-sentinel", "DvcId")])
def test_a_host_join_key_is_the_device_s_own_id(target, column):
    """host.id as a join key: Defender's DeviceId / ASIM's DvcId identify the device as host.id identifies
    the host (other values, the same grouping): one host's events make the sequence, two hosts' do not."""
    text = ORDERED.replace("    - ParentProcessId\n", "    - host.id\n")
    emitted = emit(text, target)
    assert column in emitted.queries[0] and "host.id" not in emitted.queries[0]
    assert not any(n.code == "emit/join-key-dropped" for n in emitted.notes)
    events = [_on_host(process_start(0), "h1"), _on_host(process_start(10, "whoami.exe"), "h2"),   # two hosts
              _on_host(process_start(20), "h3"), _on_host(process_start(30, "whoami.exe"), "h3")]  # one host
    alerts = alerted(target, emitted.queries[0], events)
    assert alerts == {(2, 3)}


def test_a_condition_on_host_id_is_never_read_as_the_device_id():
    # the device id is the platform's value, not ECS's: only a join key may be read from it
    rule = BASE.format(title="t", name="n", image="cmd.exe").replace(
        "  condition: selection", "  host:\n    host.id: abc\n  condition: selection and host").rstrip("-\n") + "\n"
    for target in ("kusto-defender", "kusto-sentinel"):
        with pytest.raises(EmitError, match="host.id: not recorded") as caught:
            emit(rule, target)
        assert caught.value.code == "emit/field-unavailable"


@pytest.mark.parametrize("target, column", [("splunk", "ProcessGuid"), ("splunk-cim", "Filesystem.process_guid"),
                                            ("kusto-sentinel", "ActingProcessGuid")])
def test_a_process_join_key_is_the_platform_s_process_guid(target, column):
    text = """title: f
name: f
logsource:
  category: file_event
  product: windows
detection:
  selection:
    TargetFilename|endswith: '.exe'
  condition: selection
---
title: c
name: c
correlation:
  type: event_count
  rules:
    - f
  group-by:
    - process.entity_id
  timespan: 1m
  condition:
    gte: 3
"""
    query = emit(text, target).queries[0]
    assert column in query and "entity_id" not in query


# --- Defender XDR's process: device, PID and creation time together ------------------------------

PROCESS_THEN_CONNECTION = BASE.format(title="p", name="p", image="cmd.exe") + """title: n
name: n
logsource:
  category: network_connection
  product: windows
detection:
  selection:
    DestinationPort: 445
  condition: selection
---
title: c
name: c
correlation:
  type: temporal_ordered
  rules:
    - p
    - n
  group-by:
    - pe
  aliases:
    pe:
      p: ProcessGuid
      n: process.entity_id
  timespan: 1m
"""


def _process(second: int, entity: str, pid: int, parent: tuple[str, int] = ("parent", 1)) -> dict:
    event = process_start(second)
    event["process"] = {**event["process"], "pid": pid, "entity_id": entity,
                        "parent": {"pid": parent[1], "entity_id": parent[0]}}
    return event


def _connection(second: int, entity: str, pid: int) -> dict:
    return {"@timestamp": f"2025-01-01T00:00:{second:02d}Z", "host": {"name": "ws1", "os": {"type": "windows"}},
            "event": {"category": ["network"], "type": ["start"], "action": "connection_attempted", "kind": "event"},
            "network": {"direction": "egress", "transport": "tcp"},
            "source": {"ip": "10.0.0.1", "port": 50000}, "destination": {"ip": "10.0.0.2", "port": 445},
            "process": {"executable": "C:\\Windows\\System32\\cmd.exe", "name": "cmd.exe", "pid": pid,
                        "entity_id": entity}}


def test_a_defender_process_key_is_its_device_pid_and_creation_time():
    """Defender XDR has no process GUID: step 1 keys the created process, step 2 its initiating process,
    each as (DeviceId, PID, creation time), and only the process's own columns must be present."""
    query = emit(PROCESS_THEN_CONNECTION, "kusto-defender").queries[0]
    assert "ruleport_key = tostring(pack_array(DeviceId, ProcessId, ProcessCreationTime))" in query
    assert "ruleport_key = tostring(pack_array(DeviceId, InitiatingProcessId, InitiatingProcessCreationTime))" \
        in query
    assert "| where isnotempty(ruleport_k0) and isnotempty(ruleport_k1)\n" in query
    assert "ProcessGuid" not in query and "entity_id" not in query
    TabularQuery(query, lambda table, text: (lambda r: True), TARGETS["kusto-defender"].executor().table)


def test_the_defender_process_key_groups_one_process_and_not_another_with_its_pid():
    query = emit(PROCESS_THEN_CONNECTION, "kusto-defender").queries[0]
    events = [_process(0, "A", 100), _connection(5, "A", 100),        # one process: the sequence
              _process(10, "B", 200), _connection(15, "C", 200),      # PID 200 reused by another process
              _process(20, "", 300), _connection(25, "", 300)]        # no identity (no start time): no group
    assert alerted("kusto-defender", query, events) == {(0, 1)}


def test_a_parent_key_on_defender_process_creation_is_the_initiating_process():
    text = PROCESS_THEN_CONNECTION.replace("      p: ProcessGuid\n", "      p: process.parent.entity_id\n")
    query = emit(text, "kusto-defender").queries[0]
    assert "tostring(pack_array(DeviceId, InitiatingProcessId, InitiatingProcessCreationTime))" in query
    events = [_process(0, "child", 100, parent=("A", 50)), _connection(5, "A", 50),
              _process(10, "child2", 101, parent=("B", 60)), _connection(15, "C", 60)]
    assert alerted("kusto-defender", query, events) == {(0, 1)}


def test_sentinel_refuses_a_process_key_that_is_a_guid_on_one_step_and_defender_s_identity_on_another():
    # imProcessCreate has ASIM's process GUID, DeviceImageLoadEvents (streamed from Defender XDR) the
    # device, PID and creation time: one process's two ids never compare equal
    text = PROCESS_THEN_CONNECTION.replace("category: network_connection", "category: image_load").replace(
        "    DestinationPort: 445\n", "    ImageLoaded|endswith: '\\\\vaultcli.dll'\n")
    assert "InitiatingProcessCreationTime" in emit(text, "kusto-defender").queries[0]
    with pytest.raises(EmitError, match="composite identity on some steps and a single id on others") as caught:
        emit(text, "kusto-sentinel")
    assert "TargetProcessGuid" in caught.value.message and caught.value.code == "emit/join-key-unavailable"


def test_a_key_packed_from_another_number_of_columns_on_another_step_is_refused():
    # the steps' packed keys and the ruleport_k* columns the presence check reads line up only when
    # every step's composite has as many columns
    from types import SimpleNamespace

    from converters.emit.correlation.kusto import KustoCorrelation
    from converters.platforms.facts import KEY_SEPARATOR

    three = KEY_SEPARATOR.join(("DeviceId", "ProcessId", "ProcessCreationTime"))
    two = KEY_SEPARATOR.join(("DeviceId", "ProcessId"))
    steps = [SimpleNamespace(name="a", keys=[three]), SimpleNamespace(name="b", keys=[two])]
    with pytest.raises(EmitError, match="different column counts") as caught:
        KustoCorrelation._comparable_keys(None, steps, 1)
    assert caught.value.code == "emit/join-key-unavailable"
    KustoCorrelation._comparable_keys(None, [steps[0], SimpleNamespace(name="c", keys=[three])], 1)
