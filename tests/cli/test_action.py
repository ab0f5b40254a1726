"""The GitHub Action (action.yml) run through its own steps (scripts/action.sh) on fresh git repositories.

A rules repository gets a pull request with three planted mistakes: a technique under a
tactic it does not belong to, a risk score outside its severity's band, an EQL syntax
error. The clone is shallow, as actions/checkout leaves it: the script must fetch the
base branch itself, and the annotations must name each mistake's file (relative to the
repository root, though the paths input was `./rules`) and line. Everything is local:
the "remote" is a directory.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support import ROOT, SEED_RULE, require

SCRIPT = ROOT / "scripts" / "action.sh"
RULEPORT = Path(sys.executable).parent / "ruleport"
SEED_TEXT = SEED_RULE.read_text()
ANNOTATION = re.compile(r"^::(error|warning|notice) file=([^,]+),line=(\d+),title=([^:]+)::(.*)$")


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def rule(uid: str, name: str) -> str:
    return (SEED_TEXT.replace("55f711c1-6b4d-4787-930d-c9317a885adf", f"{uid * 8}-6b4d-4787-930d-c9317a885adf")
            .replace("Suspicious Execution with NodeJS", name))


# the three planted mistakes, each in its own rule file
WRONG_TACTIC = rule("a", "Rule A").replace(
    'id = "TA0002"\nname = "Execution"\nreference = "https://attack.mitre.org/tactics/TA0002/"',
    'id = "TA0005"\nname = "Defense Evasion"\nreference = "https://attack.mitre.org/tactics/TA0005/"')
RISK_OUT_OF_BAND = rule("b", "Rule B").replace("risk_score = 73", "risk_score = 21")
EQL_ERROR = rule("c", "Rule C").replace('(process.args : "-r" and process.parent.name',
                                        '(process.args : "-r" and and process.parent.name')


def git_env(home: Path) -> dict:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}


@pytest.fixture
def upstream(tmp_path):
    """A rules repository: `main` with four good rules; `pr` plants the three mistakes; then main
    moves on (a mistake in execution_d.toml that the pull request did not make); `pull-1-merge` is
    the merge GitHub checks out for a pull request. Returns (folder, environment, git)."""
    require("git", None if shutil.which("git") else "git is not installed")
    env = git_env(tmp_path)

    def git(cwd, *args):
        subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True, env=env)

    repo = tmp_path / "upstream"
    rules = repo / "rules" / "windows"
    rules.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    for uid in "abcd":
        (rules / f"execution_{uid}.toml").write_text(rule(uid, f"Rule {uid.upper()}"))
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "four good rules")
    git(repo, "checkout", "-qb", "pr")
    (rules / "execution_a.toml").write_text(WRONG_TACTIC)
    (rules / "execution_b.toml").write_text(RISK_OUT_OF_BAND)
    (rules / "execution_c.toml").write_text(EQL_ERROR)
    git(repo, "commit", "-qam", "three planted mistakes")
    git(repo, "checkout", "-q", "main")
    (rules / "execution_d.toml").write_text(rule("d", "Rule D").replace("risk_score = 73", "risk_score = 5"))
    git(repo, "commit", "-qam", "main moves on")
    git(repo, "checkout", "-qb", "pull-1-merge")
    git(repo, "merge", "-q", "--no-edit", "pr")
    git(repo, "checkout", "-q", "main")
    run_env = {**env, "RULEPORT": str(RULEPORT), "RUNNER_TEMP": str(tmp_path),
               "GITHUB_OUTPUT": str(tmp_path / "github_output"),
               "GITHUB_STEP_SUMMARY": str(tmp_path / "step_summary")}
    return repo, run_env, tmp_path


def clone(upstream, branch: str, *options: str) -> Path:
    repo, env, tmp = upstream
    checkout = tmp / f"checkout-{branch}"
    subprocess.run(["git", "clone", "-q", *options, "--branch", branch, f"file://{repo}", str(checkout)],
                   check=True, capture_output=True, env=env)
    return checkout


@pytest.fixture
def pull_request(upstream):
    """What actions/checkout leaves for a pull request: the merge commit, one commit deep."""
    return clone(upstream, "pull-1-merge", "--depth=1"), upstream[1]


def action(checkout: Path, env: dict, **inputs) -> subprocess.CompletedProcess:
    inputs_env = {f"INPUT_{k.upper()}": v for k, v in inputs.items()}
    return subprocess.run([str(SCRIPT), "validate"], cwd=checkout, env={**env, **inputs_env},
                          capture_output=True, text=True, timeout=300)


def annotations(stdout: str) -> set[tuple[str, str, int, str]]:
    found = set()
    for line in stdout.splitlines():
        m = ANNOTATION.match(line)
        assert m, f"not a workflow command: {line!r}"
        found.add((m.group(1), m.group(2), int(m.group(3)), m.group(4)))
    return found


def test_planted_mistakes_are_annotated_on_their_lines(pull_request):
    checkout, env = pull_request
    env = {**env, "GITHUB_BASE_REF": "main", "GITHUB_EVENT_NAME": "pull_request"}
    proc = action(checkout, env, paths="./rules", sarif_file="ruleport.sarif")
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "fetching main" in proc.stderr        # the shallow clone lacked the base branch
    found = annotations(proc.stdout)
    a, b, c = (f"rules/windows/execution_{x}.toml" for x in "abc")
    assert ("error", a, line_of(WRONG_TACTIC, 'id = "T1059"\n'), "attack/technique-tactic") in found
    assert ("error", b, line_of(RISK_OUT_OF_BAND, "risk_score = 21"), "meta/severity-risk-score") in found
    assert ("error", c, line_of(EQL_ERROR, '"-r" and and'), "query/eql-syntax") in found
    # only what the pull request changed: d (unchanged here, broken on main since) is not annotated
    assert {path for _, path, _, _ in found} == {a, b, c}
    eql = next(line for line in proc.stdout.splitlines() if "query/eql-syntax" in line)
    assert "::[query line 8, column " in eql
    # the same findings, as SARIF for code scanning: relative to the repository root
    sarif = json.loads((checkout / "ruleport.sarif").read_text())
    results = {(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"], r["ruleId"])
               for r in sarif["runs"][0]["results"]}
    assert {(path, line, code) for _, path, line, code in found} == results
    assert all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
               for r in sarif["runs"][0]["results"])
    assert "sarif-file=ruleport.sarif" in Path(env["GITHUB_OUTPUT"]).read_text()
    assert "3 files checked" in Path(env["GITHUB_STEP_SUMMARY"]).read_text()


def test_warnings_and_info_are_filtered_and_fail_on_decides_the_exit(pull_request):
    checkout, env = pull_request
    env = {**env, "GITHUB_BASE_REF": "main"}
    # only errors are mistakes here: with fail-on error and min-severity error every line is an error
    proc = action(checkout, env, min_severity="error")
    assert proc.returncode == 1
    assert {level for level, *_ in annotations(proc.stdout)} == {"error"}


def test_on_a_push_every_rule_is_checked(pull_request):
    checkout, env = pull_request
    proc = action(checkout, env)              # no GITHUB_BASE_REF: not a pull request
    assert proc.returncode == 1
    assert "4 files checked" in proc.stderr
    assert "rules/windows/execution_d.toml" in {path for _, path, _, _ in annotations(proc.stdout)}


def test_with_the_whole_history_the_branch_is_compared_with_where_it_left_the_base(upstream):
    """fetch-depth: 0 on the branch itself (not the merge): main's later change to d is not the
    pull request's, so d is neither checked nor annotated."""
    checkout = clone(upstream, "pr")
    proc = action(checkout, {**upstream[1], "GITHUB_BASE_REF": "main"})
    assert proc.returncode == 1
    assert "3 files checked" in proc.stderr and "fetching" not in proc.stderr
    assert {path for _, path, _, _ in annotations(proc.stdout)} == {
        f"rules/windows/execution_{x}.toml" for x in "abc"}


