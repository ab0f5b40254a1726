"""The correlation fixtures: an EQL sequence and a threshold rule, proved on every target.

Hand-written events and verdicts (tests/fixtures/correlation/*.expect.json) cover
the cases a correlation turns on: in order, out of order, outside maxspan, other
join keys, a newer pending sequence replacing an older one, counts on each side of
the threshold, and a correlation across a fixed time-bucket boundary (which ES|QL
misses, as its note says).
"""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from converters.cli import main
from tests.support import FIXTURES

CORRELATION = FIXTURES / "correlation"
RULES = ["discovery_cmd_then_whoami", "discovery_net_threshold"]
SLIDING = ["sigma", "splunk", "splunk-cim", "eql", "kusto-defender", "kusto-sentinel"]


def _report(name: str, fmt: str = "json"):
    out = io.StringIO()
    argv = ["test", str(CORRELATION / f"{name}.toml"), "--events", str(CORRELATION / f"{name}.jsonl"),
            "--expect", str(CORRELATION / f"{name}.expect.json"), "--format", fmt, "--allow-skip"]
    with contextlib.redirect_stdout(out):
        code = main(argv)
    return code, (json.loads(out.getvalue()) if fmt == "json" else out.getvalue())


@pytest.mark.parametrize("name", RULES)
def test_every_target_agrees_and_the_original_holds_the_hand_verdicts(name):
    code, report = _report(name)
    assert code == 0, json.dumps(report["targets"], indent=1)[:3000]
    assert report["expect"]["ok"] and report["agree"]
    expected = json.loads((CORRELATION / f"{name}.expect.json").read_text())["match"]  # 1-based
    assert report["targets"]["original"]["matched"] == [n - 1 for n in expected]      # the JSON is 0-based


@pytest.mark.parametrize("name", RULES)
def test_sliding_window_targets_raise_the_same_alerts(name):
    _, report = _report(name)
    original = report["targets"]["original"]["alerts"]
    assert len(original) >= 2
    for target in SLIDING:
        column = report["targets"][target]
        assert column["alerts"] == original, target
        assert column["differs"] == [], target


@pytest.mark.parametrize("name", RULES)
def test_esql_misses_only_the_alert_across_a_bucket_boundary_and_says_why(name):
    _, report = _report(name)
    column = report["targets"]["esql"]
    assert column["alerts"] and len(column["alerts"]) < len(report["targets"]["original"]["alerts"])
    assert column["differs"] and all(d["accepted"] == "emit/fixed-buckets" and d["expected"] and not d["got"]
                                      for d in column["differs"])


@pytest.mark.parametrize("name", RULES)
def test_query_string_targets_refuse_with_the_reason(name):
    _, report = _report(name)
    for target in ("lucene", "kibana-kql"):
        column = report["targets"][target]
        assert "single documents" in column["emit_error"] and column["matched"] == []


def test_the_sequence_keeps_only_the_newer_pending_shell():
    _, report = _report("discovery_cmd_then_whoami")
    # lines 11-13: two shells then whoami; the second shell replaced the first (0-based 10)
    assert [11, 12] in report["targets"]["original"]["alerts"]
    assert 10 not in report["targets"]["original"]["matched"]


def test_the_text_matrix_shows_the_alerts():
    _, text = _report("discovery_cmd_then_whoami", "text")
    assert "alerts (sequence; the events behind each, by line):" in text
    assert "orig  [1 2]  [9 10]  [12 13]" in text


def test_prove_synthesizes_streams_for_correlation_rules(tmp_path):
    """`ruleport prove` without events: each correlation rule gets its synthesized stream."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["prove", str(CORRELATION), "--jobs", "1", "--format", "json"])
    report = json.loads(out.getvalue())
    assert code == 0
    assert [r["events"] > 0 for r in report["rules"]] == [True, True]
    for target in SLIDING:
        assert report["summary"][target]["agree"] == 2, target
    assert report["summary"]["esql"]["differs"] == 0 and report["summary"]["lucene"]["refused"] == 2
