"""`ruleport package`: the CLI contract (exit codes as for convert, one bad rule never stops the others,
JSON on stdout only, settings errors and usage errors named plainly)."""

import json
import shutil

from converters.cli import main
from converters.emit.targets import TARGETS
from tests.support import SEED_RULE


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def rules_dir(tmp_path):
    rules = tmp_path / "repo" / "rules"
    (rules / "windows").mkdir(parents=True)
    shutil.copy(SEED_RULE, rules / "windows" / "good.toml")
    return rules


def test_the_seed_packages_for_every_target(capsys, tmp_path):
    code, out, err = run(capsys, "package", str(SEED_RULE), "--out", str(tmp_path / "dist"))
    assert code == 0 and out == ""
    summary = err.strip().splitlines()[-1]
    assert summary.startswith("package: 1 rule, ") and "packaged per target: " in summary
    assert all(f"{target} 1" in summary.split("packaged per target: ")[1] for target in TARGETS)
    assert (tmp_path / "dist" / "eql" / "rules.ndjson").is_file()
    assert not list((tmp_path / "dist").rglob(".*.tmp"))   # atomic writes leave no temporary file


def test_bad_rules_do_not_stop_the_good_ones(capsys, tmp_path):
    rules = rules_dir(tmp_path)
    (rules / "broken.toml").write_text("[rule\nname = 1\n")
    # a rule whose description Kibana would refuse: the other formats still take it
    (rules / "windows" / "no_description.toml").write_text(SEED_RULE.read_text().replace(
        "Identifies suspicious execution patterns using NodeJS interpeter like process path and arguments.\n", ""))
    code, out, err = run(capsys, "package", str(rules), "--out", str(tmp_path / "dist"),
                         "--target", "eql", "--target", "splunk", "--format", "json")
    assert code == 1
    doc = json.loads(out)
    by_path = {r["path"]: r for r in doc["rules"]}
    assert by_path[str(rules / "broken.toml")]["errors"][0]["code"] == "toml/syntax"
    assert by_path[str(rules / "windows" / "good.toml")]["packaged"] == ["eql", "splunk"]
    nodesc = by_path[str(rules / "windows" / "no_description.toml")]
    assert nodesc["packaged"] == ["splunk"] and nodesc["errors"][0]["code"] == "package/no-description"
    assert doc["packaged"] == {"eql": 1, "splunk": 2}
    assert len((tmp_path / "dist" / "eql" / "rules.ndjson").read_text().splitlines()) == 1
    assert "broken.toml" in err and "Traceback" not in err


def test_settings_are_found_in_the_rules_repository(capsys, tmp_path):
    rules = rules_dir(tmp_path)
    (tmp_path / "repo" / "ruleport.toml").write_text('[targets.lucene]\nindex = ["edr-*"]\n')
    code, _, err = run(capsys, "package", str(rules), "--out", str(tmp_path / "dist"), "--target", "lucene")
    assert code == 0 and f"settings: {tmp_path / 'repo' / 'ruleport.toml'}" in err
    assert json.loads((tmp_path / "dist" / "lucene" / "rules.ndjson").read_text())["index"] == ["edr-*"]


def test_a_bad_setting_is_an_error_naming_the_key(capsys, tmp_path):
    rules = rules_dir(tmp_path)
    (tmp_path / "repo" / "pyproject.toml").write_text("[tool.ruleport.targets.lucene]\nindex = 7\n")
    code, out, err = run(capsys, "package", str(rules), "--out", str(tmp_path / "dist"))
    assert code == 1 and out == ""
    assert "pyproject.toml:2: tool.ruleport.targets.lucene.index must be" in err
    assert not (tmp_path / "dist").exists()


def test_usage_errors(capsys, tmp_path):
    code, _, err = run(capsys, "package", str(SEED_RULE), "--out", str(tmp_path), "--target", "qradar")
    assert code == 2 and "qradar" in err
    code, _, err = run(capsys, "package", str(tmp_path / "missing.toml"), "--out", str(tmp_path))
    assert code == 2 and "missing.toml" in err
    code, _, err = run(capsys, "package", str(SEED_RULE), "--out", str(tmp_path), "--pipeline", str(tmp_path / "p.yml"))
    assert code == 2 and "p.yml" in err
    try:
        main(["package", str(SEED_RULE)])
    except SystemExit as exc:
        assert exc.code == 2
    assert "--out" in capsys.readouterr().err


def test_a_writer_bug_is_that_rules_error(capsys, tmp_path, monkeypatch):
    from converters.package import FORMATS

    def broken(item, ctx):
        raise RuntimeError("boom")

    monkeypatch.setattr(FORMATS["defender-detection-rule"], "entry", broken)
    code, out, err = run(capsys, "package", str(SEED_RULE), "--out", str(tmp_path), "--format", "json",
                         "--target", "kusto-defender", "--target", "eql")
    assert code == 1
    (rule,) = json.loads(out)["rules"]
    assert rule["packaged"] == ["eql"]
    assert rule["errors"] == [{"target": "kusto-defender", "code": "ruleport/internal",
                               "message": "internal error: RuntimeError: boom"}]
    assert "Traceback" not in err
