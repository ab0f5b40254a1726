"""The splunk, splunk-cim, kusto-defender and kusto-sentinel data models beyond process starts.

The central property: for every combination of the ECS values a platform's
decision list reads (event.type x event.action, the rule's own values and
others), the emitted query run by the target's executor over the target's
platform rendering either agrees with the original condition, or a note the
emission declared explains the difference (its direction fits and its
`affects` holds on that event, converters.prove.explain). That ties the
platform facts, the models, the rewrites and their notes together.
"""

from __future__ import annotations

import itertools

import pytest

from converters.emit import EmitError, emit
from converters.emit.targets import TARGETS
from converters.prove.explain import explaining_note
from tests.support import matched

ENDPOINT = ("splunk", "splunk-cim", "kusto-defender", "kusto-sentinel")


def sigma(category: str, detection: str, condition: str = "sel", product: str | None = "windows") -> str:
    ls = f"  category: {category}\n" + (f"  product: {product}\n" if product else "")
    return f"title: t\nstatus: test\nlogsource:\n{ls}detection:\n{detection}\n  condition: {condition}\n"


def _event(category: str, etype: str | None, action: str | None, os_type="windows", **extra) -> dict:
    ev = {"event": {"category": [category]}, "host": {"name": "h", "os": {"type": os_type}},
          "process": {"pid": 1, "executable": r"C:\W\tool.exe", "name": "tool.exe"},
          "user": {"name": "bob", "domain": "CORP", "id": "S-1-5-21-9"}}
    if etype:
        ev["event"]["type"] = list(etype) if isinstance(etype, tuple) else [etype]  # a tuple: several
    if action:
        ev["event"]["action"] = action
    ev.update(extra)
    return ev


FILE = {"file": {"path": r"C:\Users\bob\x.exe", "name": "x.exe", "extension": "exe"}}
REG = {"registry": {"path": r"HKLM\SOFTWARE\Run\x", "value": "x", "data": {"strings": ["a"], "type": "REG_SZ"}}}
REG_KEY = {"registry": {"path": r"HKLM\SOFTWARE\Run"}}   # a key event: no value
NET = {"source": {"ip": "10.0.0.1", "port": 1000}, "destination": {"ip": "1.2.3.4", "port": 443},
       "network": {"transport": "tcp"}}

CASES = [
    # (category, ECS category, extra fields, field, values, types, actions)
    ("file_event", "file", FILE, "event.type", ["creation"],
     ["creation", "deletion", "change", "access", ("access", "creation"), ("creation", "change")],
     ["creation", "rename", "overwrite", "deletion", "open", "other"]),
    ("file_event", "file", FILE, "event.type", ["change"],
     ["creation", "deletion", "change"], ["rename", "modification", "overwrite", "creation"]),
    ("file_event", "file", FILE, "event.action", ["rename", "file_rename_event"],
     ["creation", "change", "deletion"], ["rename", "file_rename_event", "modification", "creation"]),
    ("file_event", "file", FILE, "event.action", ["launch_daemon"],
     ["creation", "change"], ["launch_daemon", "creation", "rename"]),
    ("registry_event", "registry", REG, "event.type", ["change"],
     ["change", "creation", "deletion", "access", ("creation", "change")], ["modification", "query", "deletion", "rename"]),
    ("registry_event", "registry", REG_KEY, "event.type", ["creation"],
     ["change", "creation", "deletion", ("access", "creation")], ["modification", "deletion", "rename", "other"]),
    ("registry_event", "registry", REG, "event.type", ["deletion"],
     ["change", "creation", "deletion", ("deletion", "change")], ["deletion", "rename", "other"]),
    ("network_connection", "network", NET, "event.action", ["connection_attempted"],
     ["start", "end", "connection"], ["connection_attempted", "connection_accepted", "disconnect_received"]),
    ("process_creation", "process", {}, "event.action", ["exec", "exec_event"],
     ["start", "end"], ["exec", "fork", "start", "end", "already_running"]),
]


