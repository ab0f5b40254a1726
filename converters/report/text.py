"""Plain text: one finding a line, `path:line: severity: message [code]`, its hint below."""

from __future__ import annotations


def render_text(findings: list, hints: bool = True) -> str:
    lines = []
    for f in findings:
        where = f.path + (f":{f.line}" if f.line else "")
        lines.append(f"{where}: {f.severity}: {f.message} [{f.code}]")
        if hints and f.hint:
            lines.append(f"    hint: {f.hint}")
    return "\n".join(lines) + ("\n" if lines else "")
