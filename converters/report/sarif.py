"""SARIF 2.1.0 for code scanning (GitHub and others).

One run, tool `ruleport`; each finding code is a reporting descriptor
(rule) and each finding a result at its file and line. Paths are written
relative to the repository's top level, whatever the argument was
(converters.report.paths), as URIs against %SRCROOT%, so that code scanning
places them in the repository; a file outside any repository and outside
the working directory is a file: URI.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from converters import __version__
from converters.report.github import message_of
from converters.report.paths import common_root, repository_path

_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"


def _location(path: str, line: int | None) -> dict:
    posix = repository_path(path)
    if PurePosixPath(posix).is_absolute():
        artifact = {"uri": Path(posix).as_uri()}
    else:
        artifact = {"uri": quote(posix), "uriBaseId": "%SRCROOT%"}
    physical = {"artifactLocation": artifact}
    if line:
        physical["region"] = {"startLine": line}
    return {"physicalLocation": physical}


def _base(findings: list, root: str | None) -> dict:
    root = root or common_root(f.path for f in findings)
    if root is None:      # paths outside a repository are relative to the working directory
        return {"uri": Path.cwd().as_uri().rstrip("/") + "/", "description": {"text": "the directory ruleport ran in"}}
    return {"uri": Path(root).as_uri().rstrip("/") + "/", "description": {"text": "the repository's top level"}}


def render_sarif(findings: list, rules: dict | None = None, root: str | None = None) -> str:
    """`root`: the repository's top level (%SRCROOT%), when known even without findings."""
    rules = rules or {}
    codes = sorted({f.code for f in findings})
    index = {code: i for i, code in enumerate(codes)}
    descriptors = []
    for code in codes:
        sample = next(f for f in findings if f.code == code)
        title, hint = rules.get(code, (code, sample.hint))
        d = {
            "id": code,
            "name": code.replace("/", "-"),
            "shortDescription": {"text": title},
            "defaultConfiguration": {"level": _LEVEL.get(sample.severity, "warning")},
        }
        if hint:
            d["help"] = {"text": hint}
        descriptors.append(d)
    results = []
    for f in findings:
        result = {
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": _LEVEL.get(f.severity, "warning"),
            "message": {"text": message_of(f)},
            "locations": [_location(f.path, f.line)],
        }
        results.append(result)
    log = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "ruleport", "version": __version__, "rules": descriptors}},
            "originalUriBaseIds": {"%SRCROOT%": _base(findings, root)},
            "results": results,
            "columnKind": "unicodeCodePoints",
        }],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