@pytest.mark.parametrize("target", ENDPOINT)
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[3]}-{'/'.join(c[4])}")
def test_action_conditions_agree_or_are_explained(target, case):
    category, ecs_category, extra, field, values, types, actions = case
    product = "linux" if category == "process_creation" else "windows"
    det = "  sel:\n    Image|endswith: 'tool.exe'\n  act:\n    " + field + "|cased:\n" + "".join(
        f"      - {v}\n" for v in values)
    text = sigma(category, det, "sel and act", product)
    try:
        out = emit(text, target)
    except EmitError as exc:
        assert exc.code == "emit/field-unavailable", exc.message  # the platform records none of them
        return
    events = [_event(ecs_category, t, a, product, **extra) for t, a in itertools.product(types, actions)]
    for e in events:
        e["process"]["executable"] = "/usr/bin/tool.exe" if product == "linux" else r"C:\W\tool.exe"
    got = matched(target, out.queries[0], events)
    for i, e in enumerate(events):
        found = e["event"].get("type", []) if field == "event.type" else [e["event"].get("action")]
        expected = any(v in values for v in found)
        if category == "process_creation":  # Sigma's process_creation is process starts
            expected = expected and "start" in e["event"].get("type", [])
        if (i in got) != expected:
            note = explaining_note(out.notes, e, expected, i in got)
            assert note is not None, (target, e["event"], expected, out.queries[0], [n.as_dict() for n in out.notes])


def test_file_rules_on_every_platform():
    text = sigma("file_event", "  sel:\n    TargetFilename|endswith: '.ps1'\n    event.type: creation\n"
                 "  flt:\n    Image|endswith: '\\\\msiexec.exe'", "sel and not flt")
    q = {t: emit(text, t).queries[0] for t in ENDPOINT}
    assert q["splunk"].startswith('source="XmlWinEventLog:Microsoft-Windows-Sysmon/Operational" '
                                  "EventCode IN (11, 23, 26) (")
    assert 'EventCode="11"' in q["splunk"]
    assert "from datamodel=Endpoint.Filesystem where " in q["splunk-cim"]
    assert 'Filesystem.action="created"' in q["splunk-cim"]
    assert q["kusto-defender"].startswith("DeviceFileEvents\n| where ActionType in (")
    assert 'ActionType =~ "FileCreated"' in q["kusto-defender"]
    assert 'not(InitiatingProcessFileName =~ "msiexec.exe")' in q["kusto-defender"]
    assert q["kusto-sentinel"].startswith("imFileEvent\n| where EventType in (")


def test_extension_is_the_end_of_the_name_and_noted_exactly():
    text = sigma("file_event", "  sel:\n    file.extension:\n      - exe\n      - dll")
    d = emit(text, "kusto-defender")
    assert 'FileName endswith ".exe" or FileName endswith ".dll"' in d.queries[0]
    [note] = [n for n in d.notes if n.field == "file.extension"]
    assert note.affects.direction == "either"
    a = emit(text, "kusto-sentinel")  # ASIM has the extension column
    assert 'TargetFileExtension in~ ("exe", "dll")' in a.queries[0]


def test_registry_paths_are_computed_and_roots_spelled_out():
    text = sigma("registry_event", "  sel:\n    TargetObject|startswith: 'HKLM\\SOFTWARE\\Run\\'")
    d = emit(text, "kusto-defender").queries[0]
    assert '| extend RegistryPath = iff(ActionType startswith "RegistryValue", strcat(RegistryKey, ' in d
    assert 'RegistryPath startswith "HKEY_LOCAL_MACHINE\\\\SOFTWARE\\\\Run\\\\"' in d
    assert d.index("| where ActionType in (") < d.index("| extend ")  # the table's own column first
    s = emit(text, "splunk").queries[0]
    assert s.startswith('source="XmlWinEventLog:Microsoft-Windows-Sysmon/Operational" EventCode IN (12, 13, 14)')


