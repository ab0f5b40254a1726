"""--changed-since in the clones CI makes: a shallow clone's missing base is named, with what to fetch."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from converters.cli import main
from converters.errors import UsageError
from converters.lint.changes import changed_files
from tests.support import SEED_RULE, require


@pytest.fixture
def remote(tmp_path):
    require("git", None if shutil.which("git") else "git is not installed")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}

    def git(*args, cwd=None):
        subprocess.run(["git", *(["-C", str(cwd)] if cwd else []), *args], check=True, capture_output=True, env=env)

    repo = tmp_path / "remote"
    (repo / "rules").mkdir(parents=True)
    (repo / "rules" / "execution_a.toml").write_text(SEED_RULE.read_text())
    git("init", "-q", "-b", "main", cwd=repo)
    git("add", ".", cwd=repo)
    git("commit", "-qm", "one", cwd=repo)
    git("checkout", "-qb", "feature", cwd=repo)
    (repo / "rules" / "execution_a.toml").write_text(SEED_RULE.read_text().replace("73", "74"))
    git("commit", "-qam", "two", cwd=repo)
    return repo, git, tmp_path


def test_a_shallow_clone_names_fetch_depth(remote, capsys):
    repo, git, tmp = remote
    clone = tmp / "shallow"
    git("clone", "-q", "--depth=1", "--branch", "feature", f"file://{repo}", str(clone))
    code = main(["validate", str(clone / "rules"), "--changed-since", "origin/main"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "'origin/main' is not a commit" in err and "shallow clone" in err
    assert "`fetch-depth: 0`" in err and "`git fetch origin main`" in err


def test_a_full_clone_without_the_branch_says_what_to_fetch(remote):
    repo, git, tmp = remote
    clone = tmp / "full"
    git("clone", "-q", "--single-branch", "--branch", "feature", f"file://{repo}", str(clone))
    with pytest.raises(UsageError) as err:
        changed_files("origin/main", str(clone / "rules"))
    assert "shallow" not in err.value.message and "(`git fetch origin main`" in err.value.message
    git("fetch", "-q", "origin", "main:refs/remotes/origin/main", cwd=clone)
    assert changed_files("origin/main", str(clone / "rules")) == {(clone / "rules" / "execution_a.toml").resolve()}


def test_outside_a_repository(tmp_path):
    with pytest.raises(UsageError, match="needs a git repository"):
        changed_files("HEAD", str(tmp_path))
