"""`ruleport fixtures`: output to a file or stdout, labels, seeds, counts, refusals and exit codes."""

from __future__ import annotations

import json

from converters.cli import main
from tests.support import SEED_RULE


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = main(["fixtures", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_writes_jsonl_to_a_file_and_labels_beside_it(tmp_path, capsys):
    events, labels = tmp_path / "out" / "seed.jsonl", tmp_path / "seed.labels.json"
    code, out, err = run_cli(capsys, SEED_RULE, "-o", events, "--labels", labels)
    assert code == 0 and out == ""
    lines = events.read_text(encoding="utf-8").splitlines()
    parsed = [json.loads(line) for line in lines]
    assert all(isinstance(e, dict) and "@timestamp" in e and isinstance(e["process"], dict) for e in parsed)
    data = json.loads(labels.read_text(encoding="utf-8"))
    assert data["match"] and set(data["match"]) < set(range(len(lines)))
    assert set(data["why"]) == {str(i) for i in range(len(lines))}
    assert f"{len(lines)} events to {events}" in err and "9 of 9 branches matched" in err


def test_stdout_when_no_output_is_given_and_the_same_for_a_seed(capsys):
    code, first, _ = run_cli(capsys, SEED_RULE, "--seed", "7", "--count", "6")
    assert code == 0 and len(first.splitlines()) == 6
    _, again, _ = run_cli(capsys, SEED_RULE, "--seed", "7", "--count", "6")
    _, other, _ = run_cli(capsys, SEED_RULE, "--seed", "8", "--count", "6")
    assert first == again and first != other


def test_the_events_prove_the_rule(tmp_path, capsys):
    """Synthesized events feed `ruleport test`: the original matches some and not others."""
    events = tmp_path / "seed.jsonl"
    assert run_cli(capsys, SEED_RULE, "-o", events)[0] == 0
    code = main(["test", str(SEED_RULE), "--events", str(events), "--target", "eql", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    matched = report["targets"]["original"]["matched"]
    assert code == 0 and 0 < len(matched) < report["events"]


def test_a_join_is_refused_with_exit_1(tmp_path, capsys):
    rule = tmp_path / "join.toml"
    rule.write_text('[rule]\nlanguage = "eql"\ntype = "eql"\nquery = """\njoin by host.id\n'
                    '  [process where true] [file where true]\n"""\n', encoding="utf-8")
    code, out, err = run_cli(capsys, rule, "-o", tmp_path / "x.jsonl")
    assert code == 1 and out == ""
    assert f"{rule}:4:" in err and "join" in err
    assert not (tmp_path / "x.jsonl").exists()


def test_a_sequence_gets_a_stream_whose_labels_are_its_alerts(tmp_path, capsys):
    """A correlation rule's events are its scenarios; the original raises alerts on exactly the labelled ones."""
    rule = tmp_path / "seq.toml"
    rule.write_text('[rule]\nlanguage = "eql"\ntype = "eql"\nrule_id = "s"\nquery = """\n'
                    'sequence by host.id with maxspan=1m\n'
                    '  [process where process.name == "cmd.exe"] [file where file.extension == "ps1"]\n"""\n',
                    encoding="utf-8")
    events, labels = tmp_path / "seq.jsonl", tmp_path / "seq.labels.json"
    code, _, err = run_cli(capsys, rule, "-o", events, "--labels", labels)
    assert code == 0 and "scenarios" in err
    data = json.loads(labels.read_text(encoding="utf-8"))
    assert any(why.startswith("in-order: fires") for why in data["why"].values())
    assert any(why.startswith("out-of-order: no alert") for why in data["why"].values())
    code = main(["test", str(rule), "--events", str(events), "--target", "eql", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert report["targets"]["original"]["matched"] == data["match"]


def test_usage_errors_are_exit_2(tmp_path, capsys):
    assert run_cli(capsys, tmp_path / "missing.toml")[0] == 2
    code, _, err = run_cli(capsys, SEED_RULE, "--count", "0")
    assert code == 2 and "--count" in err


def test_the_same_events_in_another_process(tmp_path):
    """Determinism does not lean on Python's per-process string hashing."""
    import os
    import subprocess
    import sys

    outputs = []
    for hash_seed in ("1", "4242"):
        out = tmp_path / f"{hash_seed}.jsonl"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-m", "converters", "fixtures", str(SEED_RULE), "-o", str(out)],
                       check=True, env=env, capture_output=True)
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] and outputs[0]