def test_dns_rules_go_to_the_dns_tables():
    text = sigma("network_connection", "  sel:\n    dns.question.name|endswith: .onion")
    q = {t: emit(text, t).queries[0] for t in ENDPOINT}
    assert "EventCode=22" in q["splunk"] and 'QueryName="*.onion"' in q["splunk"]
    assert "from datamodel=Network_Resolution.DNS where DNS.query=" in q["splunk-cim"]
    assert q["kusto-defender"].startswith('DeviceEvents\n| where ActionType == "DnsQueryResponse"\n'
                                          "| extend DnsQueryString = tostring(AdditionalFields.DnsQueryString)")
    assert q["kusto-sentinel"].startswith('imDns\n| where EventType == "Query"')


def test_what_a_platform_lacks_is_refused_naming_field_and_platform():
    lib = sigma("image_load", "  sel:\n    ImageLoaded|endswith: '.dll'")
    with pytest.raises(EmitError) as exc:
        emit(lib, "splunk-cim")
    assert exc.value.code == "emit/logsource-unsupported" and "library" in exc.value.message
    linux_driver = sigma("driver_load", "  sel:\n    ImageLoaded|endswith: '.ko'", product="linux")
    with pytest.raises(EmitError) as exc:  # Defender's DriverLoad events, on Sentinel too, are Windows only
        emit(linux_driver, "kusto-sentinel")
    assert exc.value.code == "emit/logsource-unsupported" and "windows" in exc.value.message
    mac = sigma("process_creation", "  sel:\n    Image|endswith: '/bash'", product="macos")
    with pytest.raises(EmitError) as exc:
        emit(mac, "splunk")
    assert "macOS" in exc.value.message
    need = sigma("process_creation", "  sel:\n    Image|endswith: '\\\\x.exe'\n    container.id|exists: true")
    with pytest.raises(EmitError) as exc:
        emit(need, "kusto-defender")
    assert exc.value.code == "emit/field-unavailable"
    assert "container.id" in exc.value.message and "DeviceProcessEvents" in exc.value.message


LIBRARY_EVENTS = [  # (event, loaded by rundll32.exe from Temp)
    _event("library", "start", "load", dll={"path": r"C:\Temp\x.dll", "name": "x.dll"},
           process={"pid": 1, "executable": r"C:\Windows\System32\rundll32.exe", "name": "rundll32.exe"}),
    _event("library", "start", "load", dll={"path": r"C:\Windows\x.dll", "name": "x.dll"},
           process={"pid": 1, "executable": r"C:\Windows\System32\rundll32.exe", "name": "rundll32.exe"}),
    _event("library", "start", "load", dll={"path": r"C:\Temp\x.dll", "name": "x.dll"}),
]


def test_sentinel_reads_library_and_driver_loads_from_the_defender_connector_tables():
    lib = sigma("image_load", "  sel:\n    ImageLoaded|startswith: 'C:\\Temp\\'\n    Image|endswith: '\\rundll32.exe'")
    drv = sigma("driver_load", "  sel:\n    ImageLoaded|endswith: '\\evil.sys'")
    for text, head in ((lib, 'DeviceImageLoadEvents\n| where ActionType == "ImageLoaded"\n'),
                       (drv, 'DeviceEvents\n| where ActionType == "DriverLoad"\n')):
        sentinel, defender = emit(text, "kusto-sentinel"), emit(text, "kusto-defender")
        assert sentinel.queries[0].startswith(head)
        assert sentinel.queries[0] == defender.queries[0]  # the same table and columns as on Defender XDR
        assert sentinel.state["query_table"] == head.split("\n")[0]
    q = emit(lib, "kusto-sentinel").queries[0]
    assert 'FolderPath startswith "C:\\\\Temp\\\\"' in q and 'InitiatingProcessFileName =~ "rundll32.exe"' in q
    assert matched("kusto-sentinel", q, LIBRARY_EVENTS) == {0}


def test_an_exclusion_on_a_field_the_platform_lacks_is_dropped_with_a_note():
    text = sigma("process_creation", "  sel:\n    Image|endswith: '\\\\x.exe'\n  flt:\n    container.id: abc",
                 "sel and not flt")
    out = emit(text, "kusto-defender")
    assert "container" not in out.queries[0]
    [note] = [n for n in out.notes if n.field == "container.id"]
    assert note.code == "emit/condition-widened" and note.affects.direction == "more"


