"""Turning checks off, always with a reason.

For one rule, a comment anywhere in its TOML file:

    # ruleport: disable=tags/os-query,ecs/unknown-field -- the query reads Defend's own fields

For a repository, pyproject.toml:

    [tool.ruleport]
    license = "Elastic License v2"        # the exact license string rules carry

    [[tool.ruleport.disable]]
    code = "meta/filename-tactic"         # a code, or a group: "attack/*"
    reason = "our files are named by data source"
    paths = ["rules/integrations/*"]      # optional: fnmatch patterns on the path, as shown or
                                          # relative to this pyproject.toml's folder

    # what `ruleport validate` reports and fails on (the command line overrides them)
    min-severity = "warning"              # info | warning | error
    fail-on = "error"                     # info | warning | error
    # where the repository's rules are, for the cross-file checks (relative to this file's folder;
    # default: rules/ and rules_building_block/ of the git top level, else all of it)
    rule-dirs = ["rules"]

A suppression without a reason suppresses nothing and is itself an error.
An unknown key is a warning, with the nearest known key suggested.
"""

from __future__ import annotations

import fnmatch
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from converters.errors import SEVERITY_RANK, did_you_mean
from converters.lint.codes import CODES, finding

_COMMENT = re.compile(r"^\s*#\s*ruleport:\s*disable\s*=\s*([^\s#]+)\s*(?:--\s*(.*?))?\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Suppression:
    code: str               # a code, or "group/*"
    reason: str
    paths: tuple = ()       # empty: every path
    root: str | None = None  # the configuration's folder: `paths` also match relative to it

    def matches(self, code: str, path: str) -> bool:
        if not fnmatch.fnmatchcase(code, self.code):
            return False
        if not self.paths:
            return True
        candidates = [path]
        if self.root:
            candidates.append(os.path.relpath(os.path.abspath(path), self.root).replace(os.sep, "/"))
        return any(fnmatch.fnmatchcase(c, p) for c in candidates for p in self.paths)


@dataclass
class Config:
    license: str = "Elastic License v2"
    suppressions: list = field(default_factory=list)
    findings: list = field(default_factory=list)   # problems in the configuration itself
    source: str | None = None
    min_severity: str | None = None     # None: the command's default
    fail_on: str | None = None
    rule_dirs: tuple = ()               # absolute folders; empty: the default (see lint.runner)

# [tool.ruleport] keys, for the did-you-mean of an unknown one
KEYS = ("license", "disable", "min-severity", "fail-on", "rule-dirs")


def _code_known(code: str) -> bool:
    if code.endswith("/*"):
        return any(c.startswith(code[:-1]) for c in CODES)
    return code in CODES


def load_config(path: str | Path | None = None, start: str | Path = ".") -> Config:
    """Read [tool.ruleport] from `path`, else from the nearest pyproject.toml above `start`."""
    if path is None:
        here = Path(start).resolve()
        for folder in (here, *here.parents):
            candidate = folder / "pyproject.toml"
            if candidate.is_file():
                path = candidate
                break
        else:
            return Config()
    path = Path(path)
    shown = str(path)
    cfg = Config(source=shown)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        cfg.findings.append(finding(shown, None, "config/invalid", f"cannot read configuration: {exc}"))
        return cfg
    tool = data.get("tool", {}).get("ruleport", {})
    if not isinstance(tool, dict):
        cfg.findings.append(finding(shown, None, "config/invalid", "[tool.ruleport] must be a table"))
        return cfg
    if isinstance(tool.get("license"), str):
        cfg.license = tool["license"]
    for key in tool:
        if key not in KEYS:
            cfg.findings.append(finding(shown, None, "config/unknown-key",
                                        f"[tool.ruleport]: unknown key {key!r}{did_you_mean(key, KEYS)}"))
    for key, attr in (("min-severity", "min_severity"), ("fail-on", "fail_on")):
        value = tool.get(key)
        if value is None:
            continue
        if value in SEVERITY_RANK:
            setattr(cfg, attr, value)
        else:
            cfg.findings.append(finding(shown, None, "config/invalid",
                                        f"tool.ruleport.{key} is {value!r}; use one of "
                                        f"{', '.join(SEVERITY_RANK)}{did_you_mean(str(value), SEVERITY_RANK)}"))
    folder = Path(os.path.abspath(path)).parent
    dirs = tool.get("rule-dirs", [])
    if isinstance(dirs, list) and all(isinstance(d, str) for d in dirs):
        cfg.rule_dirs = tuple(str(folder / d) for d in dirs)
    else:
        cfg.findings.append(finding(shown, None, "config/invalid", "tool.ruleport.rule-dirs must be an array of "
                                                                   "folder names"))
    entries = tool.get("disable", [])
    if not isinstance(entries, list):
        cfg.findings.append(finding(shown, None, "config/invalid", "tool.ruleport.disable must be an array of tables"))
        return cfg
    for n, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or not isinstance(entry.get("code"), str):
            cfg.findings.append(finding(shown, None, "config/invalid",
                                        f"tool.ruleport.disable entry {n} needs a code"))
            continue
        code, reason = entry["code"], entry.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            cfg.findings.append(finding(shown, None, "config/no-reason",
                                        f"tool.ruleport.disable entry {n} ({code}) has no reason; it is ignored"))
            continue
        if not _code_known(code):
            cfg.findings.append(finding(shown, None, "config/unknown-code",
                                        f"tool.ruleport.disable entry {n} names unknown code {code!r}"
                                        f"{did_you_mean(code, CODES)}"))
        paths = entry.get("paths", [])
        paths = tuple(p for p in paths if isinstance(p, str)) if isinstance(paths, list) else ()
        cfg.suppressions.append(Suppression(code, reason.strip(), paths, str(folder)))
    return cfg


def rule_suppressions(path: str, text: str) -> tuple[list, list]:
    """Suppressions written in a rule file, and findings for malformed ones."""
    if "ruleport:" not in text:
        return [], []
    sups, problems = [], []
    for m in _COMMENT.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        codes = [c for c in m.group(1).split(",") if c]
        reason = (m.group(2) or "").strip()
        if not reason:
            problems.append(finding(path, line, "config/no-reason",
                                    f"suppression of {', '.join(codes)} has no reason ('-- why'); it is ignored"))
            continue
        for code in codes:
            if not _code_known(code):
                problems.append(finding(path, line, "config/unknown-code",
                                        f"suppression names unknown code {code!r}{did_you_mean(code, CODES)}"))
            sups.append(Suppression(code, reason))
    return sups, problems


def apply(findings: list, suppressions: list) -> list:
    """Findings that no suppression covers. Configuration findings are never suppressed."""
    if not suppressions:
        return findings
    return [f for f in findings
            if f.code.startswith("config/") or not any(s.matches(f.code, f.path) for s in suppressions)]
