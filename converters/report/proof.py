"""The report of `ruleport prove`: a text summary, and a self-contained HTML page.

The HTML page has no script and loads nothing (no network): a summary per
target, then one row per rule with one cell per target, coloured by status;
a cell's title gives the code and the lines, and rules with differences or
errors list them below.
"""

from __future__ import annotations

from html import escape

from converters.emit.targets import TARGETS

STATUSES = ("agree", "accepted", "differs", "refused", "skipped", "error")
_COLOURS = {"agree": "#cfe8cf", "accepted": "#e4efc4", "differs": "#f4b6b6", "refused": "#dcdcdc",
            "skipped": "#f2f2f2", "error": "#f7d08a"}


def render_summary(report: dict) -> str:
    """One line per target: counts per status; then the rules that differ or err."""
    summary = report["summary"]
    width = max((len(t) for t in summary), default=6)
    out = [f"{'target':<{width}}  " + "  ".join(f"{s:>8}" for s in STATUSES)]
    for target, counts in summary.items():
        out.append(f"{target:<{width}}  " + "  ".join(f"{counts[s]:>8}" for s in STATUSES))
    problems = []
    for rule in report["rules"]:
        for target, result in rule["targets"].items():
            if result["status"] == "differs":
                problems.append(f"{rule['path']}: {target}: differs on event line(s) "
                                f"{', '.join(map(str, result['lines']))}")
            elif result["status"] == "error":
                why = result.get("message") or result.get("code") or ""
                problems.append(f"{rule['path']}: {target}: error: {' '.join(str(why).split())[:200]}")
    if problems:
        out += ["", "not proven:"] + [f"  {p}" for p in problems]
    return "\n".join(out) + "\n"


def render_markdown(report: dict, title: str = "Corpus proof") -> str:
    """A summary to commit beside the docs: statuses per target, then why targets refuse or skip,
    by code, and the rules that differ or err."""
    summary = report["summary"]
    out = [f"# {title}", "", f"{len(report['rules'])} rules; one status per rule and target "
           "(docs/proving.md says what each means).", "",
           "| target | " + " | ".join(STATUSES) + " |", "|---|" + "---:|" * len(STATUSES)]
    for target, counts in summary.items():
        out.append(f"| {target} | " + " | ".join(str(counts[s]) for s in STATUSES) + " |")
    for status in ("refused", "skipped"):
        codes: dict[str, dict[str, int]] = {}
        for rule in report["rules"]:
            for target, result in rule["targets"].items():
                if result["status"] == status:
                    per = codes.setdefault(result.get("code") or "(none)", {})
                    per[target] = per.get(target, 0) + 1
        if codes:
            out += ["", f"## {status.capitalize()}, by code", "", "| code | " + " | ".join(summary) + " |",
                    "|---|" + "---:|" * len(summary)]
            for code, per in sorted(codes.items(), key=lambda kv: -sum(kv[1].values())):
                out.append(f"| `{code}` | " + " | ".join(str(per.get(t, 0)) for t in summary) + " |")
    problems = [(rule["path"], target, result) for rule in report["rules"]
                for target, result in rule["targets"].items() if result["status"] in ("differs", "error")]
    out += ["", "## Differences and errors", ""]
    if not problems:
        out.append("None.")
    for path, target, result in problems:
        detail = ", ".join(map(str, result["lines"])) if result["status"] == "differs" else \
            " ".join(str(result.get("message") or result.get("code") or "").split())[:160]
        out.append(f"- `{path}` {target}: {result['status']} {detail}")
    return "\n".join(out) + "\n"


def _heading(target: str) -> str:
    return TARGETS[target].heading if target in TARGETS else target


def render_html(report: dict, title: str = "ruleport prove") -> str:
    summary = report["summary"]
    targets = list(summary)
    css = ("body{font:13px system-ui,sans-serif;margin:1.5em}table{border-collapse:collapse}"
           "td,th{border:1px solid #bbb;padding:2px 6px}th{background:#eee}td.r{text-align:right}"
           "td.c{text-align:center;font-size:11px}.path{font-family:monospace}"
           + "".join(f".s-{s}{{background:{c}}}" for s, c in _COLOURS.items()))
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{escape(title)}</title><style>{css}</style></head><body>",
           f"<h1>{escape(title)}</h1>", f"<p>{len(report['rules'])} rules, {len(targets)} targets.</p>",
           "<h2>Summary</h2>", "<table><tr><th>target</th>"
           + "".join(f'<th class="s-{s}">{s}</th>' for s in STATUSES) + "</tr>"]
    for target, counts in summary.items():
        out.append(f"<tr><td>{escape(target)}</td>"
                   + "".join(f'<td class="r">{counts[s]}</td>' for s in STATUSES) + "</tr>")
    out += ["</table>", "<h2>Rules</h2>",
            "<table><tr><th>rule</th><th>events</th>"
            + "".join(f'<th title="{escape(t)}">{escape(_heading(t))}</th>' for t in targets) + "</tr>"]
    details = []
    for rule in report["rules"]:
        cells = []
        for t in targets:
            r = rule["targets"].get(t, {"status": "skipped", "code": None, "lines": []})
            tip = " ".join(x for x in (r.get("code") or "", "lines " + ",".join(map(str, r["lines"]))
                                       if r["lines"] else "", r.get("message") or "") if x)
            cells.append(f'<td class="c s-{r["status"]}" title="{escape(tip)}">{r["status"]}</td>')
        out.append(f'<tr><td class="path">{escape(rule["path"])}</td><td class="r">{rule.get("events", 0)}</td>'
                   + "".join(cells) + "</tr>")
        bad = [(t, r) for t, r in rule["targets"].items() if r["status"] in ("differs", "error")]
        notes = rule.get("warnings", []) + [f"line {x['line'] + 1} rejected: {x['field']}: {x['reason']}"
                                             for x in rule.get("rejected", [])]
        if bad or notes:
            items = "".join(f"<li>{escape(t)}: {r['status']} {escape(r.get('code') or '')} "
                            f"{escape(', '.join(map(str, r['lines'])))} {escape(r.get('message') or '')}</li>"
                            for t, r in bad)
            items += "".join(f"<li>{escape(n)}</li>" for n in notes)
            details.append(f'<li><span class="path">{escape(rule["path"])}</span><ul>{items}</ul></li>')
    out.append("</table>")
    if details:
        out += ["<h2>Differences, errors and warnings</h2>", "<ul>"] + details + ["</ul>"]
    out.append("</body></html>")
    return "\n".join(out) + "\n"