def test_well_known_user_ids_become_account_names_where_only_names_are_recorded():
    text = sigma("process_creation", "  sel:\n    Image|endswith: '\\\\x.exe'\n  flt:\n    user.id: S-1-5-18",
                 "sel and not flt")
    s = emit(text, "splunk")
    assert 'NOT User="NT AUTHORITY\\\\SYSTEM"' in s.queries[0]
    assert any(n.field == "user.id" and n.code == "emit/field-approximated" for n in s.notes)
    assert 'AccountSid =~ "S-1-5-18"' in emit(text, "kusto-defender").queries[0]  # Defender has the SID


def test_splunk_pushes_conditions_into_the_base_search_and_tstats_where():
    text = sigma("process_creation", "  sel:\n    Image|endswith: '\\\\powershell.exe'\n"
                 "    CommandLine|contains: '-enc'\n  rx:\n    CommandLine|re: '[A-Za-z0-9+/]{50,}'",
                 "sel and rx")
    s = emit(text, "splunk").queries[0].splitlines()
    assert s[0] == ('source="XmlWinEventLog:Microsoft-Windows-Sysmon/Operational" EventCode=1 '
                    '(Image="*\\\\powershell.exe" AND CommandLine="*-enc*")')
    assert s[1].startswith('| regex CommandLine="') and len(s) == 2
    c = emit(text, "splunk-cim").queries[0].splitlines()
    assert ' where Processes.process_name="powershell.exe" AND Processes.process="*-enc*" by ' in c[0]
    assert c[1].startswith('| regex Processes.process="')


def test_docs_list_the_current_data_models_with_their_sources():
    from converters.report.targets_doc import data_models_section
    from tests.support import ROOT

    docs = (ROOT / "docs" / "targets.md").read_text(encoding="utf-8")
    section = data_models_section()
    assert section in docs
    for table in ("DeviceFileEvents", "imRegistry", "Endpoint.Filesystem", "windows-dns", "linux-process"):
        assert table in section
    assert "no CIM data model records library" in section and "learn.microsoft.com" in section


def test_a_caseless_field_compares_ignoring_case_on_every_platform():
    text = sigma("process_creation", "  sel:\n    process.name.caseless|cased: ping.exe")
    assert 'FileName =~ "ping.exe"' in emit(text, "kusto-defender").queries[0]
    assert 'Processes.process_name="ping.exe"' in emit(text, "splunk-cim").queries[0]


def test_an_exclusion_on_a_dns_field_leaves_a_connection_rule_on_the_connection_model():
    text = sigma("network_connection", "  sel:\n    Image|endswith: '\\\\certutil.exe'\n"
                 "  flt:\n    dns.question.name: localhost", "sel and not flt")
    assert "EventCode=3" in emit(text, "splunk").queries[0]
    assert emit(text, "kusto-defender").queries[0].startswith("DeviceNetworkEvents")


def test_destination_address_is_the_remote_ip_noted_where_the_two_disagree():
    text = sigma("network_connection", "  sel:\n    destination.address: 10.1.1.1")
    out = emit(text, "kusto-sentinel")
    assert 'DstIpAddr =~ "10.1.1.1"' in out.queries[0]
    [note] = [n for n in out.notes if n.field == "destination.address"]
    from converters.engine.documents import flatten_ecs
    from converters.prove.explain import holds
    differ = flatten_ecs({"destination": {"address": "10.1.1.1", "ip": "10.9.9.9"}})
    same = flatten_ecs({"destination": {"address": "10.1.1.1", "ip": "10.1.1.1"}})
    assert holds(note.affects.condition, differ) and not holds(note.affects.condition, same)


def test_a_missing_hash_is_hashes_without_that_algorithm_on_sysmon():
    text = sigma("process_creation", "  sel:\n    Image|endswith: '\\\\a.exe'\n  flt:\n    sha256: null",
                 "sel and not flt")
    out = emit(text, "splunk")
    ex = TARGETS["splunk"].executor()
    base = {"source": "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational", "EventCode": "1", "Image": "C:\\a.exe"}
    events = [dict(base, Hashes="SHA256=AB"), dict(base, Hashes="MD5=CD"), base]
    assert ex.run(out.queries[0], events) == [0]


