"""`ruleport test`: input errors, line numbering, target filter, expect checks, JSON shape, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from converters.cli import main
from converters.emit.targets import TARGETS
from converters.prove.fixtures import FixtureError, load_events, load_expect
from converters.prove.matrix import _accepting, exit_code
from tests.support import SEED_EVENTS
from tests.support import SEED_RULE as SEED


def seed_lines() -> list[str]:
    return SEED_EVENTS.read_text(encoding="utf-8").splitlines()


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = main(["test", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_malformed_json_line_is_exit_2_naming_file_and_line(tmp_path, capsys):
    events = tmp_path / "ev.jsonl"
    events.write_text(seed_lines()[0] + "\n\n{\"event\": \n" + seed_lines()[1] + "\n", encoding="utf-8")
    code, out, err = run_cli(capsys, SEED, "--events", events)
    assert code == 2
    assert f"{events}:3:" in err and "not valid JSON" in err
    assert out == ""


def test_a_line_that_is_not_an_object_is_exit_2(tmp_path, capsys):
    events = tmp_path / "ev.jsonl"
    events.write_text(seed_lines()[0] + "\n[1, 2]\n", encoding="utf-8")
    code, _, err = run_cli(capsys, SEED, "--events", events)
    assert code == 2 and f"{events}:2:" in err and "JSON object" in err


def test_missing_events_file_is_exit_2(tmp_path, capsys):
    code, _, err = run_cli(capsys, SEED, "--events", tmp_path / "nope.jsonl")
    assert code == 2 and "nope.jsonl" in err


def test_unknown_target_is_exit_2_with_a_suggestion(capsys):
    assert main(["test", str(SEED), "--events", str(SEED_EVENTS), "--target", "qradar"]) == 2
    assert "unknown target 'qradar'; known targets: sigma," in capsys.readouterr().err
    assert main(["test", str(SEED), "--events", str(SEED_EVENTS), "--target", "kusto-sentinal"]) == 2
    assert "unknown target 'kusto-sentinal' (did you mean kusto-sentinel?)" in capsys.readouterr().err


def test_blank_lines_are_skipped_but_counted(tmp_path):
    lines = seed_lines()
    events = tmp_path / "ev.jsonl"
    # seed line 2 (eval, a match) and 9 (a near miss) with blank lines around them
    events.write_text("\n   \n" + lines[2] + "\n\n" + lines[9] + "\n" + lines[0] + "\n", encoding="utf-8")
    fixture = load_events(str(events))
    assert fixture.lines == [2, 4, 5]
    assert len(fixture.events) == 3


def test_expect_must_name_event_lines(tmp_path):
    events = tmp_path / "ev.jsonl"
    events.write_text(seed_lines()[0] + "\n\n" + seed_lines()[1] + "\n", encoding="utf-8")
    fixture = load_events(str(events))
    expect = tmp_path / "ev.expect.json"
    # lines in an expect file are 1-based: line 2 is the blank one
    expect.write_text(json.dumps({"match": [1, 2], "why": {}, "accept": []}), encoding="utf-8")
    with pytest.raises(FixtureError, match=r"no event on line\(s\) 2 .*1-based"):
        load_expect(str(expect), fixture, TARGETS)
    expect.write_text(json.dumps({"match": [1], "accept": [{"target": "nope", "lines": [1], "reason": "x"}]}),
                      encoding="utf-8")
    with pytest.raises(FixtureError, match="unknown target"):
        load_expect(str(expect), fixture, TARGETS)
    expect.write_text(json.dumps({"match": [1, 3], "why": {"3": "because"},
                                  "accept": [{"target": "splunk", "lines": [3], "reason": "no argv"}]}),
                      encoding="utf-8")
    loaded = load_expect(str(expect), fixture, TARGETS)
    # held 0-based, like the fixture's lines and the JSON report
    assert loaded.match == {0, 2} and loaded.why == {2: "because"} and loaded.accept[0]["lines"] == [2]


def test_accept_applies_only_with_a_declared_note():
    entries = [{"target": "splunk", "lines": [3, 4], "reason": "Sysmon has no argv"},
               {"target": "lucene", "lines": [3], "reason": "pinned", "note": "emit/x"}]
    assert _accepting(entries, "splunk", 3, {"translate/field-approximated"}) == "Sysmon has no argv"
    assert _accepting(entries, "splunk", 3, set()) is None            # nothing declared: not acceptable
    assert _accepting(entries, "splunk", 5, {"a/b"}) is None          # line not named
    assert _accepting(entries, "lucene", 3, {"emit/y"}) is None       # pinned note not declared
    assert _accepting(entries, "lucene", 3, {"emit/x"}) == "pinned"


def _report(agree=True, expect_ok=None, skipped=()):
    return {"agree": agree, "skipped": list(skipped),
            "expect": None if expect_ok is None else {"ok": expect_ok, "differs": []}}


def test_exit_code_rules():
    assert exit_code(_report()) == 0
    assert exit_code(_report(agree=False)) == 1
    assert exit_code(_report(expect_ok=False)) == 1
    assert exit_code(_report(expect_ok=True)) == 0
    assert exit_code(_report(skipped=["lucene"])) == 1
    assert exit_code(_report(skipped=["lucene"]), allow_skip=True) == 0


# --- end to end on a small fixture (the EQL target runs in-process) -----------

@pytest.fixture
def small(tmp_path):
    lines = seed_lines()
    events = tmp_path / "small.jsonl"
    # physical lines: 0 blank, 1 = seed 2 (match), 2 = seed 9 (no), 3 blank, 4 = seed 0 (match), 5 = seed 33 (no)
    events.write_text("\n" + lines[2] + "\n" + lines[9] + "\n\n" + lines[0] + "\n" + lines[33] + "\n",
                      encoding="utf-8")
    return events


def test_json_shape_and_target_filter(small, capsys):
    code, out, err = run_cli(capsys, SEED, "--events", small, "--target", "eql", "--format", "json")
    report = json.loads(out)
    assert set(report) >= {"rule", "events", "targets", "expect", "agree"}
    assert report["rule"] == str(SEED) and report["events"] == 4
    assert list(report["targets"]) == ["original", "eql"]
    original = report["targets"]["original"]
    assert original["matched"] == [1, 4] and original["engine"]
    eql = report["targets"]["eql"]
    assert set(eql) >= {"matched", "engine", "agrees", "differs"}
    assert eql["matched"] == [1, 4] and eql["agrees"] is True and eql["differs"] == []
    assert report["expect"] is None and report["agree"] is True
    assert code == 0, err


def test_expect_mismatch_is_exit_1_with_the_line_and_why(small, tmp_path, capsys):
    expect = tmp_path / "small.expect.json"
    expect.write_text(json.dumps({"match": [2, 3], "why": {"3": "hand verdict under test"}, "accept": []}),
                      encoding="utf-8")
    code, out, _ = run_cli(capsys, SEED, "--events", small, "--expect", expect, "--target", "eql",
                           "--format", "json")
    report = json.loads(out)
    assert code == 1
    assert report["expect"]["ok"] is False
    assert [(d["line"], d["expected"], d["got"]) for d in report["expect"]["differs"]] == [(2, True, False),
                                                                                          (4, False, True)]
    code, out, _ = run_cli(capsys, SEED, "--events", small, "--expect", expect, "--target", "eql")
    assert code == 1
    assert f"{small}:3: original rule: expected match, got no match (hand verdict under test)" in out


def test_text_matrix_has_a_row_per_event_and_a_column_per_target(small, capsys):
    code, out, _ = run_cli(capsys, SEED, "--events", small, "--target", "eql", "--target", "kusto-defender")
    header = next(line for line in out.splitlines() if line.strip().startswith("line"))
    assert header.split() == ["line", "orig", "eql", "mde"]
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()
            if line.strip() and line.split()[0].isdigit() and len(line.split()) == 4}
    assert sorted(rows, key=int) == ["2", "3", "5", "6"]
    assert rows["2"][:2] == ["M", "M"] and rows["5"][:2] == ["M", "M"]
    assert rows["3"][:2] == [".", "."] and rows["6"][:2] == [".", "."]


def test_every_target_has_an_executor_and_a_platform():
    from converters.engine.executor import Executor
    from converters.platforms.models import MODELS

    assert set(TARGETS) == {"sigma", "splunk", "splunk-cim", "lucene", "eql", "esql", "kibana-kql",
                            "kusto-defender", "kusto-sentinel"}
    assert all(MODELS[t.platform.name] is t.platform for t in TARGETS.values())
    assert all(isinstance(t.executor(), Executor) for t in TARGETS.values())


def _rule_with_query(tmp_path, query: str) -> Path:
    text = SEED.read_text(encoding="utf-8")
    start = text.index("query = '''")
    end = text.index("'''", start + 11) + 3
    rule = tmp_path / "rule.toml"
    rule.write_text(text[:start] + f"query = '''\n{query}\n'''" + text[end:], encoding="utf-8")
    return rule


def test_a_target_that_emits_nothing_disagrees_unless_accepted_as_a_whole(tmp_path, capsys):
    rule = _rule_with_query(tmp_path, 'process where host.os.type == "windows" and event.type == "start" and '
                                      'powershell.file.script_block_text : "*Invoke-Mimikatz*"')
    events = tmp_path / "ev.jsonl"
    events.write_text(seed_lines()[2] + "\n", encoding="utf-8")
    code, out, _ = run_cli(capsys, rule, "--events", events, "--target", "kusto-defender", "--format", "json")
    target = json.loads(out)["targets"]["kusto-defender"]
    assert code == 1
    assert target["emit_error"] and target["matched"] == [] and target["agrees"] is False
    expect = tmp_path / "ev.expect.json"
    expect.write_text(json.dumps({"match": [], "why": {"0": "no script block"},
                                  "accept": [{"target": "kusto-defender", "lines": [],
                                              "reason": "Defender records no PowerShell script block text"}]}),
                      encoding="utf-8")
    code, out, _ = run_cli(capsys, rule, "--events", events, "--expect", expect, "--target", "kusto-defender",
                           "--format", "json")
    report = json.loads(out)
    assert report["targets"]["kusto-defender"]["agrees"] is True and report["expect"]["unused_accept"] == []
    assert code == 0


def test_a_rule_that_cannot_be_read_is_exit_2(tmp_path, capsys):
    rule = tmp_path / "broken.toml"
    rule.write_text("[rule]\nquery = '''\n", encoding="utf-8")
    code, out, err = run_cli(capsys, rule, "--events", SEED_EVENTS)
    assert code == 2 and str(rule) in err and out == ""


def test_a_rule_without_a_sigma_form_fails_every_target(tmp_path, capsys):
    rule = _rule_with_query(tmp_path, 'sequence by process.entity_id [process where process.name : "node.exe"] '
                                      '[network where true]')
    events = tmp_path / "ev.jsonl"
    events.write_text(seed_lines()[2] + "\n", encoding="utf-8")
    code, out, _ = run_cli(capsys, rule, "--events", events, "--target", "kusto-sentinel", "--format", "json")
    column = json.loads(out)["targets"]["kusto-sentinel"]
    assert code == 1
    assert column["emit_error"] and column["agrees"] is False


def _without_note_explanations(monkeypatch):
    """The sidecar path on its own: no note explains anything."""
    import converters.prove.matrix as matrix

    monkeypatch.setattr(matrix, "explaining_note", lambda *args: None)


SPLUNK_SIGNER_LINE = 29  # a renamed node found only by its code signer, which Sysmon does not record


def test_a_hand_accept_entry_with_a_declared_note_accepts_a_difference(tmp_path, capsys, monkeypatch):
    _without_note_explanations(monkeypatch)
    seed_expect = json.loads((SEED_EVENTS.parent / "execution_nodejs_susp_patterns.expect.json").read_text())
    entry = {"target": "splunk", "lines": [SPLUNK_SIGNER_LINE + 1], "note": "emit/branch-dropped",
             "reason": "no signer on Sysmon"}
    expect = tmp_path / "seed.expect.json"
    expect.write_text(json.dumps({**seed_expect, "accept": [entry]}), encoding="utf-8")
    code, out, _ = run_cli(capsys, SEED, "--events", SEED_EVENTS, "--expect", expect, "--target", "splunk",
                           "--format", "json")
    splunk = json.loads(out)["targets"]["splunk"]
    assert code == 0 and splunk["agrees"] is True
    assert {"line": SPLUNK_SIGNER_LINE, "expected": True, "got": False, "accepted": "expect",
            "reason": "no signer on Sysmon"} in splunk["differs"]


def test_an_accept_entry_pinning_an_undeclared_note_is_not_applied(tmp_path, capsys, monkeypatch):
    _without_note_explanations(monkeypatch)
    seed_expect = json.loads((SEED_EVENTS.parent / "execution_nodejs_susp_patterns.expect.json").read_text())
    line = SPLUNK_SIGNER_LINE
    entry = {"target": "splunk", "lines": [line + 1], "reason": "no signer on Sysmon"}
    expect = tmp_path / "seed.expect.json"
    expect.write_text(json.dumps({**seed_expect, "accept": [{**entry, "note": "emit/never-declared"}]}),
                      encoding="utf-8")
    code, out, _ = run_cli(capsys, SEED, "--events", SEED_EVENTS, "--expect", expect, "--target", "splunk",
                           "--format", "json")
    report = json.loads(out)
    splunk = report["targets"]["splunk"]
    assert code == 1 and splunk["agrees"] is False
    assert {"line": line, "expected": True, "got": False, "accepted": None, "reason": None} in splunk["differs"]
    assert report["expect"]["unused_accept"] == [0]


def test_an_event_elasticsearch_would_reject_is_reported_by_line_and_left_out(tmp_path, capsys):
    lines = seed_lines()
    bad = json.loads(lines[2])
    bad["process"]["name"] = {"text": "node.exe"}            # an object where ECS maps a keyword
    nulls = json.loads(lines[0])
    nulls["process"]["args"] = nulls["process"]["args"] + [None]  # a null in an array is just no value
    events = tmp_path / "ev.jsonl"
    events.write_text("\n".join([lines[1], json.dumps(bad), json.dumps(nulls)]) + "\n", encoding="utf-8")
    code, out, _ = run_cli(capsys, SEED, "--events", events, "--format", "json")
    report = json.loads(out)
    assert report["rejected"] == [{"line": 1, "field": "process.name",
                                   "reason": "an object where ECS maps a keyword field"}]
    assert report["events"] == 2
    for name, column in report["targets"].items():
        assert "error" not in column, (name, column.get("error"))
        assert 1 not in (column["matched"] or [])
    code, out, _ = run_cli(capsys, SEED, "--events", events)
    assert f"{events}:2: rejected, as Elasticsearch would: process.name: an object where ECS maps a keyword" in out


def test_warnings_when_nothing_matches_or_a_read_field_is_absent(tmp_path, capsys):
    near_miss = json.loads(seed_lines()[9])
    del near_miss["process"]["args"]
    near_miss["process"].pop("code_signature", None)
    events = tmp_path / "ev.jsonl"
    events.write_text(json.dumps(near_miss) + "\n", encoding="utf-8")
    code, out, _ = run_cli(capsys, SEED, "--events", events, "--target", "eql", "--format", "json")
    warnings = json.loads(out)["warnings"]
    assert any("matches none of the 1 events" in w for w in warnings)
    absent = next(w for w in warnings if w.startswith("no event has"))
    assert "process.args" in absent and "process.code_signature.subject_name" in absent
    assert "process.name" not in absent.split(", which")[0]
    code, out, _ = run_cli(capsys, SEED, "--events", SEED_EVENTS, "--target", "eql", "--format", "json")
    assert json.loads(out)["warnings"] == []