def test_a_missing_base_in_a_shallow_clone_says_what_to_fetch(pull_request):
    checkout, env = pull_request
    proc = action(checkout, env, changed_since="origin/main")      # given explicitly: nothing is fetched
    assert proc.returncode == 2
    assert "shallow clone" in proc.stderr and "fetch-depth: 0" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_action_yml_passes_every_input_the_script_reads():
    action_yml = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action_yml["runs"]["using"] == "composite"
    steps = action_yml["runs"]["steps"]
    runs = [s.get("run", "") for s in steps]
    assert '"$GITHUB_ACTION_PATH/scripts/action.sh" install' in runs
    assert '"$GITHUB_ACTION_PATH/scripts/action.sh" validate' in runs
    validate = next(s for s in steps if "validate" in s.get("run", ""))
    passed = set(validate["env"])
    read = set(re.findall(r"INPUT_[A-Z_]+", SCRIPT.read_text()))
    assert read == passed
    declared = {name.upper().replace("-", "_") for name in action_yml["inputs"]}
    assert {p.removeprefix("INPUT_") for p in passed} <= declared
    for name in passed:
        assert validate["env"][name] == "${{ inputs.%s }}" % name.removeprefix("INPUT_").lower().replace("_", "-")


def test_the_example_workflow_and_hooks_install_ruleport_not_the_rules_repository():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "validate-rules.yml").read_text())
    steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
    assert not any("pip install ." in s.get("run", "") for s in steps)
    action = next(s for s in steps if s.get("uses") == "./")       # this repository's own action.yml
    assert action["with"]["sarif-file"] == "ruleport.sarif"
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif"))
    assert upload["with"]["sarif_file"] == "ruleport.sarif" and "always()" in upload["if"]
    assert "uses: OWNER/ruleport@v0.1.0" in (ROOT / ".github" / "workflows" / "validate-rules.yml").read_text()
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hooks[0]["entry"] == "ruleport validate" and hooks[0]["language"] == "python"
    readme = (ROOT / "README.md").read_text()
    assert 'pip install "git+https://github.com/' in readme and "uses: " in readme


