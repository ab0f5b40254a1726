"""The seed fixture is internally consistent, and each platform model keeps its relations."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from converters.platforms.models import (
    CASELESS_FIELDS,
    PLATFORMS,
    SYSMON_SOURCE,
    basename,
    get,
    render,
    render_events,
)
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
    assert doc["user.name.caseless"] == ["alice"]
    assert doc["process.code_signature.subject_name"] == ["OpenJS Foundation"]
    # only the listed fields get a caseless twin, and every listed field present got one
    caseless = {k[: -len(".caseless")] for k in doc if k.endswith(".caseless")}
    assert caseless == {f for f in CASELESS_FIELDS if f in doc}
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
    assert render("sysmon", _start("linux")) is None
    assert render("sigma", end) is None and render("sigma", net) is None and render("sigma", _start("linux")) is None


def test_sigma_is_sysmon_process_creation_under_taxonomy_names():
    r = render("sigma", _start())
    assert r["EventID"] == 1
    sysmon = render("sysmon", _start())
    for key in ("Image", "CommandLine", "ParentImage", "OriginalFileName", "User", "CurrentDirectory"):
        assert r[key] == sysmon[key]


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
    _, origin = render_events("sigma", events)
    starts = [i for i, e in enumerate(events) if get(e, "host.os.type") == "windows"
              and "process" in get(e, "event.category") and "start" in get(e, "event.type")]
    assert origin == starts


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
