"""Logons (ECS event.category authentication) on splunk, splunk-cim, kusto-defender and kusto-sentinel.

Rules with no Sigma category that ask for event.category authentication are read on each
platform's logon records: sshd's lines (linux_secure, CIM Authentication, ASIM OpenSSH) and
Windows 4624/4625 (Security events in Splunk, DeviceLogonEvents, ASIM Security Events). The
central property is the one of test_endpoint_tables: over every combination of the ECS values
the decision list reads (event.action x event.outcome), the emitted query, run by the target's
executor on the target's rendering, agrees with the original condition or a declared note
explains the difference.
"""

from __future__ import annotations

import itertools

import pytest

from converters.emit import EmitError, emit
from converters.platforms import facts
from converters.platforms.models import render
from converters.prove.explain import explaining_note
from tests.support import emit_and_match as run

ENDPOINT = ("splunk", "splunk-cim", "kusto-defender", "kusto-sentinel")
LINUX = ("splunk", "splunk-cim", "kusto-sentinel")
WINDOWS = ("splunk", "kusto-defender", "kusto-sentinel")


def rule(detection: str, product: str, condition: str = "sel") -> str:
    return (f"title: t\nstatus: test\nlogsource:\n  product: {product}\ndetection:\n{detection}\n"
            f"  condition: {condition}\n")


SSH = rule("  sel:\n    event.category|cased: authentication\n    event.action|cased: ssh_login\n"
           "    event.outcome|cased: failure\n    source.ip|exists: true\n  flt:\n    source.ip|cidr: '10.0.0.0/8'",
           "linux", "sel and not flt")
WIN = rule("  sel:\n    event.category|cased: authentication\n    event.action|cased: logon-failed\n"
           "    winlog.logon.type: Network\n  flt:\n    user.name: '*$'", "windows", "sel and not flt")


def ssh_event(action="ssh_login", outcome="failure", ip="8.8.8.8", user="root", **extra) -> dict:
    ev = {"@timestamp": "2026-01-01T00:00:00.000Z", "event": {"category": ["authentication"], "type": ["start"]},
          "host": {"name": "web-1", "id": "h1", "os": {"type": "linux"}}, "user": {"name": user}}
    if action:
        ev["event"]["action"] = action
    if outcome:
        ev["event"]["outcome"] = outcome
    if ip:
        ev["source"] = {"ip": ip}
    ev.update(extra)
    return ev


def win_event(action="logon-failed", outcome=None, logon_type="Network", ip="8.8.8.8", user="alice") -> dict:
    ev = {"@timestamp": "2026-01-01T00:00:00.000Z", "event": {"category": ["authentication"], "action": action},
          "host": {"name": "ws-1", "os": {"type": "windows"}},
          "user": {"name": user, "domain": "CORP", "id": "S-1-5-21-1-1104"},
          "winlog": {"computer_name": "dc1.corp.local", "logon": {"type": logon_type}}}
    if outcome:
        ev["event"]["outcome"] = outcome
    if ip:
        ev["source"] = {"ip": ip}
    return ev


# --- emission ---------------------------------------------------------------------

def test_logon_rules_read_each_platforms_logon_records():
    q = {t: emit(SSH, t).queries[0] for t in LINUX}
    assert q["splunk"].startswith("sourcetype=linux_secure app=sshd ")
    assert 'action="failure"' in q["splunk"]
    assert "from datamodel=Authentication.Authentication where Authentication.app=\"sshd\" AND (" in q["splunk-cim"]
    assert 'Authentication.action="failure"' in q["splunk-cim"]
    assert q["kusto-sentinel"].startswith('imAuthentication\n| where EventProduct == "OpenSSH" and EventType == "Logon"')
    assert 'EventResult =~ "Failure"' in q["kusto-sentinel"]
    w = {t: emit(WIN, t).queries[0] for t in WINDOWS}
    assert w["splunk"].startswith('source=XmlWinEventLog:Security EventCode IN (4624, 4625) (')
    assert 'EventCode="4625"' in w["splunk"] and 'LogonType="3"' in w["splunk"]
    assert w["kusto-defender"].startswith("DeviceLogonEvents\n| where ActionType in (")
    assert 'ActionType =~ "LogonFailed"' in w["kusto-defender"] and 'LogonType =~ "Network"' in w["kusto-defender"]
    assert 'EventSubType =~ "Network"' in w["kusto-sentinel"]


