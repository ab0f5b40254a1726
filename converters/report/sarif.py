"""SARIF 2.1.0 for code scanning (GitHub and others).

One run, tool `ruleport`; each finding code is a reporting descriptor
(rule) and each finding a result at its file and line. Paths are written as
relative URIs against %SRCROOT% (absolute paths as file: URIs), so that
code scanning places them in the repository.
"""

from __future__ import annotations

import json
import os
from pathlib import PurePath
from urllib.parse import quote

from converters import __version__

_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"


def _location(path: str, line: int | None) -> dict:
    posix = path.replace(os.sep, "/")
    if PurePath(path).is_absolute():
        artifact = {"uri": "file://" + quote(posix)}
    else:
        while posix.startswith("./"):
            posix = posix[2:]
        artifact = {"uri": quote(posix), "uriBaseId": "%SRCROOT%"}
    physical = {"artifactLocation": artifact}
    if line:
        physical["region"] = {"startLine": line}
    return {"physicalLocation": physical}


def render_sarif(findings: list, rules: dict | None = None) -> str:
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
            "message": {"text": f.message},
            "locations": [_location(f.path, f.line)],
        }
        results.append(result)
    log = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "ruleport", "version": __version__, "rules": descriptors}},
            "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "the directory ruleport ran in"}}},
            "results": results,
            "columnKind": "unicodeCodePoints",
        }],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
