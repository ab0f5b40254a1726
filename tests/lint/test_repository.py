"""Cross-file checks (duplicate rule_id, name, file name) see the whole repository, even when
only some files are named, as pre-commit names them."""

from __future__ import annotations

import json
import os

import pytest

from converters.cli import main
from converters.lint.config import load_config
from converters.lint.runner import repository_files, repository_rules
from tests.support import SEED_RULE

SEED_TEXT = SEED_RULE.read_text()
SEED_ID = "55f711c1-6b4d-4787-930d-c9317a885adf"


def rule(uid: str, name: str) -> str:
    return SEED_TEXT.replace(SEED_ID, f"{uid * 8}-6b4d-4787-930d-c9317a885adf").replace(
        "Suspicious Execution with NodeJS", name)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    top = tmp_path / "repo"
    (top / ".git").mkdir(parents=True)
    for folder, name, text in [("rules/windows", "execution_a.toml", rule("a", "Rule A")),
                               ("rules/windows", "execution_b.toml", rule("b", "Rule B")),
                               ("rules_building_block", "execution_c.toml", rule("c", "Rule C")),
                               ("rules/_deprecated", "execution_old.toml", rule("e", "Rule E"))]:
        (top / folder).mkdir(parents=True, exist_ok=True)
        (top / folder / name).write_text(text)
    monkeypatch.chdir(top)
    return top


def findings(capsys, *argv):
    code = main(["validate", *argv, "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    return code, doc, sorted((f["path"], f["code"], f["message"]) for f in doc["findings"])


def test_a_named_file_is_compared_with_every_rule_of_the_repository(repo, capsys):
    # the pull request adds a copy of rule a (same rule_id) and a rule named like the building block c
    new = repo / "rules" / "linux" / "execution_new.toml"
    new.parent.mkdir()
    new.write_text(rule("a", "Rule C"))
    code, doc, found = findings(capsys, "rules/linux/execution_new.toml")      # as pre-commit calls it
    assert code == 1 and doc["files"] == 1
    assert found == [
        ("rules/linux/execution_new.toml", "repo/duplicate-name", "name 'Rule C' is also used by "
                                                                  "rules_building_block/execution_c.toml"),
        ("rules/linux/execution_new.toml", "repo/duplicate-rule-id",
         "rule_id 'aaaaaaaa-6b4d-4787-930d-c9317a885adf' is also used by rules/windows/execution_a.toml"),
    ]


def test_the_duplicate_is_placed_on_its_line_and_only_named_files_get_findings(repo, capsys):
    (repo / "rules" / "windows" / "execution_b.toml").write_text(rule("a", "Rule B"))
    code = main(["validate", "rules/windows/execution_b.toml", "--format", "github"])
    out = capsys.readouterr().out
    assert code == 1
    line = SEED_TEXT[: SEED_TEXT.index("rule_id =")].count("\n") + 1
    assert out.splitlines() == [f"::error file=rules/windows/execution_b.toml,line={line},title=repo/duplicate-rule-id::"
                                "rule_id 'aaaaaaaa-6b4d-4787-930d-c9317a885adf' is also used by "
                                "rules/windows/execution_a.toml (hint: Give each rule a fresh UUID (uuid4).)"]


def test_the_same_file_name_in_two_folders_is_a_warning(repo, capsys):
    other = repo / "rules" / "linux" / "execution_a.toml"
    other.parent.mkdir()
    other.write_text(rule("f", "Rule F"))
    code, _, found = findings(capsys, str(other))
    assert code == 0        # a warning
    assert found == [(str(other), "repo/duplicate-file-name",
                      "file name 'execution_a.toml' is also used by rules/windows/execution_a.toml")]


def test_deprecated_rules_and_the_file_itself_are_no_duplicates(repo, capsys):
    (repo / "rules" / "windows" / "execution_new.toml").write_text(rule("e", "Rule E"))    # like the deprecated one
    os.symlink(repo / "rules" / "windows" / "execution_a.toml", repo / "execution_link.toml")
    code, _, found = findings(capsys, "rules/windows/execution_new.toml", "execution_link.toml")
    assert found == [] and code == 0


def test_naming_the_whole_folder_finds_the_same_duplicates(repo, capsys):
    (repo / "rules" / "windows" / "execution_b.toml").write_text(rule("a", "Rule B"))
    _, doc, found = findings(capsys, "rules")
    assert doc["files"] == 3
    assert [(p, c) for p, c, _ in found] == [("rules/windows/execution_a.toml", "repo/duplicate-rule-id"),
                                             ("rules/windows/execution_b.toml", "repo/duplicate-rule-id")]


def test_which_files_make_the_repository(repo, tmp_path):
    (repo / ".venv" / "lib").mkdir(parents=True)
    (repo / ".venv" / "lib" / "x.toml").write_text("")
    shown = sorted(d for _, d in repository_files(repo))
    assert shown == ["rules/_deprecated/execution_old.toml", "rules/windows/execution_a.toml",
                     "rules/windows/execution_b.toml", "rules_building_block/execution_c.toml"]
    # no rules/ folder: the whole repository, less hidden folders, node_modules and virtual environments
    bare = tmp_path / "bare"
    for folder in ("detections", "node_modules/x", "env", ".github"):
        (bare / folder).mkdir(parents=True)
        (bare / folder / "r.toml").write_text("")
    (bare / "env" / "pyvenv.cfg").write_text("")
    assert [os.path.relpath(f, bare) for f, _ in repository_files(bare)] == ["detections/r.toml"]
    assert repository_files(None) == []


def test_rule_dirs_from_the_configuration(repo, capsys):
    (repo / "pyproject.toml").write_text('[tool.ruleport]\nrule-dirs = ["rules_building_block"]\n')
    config = load_config(start=repo)
    assert [d for _, d in repository_rules("rules", config)] == ["rules_building_block/execution_c.toml"]
    (repo / "rules" / "windows" / "execution_b.toml").write_text(rule("a", "Rule B"))
    _, _, found = findings(capsys, "rules/windows/execution_b.toml")
    assert found == []                      # execution_a is outside the configured rule-dirs


def test_outside_a_repository_only_the_named_files_are_compared(tmp_path, capsys):
    (tmp_path / "execution_a.toml").write_text(rule("a", "Rule A"))
    (tmp_path / "execution_b.toml").write_text(rule("a", "Rule A"))
    _, _, found = findings(capsys, str(tmp_path / "execution_a.toml"))
    assert found == []
    _, _, found = findings(capsys, str(tmp_path))
    assert {c for _, c, _ in found} == {"repo/duplicate-rule-id", "repo/duplicate-name"}
