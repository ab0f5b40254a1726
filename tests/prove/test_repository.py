"""`ruleport prove`: one status per rule and target, the same with one job or several."""

from __future__ import annotations

import json
import shutil

import pytest

from converters.cli import main
from converters.prove.repository import Options, _status, exit_code, prove_repository
from tests.support import FIXTURES, SEED_EVENTS, SEED_EXPECT, SEED_RULE

KQL_TEXT = FIXTURES / "kql_text" / "mailbox_export_script_block"


@pytest.fixture
def repo(tmp_path):
    """Two provable rules with fixtures, one ES|QL rule and one rule whose events are malformed."""
    rules, events = tmp_path / "rules", tmp_path / "events"
    rules.mkdir()
    events.mkdir()
    shutil.copy(SEED_RULE, rules / SEED_RULE.name)
    shutil.copy(SEED_EVENTS, events / SEED_EVENTS.name)
    shutil.copy(SEED_EXPECT, events / SEED_EXPECT.name)
    shutil.copy(KQL_TEXT.with_suffix(".toml"), rules / "mailbox.toml")
    shutil.copy(KQL_TEXT.with_suffix(".jsonl"), events / "mailbox.jsonl")
    text = SEED_RULE.read_text(encoding="utf-8")
    (rules / "esql_rule.toml").write_text(text.replace('language = "eql"', 'language = "esql"')
                                          .replace('type = "eql"', 'type = "esql"'), encoding="utf-8")
    (rules / "broken_events.toml").write_text(text, encoding="utf-8")
    (events / "broken_events.jsonl").write_text('{"a": 1}\nnot json\n', encoding="utf-8")
    return rules, events


def test_statuses_per_rule_and_target(repo):
    rules, events = repo
    report = prove_repository([str(rules)], Options(targets=["eql", "splunk", "kibana-kql"], events_dir=str(events)))
    by_path = {r["path"].rsplit("/", 1)[-1]: r for r in report["rules"]}
    seed = by_path[SEED_RULE.name]
    assert seed["events"] == 44 and seed["matched"] == 18
    assert seed["targets"]["eql"] == {"status": "agree", "code": None, "lines": []}
    assert seed["targets"]["splunk"] == {"status": "accepted", "code": "emit/branch-dropped", "lines": [30]}
    assert seed["targets"]["kibana-kql"]["status"] == "accepted" and seed["targets"]["kibana-kql"]["lines"] == [12, 13]
    assert by_path["esql_rule.toml"]["targets"]["eql"]["status"] == "skipped"
    assert by_path["esql_rule.toml"]["targets"]["eql"]["code"] == "prove/language-unsupported"
    broken = by_path["broken_events.toml"]["targets"]["eql"]
    assert broken["status"] == "error" and "not valid JSON" in broken["message"] and ":2:" in broken["message"]
    # the kuery rule on script-block text: the Sigma rule says `contains`, which KQL text analysis is not
    assert by_path["mailbox.toml"]["targets"]["eql"]["status"] in ("agree", "accepted", "refused")
    assert report["summary"]["eql"]["skipped"] == 1 and report["summary"]["eql"]["error"] == 1
    assert sum(report["summary"]["eql"].values()) == 4
    assert exit_code(report) == 1   # the malformed events are an error


def test_several_jobs_give_the_same_report(repo):
    rules, events = repo
    one = prove_repository([str(rules)], Options(targets=["eql", "esql"], events_dir=str(events), jobs=1))
    two = prove_repository([str(rules)], Options(targets=["eql", "esql"], events_dir=str(events), jobs=2))
    assert json.dumps(one, sort_keys=True) == json.dumps(two, sort_keys=True)


def test_status_of_a_column():
    assert _status({"emit_error": "x", "emit_code": "emit/field-unmapped"})["status"] == "refused"
    assert _status({"skipped": "no java", "matched": None})["code"] == "prove/engine-unavailable"
    assert _status({"error": "boom", "matched": None})["status"] == "error"
    col = {"matched": [1], "agrees": False,
           "differs": [{"line": 4, "accepted": None}, {"line": 6, "accepted": "emit/scope-widened"}]}
    assert _status(col) == {"status": "differs", "code": None, "lines": [5]}
    col["differs"] = col["differs"][1:]
    assert _status(col) == {"status": "accepted", "code": "emit/scope-widened", "lines": [7]}


def test_cli_writes_a_self_contained_report_and_exits_by_status(repo, tmp_path, capsys):
    rules, events = repo
    (rules / "broken_events.toml").unlink()
    out = tmp_path / "proof"
    code = main(["prove", str(rules), "--events-dir", str(events), "--out", str(out), "--target", "eql",
                 "--target", "esql", "--jobs", "1"])
    text = capsys.readouterr().out
    assert code == 0
    assert "eql" in text and "rules proven on 2 targets" in text
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert set(report) == {"summary", "rules"} and len(report["rules"]) == 3
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "http" not in html.replace("http-equiv", "")
    assert SEED_RULE.name in html
    code = main(["prove", str(rules), "--events-dir", str(events), "--format", "json", "--target", "eql"])
    captured = capsys.readouterr()
    assert json.loads(captured.out)["summary"]["eql"]["agree"] >= 1
    assert "rules proven" in captured.err


def test_cli_usage_errors(tmp_path, capsys):
    assert main(["prove", str(tmp_path / "nope")]) == 2
    assert main(["prove", str(SEED_RULE), "--target", "splunkk"]) == 2
    assert "did you mean splunk?" in capsys.readouterr().err
    assert main(["prove", str(SEED_RULE), "--events-dir", str(SEED_RULE)]) == 2
