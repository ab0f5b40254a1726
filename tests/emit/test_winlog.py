"""Windows event log records (event.code, winlog.*) on kusto-sentinel and splunk; refused on the others.

A category-less rule on product windows that names event.code or a winlog.* field reads the
Security channel's records: Sentinel's SecurityEvent, the Windows add-on's XmlWinEventLog:Security
in Splunk. event.action / event.category / event.type become the event codes Elastic's Security
pipeline gives them (converters/data/platforms/elastic-windows-security.json). The central
property is the one of test_endpoint_tables: over events varying every value the conditions
read, the emitted query, run by the target's executor on the target's rendering, agrees with
the original condition or a declared note explains the difference.
"""

from __future__ import annotations

import itertools

import pytest

from converters.emit import EmitError, emit
from converters.platforms import facts, winlog
from converters.platforms.models import render
from converters.prove.explain import explaining_note
from tests.support import emit_and_match as run

TARGETS_WITH_WINLOG = ("kusto-sentinel", "splunk")


def rule(detection: str, condition: str = "sel", product: str = "windows") -> str:
    return (f"title: t\nstatus: test\nlogsource:\n  product: {product}\ndetection:\n{detection}\n"
            f"  condition: {condition}\n")


AD_CHANGE = rule("  sel:\n    event.code: '5136'\n    winlog.event_data.AttributeLDAPDisplayName: servicePrincipalName\n"
                 "    winlog.event_data.ObjectDN|contains: 'CN=Users'\n"
                 "  flt:\n    winlog.event_data.SubjectUserName|endswith: '$'", "sel and not flt")
GROUP_ADD = rule("  sel:\n    event.action: added-member-to-group\n    winlog.event_data.TargetUserName: Domain Admins")
SERVICE = rule("  sel:\n    event.category: iam\n    event.code: '4697'\n    winlog.event_data.ServiceFileName|contains: "
               "'cmd.exe'")


def security_event(code: str | None = "5136", action: str | None = None, channel: str | None = None,
                   provider: str | None = None, os_type: str = "windows", **data) -> dict:
    ev = {"@timestamp": "2026-01-01T00:00:00.000Z", "event": {},
          "host": {"name": "dc1", "os": {"type": os_type}}, "winlog": {"event_data": dict(data)}}
    if code is not None:
        ev["event"]["code"] = code
    if action is not None:
        ev["event"]["action"] = action
    if provider is not None:
        ev["event"]["provider"] = provider
    if channel is not None:
        ev["winlog"]["channel"] = channel
    return ev


def check(target: str, text: str, events: list[dict], expected) -> set[int]:
    got, out = run(target, text, events)
    for i, e in enumerate(events):
        want = expected(e)
        if (i in got) != want:
            assert explaining_note(out.notes, e, want, i in got) is not None, (target, e, out.queries[0])
    return got


def data(e: dict, name: str):
    return e.get("winlog", {}).get("event_data", {}).get(name)


# --- the Elastic pipeline's table ---------------------------------------------------

def test_the_security_table_is_elastics_code_to_action_mapping():
    sec = winlog.security()
    assert sec.codes_where("event.action", ["added-member-to-group"]) == ("4728", "4732", "4756")
    assert sec.codes_where("event.action", ["ADDED-MEMBER-TO-GROUP"], case_insensitive=False) == ()
    assert sec.code_of("directory-service-object-modified") == "5136"
    assert sec.code_of("added-member-to-group") is None          # three codes share it
    assert "iam" in sec.values_of("5136", "event.category")
    assert winlog.event_code("4662", ["Directory Service Access"]) == "4662"
    assert winlog.event_code(None, ["renamed-user-account"]) == "4781"
    assert winlog.event_code(None, ["Directory Service Access"]) is None   # a task name: no code


# --- emission -------------------------------------------------------------------------

