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
    assert "ruleport_key = tostring(LocalProcessGuid)" in query and "entity_id" not in query
    events = [process_start(0, "A"), session(5, "A"),                    # outbound: one process
              process_start(10, "B"), session(15, "C"),                  # two processes: no alert
              process_start(20, "D"), session(25, "D", outbound=False)]  # inbound: one process
    assert alerted("kusto-sentinel", query, events) == {(0, 1), (4, 5)}


def test_a_dns_lookup_s_process_is_read_by_its_guid():
    query = emit(sequence("process", "dns", "ProcessGuid", "process.entity_id"), "kusto-sentinel").queries[0]
    assert "ruleport_key = tostring(SrcProcessGuid)" in query
    events = [process_start(0, "A"), lookup(5, "A"), process_start(10, "B"), lookup(15, "C")]
    assert alerted("kusto-sentinel", query, events) == {(0, 1)}


def test_one_process_has_one_guid_in_every_asim_schema():
    """The platform model writes a process's GUID where each schema keeps it (its start's TargetProcessGuid,
    ActingProcessGuid of what it does, the session's and the lookup's Src/DstProcessGuid): one value for one
    process.entity_id, so that the emitted keys group its events."""
    child = process_start(0, "X")
    file_event = {**_base(1, "P"), "event": {"category": ["file"], "type": ["creation"], "kind": "event"},
                  "file": {"path": "C:\\t\\a.exe", "name": "a.exe", "extension": "exe"}}
    events = [child, file_event, session(2, "P"), session(3, "P", outbound=False), lookup(4, "P")]
    records, _ = TARGETS["kusto-sentinel"].platform.records(events)
    start, written, out, inbound, dns = records
    assert (start["$table"], start["TargetProcessGuid"], start["ActingProcessGuid"]) == ("imProcessCreate", "X", "P0")
    assert (written["$table"], written["ActingProcessGuid"]) == ("imFileEvent", "P")
    assert (out["SrcProcessGuid"], out.get("DstProcessGuid", "")) == ("P", "")
    assert (inbound["DstProcessGuid"], inbound.get("SrcProcessGuid", "")) == ("P", "")
    assert (dns["$table"], dns["SrcProcessGuid"]) == ("imDns", "P")


@pytest.mark.parametrize("then, schema", [("network", "Network Session"), ("dns", "DNS")])
def test_a_session_s_parent_process_is_refused_with_the_reason(then, schema):
    with pytest.raises(EmitError) as caught:
        emit(sequence("process", then, "ProcessGuid", "process.parent.entity_id"), "kusto-sentinel")
    assert caught.value.code == "emit/join-key-unavailable"
    assert "process.parent.entity_id" in caught.value.message
    assert f"the {schema} schema has no column for the parent" in caught.value.message
