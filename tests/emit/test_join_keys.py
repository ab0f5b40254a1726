"""Join keys read as the platform's own id of an entity (converters/emit/endpoint_items.py `_join_key`):
Sentinel ASIM's process GUIDs on network sessions and DNS lookups."""

from __future__ import annotations

import pytest

from converters.emit import EmitError, emit
from converters.emit.targets import TARGETS
from tests.support import alerted

STEPS = {
    "process": """title: p
name: p
logsource:
  category: process_creation
  product: windows
detection:
  selection:
    Image|endswith: '\\cmd.exe'
  condition: selection
---
""",
    "network": """title: n
name: n
logsource:
  category: network_connection
  product: windows
detection:
  selection:
    DestinationPort: 445
  condition: selection
---
""",
    "dns": """title: d
name: d
logsource:
  category: network_connection
  product: windows
detection:
  selection:
    dns.question.name|endswith: '.example.com'
  condition: selection
---
""",
}


def sequence(first: str, then: str, first_key: str, then_key: str) -> str:
    """`first` then `then` within a minute, by one process (each step names it its own way)."""
    return (STEPS[first] + STEPS[then] + f"""title: c
name: c
correlation:
  type: temporal_ordered
  rules:
    - {first[0]}
    - {then[0]}
  group-by:
    - key
  aliases:
    key:
      {first[0]}: {first_key}
      {then[0]}: {then_key}
  timespan: 1m
""")


def _base(second: int, entity_id: str) -> dict:
    return {"@timestamp": f"2025-01-01T00:00:{second:02d}Z", "host": {"name": "ws1", "id": "h1", "os": {"type": "windows"}},
            "process": {"executable": "C:\\Windows\\System32\\cmd.exe", "name": "cmd.exe", "pid": 10,
                        "entity_id": entity_id, "command_line": "cmd.exe", "args": ["cmd.exe"]}}


def process_start(second: int, entity_id: str, parent: str = "P0") -> dict:
    event = _base(second, entity_id)
    event["process"]["parent"] = {"entity_id": parent, "pid": 1, "executable": "C:\\Windows\\explorer.exe",
                                  "name": "explorer.exe"}
    return {**event, "event": {"category": ["process"], "type": ["start"], "kind": "event"}}


def session(second: int, entity_id: str, outbound: bool = True) -> dict:
    return {**_base(second, entity_id),
            "event": {"category": ["network"], "type": ["start"], "kind": "event",
                      "action": "connection_attempted" if outbound else "connection_accepted"},
            "network": {"direction": "egress" if outbound else "ingress", "transport": "tcp"},
            "source": {"ip": "10.0.0.1", "port": 50000}, "destination": {"ip": "10.0.0.2", "port": 445}}


def lookup(second: int, entity_id: str) -> dict:
    return {**_base(second, entity_id),
            "event": {"category": ["network"], "type": ["protocol"], "kind": "event", "action": "lookup_requested"},
            "network": {"protocol": "dns"}, "dns": {"question": {"name": "a.example.com", "type": "A"}}}


def test_a_session_s_process_is_read_by_its_guid_on_either_side():
    """ASIM's Network Session schema names the endpoint's process SrcProcessGuid when it initiated the session
    and DstProcessGuid when it accepted it: the key reads whichever the record fills."""
    emitted = emit(sequence("process", "network", "ProcessGuid", "process.entity_id"), "kusto-sentinel")
    query = emitted.queries[0]
    assert "LocalProcessGuid = iff(isempty(SrcProcessGuid), DstProcessGuid, SrcProcessGuid)" in query
    assert 'ruleport_key = trim(@"[{}]", tostring(LocalProcessGuid))' in query and "entity_id" not in query
    events = [process_start(0, "A"), session(5, "A"),                    # outbound: one process
              process_start(10, "B"), session(15, "C"),                  # two processes: no alert
              process_start(20, "D"), session(25, "D", outbound=False)]  # inbound: one process
    assert alerted("kusto-sentinel", query, events) == {(0, 1), (4, 5)}