def test_sysmon_placeholders_count_as_missing_and_its_directories_end_with_a_backslash():
    text = sigma("process_creation", "  sel:\n    CurrentDirectory|cased: C:\\Temp\n"
                 "  flt:\n    OriginalFileName: null", "sel and not flt")
    q = emit(text, "splunk").queries[0]
    assert 'OriginalFileName="-"' in q
    ex = TARGETS["splunk"].executor()
    base = {"source": "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational", "EventCode": "1"}
    events = [dict(base, CurrentDirectory="C:\\Temp\\", OriginalFileName="a.exe"),
              dict(base, CurrentDirectory="C:\\Temp\\", OriginalFileName="-"),
              dict(base, CurrentDirectory="C:\\Temp\\x\\", OriginalFileName="a.exe")]
    assert ex.run(q, events) == [0]


@pytest.mark.parametrize("target, path", [("splunk", "Image=*"), ("kusto-defender", "isnotempty(FolderPath)"),
                                          ("kusto-sentinel", "isnotempty(TargetProcessName)")])
def test_a_name_exists_where_its_path_does(target, path):
    # the translation keeps `process.name != null` as process.name|exists: the table records the path
    rule = """title: t
id: 9a7c1c2e-1111-4a3b-9c1d-2e3f4a5b6c7d
logsource: {category: process_creation, product: linux}
detection:
  sel: {process.name|exists: true, CommandLine|contains: chown}
  condition: sel
"""
    assert path in emit(rule, target).queries[0]


@pytest.mark.parametrize("exists, expected", [("true", [0, 3, 4]), ("false", [1, 2])])
def test_sysmon_placeholders_are_no_value_for_exists(exists, expected):
    # Sysmon writes "-" where it has no OriginalFileName: the field is there, its value is "none"
    q = emit(sigma("process_creation", f"  sel:\n    OriginalFileName|exists: {exists}"), "splunk").queries[0]
    ex = TARGETS["splunk"].executor()
    base = {"source": "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational", "EventCode": "1"}
    events = [dict(base, OriginalFileName="a.exe"), dict(base, OriginalFileName="-"), base,
              dict(base, OriginalFileName="-x"), dict(base, OriginalFileName="x-")]
    assert ex.run(q, events) == expected


def test_other_than_matches_every_string_but_one():
    import re

    from converters.emit.item_values import other_than

    pattern = re.compile(str(other_than("a-b").regexp), re.DOTALL)
    assert [bool(pattern.search(s)) for s in ("a-b", "", "a", "a-", "a-bc", "b", "a-c", "x\na-b", "a-b\n")] == \
        [False, True, True, True, True, True, True, True, True]


@pytest.mark.parametrize("condition, expected", [("sel", [0]), ("not sel", [1, 2, 3])])
def test_cim_fills_are_no_value_for_a_pattern(condition, expected):
    # tstats fills a missing field with "null", the Registry data model an empty value with "unknown":
    # a pattern those texts would match (any character; `*n*`) must not take them for a value
    det = "  sel:\n    Details|re: '^.'\n    TargetObject|contains: 'n'"
    q = emit(sigma("registry_event", det, condition), "splunk-cim").queries[0]
    ex = TARGETS["splunk-cim"].executor()
    base = {"$datamodel": "Endpoint.Registry", "Registry.action": "modified"}
    events = [dict(base, **{"Registry.registry_value_data": "1", "Registry.registry_path": "HKLM\\Key\\n"}),
              dict(base, **{"Registry.registry_value_data": "unknown", "Registry.registry_path": "HKLM\\Key\\n"}),
              dict(base, **{"Registry.registry_value_data": "1"}),          # no path: tstats says "null"
              dict(base, **{"Registry.registry_value_data": "1", "Registry.registry_path": "HKLM\\Key\\x"})]
    assert ex.run(q, events) == expected
