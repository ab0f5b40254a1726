"""Cloud and SaaS audit rules on Splunk, Sentinel, Defender and CIM (converters/emit/cloud*.py):
the query each writes, the notes it declares, and what the queries match on each platform's
records of the same events."""

from __future__ import annotations

import json

import pytest

from converters.emit import EmitError, emit
from converters.notes import Affects
from converters.prove.explain import holds
from converters.engine.documents import flatten_ecs
from tests.support import matched


def cloud_rule(product: str, service: str, detection: str, condition: str = "sel") -> str:
    return (
        "title: t\nid: 00000000-0000-0000-0000-000000000002\nstatus: test\n"
        f"logsource:\n  product: {product}\n  service: {service}\n"
        f"detection:\n{detection}\n  condition: {condition}\nlevel: low\n"
    )


AWS = cloud_rule("aws", "cloudtrail", """  sel:
    data_stream.dataset|cased: aws.cloudtrail
    event.provider|cased: iam.amazonaws.com
    event.action|cased: AttachUserPolicy
    event.outcome|cased: success
    aws.cloudtrail.request_parameters|contains|cased: policyArn=arn:aws:iam::aws:policy/AdministratorAccess""")


def matches(target: str, query: str, events: list[dict]) -> list[int]:
    return sorted(matched(target, query, events))


def event(**fields) -> dict:
    out: dict = {}
    for dotted, value in fields.items():
        node = out
        parts = dotted.split("__")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = value
    return out


def aws_event(action="AttachUserPolicy", error=None, params="{policyArn=arn:aws:iam::aws:policy/AdministratorAccess, userName=bob}"):
    ev = {"data_stream": {"dataset": "aws.cloudtrail"},
          "event": {"provider": "iam.amazonaws.com", "action": action, "outcome": "failure" if error else "success"},
          "aws": {"cloudtrail": {"request_parameters": params}}}
    if error:
        ev["aws"]["cloudtrail"]["error_code"] = error
    return ev


def test_cloudtrail_on_splunk_reads_the_add_ons_fields_case_sensitively():
    out = emit(AWS, "splunk")
    q = out.queries[0]
    assert q.startswith('sourcetype="aws:cloudtrail"')
    assert 'eventSource=CASE("iam.amazonaws.com")' in q and 'eventName=CASE("AttachUserPolicy")' in q
    assert "NOT (errorCode=* OR errorMessage=*)" in q          # the outcome as the pipeline derives it
    assert "ConsoleLogin" not in q                             # the ConsoleLogin cases cannot hold here
    assert "| regex _raw=" in q and "policyArn" in q                # the request parameters: raw JSON text
    codes = {n.code for n in out.notes}
    assert {"emit/condition-implied", "emit/field-derived", "emit/field-approximated"} <= codes


def test_cloudtrail_on_sentinel_reads_awscloudtrail_columns():
    q = emit(AWS, "kusto-sentinel").queries[0]
    assert q.startswith("AWSCloudTrail\n| where ")
    assert 'EventSource == "iam.amazonaws.com"' in q and 'EventName == "AttachUserPolicy"' in q
    assert "isnotempty(ErrorCode)" in q and "RequestParameters matches regex" in q


@pytest.mark.parametrize("target", ["splunk", "kusto-sentinel"])
def test_the_emitted_query_matches_what_the_original_would(target):
    q = emit(AWS, target).queries[0]
    events = [aws_event(),                                                   # 0 matches
              aws_event(error="AccessDenied"),                               # 1 failed call
              aws_event(action="attachUserPolicy"),                          # 2 another case
              aws_event(params="{policyArn=arn:aws:iam::aws:policy/ReadOnlyAccess}"),  # 3 other policy
              {**aws_event(), "data_stream": {"dataset": "okta.system"}}]    # 4 another source
    assert matches(target, q, events) == [0]