def test_sentinel_reads_security_event_columns_and_the_event_data_xml():
    q = emit(AD_CHANGE, "kusto-sentinel").queries[0]
    assert q.startswith("SecurityEvent\n")
    assert "EventID == 5136" in q
    # AttributeLDAPDisplayName and ObjectDN have no SecurityEvent column: their EventData element
    assert 'EventData matches regex "(?i)<Data Name=\\"AttributeLDAPDisplayName\\">servicePrincipalName</Data>"' in q
    assert "SubjectUserName endswith" in q   # a column of SecurityEvent


def test_splunk_reads_the_security_source_with_event_data_fields_under_their_names():
    q = emit(AD_CHANGE, "splunk").queries[0]
    assert q.startswith("source=XmlWinEventLog:Security")
    assert 'EventCode="5136"' in q and 'AttributeLDAPDisplayName="servicePrincipalName"' in q
    assert 'ObjectDN="*CN=Users*"' in q
    q = emit(GROUP_ADD, "splunk").queries[0]
    assert 'EventCode IN ("4728", "4732", "4756")' in q or 'EventCode="4728" OR' in q, q


def test_fields_elastic_derives_are_refused_naming_the_derivation():
    for target in TARGETS_WITH_WINLOG:
        with pytest.raises(EmitError) as e:
            emit(rule("  sel:\n    event.code: '4662'\n    winlog.event_data.AccessMaskDescription: Write Property"),
                 target)
        assert "AccessMaskDescription" in e.value.message, e.value.message


def test_a_category_less_rule_on_other_data_says_what_it_would_need_to_name():
    text = rule("  sel:\n    url.full: http://x")
    for target in TARGETS_WITH_WINLOG:
        with pytest.raises(EmitError) as e:
            emit(text, target)
        assert "event.code" in e.value.message and "winlog.*" in e.value.message, e.value.message


def test_an_action_is_the_event_codes_elastic_gives_it():
    out = emit(GROUP_ADD, "kusto-sentinel")
    assert "EventID == 4728 or EventID == 4732 or EventID == 4756" in out.queries[0]
    note = next(n for n in out.notes if n.code == "emit/action-mapped")
    assert "4728, 4732, 4756" in note.message and note.affects is not None


def test_platforms_without_the_event_log_refuse_with_the_reason():
    for target, why in (("kusto-defender", "holds no Windows event log records"),
                        ("splunk-cim", "no CIM data model holds Windows event log records")):
        with pytest.raises(EmitError) as e:
            emit(AD_CHANGE, target)
        assert e.value.code == "emit/logsource-unsupported" and why in e.value.message, e.value.message


def test_a_field_sentinel_does_not_keep_is_refused_naming_it():
    text = rule("  sel:\n    event.code: '4738'\n    winlog.event_data.NewUACList: USER_DONT_REQUIRE_PREAUTH")
    with pytest.raises(EmitError) as e:
        emit(text, "kusto-sentinel")
    assert "winlog.event_data.NewUACList" in e.value.message and "SecurityEvent" in e.value.message


def test_a_rule_on_another_channel_is_refused_on_sentinel():
    text = rule("  sel:\n    winlog.channel: Application\n    event.code: '0'")
    with pytest.raises(EmitError) as e:
        emit(text, "kusto-sentinel")
    assert "winlog.channel" in e.value.message


def test_category_less_script_block_rules_read_windows_event():
    text = rule("  sel:\n    event.code: '4104'\n    powershell.file.script_block_text|contains: NdrClientCall")
    assert emit(text, "kusto-sentinel").queries[0].startswith("WindowsEvent\n")


# --- rendering ----------------------------------------------------------------------

def test_a_security_event_as_sentinel_records_it():
    ev = security_event("5136", AttributeLDAPDisplayName="servicePrincipalName", ObjectDN="CN=a<b>,DC=x",
                        SubjectUserName="alice", AccessMask="0x100")
    rec = render("asim", ev)
    assert rec["$table"] == "SecurityEvent" and rec["EventID"] == 5136 and rec["Channel"] == "Security"
    assert rec["SubjectUserName"] == "alice" and rec["AccessMask"] == "0x100"
    assert "AttributeLDAPDisplayName" not in rec   # no such column: only in the XML
    assert '<Data Name="ObjectDN">CN=a&lt;b&gt;,DC=x</Data>' in rec["EventData"]
    assert rec["EventSourceName"] == "Microsoft-Windows-Security-Auditing"
    assert set(rec) - {"$table"} <= set(facts.table("asim", "SecurityEvent").fields)


