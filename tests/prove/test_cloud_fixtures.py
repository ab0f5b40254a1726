"""The proof on one hand-written fixture per cloud audit source (AWS CloudTrail, Microsoft 365,
Okta, Kubernetes, GitHub, Azure activity, Entra sign-ins and ID Protection, Google Workspace admin): tests/fixtures/cloud/<rule>.toml with ECS events as
Elastic's integrations store them and hand-written verdicts (.expect.json, a reason per line).

Every target runs its platform's rendering of the same events (the cloud source facts,
converters/data/cloud). A target agrees with the original rule, or differs only on lines a note
it declared explains (its `affects` holds on that event), or refuses the rule for a reason the
sidecar names (a platform with no data model of the source).
"""

from __future__ import annotations


import pytest

from converters.prove.matrix import TARGETS
from tests.support import FIXTURES, fixture_report, in_ci

DIR = FIXTURES / "cloud"
RULES = sorted(p.stem for p in DIR.glob("*.toml"))


@pytest.fixture(scope="module")
def reports() -> dict[str, tuple[int, dict]]:
    return {stem: fixture_report(DIR, stem) for stem in RULES}


def test_there_is_a_fixture_per_audit_source():
    assert {s.split("_", 1)[0] for s in RULES} >= {"aws", "o365", "okta", "kubernetes", "github", "azure", "google"}


@pytest.mark.parametrize("stem", RULES)
def test_every_target_agrees_or_its_differences_are_explained(reports, stem):
    code, report = reports[stem]
    assert report["expect"]["ok"], report["expect"]
    assert report["expect"]["unused_accept"] == []
    for name, column in report["targets"].items():
        if name == "original":
            continue
        assert "error" not in column, (stem, name, column.get("error"))
        if "skipped" in column:
            assert name == "lucene" and not in_ci()
            continue
        for d in column["differs"]:
            assert d["accepted"], (stem, name, d)
            if d["accepted"] != "expect":
                codes = {n["code"] for n in column["notes"] if "affects" in n}
                assert d["accepted"] in codes
        if "emit_error" in column:
            assert column["agrees"] is True and column["matched"] == []
    assert code == 0


def _differs(report: dict, target: str) -> dict[int, str | None]:
    """0-based event index -> the note (or "expect") that accepts the difference."""
    return {d["line"]: d["accepted"] for d in report["targets"][target]["differs"]}


def test_splunk_and_sentinel_emit_every_source(reports):
    for stem, (_, report) in reports.items():
        for target in ("splunk", "kusto-sentinel"):
            assert "emit_error" not in report["targets"][target], (stem, target)
            assert _differs(report, target) in ({}, {4: "emit/case-ignored"}), (stem, target)


def test_a_caseless_column_is_a_note_that_explains_its_events(reports):
    # AzureActivity's OperationNameValue holds the operation in another case than the record:
    # Sentinel compares it ignoring case, and the note names the event where that matters (index 4)
    _, azure = reports["azure_vm_run_command"]
    assert _differs(azure, "kusto-sentinel") == {4: "emit/case-ignored"}
    assert _differs(azure, "splunk") == {}   # CASE() keeps the record's case on Splunk


def test_entra_sign_ins_are_read_in_both_sentinel_tables(reports):
    # the interactive sign-in is a SigninLogs row, the non-interactive one an
    # AADNonInteractiveUserSignInLogs row: the union of the rule on each finds both
    _, signin = reports["azure_entra_cli_signin_noncompliant"]
    assert signin["targets"]["kusto-sentinel"]["matched"] == [0, 1]
    assert signin["targets"]["kusto-sentinel"]["query"].startswith("union\n")


def test_entra_risk_records_are_read_in_both_sentinel_tables(reports):
    # the risk detection is an AADUserRiskEvents row, the risky user an AADRiskyUsers row
    _, risk = reports["azure_identity_protection_confirmed_compromise"]
    assert risk["targets"]["kusto-sentinel"]["matched"] == [0, 1]
    assert "AADRiskyUsers" in risk["targets"]["kusto-sentinel"]["query"]
    assert risk["targets"]["splunk"]["matched"] == [0, 1]


def test_google_workspace_parameters_are_read_by_name(reports):
    # new_value is the NEW_VALUE parameter's value: an event whose OLD_VALUE is false (index 5)
    # does not match on any platform, and the admin application's rows are selected on Sentinel
    _, gws = reports["google_workspace_2sv_enforcement_disabled"]
    for target in ("splunk", "kusto-sentinel"):
        assert gws["targets"][target]["matched"] == [0, 1], target
    assert 'IdApplicationName == "admin"' in gws["targets"]["kusto-sentinel"]["query"]
    assert gws["targets"]["splunk"]["query"].startswith('sourcetype="gws:reports:admin"')


def test_cloudtrail_names_are_case_sensitive_everywhere(reports):
    _, aws = reports["aws_admin_policy_attached"]
    for target in ("splunk", "kusto-sentinel"):
        assert aws["targets"][target]["matched"] == [0, 1, 6]  # attachuserpolicy (index 4) is not AttachUserPolicy


def test_the_refusals_name_the_source_and_the_platform(reports):
    for stem, (_, report) in reports.items():
        cim = report["targets"]["splunk-cim"]["emit_error"]
        assert "Splunk CIM" in cim, (stem, cim)
        if not stem.startswith("o365"):
            assert "Defender XDR" in report["targets"]["kusto-defender"]["emit_error"]
    _, o365 = reports["o365_inbox_rule_forwards_mail"]
    assert "emit_error" not in o365["targets"]["kusto-defender"]   # CloudAppEvents holds Microsoft 365 records


def test_every_target_ran_each_fixture(reports):
    for _, report in reports.values():
        assert list(report["targets"]) == ["original", *TARGETS]


def test_event_category_override_is_read_on_both_sides(reports):
    # `info where` under event_category_override = "event.type": the versioning event has no
    # event.category and matches; CreateUser (event.category iam, event.type user/creation) does not
    _, report = reports["aws_event_category_override"]
    assert report["targets"]["original"]["matched"] == [0, 3]
    for target in ("sigma", "splunk", "lucene", "eql", "esql", "kibana-kql", "kusto-sentinel"):
        column = report["targets"][target]
        if "skipped" not in column:
            assert column["matched"] == [0, 3], target
    assert 'event.type == "info"' in report["targets"]["eql"]["query"]