def test_a_note_says_exactly_which_events_a_derivation_can_change():
    out = emit(AWS, "kusto-sentinel")
    derived = next(n for n in out.notes if n.code == "emit/field-derived")
    where = derived.affects.condition
    consistent = flatten_ecs(aws_event())
    inconsistent = flatten_ecs({**aws_event(), "event": {"outcome": "failure", "action": "AttachUserPolicy"}})
    assert not holds(where, consistent)
    assert holds(where, inconsistent)      # says failure, has no error: the platform reads success


def test_unrecorded_enrichments_fold_and_refusals_name_them():
    rule = cloud_rule("aws", "cloudtrail", """  sel:
    event.action|cased: ConsoleLogin
    source.as.organization.name|cased: Amazon.com, Inc.""")
    with pytest.raises(EmitError) as exc:
        emit(rule, "splunk")
    assert exc.value.code == "emit/field-unavailable" and "source.as.organization.name" in exc.value.message
    negated = cloud_rule("aws", "cloudtrail", """  sel:
    event.action|cased: ConsoleLogin
  filter:
    source.as.organization.name|cased: Amazon.com, Inc.""", "sel and not filter")
    out = emit(negated, "kusto-sentinel")
    assert out.queries[0] == 'AWSCloudTrail\n| where EventName == "ConsoleLogin"'
    note = next(n for n in out.notes if n.code == "emit/field-unavailable")
    assert note.affects == Affects.of("either", {"eq": ["Amazon.com, Inc."], "field": "source.as.organization.name"})


def test_platforms_without_a_model_refuse_with_the_reason():
    for target, words in (("kusto-defender", "CloudAppEvents"), ("splunk-cim", "CIM")):
        with pytest.raises(EmitError) as exc:
            emit(AWS, target)
        assert exc.value.code == "emit/logsource-unsupported" and words in exc.value.message
    with pytest.raises(EmitError) as exc:
        emit(cloud_rule("azure", "aadgraphactivitylogs", "  sel:\n    event.action: x"), "splunk")
    assert "azure/aadgraphactivitylogs" in exc.value.message
    with pytest.raises(EmitError) as exc:
        emit(cloud_rule("aws", "cloudtrail", "  sel:\n    aws.cloudtrail.no_such_field: x"), "splunk")
    assert exc.value.code == "emit/field-unmapped" and "aws.cloudtrail.no_such_field" in exc.value.message


def test_endpoint_rules_still_use_the_endpoint_models():
    from tests.emit.helpers import seed_yaml

    assert emit(seed_yaml(), "splunk").queries[0].startswith('source="XmlWinEventLog:Microsoft-Windows-Sysmon')
    assert emit(seed_yaml(), "kusto-sentinel").queries[0].startswith("imProcessCreate")


O365 = cloud_rule("o365", "audit", """  sel:
    event.provider|cased: Exchange
    event.action|cased: Set-Mailbox
    o365.audit.Parameters.DeliverToMailboxAndForward|cased: 'True'
    event.code|cased: ExchangeAdmin""")


def o365_event(value="True", code="ExchangeAdmin", provider="Exchange"):
    return {"data_stream": {"dataset": "o365.audit"},
            "event": {"provider": provider, "action": "Set-Mailbox", "code": code, "outcome": "success"},
            "o365": {"audit": {"Parameters": {"Identity": "bob", "DeliverToMailboxAndForward": value}}}}


@pytest.mark.parametrize("target", ["splunk", "kusto-sentinel", "kusto-defender"])
def test_name_value_lists_are_read_element_by_element(target):
    q = emit(O365, target).queries[0]
    assert '"Name' in q or "Name" in q
    events = [o365_event(), o365_event(value="False"), o365_event(code="ExchangeItem"),
              {**o365_event(), "o365": {"audit": {"Parameters": {"Identity": "True"}}}}]
    assert matches(target, q, events) == [0]


def test_record_types_are_read_as_each_platform_writes_them():
    assert 'RecordType=CASE("1")' in emit(O365, "splunk").queries[0]
    assert 'RecordType == "ExchangeAdmin"' in emit(O365, "kusto-sentinel").queries[0]
    assert 'tostring(RawEventData.RecordType) == "1"' in emit(O365, "kusto-defender").queries[0]