def test_a_security_event_as_splunk_records_it():
    ev = security_event("4697", ServiceName="evil", ServiceFileName="C:\\x.exe", AccessMaskDescription=["Read"])
    rec = render("sysmon", ev)
    assert rec["source"] == "XmlWinEventLog:Security" and rec["EventCode"] == "4697"
    assert rec["ServiceName"] == "evil" and rec["ServiceFileName"] == "C:\\x.exe" and rec["Computer"] == "dc1"
    assert "AccessMaskDescription" not in rec   # Elastic's, not the record's
    assert render("sysmon", security_event("7045", channel="System", ImagePath="x")) is None


def test_group_fields_are_the_records_target_fields():
    text = rule("  sel:\n    event.action: added-member-to-group\n    group.name: Domain Admins")
    for target in TARGETS_WITH_WINLOG:
        events = [security_event("4728", action="added-member-to-group", TargetUserName=n) for n in
                  ("Domain Admins", "x")]
        for e, name in zip(events, ("Domain Admins", "other")):
            e["group"] = {"name": name}
        events.append(security_event("4728", action="added-member-to-group"))   # group.name but no TargetUserName
        events[-1]["group"] = {"name": "Domain Admins"}
        got = check(target, text, events, lambda e: e.get("group", {}).get("name") == "Domain Admins")
        assert got == {0}, (target, got)


def test_events_sentinels_security_event_never_receives():
    assert render("asim", security_event("7045", channel="System", ImagePath="x")) is None
    assert render("asim", security_event("7045", provider="Service Control Manager")) is None
    assert render("asim", security_event(None, action="added-member-to-group")) is None   # which code?
    assert render("asim", security_event("5136", os_type="linux")) is None
    assert render("asim", security_event(None, action="renamed-user-account"))["EventID"] == 4781


# --- execution: agree, or a note explains -------------------------------------------

@pytest.mark.parametrize("target", TARGETS_WITH_WINLOG)
def test_event_data_conditions_agree_or_are_explained(target):
    events = [security_event(code, channel=ch, AttributeLDAPDisplayName=attr, ObjectDN=dn, SubjectUserName=user)
              for code, ch, attr, dn, user in itertools.product(
                  ["5136", "5137", None], [None, "Security", "System"], ["servicePrincipalName", "SPN", None],
                  ["CN=Users,DC=x", "cn=users&more", None], ["alice", "DC1$"])]
    got = check(target, AD_CHANGE, events, lambda e: e["event"].get("code") == "5136"
                and (data(e, "AttributeLDAPDisplayName") or "").lower() == "serviceprincipalname"
                and "cn=users" in (data(e, "ObjectDN") or "").lower()
                and not (data(e, "SubjectUserName") or "").endswith("$"))
    assert got


@pytest.mark.parametrize("target", TARGETS_WITH_WINLOG)
def test_action_and_category_conditions_agree_or_are_explained(target):
    events = [security_event(code, action=action, TargetUserName=user, ServiceFileName=path)
              for code, action, user, path in itertools.product(
                  ["4728", "4732", "4697", "4624", None], ["added-member-to-group", "service-installed", None],
                  ["Domain Admins", "x"], ["C:\\cmd.exe /c", None])]
    for i, e in enumerate(events):   # the category Elastic gives the event's code
        cats = winlog.security().values_of(e["event"].get("code") or "", "event.category")
        if cats and i % 2:
            e["event"]["category"] = list(cats)
    got = check(target, GROUP_ADD, events, lambda e: e["event"].get("action") == "added-member-to-group"
                and (data(e, "TargetUserName") or "").lower() == "domain admins")
    assert got
    got = check(target, SERVICE, events, lambda e: "iam" in e["event"].get("category", [])
                and e["event"].get("code") == "4697" and "cmd.exe" in (data(e, "ServiceFileName") or "").lower())
    assert got
