"""The seed fixture is internally consistent, and each platform model keeps its relations."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from converters.platforms.models import (
    PLATFORMS,
    SYSMON_SOURCE,
    basename,
    get,
    render,
    render_events,
)
from converters.platforms.elastic import caseless_fields
from tests.support import SEED_EVENTS, SEED_EXPECT



def windows_argv(command_line: str) -> list[str]:
    """Split a command line as CommandLineToArgvW does (what Defend's process.args reports).

    The program name ends at the first unquoted blank, with no backslash rules;
    afterwards 2n backslashes before a quote give n backslashes and toggle
    quoting, 2n+1 give n backslashes and a literal quote, other backslashes
    are literal.
    """
    args: list[str] = []
    i, n = 0, len(command_line)
    # program name
    cur, quoted = [], False
    while i < n and (quoted or command_line[i] not in " \t"):
        if command_line[i] == '"':
            quoted = not quoted
        else:
            cur.append(command_line[i])
        i += 1
    args.append("".join(cur))
    while True:
        while i < n and command_line[i] in " \t":
            i += 1
        if i >= n:
            return args
        cur, quoted = [], False
        while i < n and (quoted or command_line[i] not in " \t"):
            if command_line[i] == "\\":
                j = i
                while j < n and command_line[j] == "\\":
                    j += 1
                count = j - i
                if j < n and command_line[j] == '"':
                    cur.append("\\" * (count // 2))
                    if count % 2:
                        cur.append('"')
                        i = j + 1
                    else:
                        i = j
                    continue
                cur.append("\\" * count)
                i = j
                continue
            if command_line[i] == '"':
                quoted = not quoted
            else:
                cur.append(command_line[i])
            i += 1
        args.append("".join(cur))


def load_events(path: Path = SEED_EVENTS) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def events() -> list[dict]:
    return load_events()


def test_windows_argv_splitter_follows_the_documented_rules():
    assert windows_argv(r'"C:\Program Files\x.exe" a "b c" d\\"e f" g\"h') == [
        r"C:\Program Files\x.exe", "a", "b c", 'd\\e f', 'g"h']
    assert windows_argv(r'x.exe  C:\dir\ ') == ["x.exe", "C:\\dir\\"]


def test_fixture_has_enough_events_and_a_verdict_with_a_reason_for_each(events):
    expect = json.loads(SEED_EXPECT.read_text(encoding="utf-8"))
    assert len(events) >= 30
    # expect files count lines from 1, as editors do
    assert set(expect["why"]) == {str(i) for i in range(1, len(events) + 1)}
    assert all(isinstance(w, str) and w.strip() for w in expect["why"].values())
    assert set(expect["match"]) <= set(range(1, len(events) + 1))
    # both verdicts are well represented
    assert 10 <= len(expect["match"]) <= len(events) - 10


@pytest.mark.parametrize("prefix", ["process", "process.parent"])
def test_fixture_names_are_basenames_and_args_agree_with_command_lines(events, prefix):
    checked = 0
    for i, ev in enumerate(events):
        p = get(ev, prefix)
        if not isinstance(p, dict):
            continue
        os_type = get(ev, "host.os.type")
        assert p["name"] == basename(p["executable"], os_type), f"line {i}"
        if "command_line" in p:
            split = windows_argv(p["command_line"]) if os_type == "windows" else shlex.split(p["command_line"])
            assert p["args"] == split, f"line {i}"
            assert p["args_count"] == len(p["args"]), f"line {i}"
            checked += 1
    assert checked >= 30


def test_fixture_events_are_elastic_defend_shaped(events):
    for i, ev in enumerate(events):
        assert isinstance(get(ev, "event.category"), list), i
        assert isinstance(get(ev, "event.type"), list), i
        assert get(ev, "host.os.type") in ("windows", "linux", "macos"), i
        assert get(ev, "process.name"), i


def test_basename_uses_the_separator_of_the_os():
    assert basename(r"C:\a\node.exe", "windows") == "node.exe"
    assert basename(r"\Device\HarddiskVolume3\\Users\node.exe", "windows") == "node.exe"
    assert basename("/opt/a\\b", "linux") == "a\\b"


def test_unknown_platform_is_an_error():
    with pytest.raises(ValueError, match="unknown platform"):
        render("qradar", {})


def _start(os_type="windows", **process):
    proc = {"name": "node.exe", "executable": r"C:\Users\a\AppData\Local\node.exe",
            "command_line": r"node.exe C:\x\App.js", "args": ["node.exe", r"C:\x\App.js"],
            "pe": {"original_file_name": "node.exe"},
            "code_signature": {"subject_name": "OpenJS Foundation"},
            "working_directory": r"C:\Users\a",
            "parent": {"name": "PowerShell.exe", "executable": r"C:\W\PowerShell.exe",
                       "command_line": "PowerShell.exe -nop", "args": ["PowerShell.exe", "-nop"], "pid": 9}}
    proc.update(process)
    return {"event": {"category": ["process"], "type": ["info", "start"]}, "host": {"name": "WS-1", "os": {"type": os_type}},
            "process": proc, "user": {"name": "Alice", "domain": "CORP"}}


def test_elastic_keeps_arrays_and_adds_lowercased_caseless_fields():
    doc = render("elastic", _start())
    assert doc["event.type"] == ["info", "start"]
    assert doc["process.args"] == ["node.exe", r"C:\x\App.js"]
    assert doc["process.command_line.caseless"] == [r"node.exe c:\x\app.js"]
    assert doc["process.parent.name.caseless"] == ["powershell.exe"]
    assert doc["process.code_signature.subject_name"] == ["OpenJS Foundation"]
    # Defend's process template gives user.name a .text multi-field, not a .caseless one
    assert "user.name.caseless" not in doc
    # only the template's caseless fields get a twin, and every one present got one
    caseless = {k[: -len(".caseless")] for k in doc if k.endswith(".caseless")}
    assert caseless == {f for f in caseless_fields(doc["_index"][0]) if f in doc}
    assert doc["_index"] == ["logs-endpoint.events.process-default"]
    # no values for missing fields
    assert "process.hash.sha256" not in doc


def test_sysmon_process_create_relations():
    r = render("sysmon", _start())
    assert (r["source"], r["EventCode"]) == (SYSMON_SOURCE, "1")
    assert r["Image"] == r"C:\Users\a\AppData\Local\node.exe"
    assert r["CommandLine"] == r"node.exe C:\x\App.js"
    assert r["ParentImage"] == r"C:\W\PowerShell.exe" and r["ParentCommandLine"] == "PowerShell.exe -nop"
    assert r["User"] == "CORP\\Alice"
    assert r["CurrentDirectory"] == "C:\\Users\\a\\"
    assert r["OriginalFileName"] == "node.exe"
    # Sysmon has neither argv nor the signer
    assert not any("args" in k.lower() or "sign" in k.lower() for k in r)
    # what Sysmon cannot read is "-"
    r = render("sysmon", _start(pe=None, parent=None))
    assert r["OriginalFileName"] == "-" and r["ParentImage"] == "-"


def test_sysmon_renders_other_activity_as_other_event_codes_and_windows_only():
    end = _start()
    end["event"]["type"] = ["end"]
    r = render("sysmon", end)
    assert r["EventCode"] == "5" and "CommandLine" not in r
    net = {"event": {"category": ["network"], "type": ["start"]}, "host": {"os": {"type": "windows"}},
           "process": {"name": "node.exe", "executable": r"C:\n\node.exe"}, "destination": {"ip": "1.2.3.4", "port": 443}}
    assert render("sysmon", net)["EventCode"] == "3"
    assert render("sysmon", _start("macos")) is None  # no Sysmon for macOS
    linux = render("sysmon", _start("linux", executable="/usr/bin/node", name="node"))
    assert (linux["sourcetype"], linux["EventCode"], linux["User"]) == ("sysmon:linux", "1", "Alice")


def test_sigma_is_sysmon_process_creation_under_taxonomy_names():
    r = render("sigma", _start())
    assert r["EventID"] == 1 and (r["sigma.category"], r["sigma.product"]) == ("process_creation", "windows")
    sysmon = render("sysmon", _start())
    for key in ("Image", "CommandLine", "ParentImage", "OriginalFileName", "User"):
        assert r[key] == sysmon[key]
    # Sigma's taxonomy has no Sysmon quirks: the ECS directory, no "-" placeholders
    assert r["CurrentDirectory"] == "C:\\Users\\a" and sysmon["CurrentDirectory"] == "C:\\Users\\a\\"
    assert "OriginalFileName" not in render("sigma", _start(pe=None, parent=None))
    # ECS fields Sigma's taxonomy has no name for stay under their ECS names (one value per column)
    assert r["process.code_signature.subject_name"] == "OpenJS Foundation"
    assert r["process.args"] == "node.exe\nC:\\x\\App.js"
    end = _start()
    end["event"]["type"] = ["end"]
    assert render("sigma", end)["sigma.category"] == "process_termination"


def test_cim_names_are_basenames_of_paths_and_every_os_is_present():
    r = render("cim", _start())
    assert r["Processes.process_name"] == "node.exe"
    assert r["Processes.process_path"].endswith("\\" + r["Processes.process_name"])
    assert r["Processes.parent_process_name"] == "PowerShell.exe"
    assert r["Processes.process"] == r"node.exe C:\x\App.js"
    assert not any("args" in k or "sign" in k for k in r)
    linux = _start("linux", executable="/usr/bin/node", name="node")
    assert render("cim", linux)["Processes.process_name"] == "node"


def test_defender_file_name_is_basename_of_folder_path_and_missing_is_empty():
    r = render("defender", _start(pe=None))
    assert r["ActionType"] == "ProcessCreated"
    assert r["FolderPath"] == r"C:\Users\a\AppData\Local\node.exe" and r["FileName"] == "node.exe"
    assert r["InitiatingProcessFileName"] == "PowerShell.exe"
    assert r["ProcessVersionInfoOriginalFileName"] == ""
    assert r["DeviceName"] == "ws-1"
    end = _start()
    end["event"]["type"] = ["end"]
    assert render("defender", end) is None
    assert render("defender", _start("linux", executable="/usr/bin/node", name="node"))["FileName"] == "node"


def test_asim_paths_and_os():
    r = render("asim", _start())
    assert r["EventType"] == "ProcessCreated" and r["DvcOs"] == "Windows"
    assert r["TargetProcessName"] == r"C:\Users\a\AppData\Local\node.exe"
    assert r["ActingProcessName"] == r"C:\W\PowerShell.exe"
    assert r["TargetUsername"] == "CORP\\Alice"
    assert render("asim", _start("linux"))["DvcOs"] == "Linux"


def test_render_events_maps_records_back_to_their_events(events):
    for platform in PLATFORMS:
        records, origin = render_events(platform, events)
        assert len(records) == len(origin)
        assert origin == sorted(set(origin))
    records, origin = render_events("elastic", events)
    assert origin == list(range(len(events)))
    _, origin = render_events("sysmon", events)
    # the seed's process, network and file events all have a Sysmon event ID; macOS has no Sysmon
    assert origin == [i for i, e in enumerate(events) if get(e, "host.os.type") != "macos"]


def test_variations_are_deterministic_and_stay_consistent(events):
    from benchmarks.variations import variations

    first = variations(events, 300, seed=3)
    assert first == variations(events, 300, seed=3)
    assert first != variations(events, 300, seed=4)
    changed = 0
    for k, ev in first:
        base = events[k]
        assert get(ev, "event.type") == get(base, "event.type") and get(ev, "host.os.type") == get(base, "host.os.type")
        p = get(ev, "process")
        os_type = get(ev, "host.os.type")
        assert p["name"] == basename(p["executable"], os_type)
        if "command_line" in p:
            split = windows_argv(p["command_line"]) if os_type == "windows" else shlex.split(p["command_line"])
            assert p["args"] == split and p["args_count"] == len(p["args"])
        changed += ev != base
    assert changed == len(first)


# --- every event kind, as each platform records it ---------------------------------------

from converters.platforms import facts  # noqa: E402

MARKERS = {"$table", "$datamodel", "source", "sourcetype", "EventCode", "host"}


def _kind_event(kind, os_type="windows", **extra):
    base = {"@timestamp": "2026-12-06T10:00:00.000Z", "host": {"name": "WS-1", "os": {"type": os_type}},
            "process": {"pid": 7, "executable": r"C:\W\tool.exe" if os_type == "windows" else "/usr/bin/tool",
                        "name": "tool.exe" if os_type == "windows" else "tool", "command_line": "tool -x"},
            "user": {"name": "bob", "domain": "CORP", "id": "S-1-5-21-1"}}
    events = {
        "file": {"event": {"category": ["file"], "type": ["creation"], "action": "creation"},
                 "file": {"path": r"C:\Users\bob\a.exe", "name": "a.exe", "extension": "exe", "size": 10}},
        "registry": {"event": {"category": ["registry"], "type": ["change"], "action": "modification"},
                     "registry": {"path": r"HKLM\SOFTWARE\Run\evil", "value": "evil",
                                  "data": {"strings": ["1"], "type": "REG_DWORD"}}},
        "network": {"event": {"category": ["network"], "type": ["start"], "action": "connection_attempted"},
                    "source": {"ip": "10.0.0.1", "port": 50000}, "destination": {"ip": "1.2.3.4", "port": 443},
                    "network": {"transport": "tcp", "direction": "egress"}},
        "dns": {"event": {"category": ["network"], "type": ["protocol"], "action": "lookup_result"},
                "dns": {"question": {"name": "evil.top", "type": "A"}, "resolved_ip": ["1.2.3.4"]}},
        "library": {"event": {"category": ["library"], "type": ["start"], "action": "load"},
                    "dll": {"path": r"C:\Temp\x.dll", "name": "x.dll",
                            "code_signature": {"exists": True, "trusted": True, "subject_name": "Contoso"}}},
        "driver": {"event": {"category": ["driver"], "type": ["start"], "action": "load"},
                   "file": {"path": r"C:\Windows\System32\drivers\evil.sys", "name": "evil.sys",
                            "hash": {"sha256": "ab" * 32}}},
    }
    return {**base, **events[kind], **extra}


@pytest.mark.parametrize("platform", ["sysmon", "cim", "defender", "asim"])
@pytest.mark.parametrize("kind", ["file", "registry", "network", "dns", "library", "driver"])
def test_records_hold_only_fields_their_table_declares(platform, kind):
    record = render(platform, _kind_event(kind))
    held = [t for t in facts.platform(platform).tables.values() if t.kind == kind]
    if record is None:  # a platform with no table of the kind never receives the event
        assert not held or platform == "cim" and kind in ("library", "driver")
        return
    table = next(t for t in held if record.get("$table", t.select.get("table")) == t.select.get("table")
                 and record.get("$datamodel", t.name) == t.name
                 and record.get("EventCode") in (None, *t.select.get("EventCode", [])))
    # _time: every Splunk event (and data-model record) has its time there
    assert set(record) - MARKERS - {"Computer", "UtcTime", "_time"} <= set(table.fields), (platform, kind)


def test_file_events_per_platform():
    ev = _kind_event("file")
    assert render("sysmon", ev)["EventCode"] == "11" and render("sysmon", ev)["TargetFilename"] == r"C:\Users\bob\a.exe"
    d = render("defender", ev)
    assert (d["$table"], d["ActionType"], d["FileName"], d["FolderPath"]) == (
        "DeviceFileEvents", "FileCreated", "a.exe", r"C:\Users\bob\a.exe")
    assert d["InitiatingProcessFileName"] == "tool.exe" and d["InitiatingProcessAccountSid"] == "S-1-5-21-1"
    a = render("asim", ev)
    assert (a["EventType"], a["TargetFileExtension"], a["ActorUsername"]) == ("FileCreated", "exe", "CORP\\bob")
    c = render("cim", ev)
    assert (c["$datamodel"], c["Filesystem.action"], c["Filesystem.file_name"]) == ("Endpoint.Filesystem", "created",
                                                                                    "a.exe")
    assert c["Filesystem.parent_process_name"] == "unknown"  # the data model's fill
    opened = _kind_event("file", event={"category": ["file"], "type": ["access"], "action": "open"})
    assert render("defender", opened) is None and render("sysmon", opened) is None
    assert render("cim", opened)["Filesystem.action"] == "read"


def test_registry_events_per_platform():
    ev = _kind_event("registry")
    s = render("sysmon", ev)
    assert (s["EventCode"], s["EventType"], s["TargetObject"], s["Details"]) == (
        "13", "SetValue", r"HKLM\SOFTWARE\Run\evil", "DWORD (0x00000001)")
    d = render("defender", ev)
    assert (d["RegistryKey"], d["RegistryValueName"], d["RegistryValueType"]) == (
        r"HKEY_LOCAL_MACHINE\SOFTWARE\Run", "evil", "Dword")
    assert render("asim", ev)["RegistryKey"] == r"HKEY_LOCAL_MACHINE\SOFTWARE\Run"
    assert render("cim", ev)["Registry.registry_path"] == r"HKLM\SOFTWARE\Run\evil"
    assert render("defender", {**ev, "host": {"os": {"type": "linux"}}}) is None  # Windows only


def test_network_and_dns_events_per_platform():
    net = _kind_event("network")
    assert render("sysmon", net)["Initiated"] == "true" and render("sysmon", net)["DestinationPort"] == "443"
    d = render("defender", net)
    assert (d["RemoteIP"], d["RemotePort"], d["LocalIP"], d["ActionType"]) == ("1.2.3.4", 443, "10.0.0.1",
                                                                                "ConnectionSuccess")
    inbound = {**net, "event": {"category": ["network"], "type": ["start"], "action": "connection_accepted"}}
    d = render("defender", inbound)
    assert (d["RemoteIP"], d["LocalIP"], d["ActionType"]) == ("10.0.0.1", "1.2.3.4", "InboundConnectionAccepted")
    assert render("asim", inbound)["DstProcessName"] == r"C:\W\tool.exe"
    dns = _kind_event("dns")
    assert render("sysmon", dns)["QueryName"] == "evil.top" and render("sysmon", dns)["EventCode"] == "22"
    assert render("defender", dns)["AdditionalFields"]["DnsQueryString"] == "evil.top"
    assert render("defender", dns)["$table"] == "DeviceEvents"
    assert render("asim", dns)["DnsQuery"] == "evil.top" and render("cim", dns)["DNS.query"] == "evil.top"


def test_library_events_per_platform():
    lib = _kind_event("library")
    s = render("sysmon", lib)
    assert (s["EventCode"], s["ImageLoaded"], s["Signed"], s["SignatureStatus"], s["Signature"]) == (
        "7", r"C:\Temp\x.dll", "true", "Valid", "Contoso")
    assert render("defender", lib)["FileName"] == "x.dll"
    assert render("cim", lib) is None  # no data model


def test_sentinel_holds_library_and_driver_loads_as_the_defender_connector_streams_them():
    # no ASIM schema: the Defender XDR connector's DeviceImageLoadEvents / DeviceEvents, Defender's records
    for kind, table, action, path in (("library", "DeviceImageLoadEvents", "ImageLoaded", r"C:\Temp\x.dll"),
                                      ("driver", "DeviceEvents", "DriverLoad", r"C:\Windows\System32\drivers\evil.sys")):
        ev = _kind_event(kind)
        a, d = render("asim", ev), render("defender", ev)
        assert (a["$table"], a["ActionType"], a["FolderPath"]) == (table, action, path)
        assert a == d
        assert "DvcOs" not in a and "EventType" not in a  # not an ASIM record
        assert facts.table("asim", a["$table"] if kind == "library" else "DeviceEvents/DriverLoad").origin == "defender"
        # Defender records Windows devices' loads only
        assert render("asim", _kind_event(kind, "linux")) is None
    assert render("asim", _kind_event("driver"))["SHA256"] == "ab" * 32


def test_elastic_index_comes_from_the_data_stream_or_the_kind():
    ev = _kind_event("file")
    assert render("elastic", ev)["_index"] == ["logs-endpoint.events.file-default"]
    sysmon = {**ev, "event": {**ev["event"], "dataset": "windows.sysmon_operational"}}
    doc = render("elastic", sysmon)
    assert doc["_index"] == ["logs-windows.sysmon_operational-default"]
    assert "file.path.caseless" not in doc  # another integration's template: no Defend multi-fields
    stream = {**ev, "data_stream": {"type": "logs", "dataset": "endpoint.events.file", "namespace": "prod"}}
    assert render("elastic", stream)["_index"] == ["logs-endpoint.events.file-prod"]
    assert render("elastic", {"message": "x"})["_index"] == ["logs-generic-default"]


def test_elastic_event_naming_no_kind_goes_to_the_defend_stream_mapping_its_fields():
    doc = render("elastic", {"process": {"name": "CMD.exe"}})
    assert doc["_index"] == ["logs-endpoint.events.process-default"]
    assert doc["process.name.caseless"] == ["cmd.exe"]
    assert render("elastic", {"registry": {"path": "HKLM\\X"}})["_index"] == ["logs-endpoint.events.registry-default"]
    # a field no Defend template maps: the generic stream, no multi-fields
    odd = render("elastic", {"process": {"name": "x"}, "no_such": {"field": 1}})
    assert odd["_index"] == ["logs-generic-default"] and "process.name.caseless" not in odd


def test_a_value_is_created_by_setting_it_and_a_key_without_value_is_a_key_event():
    value = _kind_event("registry", event={"category": ["registry"], "type": ["creation"]})
    key = {**value, "registry": {"path": r"HKLM\SOFTWARE\Run"}}
    assert (render("sysmon", value)["EventCode"], render("sysmon", value)["EventType"]) == ("13", "SetValue")
    assert (render("sysmon", key)["EventCode"], render("sysmon", key)["EventType"]) == ("12", "CreateKey")
    assert render("defender", value)["ActionType"] == "RegistryValueSet"
    assert render("defender", key)["ActionType"] == "RegistryKeyCreated"
    gone = _kind_event("registry", event={"category": ["registry"], "type": ["deletion"]})
    assert render("sysmon", gone)["EventType"] == "DeleteValue"
    assert render("defender", gone)["ActionType"] == "RegistryValueDeleted"
    assert render("asim", gone)["EventType"] == "RegistryValueDeleted"


def test_the_process_account_is_the_effective_user_where_the_event_has_it():
    ev = _kind_event("file")
    ev["process"] = {**ev["process"], "user": {"id": "S-1-5-18", "name": "SYSTEM"}}
    assert render("defender", ev)["InitiatingProcessAccountSid"] == "S-1-5-18"
    assert render("asim", ev)["ActorUserId"] == "S-1-5-18"


def test_no_connection_end_on_sysmon_or_defender():
    end = _kind_event("network", event={"category": ["network"], "type": ["end"], "action": "disconnect_received"})
    assert render("sysmon", end) is None and render("defender", end) is None


def test_sigma_categories_are_the_translations():
    info = {"event": {"category": ["process"], "type": ["info"]}, "host": {"os": {"type": "linux"}}}
    assert render("sigma", info)["sigma.category"] == "none"           # no process_creation rule reads it
    assert render("sigma", {"event": {"category": ["database"]}})["sigma.category"] == "none"
    assert "sigma.category" not in render("sigma", {"message": "x"})   # names no ECS category: every rule
    started = {"event": {"category": ["process"], "type": ["process_started"]}, "host": {"os": {"type": "linux"}},
               "process": {"executable": "/bin/sh"}}
    assert render("sigma", started)["sigma.category"] == "process_creation"


def test_caseless_fields_every_index_of_a_rule_has_come_from_the_defend_templates():
    from converters.platforms import facts
    from converters.platforms.elastic import caseless_in_every, caseless_in_some, caseless_templates

    process = facts.table("elastic", "logs-endpoint.events.process").with_multi("caseless")
    registry = facts.table("elastic", "logs-endpoint.events.registry").with_multi("caseless")
    assert "process.name" in process and "process.command_line" in process
    assert caseless_in_every(["logs-endpoint.events.process-*"]) == tuple(sorted(process))
    assert caseless_in_every(["logs-endpoint.events.process-default", "-logs-endpoint.events.process-x"]) \
        == tuple(sorted(process))
    # two templates: what both declare (the registry stream has no process.command_line.caseless)
    both = caseless_in_every(["logs-endpoint.events.process-*", "logs-endpoint.events.registry-*"])
    assert both == tuple(sorted(set(process) & set(registry))) and "process.command_line" not in both
    # an index of another template (Winlogbeat), a pattern wider than one template, a remote cluster: none
    for patterns in (["logs-endpoint.events.process-*", "winlogbeat-*"], ["logs-endpoint.events.*"], ["logs-*"],
                     ["remote:logs-endpoint.events.process-*"], [], ["-winlogbeat-*"]):
        assert caseless_in_every(patterns) == (), patterns
    # which may exist in some index the patterns name
    assert set(caseless_in_some(["logs-endpoint.events.*"])) >= set(process) | set(registry)
    assert caseless_in_some(["winlogbeat-*", "logs-windows.sysmon_operational-*"]) == ()
    assert "logs-endpoint.events.process-*" in caseless_templates("process.command_line")
    assert "logs-endpoint.events.registry-*" not in caseless_templates("process.command_line")


# --- Defender XDR's process identity (device, PID, creation time) ----------------------------------

def _defender_identity(record: dict, columns: tuple[str, ...]) -> tuple:
    return tuple(record.get(c) for c in columns)


def test_defender_gives_one_process_one_identity_on_every_table_and_another_process_another():
    """One ECS process (entity id) is one Defender process identity wherever it appears: as the created
    process, as the parent of another, as the acting process of a file, network or image-load event;
    a process reusing its PID is another identity (its creation time differs)."""
    created = ("DeviceId", "ProcessId", "ProcessCreationTime")
    initiating = ("DeviceId", "InitiatingProcessId", "InitiatingProcessCreationTime")
    parent_of_initiating = ("DeviceId", "InitiatingProcessParentId", "InitiatingProcessParentCreationTime")
    host = {"id": "h1", "name": "ws1", "os": {"type": "windows"}}
    proc = {"executable": "C:\\Windows\\System32\\cmd.exe", "name": "cmd.exe", "pid": 100, "entity_id": "A",
            "parent": {"pid": 4, "entity_id": "P", "executable": "C:\\Windows\\explorer.exe"}}
    start = {"@timestamp": "2025-01-01T00:00:00Z", "host": host, "process": proc,
             "event": {"category": ["process"], "type": ["start"]}}
    child = {**start, "process": {**proc, "pid": 200, "entity_id": "C", "parent": {"pid": 100, "entity_id": "A"}}}
    file_write = {"@timestamp": "2025-01-01T00:00:01Z", "host": host, "process": proc,
                  "event": {"category": ["file"], "type": ["creation"]}, "file": {"path": "C:\\x.txt"}}
    image_load = {**file_write, "event": {"category": ["library"], "type": ["start"]}, "dll": {"path": "C:\\x.dll"}}
    reused = {**start, "process": {**proc, "entity_id": "B"}}               # PID 100 again, another process
    records = [render("defender", e) for e in (start, child, file_write, image_load, reused)]
    assert [r["$table"] for r in records] == ["DeviceProcessEvents", "DeviceProcessEvents", "DeviceFileEvents",
                                              "DeviceImageLoadEvents", "DeviceProcessEvents"]
    first, second, third, fourth, fifth = records
    a = _defender_identity(first, created)
    assert a[0] == "device-h1" and a[1] == 100 and a[2]
    assert _defender_identity(second, initiating) == a                       # A as the parent of C
    assert _defender_identity(third, initiating) == _defender_identity(fourth, initiating) == a
    assert _defender_identity(third, parent_of_initiating)[1:] == (4, first["InitiatingProcessCreationTime"])
    assert _defender_identity(fifth, created) != a and fifth["ProcessId"] == 100
    asim_load = render("asim", image_load)   # Sentinel's DeviceImageLoadEvents is Defender's record
    assert asim_load["$table"] == "DeviceImageLoadEvents" and _defender_identity(asim_load, initiating) == a
