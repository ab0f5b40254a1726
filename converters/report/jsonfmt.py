"""JSON: {"files": N, "findings": [{path, line, severity, code, message, hint?}]}."""

from __future__ import annotations

import json


def render_json(findings: list, *, files: int) -> str:
    doc = {"files": files, "findings": [f.as_dict() for f in findings]}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
