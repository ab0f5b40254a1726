"""`ruleport targets`: every target with its backend, pipelines and data."""

from __future__ import annotations

import json

from converters.cli import main
from converters.emit import TARGETS


def test_targets_json(capsys):
    assert main(["targets", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [t["name"] for t in listed] == list(TARGETS)
    by_name = {t["name"]: t for t in listed}
    assert by_name["kibana-kql"]["backend"] == "converters.emit.kibana_kql.KibanaKqlBackend"
    assert by_name["splunk"]["pipelines"] == ["ruleport.cloud_audit_splunk", "ruleport.splunk_sysmon"]
    assert "EventCode 1, 3, 5" in by_name["splunk"]["data"] and "sysmon:linux" in by_name["splunk"]["data"]
    assert "logs-endpoint.events.process-*" in by_name["esql"]["data"]
    assert by_name["kusto-sentinel"]["extension"] == ".kql"
    assert set(by_name["lucene"]) == {"name", "extension", "backend", "base", "pipelines", "data", "description",
                                     "artifacts", "settings"}
    assert by_name["lucene"]["artifacts"] == ["kibana-ndjson"]


def test_targets_text(capsys):
    assert main(["targets"]) == 0
    text = capsys.readouterr().out
    for t in TARGETS.values():
        assert f"{t.name} ({t.extension})" in text
        assert t.data in text
    assert "DeviceProcessEvents" in text and "imProcessCreate" in text


def test_targets_bad_format(capsys):
    try:
        main(["targets", "--format", "xml"])
    except SystemExit as exc:
        assert exc.code == 2
    else:
        raise AssertionError("a bad --format must be a usage error")
    assert "unknown value 'xml'; choose from text, json" in capsys.readouterr().err
