"""Cloud audit events rendered as each platform records them (converters/platforms/cloud/render.py)."""

from __future__ import annotations

import json

from converters.platforms.cloud import javamap
from converters.platforms.cloud.models import kusto_schema
from converters.platforms.cloud.facts import sources
from converters.platforms.cloud.render import TABLE_MARKER, raw_record, render, source_of, splunk_fields
from converters.platforms.models import render as endpoint_render

AWS = {"data_stream": {"dataset": "aws.cloudtrail"},
       "event": {"action": "ConsoleLogin", "provider": "signin.amazonaws.com", "outcome": "success"},
       "user": {"name": "alice", "id": "AIDA1"}, "source": {"address": "10.0.0.1", "ip": "10.0.0.1"},
       "aws": {"cloudtrail": {"user_identity": {"type": "IAMUser"}, "error_code": "AccessDenied",
                              "console_login": {"additional_eventdata": {"mfa_used": False}},
                              "request_parameters": "{policyArn=arn:aws:iam::aws:policy/Admin, tags=[a, b]}",
                              "flattened": {"request_parameters": {"ipPermissions": {"items": {
                                  "fromPort": 22, "ipRanges": {"items": {"cidrIp": "0.0.0.0/0"}}}}}}}}}


def test_the_source_is_the_dataset_named_exactly():
    assert source_of(AWS).dataset == "aws.cloudtrail"
    assert source_of({"event": {"dataset": "okta.system"}}).dataset == "okta.system"
    assert source_of({"data_stream": {"dataset": "Aws.cloudtrail"}}) is None
    assert render("splunk", {"event": {"category": "process"}}) is None


def test_the_raw_record_is_the_integrations_input():
    rec = raw_record(sources()["aws.cloudtrail"], AWS)
    assert rec["eventName"] == "ConsoleLogin" and rec["errorCode"] == "AccessDenied"
    assert rec["userIdentity"] == {"type": "IAMUser", "userName": "alice", "principalId": "AIDA1"}
    assert rec["additionalEventData"] == {"MFAUsed": "No"}     # mfa_used false was MFAUsed "No"
    assert rec["sourceIPAddress"] == "10.0.0.1"
    # the object field wins over the Java text; a declared array holds a list again
    assert rec["requestParameters"]["ipPermissions"]["items"] == [{"fromPort": 22, "ipRanges": {"items": [
        {"cidrIp": "0.0.0.0/0"}]}}]
    text_only = {**AWS, "aws": {"cloudtrail": {"request_parameters": "{policyArn=x, n=3}"}}}
    assert raw_record(sources()["aws.cloudtrail"], text_only)["requestParameters"] == {"policyArn": "x", "n": 3}


def test_a_boolean_elasticsearch_would_reject_is_not_rendered():
    odd = {**AWS, "aws": {"cloudtrail": {"console_login": {"additional_eventdata": {"mfa_used": "False"}}}}}
    assert "additionalEventData" not in raw_record(sources()["aws.cloudtrail"], odd)


def test_splunk_names_json_paths_and_array_members():
    rec = render("splunk", AWS)
    assert rec["sourcetype"] == "aws:cloudtrail" and rec["eventName"] == "ConsoleLogin"
    assert rec["requestParameters.ipPermissions.items{}.ipRanges.items{}.cidrIp"] == "0.0.0.0/0"
    assert rec["requestParameters.ipPermissions.items{}.fromPort"] == "22"
    assert json.loads(rec["_raw"])["userIdentity"]["type"] == "IAMUser"
    assert splunk_fields({"a": [1, True, {"b": None}]}) == {"a{}": ["1", "true"]}
    gcp = render("splunk", {"data_stream": {"dataset": "gcp.audit"}, "event": {"action": "x.create"}})
    assert gcp["data.protoPayload.methodName"] == "x.create"     # the Pub/Sub message's data


