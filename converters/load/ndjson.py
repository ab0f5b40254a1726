"""Kibana's rule export/import files (ndjson) read as rule objects.

`POST /api/detection_engine/rules/_import` takes one rule per line in the
rule API's shape: the keys a TOML rule keeps under `[rule]`. Each line is read
as a RuleFile whose `rule` table is that object (no `[metadata]`: Kibana has
none), so every stage that reads rules reads these too. The summary line
Kibana appends to its exports (`exported_count`, ...) is skipped.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from converters.errors import RuleLoadError
from converters.load.rules import RuleFile

_EXPORT_SUMMARY_KEYS = ("exported_count", "exported_rules_count")


def read_kibana_ndjson(path: str | os.PathLike, display_path: str | None = None) -> list[RuleFile]:
    """Every rule of a Kibana ndjson file; RuleLoadError names the file and line of a bad one."""
    shown = display_path or str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleLoadError(f"cannot read file: {exc}", path=shown, code="file/unreadable") from None
    rules = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RuleLoadError(f"not a JSON object: {exc.msg}", path=shown, line=number,
                                code="ndjson/syntax") from None
        if not isinstance(obj, dict):
            raise RuleLoadError("each line must be a JSON object", path=shown, line=number, code="ndjson/syntax")
        if any(k in obj for k in _EXPORT_SUMMARY_KEYS):
            continue
        rules.append(RuleFile(path=f"{shown}:{number}", text=line, data={"metadata": {}, "rule": obj},
                              _lines={("rule",): number}))
    return rules