def test_a_process_guid_joins_without_the_braces_one_parser_keeps():
    """The Sysmon process-create parser of the WindowsEvent table keeps the braces ({GUID}), the network
    session one strips them (sentinel-asim.json `guids`): compared as written, one process's start and its
    session would never join; the emitted key compares the GUID alone, and only the key."""
    query = emit(sequence("process", "network", "ProcessGuid", "process.entity_id"), "kusto-sentinel").queries[0]
    keyed = [line.strip() for line in query.splitlines() if "trim(" in line]
    assert len(keyed) == 2 and all(line.startswith("| extend ruleport_step") for line in keyed)
    events = [process_start(0, "A"), session(5, "A")]
    assert alerted("kusto-sentinel", query, events) == {(0, 1)}
    as_written = query.replace('trim(@"[{}]", tostring(TargetProcessGuid))', "tostring(TargetProcessGuid)")
    assert as_written != query and alerted("kusto-sentinel", as_written, events) == set()


def test_a_dns_lookup_s_process_is_read_by_its_guid():
    query = emit(sequence("process", "dns", "ProcessGuid", "process.entity_id"), "kusto-sentinel").queries[0]
    assert 'ruleport_key = trim(@"[{}]", tostring(SrcProcessGuid))' in query
    events = [process_start(0, "A"), lookup(5, "A"), process_start(10, "B"), lookup(15, "C")]
    assert alerted("kusto-sentinel", query, events) == {(0, 1)}


def test_one_process_has_one_guid_in_every_asim_schema():
    """The platform model writes a process's GUID where each schema keeps it (its start's TargetProcessGuid,
    ActingProcessGuid of what it does, the session's and the lookup's Src/DstProcessGuid): one GUID for one
    process.entity_id, so that the emitted keys group its events, in the text each parser gives it (a Windows
    process start's in braces: sentinel-asim.json `guids`)."""
    child = process_start(0, "X")
    file_event = {**_base(1, "P"), "event": {"category": ["file"], "type": ["creation"], "kind": "event"},
                  "file": {"path": "C:\\t\\a.exe", "name": "a.exe", "extension": "exe"}}
    events = [child, file_event, session(2, "P"), session(3, "P", outbound=False), lookup(4, "P")]
    records, _ = TARGETS["kusto-sentinel"].platform.records(events)
    start, written, out, inbound, dns = records
    assert (start["$table"], start["TargetProcessGuid"], start["ActingProcessGuid"]) == ("imProcessCreate", "{X}", "{P0}")
    assert (written["$table"], written["ActingProcessGuid"]) == ("imFileEvent", "P")
    assert (out["SrcProcessGuid"], out.get("DstProcessGuid", "")) == ("P", "")
    assert (inbound["DstProcessGuid"], inbound.get("SrcProcessGuid", "")) == ("P", "")
    assert (dns["$table"], dns["SrcProcessGuid"]) == ("imDns", "P")


@pytest.mark.parametrize("target, then, why", [
    ("kusto-sentinel", "network", "the Network Session schema has no column for the parent"),
    ("kusto-sentinel", "dns", "the DNS schema has no column for the parent"),
    ("splunk", "network", "names the acting process (ProcessGuid), not its parent")])
def test_a_session_s_parent_process_is_refused_with_the_reason(target, then, why):
    with pytest.raises(EmitError) as caught:
        emit(sequence("process", then, "ProcessGuid", "process.parent.entity_id"), target)
    assert caught.value.code == "emit/join-key-unavailable"
    assert "process.parent.entity_id" in caught.value.message and why in caught.value.message


# --- host.id read as the host's name (Splunk: Sysmon's Computer, CIM Endpoint's dest) ------------------

COUNT_BY_HOST = STEPS["process"] + """title: c
name: c
correlation:
  type: event_count
  rules:
    - p
  group-by:
    - host.id
  timespan: 1m
  condition:
    gte: 2
"""


