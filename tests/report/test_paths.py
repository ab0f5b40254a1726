"""Annotation and SARIF paths are relative to the git top level, whatever the PATH argument was."""

from __future__ import annotations

import json
import os

import pytest

from converters.cli import main
from converters.files import repository_root
from converters.report.paths import repository_path
from tests.support import SEED_RULE


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A repository (a `.git` folder is all the top level needs) with a rule whose license is wrong."""
    top = tmp_path / "repo"
    (top / ".git").mkdir(parents=True)
    rules = top / "rules" / "windows"
    rules.mkdir(parents=True)
    (rules / "execution_x.toml").write_text(SEED_RULE.read_text().replace('license = "Elastic License v2"',
                                                                         'license = "ELv2"'))
    return top


@pytest.mark.parametrize("cwd, arg", [
    ("", "{top}/rules"),                  # absolute
    ("", "./rules"),                      # ./ from the top
    ("", "rules/windows/execution_x.toml"),
    ("rules", "."),                       # from below the top
    ("rules/windows", "execution_x.toml"),
    ("rules/windows", "../../rules/windows/./execution_x.toml"),
])
def test_github_annotations_name_the_file_from_the_repository_root(repo, monkeypatch, capsys, cwd, arg):
    monkeypatch.chdir(repo / cwd)
    code = main(["validate", arg.replace("{top}", str(repo)), "--format", "github"])
    out = capsys.readouterr().out
    assert code == 1
    assert out.startswith("::error file=rules/windows/execution_x.toml,line=27,title=meta/license::")


def test_sarif_uris_are_relative_to_the_root_given_as_srcroot(repo, monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)             # outside the repository altogether
    main(["validate", str(repo / "rules"), "--format", "sarif"])
    run = json.loads(capsys.readouterr().out)["runs"][0]
    location = run["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "rules/windows/execution_x.toml", "uriBaseId": "%SRCROOT%"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.as_uri() + "/"


def test_sarif_names_the_root_even_without_findings(repo, capsys):
    clean = repo / "rules" / "execution_ok.toml"
    clean.write_text(SEED_RULE.read_text().replace("55f711c1", "65f711c1").replace("with NodeJS", "with Node"))
    main(["validate", str(clean), "--format", "sarif"])
    run = json.loads(capsys.readouterr().out)["runs"][0]
    assert run["results"] == [] and run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.as_uri() + "/"


def test_text_and_json_keep_the_path_as_given(repo, monkeypatch, capsys):
    monkeypatch.chdir(repo)
    main(["validate", "./rules", "--format", "json"])
    (finding,) = json.loads(capsys.readouterr().out)["findings"]
    assert finding["path"] == os.path.join("./rules", "windows", "execution_x.toml")


def test_a_worktree_or_submodule_top_level_has_a_git_file(tmp_path):
    top = tmp_path / "wt"
    (top / "rules").mkdir(parents=True)
    (top / ".git").write_text("gitdir: /elsewhere\n")
    assert repository_root(top / "rules") == str(top)
    assert repository_path(str(top / "rules" / "x.toml")) == "rules/x.toml"


def test_outside_a_repository(tmp_path, monkeypatch):
    (tmp_path / "a").mkdir()
    monkeypatch.chdir(tmp_path)
    assert repository_root(tmp_path / "a") is None
    assert repository_path("a/x.toml") == "a/x.toml"                 # below the working directory
    assert repository_path("./a/../a/x.toml") == "a/x.toml"
    monkeypatch.chdir(tmp_path / "a")
    assert repository_path(str(tmp_path / "b.toml")) == str(tmp_path / "b.toml")   # elsewhere: absolute
