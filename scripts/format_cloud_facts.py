"""Rewrite converters/data/cloud/*.json in the layout they are kept in: one line per
field, column and array path, so that a review reads one fact per line.

    python scripts/format_cloud_facts.py [FILE...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "converters" / "data" / "cloud"


def _line(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _block(name: str, mapping: dict, indent: str) -> list[str]:
    lines = [f"{indent}{_line(name)}: {{"]
    items = list(mapping.items())
    for i, (k, v) in enumerate(items):
        lines.append(f"{indent} {_line(k)}: {_line(v)}{',' if i < len(items) - 1 else ''}")
    lines.append(f"{indent}}}")
    return lines


def render(doc: dict) -> str:
    out = ["{"]
    keys = list(doc)
    for n, key in enumerate(keys):
        value = doc[key]
        comma = "," if n < len(keys) - 1 else ""
        if key in ("fields", "constants", "refusals") and isinstance(value, dict):
            block = _block(key, value, " ")
        elif key == "arrays":
            block = [' "arrays": [', *[f"  {_line(v)}{',' if i < len(value) - 1 else ''}"
                                         for i, v in enumerate(value)], " ]"]
        elif key == "platforms":
            block = [' "platforms": {']
            plats = list(value.items())
            for i, (pk, p) in enumerate(plats):
                block.append(f"  {_line(pk)}: {{")
                pkeys = list(p)
                for j, k in enumerate(pkeys):
                    end = "," if j < len(pkeys) - 1 else ""
                    if k in ("columns", "other_columns"):
                        sub = _block(k, p[k], "   ")
                        sub[-1] += end
                        block += sub
                    else:
                        block.append(f"   {_line(k)}: {_line(p[k])}{end}")
                block.append(f"  }}{',' if i < len(plats) - 1 else ''}")
            block.append(" }")
        else:
            block = [f" {_line(key)}: {_line(value)}"]
        block[-1] += comma
        out += block
    out.append("}")
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    files = [Path(a) for a in argv] or sorted(DATA.glob("*.json"))
    for path in files:
        doc = json.loads(path.read_text(encoding="utf-8"))
        text = render(doc)
        assert json.loads(text) == doc, path
        path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