def test_kusto_rows_hold_column_types_and_their_table():
    row = render("sentinel", AWS)
    assert row[TABLE_MARKER] == "AWSCloudTrail" and row["Type"] == "AWSCloudTrail"
    assert row["EventName"] == "ConsoleLogin" and row["UserIdentityUserName"] == "alice"
    assert json.loads(row["RequestParameters"])["ipPermissions"]["items"][0]["fromPort"] == 22
    assert row["VpcEndpointId"] == ""                       # a missing string is empty
    assert "SessionCreationDate" not in row                 # a missing datetime is null


def test_name_value_lists_and_enumerations():
    event = {"data_stream": {"dataset": "o365.audit"},
             "event": {"action": "Set-Mailbox", "provider": "Exchange", "code": "ExchangeAdmin"},
             "o365": {"audit": {"UserType": "2", "Parameters": {"Identity": "bob", "DeliverToMailboxAndForward": "True"}}}}
    raw = raw_record(sources()["o365.audit"], event)
    assert raw["RecordType"] == "1" and raw["UserType"] == "2"
    assert {"Name": "Identity", "Value": "bob"} in raw["Parameters"]
    row = render("sentinel", event)
    assert row["RecordType"] == "ExchangeAdmin" and row["UserType"] == "Admin"
    assert {"Name": "Identity", "Value": "bob"} in json.loads(row["Parameters"])
    splunk = render("splunk", event)
    assert splunk["Parameters{}.Name"] == ["Identity", "DeliverToMailboxAndForward"]
    defender = render("defender", event)
    assert defender["ActionType"] == "Set-Mailbox" and defender["RawEventData"]["Workload"] == "Exchange"


def test_renamed_parameters_and_add_on_keys():
    # Elastic renamed the NEW_VALUE parameter to new_value and keeps other parameters under their
    # own name; Splunk's add-on keeps the activity's event as `event`, Sentinel reads the admin
    # application's rows of a table holding every application
    event = {"data_stream": {"dataset": "google_workspace.admin"},
             "event": {"action": "CHANGE_APPLICATION_SETTING", "provider": "admin"},
             "google_workspace": {"event": {"type": "APPLICATION_SETTINGS"},
                                  "admin": {"new_value": "ALLOW_ALL", "setting": {"name": "Apps Access"},
                                            "ALLOW_EXTERNAL_MEMBERS": "true"}}}
    raw = raw_record(sources()["google_workspace.admin"], event)
    assert raw["events"]["name"] == "CHANGE_APPLICATION_SETTING" and raw["id"]["applicationName"] == "admin"
    assert {"name": "NEW_VALUE", "value": "ALLOW_ALL"} in raw["events"]["parameters"]
    assert {"name": "SETTING_NAME", "value": "Apps Access"} in raw["events"]["parameters"]
    assert {"name": "ALLOW_EXTERNAL_MEMBERS", "value": "true"} in raw["events"]["parameters"]
    splunk = render("splunk", event)
    assert splunk["event.name"] == "CHANGE_APPLICATION_SETTING" and "events.name" not in splunk
    assert "SETTING_NAME" in splunk["event.parameters{}.name"] and '"event":' in splunk["_raw"]
    row = render("sentinel", event)
    assert row["$table"] == "GoogleWorkspaceReports" and row["EventMessage"] == "CHANGE_APPLICATION_SETTING"
    assert {"name": "NEW_VALUE", "value": "ALLOW_ALL"} in json.loads(row["EventOriginalMessage"])["parameters"]
    event["event"]["provider"] = "login"
    assert render("sentinel", event) is None


