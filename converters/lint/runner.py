"""Run every check over rule files: one file at a time, then across the repository.

Per file: load (TOML), schema, then (except for rules/_deprecated, which get
the schema only) the registered checks (converters.lint.checks). A file that fails to
load gets that one finding; the others go on. Across files: duplicate
rule_id, name and file name, sought among every rule of the repository
(`repository_files`), not only the files named: pre-commit and
`--changed-since` name a few files, and a duplicate of a rule nobody named is
still a duplicate. Rules that are not linted are read cheaply (their
rule_id and name lines, without a TOML parse) and only the linted files get
the findings. Files are spread over worker processes (fork) when there are
many: tomllib and the EQL parser are CPU-bound.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from converters.batch import run_batch
from converters.errors import RuleLoadError
from converters.files import repository_root
from converters.lint.codes import finding
from converters.lint.config import Config, apply, rule_suppressions
from converters.load import iter_rule_paths, load_rule

_ASSIGN = re.compile(r'^(rule_id|name)\s*=\s*"((?:[^"\\]|\\.)*)"\s*$')

# Below this many files a worker pool costs more than it saves.
PARALLEL_THRESHOLD = 64


@dataclass
class Options:
    config: Config = field(default_factory=Config)
    jobs: int = 0           # 0: as many as CPUs (at most 2 used well on the reference machine)
    fast_schema: bool = True


@dataclass
class FileResult:
    path: str
    findings: list
    rule_id: str | None = None
    name: str | None = None
    id_line: int | None = None
    name_line: int | None = None
    deprecated: bool = False
    suppressions: list = field(default_factory=list)
    file: str | None = None          # where to read the lines from, when needed

    def line(self, key: str) -> int | None:
        cached = self.id_line if key == "rule_id" else self.name_line
        if cached is not None or self.file is None:
            return cached
        try:
            return load_rule(self.file, self.path).line_of(("rule", key))
        except RuleLoadError:
            return None


def is_deprecated_path(path: str) -> bool:
    return "_deprecated" in Path(path).parts


def lint_file(file: str, display: str, options: Options) -> FileResult:
    from converters.lint.schema import schema_findings  # noqa: PLC0415

    try:
        rf = load_rule(file, display)
    except RuleLoadError as exc:
        return FileResult(display, apply([finding(display, exc.line, exc.code, exc.message)],
                                         options.config.suppressions))
    sups, problems = rule_suppressions(display, rf.text)
    sups += options.config.suppressions
    out = list(problems)
    out += schema_findings(rf, fast=options.fast_schema)
    deprecated = is_deprecated_path(display)
    if not deprecated:
        from converters.lint.checks import run_checks  # noqa: PLC0415

        out += run_checks(rf, options.config.license)
    rule = rf.rule
    rid, name = rule.get("rule_id"), rule.get("name")
    # the lines of rule_id and name are looked up only if they turn out duplicated (rare)
    return FileResult(display, apply(out, sups),
                      rule_id=rid if isinstance(rid, str) else None,
                      name=name if isinstance(name, str) else None,
                      deprecated=deprecated, suppressions=sups, file=file)


def _quick_identity(path: str, text: str) -> FileResult:
    """rule_id and name of a rule that is not linted, read from its text (no TOML parse):
    enough for the duplicate checks of --changed-since."""
    rid = name = None
    id_line = name_line = None
    in_rule = in_string = False
    for n, line in enumerate(text.split("\n"), 1):
        stripped = line.strip()
        if (line.count("'''") + line.count('"""')) % 2:
            in_string = not in_string      # a multi-line string opens or closes here
            continue
        if in_string:
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            in_rule = stripped == "[rule]"
            continue
        if in_rule:
            m = _ASSIGN.match(stripped)
            if m and m.group(1) == "rule_id" and rid is None:
                rid, id_line = _unescape(m.group(2)), n
            elif m and m.group(1) == "name" and name is None:
                name, name_line = _unescape(m.group(2)), n
    return FileResult(path, [], rule_id=rid, name=name, id_line=id_line, name_line=name_line,
                      deprecated=is_deprecated_path(path))


def _unescape(value: str) -> str:
    """A TOML basic string's escapes (JSON's, for the common ones)."""
    if "\\" not in value:
        return value
    try:
        return json.loads('"' + value + '"')
    except ValueError:
        return value


def lint_changed(files: list[tuple[str, str]], changed: set, options: Options | None = None,
                 repository: list[tuple[str, str]] = ()) -> tuple[list, int]:
    """Lint only files in `changed` (absolute paths); duplicates are still sought among all files
    (and the repository's), but reported only on changed ones. Returns (findings, files linted)."""
    picked = [(f, d) for f, d in files if Path(f).resolve() in changed]
    return lint_scope(picked, options, others=list(files) + list(repository))


