"""`--changed-since REF`: the rule files added or modified since a git ref.

`git diff --name-status -M REF` compares the ref with the working tree, so
committed, staged and unstaged edits all count; renames are followed (the
new name is linted), deletions are ignored. Untracked files are new files
too (`git ls-files --others --exclude-standard`).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from converters.errors import UsageError


def _git(cwd: Path, *args: str) -> str:
    try:
        proc = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise UsageError("--changed-since needs git, which is not installed") from None
    if proc.returncode != 0:
        detail = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"
        raise UsageError(f"git {' '.join(args[:2])} failed: {detail}")
    return proc.stdout


def changed_files(ref: str, near: str) -> set[Path]:
    """Absolute paths of files added, modified or renamed since `ref`, in the repository holding `near`."""
    start = Path(near).resolve()
    folder = start if start.is_dir() else start.parent
    try:
        top = Path(_git(folder, "rev-parse", "--show-toplevel").strip())
    except UsageError:
        raise UsageError(f"--changed-since needs a git repository, and {near} is not in one") from None
    try:
        _git(top, "rev-parse", "--verify", "--quiet", ref + "^{commit}")
    except UsageError:
        raise UsageError(_missing_ref(top, ref)) from None
    out: set[Path] = set()
    diff = _git(top, "diff", "--name-status", "-M", "--no-color", ref, "--")
    for line in diff.splitlines():
        parts = line.split("\t")
        status = parts[0][:1]
        if status == "D" or len(parts) < 2:
            continue
        out.add((top / parts[-1]).resolve())   # for renames (R) the last name is the new one
    for name in _git(top, "ls-files", "--others", "--exclude-standard").splitlines():
        out.add((top / name).resolve())
    return out


def _missing_ref(top: Path, ref: str) -> str:
    """Why `ref` is not there, and what to fetch. A CI checkout is shallow by default (one commit,
    no other branch): the base of a pull request is then simply absent."""
    message = f"--changed-since: {ref!r} is not a commit in the git repository {top}"
    remote, _, branch = ref.partition("/")
    fetch = f"git fetch origin {branch}" if branch and remote == "origin" else "git fetch origin"
    try:
        shallow = _git(top, "rev-parse", "--is-shallow-repository").strip() == "true"
    except UsageError:
        shallow = False
    if shallow:
        return (f"{message}: this is a shallow clone. Fetch the history: with actions/checkout set "
                f"`fetch-depth: 0`, or run `git fetch --unshallow origin` (or `{fetch}`)")
    if "/" in ref:
        return f"{message}: fetch it first (`{fetch}`; with actions/checkout set `fetch-depth: 0`)"
    return message