def test_an_ecs_value_no_raw_value_maps_to_is_noted():
    rule = cloud_rule("o365", "audit", "  sel:\n    event.code|cased:\n      - ExchangeAdmin\n      - NoSuchRecordType")
    out = emit(rule, "splunk")
    note = next(n for n in out.notes if n.code == "emit/value-unmapped")
    assert holds(note.affects.condition, flatten_ecs({"event": {"code": "NoSuchRecordType"}}))
    assert not holds(note.affects.condition, flatten_ecs({"event": {"code": "ExchangeAdmin"}}))


def test_a_workload_outside_officeactivity_is_refused_there():
    rule = cloud_rule("o365", "audit", "  sel:\n    event.provider|cased: AzureActiveDirectory\n"
                                       "    event.action|cased: UserLoggedIn")
    with pytest.raises(EmitError) as exc:
        emit(rule, "kusto-sentinel")
    assert "Exchange, SharePoint, OneDrive and Teams" in exc.value.message
    assert emit(rule, "splunk").queries


def test_array_members_on_kusto_are_searched_in_the_arrays_json():
    rule = cloud_rule("kubernetes", "audit_logs", """  sel:
    kubernetes.audit.verb|cased: create
    kubernetes.audit.requestObject.spec.containers.image|startswith|cased: alpine""")
    q = emit(rule, "kusto-sentinel").queries[0]
    assert "tostring(parse_json(RequestObject).spec.containers) matches regex" in q
    ok = {"data_stream": {"dataset": "kubernetes.audit_logs"},
          "kubernetes": {"audit": {"verb": "create", "requestObject": {"spec": {"containers": [
              {"name": "a", "image": "nginx"}, {"name": "b", "image": "alpine:3"}]}}}}}
    no = json.loads(json.dumps(ok).replace("alpine:3", "busybox"))
    assert matches("kusto-sentinel", q, [ok, no]) == [0]
    assert matches("splunk", emit(rule, "splunk").queries[0], [ok, no]) == [0]


def test_a_column_in_another_case_compares_ignoring_case_with_a_note():
    rule = cloud_rule("azure", "activitylogs",
                      "  sel:\n    azure.activitylogs.operation_name|cased: MICROSOFT.COMPUTE/SNAPSHOTS/DELETE")
    out = emit(rule, "kusto-sentinel")
    assert 'OperationNameValue =~ "MICROSOFT.COMPUTE/SNAPSHOTS/DELETE"' in out.queries[0]
    note = next(n for n in out.notes if n.code == "emit/case-ignored")
    doc = flatten_ecs({"azure": {"activitylogs": {"operation_name": "Microsoft.Compute/snapshots/delete"}}})
    assert holds(note.affects.condition, doc)


def test_values_the_pipeline_cuts_out_read_the_raw_field():
    rule = cloud_rule("github", "audit", "  sel:\n    github.category|cased: repo\n    event.action|cased: repo.create")
    q = emit(rule, "kusto-sentinel").queries[0]
    assert "Action matches regex" in q and 'Action == "repo.create"' in q
    events = [{"data_stream": {"dataset": "github.audit"}, "event": {"action": a}, "github": {"category": "repo"}}
              for a in ("repo.create", "org.create")]
    assert matches("kusto-sentinel", q, events) == [0]


def test_elastic_targets_escape_field_names_that_are_not_identifiers():
    """Kubernetes' authorization_k8s_io/decision annotation: `/` divides in EQL and ends a term in
    Lucene's classic query parser (the cloud rules keep ECS names on the Elastic targets)."""
    rule = cloud_rule("kubernetes", "audit_logs", """  sel:
    kubernetes.audit.annotations.authorization_k8s_io/decision|cased: allow""")
    assert "`kubernetes.audit.annotations.authorization_k8s_io/decision` == " in emit(rule, "eql").queries[0]
    assert "authorization_k8s_io\\/decision:allow" in emit(rule, "lucene").queries[0]
    assert "`kubernetes.audit.annotations.authorization_k8s_io/decision`" in emit(rule, "esql").queries[0]