def test_install_step_installs_ruleport_from_the_actions_own_checkout(tmp_path):
    """`scripts/action.sh install` on a copy of the action (pip builds in the source folder), offline:
    the environment it installs into sees this test environment's packages (pip, setuptools, the
    dependencies) through a .pth file, so nothing is downloaded; ruleport itself is built from the
    copy, and the installed command validates the seed rule with the schema it ships."""
    source = tmp_path / "action"
    for part in ("converters", "schemas", "scripts"):
        shutil.copytree(ROOT / part, source / part, symlinks=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.class"))
    shutil.copy(ROOT / "pyproject.toml", source)
    shutil.copy(ROOT / "README.md", source)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    (site,) = venv.glob("lib/python*/site-packages")
    (site / "test-environment.pth").write_text(
        next(p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()) + "\n")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "GITHUB_ACTION_PATH": str(source),
           "RULEPORT_VENV": str(venv), "RULEPORT_PIP_ARGS": "--no-index --no-deps --no-build-isolation"}
    proc = subprocess.run([str(SCRIPT), "install"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ruleport 0.1.0"
    (schema,) = site.glob("converters/data/elastic-rule.schema.json")
    assert not schema.is_symlink() and json.loads(schema.read_text())["type"] == "object"
    check = subprocess.run([str(venv / "bin" / "ruleport"), "validate", str(SEED_RULE), "--format", "json"],
                           capture_output=True, text=True, env=env, cwd=tmp_path)
    assert check.returncode == 0, check.stderr
    assert json.loads(check.stdout) == {"files": 1, "findings": []}
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import converters; print(converters.__file__)"],
                           capture_output=True, text=True, env=env, cwd=tmp_path).stdout
    assert where.startswith(str(site))         # the installed copy ran, not this checkout