def test_scopes_keep_other_records_out():
    aad = {"data_stream": {"dataset": "o365.audit"}, "event": {"provider": "AzureActiveDirectory"}}
    assert render("sentinel", aad) is None      # OfficeActivity: Exchange, SharePoint, OneDrive, Teams
    assert render("splunk", aad) is not None
    signin = {"data_stream": {"dataset": "azure.signinlogs"},
              "azure": {"signinlogs": {"category": "NonInteractiveUserSignInLogs",
                                       "properties": {"app_id": "a", "status": {"error_code": 0}}}}}
    row = render("splunk", signin)
    assert row["properties.appId"] == "a" and row["properties.status.errorCode"] == "0"
    # Sentinel: a non-interactive sign-in is a row of AADNonInteractiveUserSignInLogs, whose detail
    # columns are JSON text where SigninLogs' are dynamic
    row = render("sentinel", signin)
    assert row["$table"] == "AADNonInteractiveUserSignInLogs" and row["Type"] == "AADNonInteractiveUserSignInLogs"
    assert json.loads(row["Status"]) == {"errorCode": 0}
    signin["azure"]["signinlogs"]["category"] = "SignInLogs"
    row = render("sentinel", signin)
    assert row["$table"] == "SigninLogs" and row["Status"] == {"errorCode": 0}
    signin["azure"]["signinlogs"]["category"] = "ServicePrincipalSignInLogs"
    assert render("sentinel", signin) is None   # another table, other columns


def test_object_keys_come_back_as_the_record_wrote_them():
    audit = {"data_stream": {"dataset": "azure.auditlogs"},
             "azure": {"auditlogs": {"properties": {"target_resources": {"0": {"modified_properties": {
                 "3": {"new_value": "10.0.19045"}}}}}}}}
    raw = raw_record(sources()["azure.auditlogs"], audit)
    assert raw["properties"]["targetResources"][0]["modifiedProperties"][3] == {"newValue": "10.0.19045"}
    k8s = {"data_stream": {"dataset": "kubernetes.audit_logs"},
           "kubernetes": {"audit": {"verb": "create", "annotations": {"authorization_k8s_io/decision": "allow"}}}}
    raw = raw_record(sources()["kubernetes.audit_logs"], k8s)
    assert raw["annotations"] == {"authorization.k8s.io/decision": "allow"} and raw["verb"] == "create"
    claims = {"data_stream": {"dataset": "azure.activitylogs"},
              "azure": {"activitylogs": {"identity": {"claims_initiated_by_user": {"name": "a@b.c"}}}}}
    raw = raw_record(sources()["azure.activitylogs"], claims)
    assert raw["identity"]["claims"]["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"] == "a@b.c"


def test_endpoint_models_render_cloud_events_from_the_cloud_facts():
    assert endpoint_render("sysmon", AWS)["sourcetype"] == "aws:cloudtrail"
    assert endpoint_render("asim", AWS)[TABLE_MARKER] == "AWSCloudTrail"
    assert endpoint_render("defender", AWS) is None          # no Defender model of CloudTrail
    assert endpoint_render("cim", AWS) is None


def test_java_map_text_reads_back():
    text = "{policyArn=arn:aws:iam::aws:policy/AdministratorAccess, tags=[a, b], x={n=1, ok=true, z=null}}"
    value = javamap.parse(text)
    assert value == {"policyArn": "arn:aws:iam::aws:policy/AdministratorAccess", "tags": ["a", "b"],
                     "x": {"n": 1, "ok": True, "z": None}}
    assert javamap.dumps(value) == text
    assert javamap.parse("C:\\Users\\policyArn=x") is None
    assert javamap.parse("{a=1, broken") is None


def test_every_record_has_the_platforms_time():
    # correlations order and window records by it: Splunk's _time (epoch seconds), Log
    # Analytics' TimeGenerated, Defender XDR's Timestamp
    timed = {**AWS, "@timestamp": "2025-08-21T10:00:00.500Z"}
    assert render("splunk", timed)["_time"] == 1755770400.5
    assert render("sentinel", timed)["TimeGenerated"] == "2025-08-21T10:00:00.500Z"
    o365 = {"@timestamp": "2025-08-21T10:00:00Z", "data_stream": {"dataset": "o365.audit"},
            "event": {"action": "FileDownloaded", "provider": "SharePoint"}}
    row = render("defender", o365)
    assert row is not None and row["Timestamp"] == "2025-08-21T10:00:00Z" and "TimeGenerated" not in row
    assert "_time" not in render("splunk", AWS)       # no time, none made up
    assert kusto_schema("sentinel")["AWSCloudTrail"]["TimeGenerated"] == "datetime"
    assert kusto_schema("defender")["CloudAppEvents"]["Timestamp"] == "datetime"