def test_entra_sign_ins_read_both_sentinel_tables_unless_a_column_is_missing():
    both = cloud_rule("azure", "signinlogs", """  sel:
    azure.signinlogs.properties.app_display_name|cased: Microsoft Azure CLI""")
    out = emit(both, "kusto-sentinel")
    q = out.queries[0]
    assert q.startswith("union\n    (SigninLogs\n") and "\n    (AADNonInteractiveUserSignInLogs\n" in q
    # AADNonInteractiveUserSignInLogs has no ServicePrincipalName column: SigninLogs alone, and a note
    one = cloud_rule("azure", "signinlogs", """  sel:
    azure.signinlogs.properties.service_principal_name|cased: deploy""")
    out = emit(one, "kusto-sentinel")
    assert out.queries[0].startswith("SigninLogs\n| where ")
    [note] = [n for n in out.notes if "ServicePrincipalName column" in n.message]
    assert note.code == "emit/scope-narrowed" and note.affects.direction == "less"


def test_a_correlation_reads_every_table_of_a_source():
    # Entra ID Protection is held by AADUserRiskEvents and AADRiskyUsers: a threshold over it
    # reads the union of the rule on each table, not the first table alone
    from converters.emit import emit

    rule = """
title: risk records per user
id: 5b0c7f1e-2d3a-4c5b-8e6f-7a8b9c0d1e2f
name: risk_records
logsource:
  product: azure
  service: identity_protection
detection:
  selection:
    data_stream.dataset|cased: azure.identity_protection
    azure.identityprotection.properties.risk_level|cased: high
  condition: selection
---
title: many risk records for one user
id: 6c1d8a2f-3e4b-4d6c-9f7a-8b9c0d1e2f3a
correlation:
  type: event_count
  rules: [risk_records]
  group-by: [user.email]
  timespan: 10m
  condition:
    gte: 2
"""
    query = emit(rule, "kusto-sentinel").queries[0]
    assert query.startswith("union (AADUserRiskEvents | where RiskLevel == \"high\"), "
                            "(AADRiskyUsers | where RiskLevel == \"high\")"), query


def o365_sequence(first: str, then: str) -> str:
    steps = "".join(
        f"title: s{i}\nname: s{i}\nlogsource:\n  product: o365\n  service: audit\ndetection:\n  sel:\n"
        f"    data_stream.dataset|cased: o365.audit\n    event.action|cased: {action}\n  condition: sel\n---\n"
        for i, action in ((1, first), (2, then)))
    return steps + ("title: chain\nname: chain\ncorrelation:\n  type: temporal_ordered\n  rules:\n    - s1\n"
                    "    - s2\n  group-by:\n    - user.id\n  timespan: 5m\n")


@pytest.mark.parametrize("target", ["splunk", "kusto-sentinel", "kusto-defender"])
def test_a_cloud_sequence_orders_records_by_the_platforms_own_time(target):
    def audit(action: str, time: str, user: str = "alice@example.com") -> dict:
        return {"@timestamp": time, "data_stream": {"dataset": "o365.audit"},
                "event": {"action": action, "provider": "SharePoint", "code": "SharePointFileOperation"},
                "user": {"id": user}, "o365": {"audit": {"Workload": "SharePoint", "RecordType": 6}}}

    q = emit(o365_sequence("FileDownloaded", "FileDeleted"), target).queries[0]
    if target == "kusto-defender":
        assert "ruleport_time = Timestamp" in q            # CloudAppEvents has no TimeGenerated
    events = [audit("FileDownloaded", "2025-08-21T10:00:00Z"), audit("FileDeleted", "2025-08-21T10:01:00Z"),
              audit("FileDeleted", "2025-08-21T09:59:00Z", "bob@example.com"),   # bob: before his download
              audit("FileDownloaded", "2025-08-21T10:00:00Z", "bob@example.com"),
              audit("FileDownloaded", "2025-08-21T10:00:00Z", "carol@example.com"),  # carol: too late
              audit("FileDeleted", "2025-08-21T10:06:00Z", "carol@example.com")]
    assert matches(target, q, events) == [0, 1]       # the events behind the one alert