def lint_scope(files: list[tuple[str, str]], options: Options | None = None,
               others: list[tuple[str, str]] = ()) -> tuple[list, int]:
    """Lint `files`; the cross-file checks also compare them with `others` (read cheaply, never
    reported on). Returns (findings sorted by path and line, number of files linted)."""
    options = options or Options()
    results = _run(files, options)
    shown = {r.path for r in results}
    seen = {os.path.abspath(f) for f, _ in files}
    real: set | None = None            # the same files by real path, built only if needed
    quick = []
    for f, d in others:
        key = os.path.abspath(f)
        if key in seen:
            continue
        seen.add(key)
        if real is None:
            real = {os.path.realpath(f) for f, _ in files}
        if os.path.realpath(f) in real:    # one file reached through a symbolic link
            continue
        try:
            quick.append(_quick_identity(d, Path(f).read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError):
            continue
    findings = list(options.config.findings)
    for r in results:
        findings.extend(r.findings)
    findings.extend(f for f in _duplicates(results + quick) if f.path in shown)
    findings.sort(key=lambda f: f.sort_key())
    return findings, len(files)


def _duplicates(results: list) -> list:
    out = []
    checks = (("rule_id", "repo/duplicate-rule-id", lambda r: r.rule_id),
              ("name", "repo/duplicate-name", lambda r: r.name),
              ("file name", "repo/duplicate-file-name", lambda r: os.path.basename(r.path)))
    for attr, code, value_of in checks:
        owners: dict[str, list] = {}
        for r in results:
            value = value_of(r)
            # a file that is not a rule (no rule_id: a pyproject.toml, a hunting query) has no file name to clash
            if value is not None and not r.deprecated and (attr != "file name" or r.rule_id is not None):
                owners.setdefault(value, []).append(r)
        for value, rs in owners.items():
            if len(rs) < 2:
                continue
            for r in rs:
                others = ", ".join(o.path for o in rs if o is not r)
                line = r.line(attr) if attr != "file name" else None
                f = finding(r.path, line, code, f"{attr} {value!r} is also used by {others}")
                out.extend(apply([f], r.suppressions))
    return out


# Folders of a repository that never hold rules: skipped when the whole repository is searched.
_NOT_RULES = frozenset({"node_modules", "__pycache__", "venv", "site-packages"})
# Where Elastic's layout keeps rules; searched alone when present.
DEFAULT_RULE_DIRS = ("rules", "rules_building_block")


def repository_files(root: str | os.PathLike | None, rule_dirs: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(file, display path) of every *.toml that may be a rule in a repository: below `rule_dirs`
    (absolute, or relative to `root`) when given, else below the root's rules/ and
    rules_building_block/ when either exists, else anywhere below root except hidden folders,
    node_modules and virtual environments. Display paths are relative to the working directory
    when below it."""
    if rule_dirs:
        dirs = [os.path.join(root or "", d) for d in rule_dirs]
    elif root is None:
        return []
    else:
        root = os.path.abspath(root)
        dirs = [os.path.join(root, d) for d in DEFAULT_RULE_DIRS if os.path.isdir(os.path.join(root, d))] or [root]
    cwd = os.getcwd().rstrip(os.sep) + os.sep
    out = []
    for top in dirs:
        for folder, subdirs, names in os.walk(top):
            subdirs[:] = [d for d in subdirs if not d.startswith(".") and d not in _NOT_RULES
                          and not os.path.exists(os.path.join(folder, d, "pyvenv.cfg"))]
            for name in names:
                if name.endswith(".toml"):
                    full = os.path.join(folder, name)
                    out.append((full, full[len(cwd):] if full.startswith(cwd) else full))
    return out


def _warm(options: Options) -> None:
    """Build shared state once in the parent so forked workers inherit it."""
    from converters.lint.attack import attack_table  # noqa: PLC0415
    from converters.lint.ecs import ecs_table  # noqa: PLC0415
    from converters.lint.schema import fast_validator  # noqa: PLC0415

    if options.fast_schema:
        fast_validator()
    attack_table()
    ecs_table()
    from converters.eql import warm  # noqa: PLC0415

    warm()


def _work(item):
    file, display, options = item
    try:
        return lint_file(file, display, options)
    except Exception as exc:  # whatever happens to one file, the others are checked
        return FileResult(display, [finding(display, None, "ruleport/internal",
                                            f"internal error while checking this file ({type(exc).__name__}: {exc})")])


def collect_files(paths: list[str]) -> list[tuple[str, str]]:
    """(file, display path) for every rule under the PATH arguments, each file once."""
    files, seen = [], set()
    several = len(paths) > 1    # only then can a file be reached twice (realpath costs syscalls)
    for arg in paths:
        for f, shown in iter_rule_paths(arg):
            key = os.path.realpath(f) if several else shown
            if key not in seen:
                seen.add(key)
                files.append((str(f), shown))
    return files


def _run(files: list[tuple[str, str]], options: Options) -> list:
    jobs = options.jobs or os.cpu_count() or 1
    return run_batch(_work, [(f, d, options) for f, d in files], jobs, min_parallel=PARALLEL_THRESHOLD,
                     chunksize=16, warm=lambda: _warm(options))


def repository_rules(near: str, config: Config) -> list[tuple[str, str]]:
    """The rule files the cross-file checks compare with: below the configuration's rule-dirs when
    it names some, else in the git repository holding `near` (see repository_files); none outside
    a repository (no folder is guessed there)."""
    if config.rule_dirs:
        existing = tuple(d for d in config.rule_dirs if os.path.isdir(d))
        return repository_files(None, existing) if existing else []
    start = os.path.abspath(near)
    root = repository_root(start if os.path.isdir(start) else os.path.dirname(start))
    return repository_files(root) if root else []


def lint_files(files: list[tuple[str, str]], options: Options | None = None,
               repository: list[tuple[str, str]] = ()) -> list:
    """Findings for the given (file, display path) pairs, sorted by path and line; the cross-file
    checks also compare them with the `repository`'s other rules."""
    return lint_scope(files, options, others=repository)[0]
