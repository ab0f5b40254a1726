"""`ruleport validate`: the CLI contract (streams, exit codes, JSON shape, --changed-since)."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from converters.cli import main
from tests.support import ROOT, require

SEED = ROOT / "rules" / "windows" / "execution_nodejs_susp_patterns.toml"
SEED_TEXT = SEED.read_text()


def run(capsys, *argv):
    code = main(["validate", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_seed_validates_cleanly(capsys):
    code, out, err = run(capsys, str(SEED), "--format", "json")
    doc = json.loads(out)
    assert code == 0
    assert doc == {"files": 1, "findings": []}
    assert "1 file checked" in err


def test_json_goes_alone_to_stdout_and_findings_sorted(tmp_path, capsys):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "execution_z.toml").write_text(SEED_TEXT.replace("risk_score = 73", "risk_score = 20"))
    (tmp_path / "a_bad.toml").write_text("[rule\n")
    (tmp_path / "execution_ok.toml").write_text(
        SEED_TEXT.replace("55f711c1-6b4d-4787-930d-c9317a885adf", "0b4f4b1e-0f3c-4a53-9d9e-1f2a3b4c5d6e")
        .replace("Suspicious Execution with NodeJS", "Another"))
    arg = str(tmp_path)
    code, out, err = run(capsys, arg, "--format", "json")
    doc = json.loads(out)          # nothing but JSON on stdout
    assert code == 1
    assert doc["files"] == 3
    paths = [f["path"] for f in doc["findings"]]
    assert paths == sorted(paths)
    assert all(p.startswith(arg) for p in paths)
    by_code = {f["code"]: f for f in doc["findings"]}
    assert by_code["toml/syntax"]["line"] == 1 and by_code["toml/syntax"]["path"] == str(Path(arg) / "a_bad.toml")
    assert by_code["meta/severity-risk-score"]["path"] == str(Path(arg) / "b" / "execution_z.toml")
    for f in doc["findings"]:
        assert set(f) <= {"path", "line", "severity", "code", "message", "hint"}
        assert f["severity"] in ("error", "warning", "info") and "/" in f["code"]
        assert isinstance(f["line"], int) or f["line"] is None
    assert "3 files checked" in err


def test_warnings_alone_exit_zero(tmp_path, capsys):
    p = tmp_path / "execution_w.toml"
    p.write_text(SEED_TEXT.replace('process.args : "*.js"', 'process.argz : "*.js"'))
    code, out, _ = run(capsys, str(p))
    assert code == 0
    assert "warning" in out and "[ecs/unknown-field]" in out and "hint:" in out


def test_missing_path_is_a_usage_error(tmp_path, capsys):
    code, out, err = run(capsys, str(SEED), str(tmp_path / "nope"))
    assert code == 2 and out == "" and "nope" in err


def test_empty_directory_is_fine(tmp_path, capsys):
    code, out, err = run(capsys, str(tmp_path), "--format", "json")
    assert code == 0 and json.loads(out) == {"files": 0, "findings": []}


def test_output_file_written(tmp_path, capsys):
    target = tmp_path / "report.sarif"
    code, out, _ = run(capsys, str(SEED), "--format", "sarif", "--output", str(target))
    assert code == 0 and out == ""
    assert json.loads(target.read_text())["version"] == "2.1.0"


def test_github_format(tmp_path, capsys):
    p = tmp_path / "execution_g.toml"
    p.write_text(SEED_TEXT.replace('license = "Elastic License v2"', 'license = "ELv2"'))
    code, out, _ = run(capsys, str(p), "--format", "github")
    assert code == 1
    assert out.startswith(f"::error file={p},line=27,title=meta/license::")


def test_process_exit_codes_through_the_command(tmp_path):
    exe = shutil.which("ruleport", path=str(ROOT / ".venv" / "bin")) or "ruleport"
    ok = subprocess.run([exe, "validate", str(SEED)], capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout == ""
    bad = subprocess.run([exe, "validate", str(tmp_path / "missing.toml")], capture_output=True, text=True)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


@pytest.fixture
def git_repo(tmp_path):
    require("git", None if shutil.which("git") else "git is not installed")
    repo = tmp_path / "repo"
    (repo / "rules").mkdir(parents=True)

    def git(*args):
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                       env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                            "GIT_COMMITTER_EMAIL": "t@t", "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})

    git("init", "-q", "-b", "main")
    for name, uid in (("execution_a.toml", "a"), ("execution_b.toml", "b"), ("execution_c.toml", "c")):
        text = SEED_TEXT.replace("55f711c1-6b4d-4787-930d-c9317a885adf", f"{uid * 8}-6b4d-4787-930d-c9317a885adf")
        (repo / "rules" / name).write_text(text.replace("Suspicious Execution with NodeJS", f"Rule {uid}"))
    git("add", ".")
    git("commit", "-qm", "base")
    return repo, git


def test_changed_since_lints_only_changed_rules_follows_renames(git_repo, capsys):
    repo, git = git_repo
    rules = repo / "rules"
    # modified: a (now with a bad license); renamed: b -> execution_b2; deleted: c; new untracked: d
    (rules / "execution_a.toml").write_text((rules / "execution_a.toml").read_text().replace(
        "Elastic License v2", "ELv2"))
    git("mv", "rules/execution_b.toml", "rules/execution_b2.toml")
    git("rm", "-q", "rules/execution_c.toml")
    git("commit", "-qam", "change")
    (rules / "execution_d.toml").write_text(SEED_TEXT.replace("Suspicious Execution with NodeJS", "Rule a"))
    code, out, err = run(capsys, str(rules), "--changed-since", "HEAD~1", "--format", "json")
    doc = json.loads(out)
    assert doc["files"] == 3            # a, b2 (renamed), d (new); not c (deleted)
    found = sorted((Path(f["path"]).name, f["code"]) for f in doc["findings"])
    # d duplicates a's name: both are linted, so both carry the finding; b2 is clean
    assert found == [("execution_a.toml", "meta/license"), ("execution_a.toml", "repo/duplicate-name"),
                     ("execution_d.toml", "repo/duplicate-name")]
    assert code == 1


def test_changed_since_bad_ref_is_a_usage_error(git_repo, capsys):
    repo, _ = git_repo
    code, out, err = run(capsys, str(repo / "rules"), "--changed-since", "no-such-ref")
    assert code == 2 and out == ""
    assert "'no-such-ref' is not a commit" in err


def test_a_file_named_twice_is_checked_once(capsys):
    code, out, _ = run(capsys, str(SEED), str(SEED.parent), "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc == {"files": 1, "findings": []}


def test_repository_config_is_found_above_the_rules(tmp_path, capsys, monkeypatch):
    repo = tmp_path / "repo"
    (repo / "rules").mkdir(parents=True)
    (repo / "pyproject.toml").write_text('[tool.ruleport]\nlicense = "Apache-2.0"\n')
    (repo / "rules" / "execution_x.toml").write_text(SEED_TEXT)
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, str(repo / "rules"), "--format", "json")
    found = [f["code"] for f in json.loads(out)["findings"]]
    assert code == 1 and found == ["meta/license"]
    code, out, _ = run(capsys, str(repo / "rules"), "--format", "json", "--config", str(tmp_path / "none.toml"))
    assert code == 2


def test_min_severity_filters_the_report_and_fail_on_decides_the_exit(tmp_path, capsys):
    p = tmp_path / "execution_w.toml"
    p.write_text(SEED_TEXT.replace('process.args : "*.js"', 'process.argz : "*.js"'))   # one warning
    code, out, err = run(capsys, str(p), "--format", "json")
    assert code == 0 and [f["severity"] for f in json.loads(out)["findings"]] == ["warning"]
    code, out, err = run(capsys, str(p), "--format", "json", "--min-severity", "error")
    assert code == 0 and json.loads(out)["findings"] == []
    assert err.strip() == "1 file checked: 0 error(s), 1 warning(s), 0 info (1 below error not shown)"
    code, out, _ = run(capsys, str(p), "--fail-on", "warning")
    assert code == 1 and "[ecs/unknown-field]" in out
    # what is not shown still fails the run: --fail-on counts every finding
    code, out, _ = run(capsys, str(p), "--fail-on", "warning", "--min-severity", "error")
    assert code == 1 and out == ""


def test_min_severity_and_fail_on_from_the_repository_configuration(tmp_path, capsys):
    (tmp_path / "pyproject.toml").write_text('[tool.ruleport]\nmin-severity = "error"\nfail-on = "warning"\n')
    p = tmp_path / "execution_w.toml"
    p.write_text(SEED_TEXT.replace('process.args : "*.js"', 'process.argz : "*.js"'))
    code, out, _ = run(capsys, str(p))
    assert code == 1 and out == ""
    code, out, _ = run(capsys, str(p), "--min-severity", "info", "--fail-on", "error")    # the command line wins
    assert code == 0 and "[ecs/unknown-field]" in out


@pytest.mark.corpus
def test_the_corpus_info_lines_go_with_min_severity_warning(corpus_dir, capsys):
    code, out, err = run(capsys, str(corpus_dir), "--min-severity", "warning")
    assert "[query/not-checked]" not in out and "[tags/os-query]" in out
    m = re.search(r"warning\(s\), (\d+) info \((\d+) below warning not shown\)", err)
    assert m and m.group(1) == m.group(2) and int(m.group(1)) > 200      # every info, and only they