def test_a_category_less_rule_on_other_data_is_not_taken_by_the_logon_models():
    iam = rule("  sel:\n    event.category|cased: iam\n    event.action|cased: user-created", "linux")
    for target in ENDPOINT:
        with pytest.raises(EmitError) as err:
            emit(iam, target)
        assert err.value.code == "emit/logsource-unsupported"
    # a logon named only in an exclusion does not make the rule a logon rule
    excluded = rule("  sel:\n    event.action|cased: x\n  flt:\n    event.category|cased: authentication",
                    "linux", "sel and not flt")
    with pytest.raises(EmitError):
        emit(excluded, "kusto-sentinel")


def test_what_a_platform_does_not_record_of_logons_is_refused_with_the_reason():
    with pytest.raises(EmitError) as err:
        emit(SSH, "kusto-defender")
    assert err.value.code == "emit/logsource-unsupported"
    assert "DeviceLogonEvents" in err.value.message and "Linux" in err.value.message
    with pytest.raises(EmitError) as err:
        emit(WIN, "splunk-cim")
    assert "winlog.logon.type" in err.value.message and "Authentication" in err.value.message


def test_an_exclusion_on_the_ntstatus_code_is_dropped_with_a_note_where_it_is_not_recorded():
    text = rule("  sel:\n    event.category|cased: authentication\n    event.action|cased: logon-failed\n"
                "  flt:\n    winlog.event_data.Status: '0xC000015B'", "windows", "sel and not flt")
    assert 'Status="0xC000015B"' in emit(text, "splunk").queries[0]
    for target in ("kusto-defender", "kusto-sentinel"):
        out = emit(text, target)
        assert "Status" not in out.queries[0].replace("EventResult", "")
        assert any(n.field == "winlog.event_data.Status" and n.affects is not None for n in out.notes)


def test_correlation_keys_are_read_by_the_logon_models():
    base = ("title: {n}\nname: {n}\nstatus: test\nlogsource:\n  product: linux\ndetection:\n  sel:\n"
            "    event.category|cased: authentication\n    event.action|cased: ssh_login\n"
            "    event.outcome|cased: {o}\n  condition: sel\n")
    corr = ("title: c\nstatus: test\ncorrelation:\n  type: temporal_ordered\n  rules: [f, s]\n"
            "  group-by: [host.id, source.ip, user.name]\n  timespan: 15s\n")
    text = base.format(n="f", o="failure") + "---\n" + base.format(n="s", o="success") + "---\n" + corr
    keys = {"splunk": ("ruleport_k0=src", "ruleport_k1=user"),
            "splunk-cim": ("'Authentication.src'", "'Authentication.user'"),
            "kusto-sentinel": ("pack_array(DvcId, SrcIpAddr, TargetUsername)",)}
    for target, wanted in keys.items():
        out = emit(text, target)
        assert all(k in out.queries[0] for k in wanted), (target, out.queries[0])
        # Sysmon and CIM records have no id of the host: dropped with a note; ASIM's DvcId is one
        dropped = any(n.code == "emit/join-key-dropped" and n.field == "host.id" for n in out.notes)
        assert dropped == (target != "kusto-sentinel")


# --- platform rendering -----------------------------------------------------------

def test_an_ssh_login_as_each_platform_records_it():
    ev = ssh_event()
    s = render("sysmon", ev)
    assert (s["sourcetype"], s["app"], s["action"], s["src"], s["user"]) == ("linux_secure", "sshd", "failure",
                                                                            "8.8.8.8", "root")
    c = render("cim", ev)
    assert c["$datamodel"] == "Authentication.Authentication"
    assert (c["Authentication.action"], c["Authentication.app"], c["Authentication.src"]) == ("failure", "sshd",
                                                                                            "8.8.8.8")
    a = render("asim", ev)
    assert (a["$table"], a["EventProduct"], a["EventType"], a["EventResult"], a["SrcIpAddr"], a["DvcOs"]) == \
        ("imAuthentication", "OpenSSH", "Logon", "Failure", "8.8.8.8", "Linux")
    assert render("defender", ev) is None   # Microsoft documents no Linux logon in DeviceLogonEvents


def test_logons_the_platforms_do_not_receive():
    auditd = ssh_event(action="user_login")   # auditd's USER_LOGIN: no sshd line
    no_outcome = ssh_event(outcome=None)
    for platform in ("sysmon", "cim", "asim"):
        assert render(platform, auditd) is None
        assert render(platform, no_outcome) is None
    logged_out = win_event(action="logged-out")
    for platform in ("sysmon", "defender", "asim"):
        assert render(platform, logged_out) is None


