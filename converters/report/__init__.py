"""Findings as text, JSON, SARIF 2.1.0 or GitHub workflow annotations.

Every formatter takes a list of converters.errors.Finding (any stage's) and
returns the whole output as one string; the CLI decides where it goes.
"""

from __future__ import annotations

FORMATS = ("text", "json", "sarif", "github")


def render(fmt: str, findings: list, *, files: int, rules: dict | None = None, root: str | None = None) -> str:
    """`rules`: code -> (title, hint), for SARIF's rule descriptions (optional); `root`: the
    repository's top level, SARIF's %SRCROOT% (found from the findings' paths when not given)."""
    if fmt == "text":
        from converters.report.text import render_text

        return render_text(findings)
    if fmt == "json":
        from converters.report.jsonfmt import render_json

        return render_json(findings, files=files)
    if fmt == "sarif":
        from converters.report.sarif import render_sarif

        return render_sarif(findings, rules=rules or {}, root=root)
    if fmt == "github":
        from converters.report.github import render_github

        return render_github(findings)
    raise ValueError(f"unknown format {fmt!r}")


def at_least(findings: list, severity: str) -> list:
    """The findings of `severity` or above (info < warning < error)."""
    from converters.errors import SEVERITY_RANK

    floor = SEVERITY_RANK[severity]
    return [f for f in findings if SEVERITY_RANK.get(f.severity, 2) >= floor]


def summary(findings: list, files: int, min_severity: str = "info") -> str:
    """`N files checked: E error(s), W warning(s), I info`, counting every finding, and how many
    of them --min-severity kept out of the report."""
    counts = {"error": 0, "warning": 0, "info": 0}
    for f in findings:
        counts[f.severity] = counts.get(f.severity, 0) + 1
    noun = "file" if files == 1 else "files"
    line = (f"{files} {noun} checked: {counts['error']} error(s), {counts['warning']} warning(s), "
            f"{counts['info']} info")
    hidden = len(findings) - len(at_least(findings, min_severity))
    if hidden:
        line += f" ({hidden} below {min_severity} not shown)"
    return line