def on_host(second: int, host_id: str, name: str) -> dict:
    event = process_start(second, f"E{second}")
    return {**event, "host": {"id": host_id, "name": name, "os": {"type": "windows"}}}


#: two hosts named alike (merged), a host renamed within the minute (split), a host with two events
HOSTS = [on_host(0, "h1", "ws1"), on_host(10, "h2", "ws1"),
         on_host(20, "h3", "ws3"), on_host(30, "h3", "ws3-new"),
         on_host(40, "h4", "ws4"), on_host(50, "h4", "ws4")]


@pytest.mark.parametrize("target, column, key", [("splunk", "Computer", "Computer"),
                                                 ("splunk-cim", "Processes.dest", "'Processes.dest'")])
def test_host_id_groups_by_the_host_name_with_notes_that_explain_each_difference(target, column, key):
    from converters.prove.stream_explain import StreamContext, explaining_note

    emitted = emit(COUNT_BY_HOST, target)
    query = emitted.queries[0]
    assert f"ruleport_k0={key}" in query and "host.id" not in query
    notes = [n for n in emitted.notes if n.code == "emit/join-key-approximate"]
    assert {n.affects.direction for n in notes} == {"more", "less"} and all(n.field == "host.id" for n in notes)
    merged = next(n for n in notes if n.affects.direction == "more")
    assert f"grouped by the host name ({column})" in merged.message
    assert "different hosts with the same name are grouped together" in merged.message
    alerts = alerted(target, query, HOSTS)
    assert {(0, 1), (4, 5)} <= alerts and not any(2 in a or 3 in a for a in alerts)
    # the proof's reading: the original groups by host.id (h3's two events, h4's two); each line where the
    # target differs is explained by the note of its side, and no line where it agrees needs one
    original = [(2, 3), (4, 5)]
    column_groups = sorted(alerts)
    ctx = StreamContext(dict(enumerate(HOSTS)), original, column_groups)
    assert explaining_note(notes, 0, False, True, ctx) is merged
    assert explaining_note(notes, 2, True, False, ctx).affects.direction == "less"
    # a host whose events keep one name is grouped exactly: no note would excuse missing its alert
    assert explaining_note(notes, 4, True, False, StreamContext(dict(enumerate(HOSTS)), original, [])) is None


def test_an_approximate_host_key_is_declared_apart_from_the_exact_ids():
    from converters.emit.tables import NamedBy
    from converters.emit.tables_splunk import CIM_PROCESS, SYSMON_FILE, SYSMON_PROCESS

    for model in (SYSMON_PROCESS, SYSMON_FILE, CIM_PROCESS):
        assert "host.id" not in model.identities and isinstance(model.approximate_identities["host.id"], NamedBy)
    assert SYSMON_FILE.identities == {"process.entity_id": "ProcessGuid"}
    # where the platform has the device's own id, the key is exact: no note
    emitted = emit(COUNT_BY_HOST, "kusto-sentinel")
    assert "tostring(DvcId)" in emitted.queries[0]
    assert not any(n.code == "emit/join-key-approximate" for n in emitted.notes)


def test_a_host_key_is_still_refused_where_no_field_names_the_host():
    text = STEPS["network"] + COUNT_BY_HOST.split("---\n", 1)[1].replace("    - p\n", "    - n\n")
    with pytest.raises(EmitError, match="host.id") as caught:
        emit(text, "splunk-cim")
    assert "Network_Traffic" in caught.value.message


def test_distinct_host_ids_are_not_counted_as_host_names():
    text = COUNT_BY_HOST.replace("    - host.id\n", "    - User\n").replace(
        "  condition:\n    gte: 2\n", "  condition:\n    field: host.id\n    gte: 2\n").replace(
        "type: event_count", "type: value_count")
    assert "field: host.id" in text
    with pytest.raises(EmitError, match="counted field host.id of p is only approximated") as caught:
        emit(text, "splunk")
    assert caught.value.code == "emit/join-key-unavailable"
    assert "tostring(DvcId)" in emit(text, "kusto-sentinel").queries[0]