def test_a_windows_logon_as_each_platform_records_it():
    ev = win_event(action="logged-in", logon_type="RemoteInteractive", ip=None)
    s = render("sysmon", ev)
    assert (s["EventCode"], s["LogonType"], s["IpAddress"], s["TargetUserName"], s["Computer"]) == \
        ("4624", "10", "-", "alice", "dc1.corp.local")
    d = render("defender", ev)
    assert (d["ActionType"], d["LogonType"], d["AccountName"], d["RemoteIP"], d["DeviceName"]) == \
        ("LogonSuccess", "RemoteInteractive", "alice", "", "dc1.corp.local")
    a = render("asim", ev)
    assert (a["EventResult"], a["EventOriginalType"], a["EventSubType"], a["TargetUsername"]) == \
        ("Success", "4624", "RemoteInteractive", "CORP\\alice")
    assert render("cim", ev) is None


def test_the_sigma_column_keeps_logons_as_records_of_no_category():
    record = render("sigma", ssh_event())
    assert record["sigma.category"] == "none" and record["event.action"] == "ssh_login"
    assert "EventID" not in record


@pytest.mark.parametrize("platform", ["sysmon", "cim", "defender", "asim"])
@pytest.mark.parametrize("event", [ssh_event(), win_event(), win_event(action="logged-in")], ids=["ssh", "4625", "4624"])
def test_logon_records_hold_only_fields_their_table_declares(platform, event):
    record = render(platform, event)
    if record is None:
        return
    table = next(t for t in facts.platform(platform).tables.values() if t.kind == "authentication"
                 and t.os == (event["host"]["os"]["type"],))
    markers = {"$table", "$datamodel", "_time"}
    assert set(record) - markers <= set(table.fields), (platform, set(record) - markers - set(table.fields))


# --- execution: agree, or a note explains -------------------------------------------

@pytest.mark.parametrize("target", LINUX)
def test_ssh_conditions_agree_or_are_explained(target):
    events = [ssh_event(action=a, outcome=o, ip=ip)
              for a, o, ip in itertools.product(["ssh_login", "user_login", None], ["failure", "success", None],
                                                ["8.8.8.8", "10.1.2.3", None])]
    got, out = run(target, SSH, events)
    for i, e in enumerate(events):
        ip = e.get("source", {}).get("ip")
        expected = e["event"].get("action") == "ssh_login" and e["event"].get("outcome") == "failure" \
            and ip is not None and not ip.startswith("10.")
        if (i in got) != expected:
            assert explaining_note(out.notes, e, expected, i in got) is not None, (target, e, out.queries[0])
    assert any(i in got for i in range(len(events)))


@pytest.mark.parametrize("target", WINDOWS)
def test_windows_logon_conditions_agree_or_are_explained(target):
    events = [win_event(action=a, outcome=o, logon_type=lt, user=u)
              for a, o, lt, u in itertools.product(["logon-failed", "logged-in", "logged-out"],
                                                   [None, "failure", "success"],
                                                   ["Network", "network", "Interactive", "Bogus"],
                                                   ["alice", "WS1$"])]
    got, out = run(target, WIN, events)
    for i, e in enumerate(events):
        expected = e["event"]["action"] == "logon-failed" and e["winlog"]["logon"]["type"].lower() == "network" \
            and not e["user"]["name"].endswith("$")
        if (i in got) != expected:
            assert explaining_note(out.notes, e, expected, i in got) is not None, (target, e, out.queries[0])
    assert any(i in got for i in range(len(events)))


@pytest.mark.parametrize("target", WINDOWS)
def test_outcome_conditions_are_the_result_of_a_windows_logon(target):
    text = rule("  sel:\n    event.category|cased: authentication\n    event.outcome|cased: success", "windows")
    events = [win_event(action=a, outcome=o) for a, o in itertools.product(
        ["logon-failed", "logged-in"], [None, "failure", "success"])]
    got, out = run(target, text, events)
    assert got, out.queries[0]
    for i, e in enumerate(events):
        expected = e["event"].get("outcome") == "success"
        if (i in got) != expected:
            assert explaining_note(out.notes, e, expected, i in got) is not None, (target, e, out.queries[0])
