"""Plain text: one finding a line, `path:line: severity: message [code]`, its hint below.

A position inside a multi-line value stands beside the file line:
`rules/x.toml:80 [query line 2, column 5]: error: ...` (converters.errors.location).
"""

from __future__ import annotations


def render_text(findings: list, hints: bool = True) -> str:
    lines = []
    for f in findings:
        lines.append(f"{f.where}: {f.severity}: {f.message} [{f.code}]")
        if hints and f.hint:
            lines.append(f"    hint: {f.hint}")
    return "\n".join(lines) + ("\n" if lines else "")
