"""The cloud source facts (converters/data/cloud): every file loads, cites its sources, and
names platform columns the way the platform documents them."""

from __future__ import annotations

import json

import pytest

from converters.platforms.cloud import facts
from converters.platforms.cloud.facts import CloudFactsError, EcsField, by_logsource, encode_path, key, sources

DATASETS = {"aws.cloudtrail", "o365.audit", "azure.activitylogs", "azure.signinlogs", "azure.auditlogs",
            "gcp.audit", "okta.system", "kubernetes.audit_logs", "github.audit", "google_workspace.admin",
            "azure.identity_protection"}


def test_every_declared_source_loads_and_cites_its_documents():
    found = sources()
    assert DATASETS <= set(found)
    for src in found.values():
        assert src.record["source"].startswith("http"), src.dataset
        assert "github.com/elastic/integrations" in src.integration["source"], src.dataset
        assert src.product in facts.CLOUD_PRODUCTS
        for p in src.platforms.values():
            assert p.source and p.title
        # a platform without a model says why
        for key_ in facts.PLATFORM_KEYS:
            assert key_ in src.platforms or key_ in src.refusals, (src.dataset, key_)


def test_sources_name_their_data_file_from_the_package_root():
    # messages quote it: the same text wherever ruleport is installed
    assert {s.path for s in sources().values()} == {
        f"converters/data/cloud/{p.name}" for p in facts.DATA.glob("*.json")}


def test_every_source_has_splunk_and_sentinel_models():
    for dataset in DATASETS:
        src = sources()[dataset]
        assert src.platforms["splunk"].layout == "json"
        assert src.platforms["sentinel"].table


def test_a_logsource_names_its_source():
    assert by_logsource("aws", "cloudtrail").dataset == "aws.cloudtrail"
    assert by_logsource("azure", "signinlogs").title.startswith("Microsoft Entra")
    assert by_logsource("azure", "aadgraphactivitylogs") is None
    assert by_logsource("aws", None) is None


def test_ecs_fields_resolve_to_raw_paths():
    aws = sources()["aws.cloudtrail"]
    f, raw = aws.ecs("aws.cloudtrail.flattened.request_parameters.policyArn")
    assert (f.kind, raw) == ("object", "requestParameters.policyArn")
    signin = sources()["azure.signinlogs"]
    assert signin.ecs("azure.signinlogs.properties.app_owner_tenant_id")[1] == "properties.appOwnerTenantId"
    assert signin.ecs("azure.signinlogs.properties.risk_level_during_signin")[1] == "properties.riskLevelDuringSignIn"
    k8s = sources()["kubernetes.audit_logs"]
    _, raw = k8s.ecs("kubernetes.audit.annotations.authorization_k8s_io/decision")
    assert [key(p) for p in raw.split(".")] == ["annotations", "authorization.k8s.io/decision"]
    # the longest object prefix wins: the name/value list, not the whole record
    o365 = sources()["o365.audit"]
    assert o365.ecs("o365.audit.Parameters.Enabled")[0].kind == "keyed"
    assert o365.ecs("o365.audit.UserType")[1] == "UserType"
    assert aws.ecs("nonexistent.field") is None
    # Google Workspace: a renamed parameter names the elements it comes from; a sub-field of a
    # parsed field is that field's (no platform parses it), not the name/value list's
    gws = sources()["google_workspace.admin"]
    f, raw = gws.ecs("google_workspace.admin.setting.name")
    assert (f.kind, raw) == ("keyed", "events.parameters.setting.name")
    assert f.element_names("setting.name") == ("SETTING_NAME", "USER_CUSTOM_FIELD", "PERMISSION_GROUP_NAME")
    assert f.element_names("ALLOW_EXTERNAL_MEMBERS") == ("ALLOW_EXTERNAL_MEMBERS",)
    assert gws.ecs("google_workspace.admin.setting.metadata.rule.type")[0].kind == "parsed"


def test_bracketed_keys_keep_their_dots():
    path = encode_path("identity.claims.[http://schemas.example/claims/name]")
    assert [key(p) for p in path.split(".")] == ["identity", "claims", "http://schemas.example/claims/name"]
    assert EcsField("x", "object", (".",), keys="snake_case").raw_sub("properties.app_id") == "properties.appId"


def test_sentinel_columns_are_columns_of_the_documented_tables():
    # the columns ruleport reads on Sentinel, as Microsoft's table reference lists them (spot checks)
    aws = sources()["aws.cloudtrail"].platforms["sentinel"].columns
    assert {"EventName", "EventSource", "UserIdentityType", "RequestParameters", "SessionIssuerUserName"} <= set(aws)
    assert aws["RequestParameters"].json and aws["ReadOnly"].type == "bool"
    signin = sources()["azure.signinlogs"].platforms["sentinel"].columns
    assert signin["Status"].type == "dynamic" and signin["AuthenticationDetails"].json


@pytest.mark.parametrize("change, message", [
    (lambda d: d.pop("record"), "missing record"),
    (lambda d: d["record"].pop("source"), "record cites its source"),
    (lambda d: d["fields"].update({"x": {"raw": "a", "derived": []}}), "exactly one"),
    (lambda d: d["platforms"]["sentinel"]["columns"].update({"C": {"raw": "a", "type": "text"}}), "type 'text'"),
    (lambda d: d["platforms"].update({"elastic": {"title": "t", "source": "s"}}), "unknown platform"),
    (lambda d: d["refusals"].update({"splunk": "no"}), "both has a model and a refusal"),
])
def test_malformed_files_are_named(tmp_path, monkeypatch, change, message):
    doc = json.loads((facts.DATA / "aws-cloudtrail.json").read_text())
    change(doc)
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    monkeypatch.setattr(facts, "DATA", tmp_path)
    facts.sources.cache_clear()
    try:
        with pytest.raises(CloudFactsError, match=message):
            facts.sources()
    finally:
        facts.sources.cache_clear()
