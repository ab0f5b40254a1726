"""Deployment settings and user pipelines change the packaged queries, say so in notes, and are checked
against the target records (an unknown target or a key a target does not take names the key)."""

import json

import pytest
import yaml

from converters.emit.targets import TARGETS
from converters.load.settings import SettingsError, load_settings
from converters.package import conf
from converters.package.run import package
from tests.package import validators
from tests.support import SEED_RULE


def settings(tmp_path, text):
    path = tmp_path / "ruleport.toml"
    path.write_text(text)
    return load_settings(path)


def run(tmp_path, targets, text="", pipelines=()):
    out = tmp_path / "out"
    result = package([str(SEED_RULE)], str(out), targets, settings(tmp_path, text), list(pipelines))
    assert not result.failed, result.rules[0].errors
    return out, result.rules[0]


def test_splunk_index_sourcetype_and_macro(tmp_path):
    out, rule = run(tmp_path, ["splunk"], '[targets.splunk]\nindex = ["sysmon", "edr"]\nmacro = "sysmon_data"\n'
                                          'sourcetype = "XmlWinEventLog"\napp = "acme_detections"\n')
    text = (out / "splunk" / "acme_detections" / "default" / "savedsearches.conf").read_text()
    (stanza,) = conf.parse(text).values()
    assert stanza["search"].startswith(
        '(index=sysmon OR index=edr) `sysmon_data` sourcetype=XmlWinEventLog EventCode=1\n| rex ')
    assert "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational" not in stanza["search"]
    assert any(n.code == "package/settings" and "sysmon_data" in n.message for n in rule.notes)


def test_elastic_index_patterns(tmp_path):
    out, _ = run(tmp_path, ["eql", "esql"], '[targets.eql]\nindex = ["winlogbeat-*", "logs-endpoint*"]\n'
                                            '[targets.esql]\nindex = "my-edr-*"\n')
    eql = json.loads((out / "eql" / "rules.ndjson").read_text())
    esql = json.loads((out / "esql" / "rules.ndjson").read_text())
    assert eql["index"] == ["winlogbeat-*", "logs-endpoint*"]
    assert esql["query"].startswith("FROM my-edr-* METADATA _id, _version, _index\n")


def test_sentinel_table_connectors_and_field_mappings(tmp_path):
    out, rule = run(tmp_path, ["kusto-sentinel"],
                    '[targets.kusto-sentinel]\ntable = "ASimProcessEventCreate"\n'
                    'fields = { TargetProcessCommandLine = "CommandLine" }\n'
                    'connectors = [{ connectorId = "CrowdStrikeFalconEndpointProtection", dataTypes = ["CrowdStrike"] }]\n')
    (path,) = (out / "kusto-sentinel").rglob("*.yaml")
    doc = yaml.safe_load(path.read_text())
    assert doc["query"].startswith("ASimProcessEventCreate\n| where ")
    assert "TargetProcessCommandLine" not in doc["query"] and "CommandLine matches regex" in doc["query"]
    assert doc["requiredDataConnectors"] == [{"connectorId": "CrowdStrikeFalconEndpointProtection",
                                              "dataTypes": ["CrowdStrike"]}]
    codes = [n.code for n in rule.notes if n.target == "kusto-sentinel"]
    assert "package/settings" in codes and "package/entities" in codes  # no columns known for that parser


def test_a_sentinel_library_load_rule_requires_the_defender_xdr_connector(tmp_path):
    from tests.support import FIXTURES

    rule = FIXTURES / "endpoint" / "library_unsigned_dll_from_temp.toml"
    result = package([str(rule)], str(tmp_path / "out"), ["kusto-sentinel"], settings(tmp_path, ""), [])
    assert not result.failed, result.rules[0].errors
    (path,) = (tmp_path / "out" / "kusto-sentinel").rglob("*.yaml")
    doc = yaml.safe_load(path.read_text())
    assert doc["query"].startswith('DeviceImageLoadEvents\n| where ActionType == "ImageLoaded"\n')
    assert doc["requiredDataConnectors"] == [{"connectorId": "MicrosoftThreatProtection",
                                              "dataTypes": ["DeviceImageLoadEvents"]}]
    assert {e["entityType"] for e in doc["entityMappings"]} == {"Host", "Account", "Process", "File"}
    assert not {n.code for n in result.rules[0].notes} & {"package/connectors", "package/entities"}


def test_packaged_rules_can_start_disabled(tmp_path):
    out, _ = run(tmp_path, ["lucene", "kusto-defender", "splunk"], "[package]\nenabled = false\n")
    assert json.loads((out / "lucene" / "rules.ndjson").read_text())["enabled"] is False
    (path,) = (out / "kusto-defender").rglob("*.json")
    assert json.loads(path.read_text())["isEnabled"] is False
    text = (out / "splunk" / "ruleport_splunk" / "default" / "savedsearches.conf").read_text()
    assert next(iter(conf.parse(text).values()))["disabled"] == "1"


@pytest.mark.parametrize("text, key", [
    ("[targets.splnk]\nindex = 'x'\n", "targets.splnk"),
    ("[targets.splunk-cim]\nindex = 'x'\n", "targets.splunk-cim.index"),
    ("[targets.kusto-defender]\ntable = 'DeviceEvents'\n", "targets.kusto-defender.table"),
])
def test_settings_a_target_does_not_take_are_refused(tmp_path, text, key):
    with pytest.raises(SettingsError) as info:
        package([str(SEED_RULE)], str(tmp_path / "out"), list(TARGETS), settings(tmp_path, text))
    assert key in info.value.message and info.value.line is not None
    if "splnk" in key:
        assert "did you mean splunk" in info.value.message


def test_a_user_pipeline_is_applied_with_a_note(tmp_path):
    pipeline = tmp_path / "rename.yml"
    pipeline.write_text("name: rename\npriority: 30\ntransformations:\n"
                        "  - type: field_name_mapping\n    mapping:\n      CommandLine: process_command_line\n")
    out, rule = run(tmp_path, ["splunk"], pipelines=[pipeline])
    text = (out / "splunk" / "ruleport_splunk" / "default" / "savedsearches.conf").read_text()
    search = next(iter(conf.parse(text).values()))["search"]
    assert "rex field=process_command_line" in search and "field=CommandLine" not in search
    assert any(n.code == "package/user-pipeline" and str(pipeline) in n.message for n in rule.notes)
    app = out / "splunk" / "ruleport_splunk"
    files = {str(p.relative_to(app)): p.read_text() for p in app.rglob("*") if p.is_file()}
    assert validators.splunk_app_errors(files) == []


def test_a_bad_pipeline_file_is_a_usage_error(tmp_path):
    from converters.errors import UsageError

    bad = tmp_path / "bad.yml"
    bad.write_text("transformations:\n  - type: no_such_transformation\n")
    with pytest.raises(UsageError, match="bad.yml"):
        package([str(SEED_RULE)], str(tmp_path / "out"), ["splunk"], settings(tmp_path, ""), [str(bad)])
