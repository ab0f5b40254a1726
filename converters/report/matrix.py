"""The proof matrix of `ruleport test` as text: one row per event line, one column per target."""

from __future__ import annotations

from converters.emit.targets import TARGETS


def _heading(name: str) -> str:
    """A column's short heading: the target record's, "orig" for the original rule."""
    if name == "original":
        return "orig"
    target = TARGETS.get(name)
    return target.heading if target else name


def _cell(column: dict, line: int) -> str:
    if "skipped" in column:
        return "-"
    if column["matched"] is None:
        return "E"
    mark = "M" if line in column["matched"] else "."
    for d in column.get("differs", ()):
        if d["line"] == line:
            return mark + ("~" if d["accepted"] is not None else "!")
    return mark


def _one_line(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _verdict(flag: bool) -> str:
    return "match" if flag else "no match"


def render_text(report: dict) -> str:
    """A readable matrix: one row per event line, one column per target, then what differs and why."""
    events_file = report.get("events_file", "events")
    columns = report["targets"]
    expect = report["expect"]
    why = expect["why"] if expect else {}
    rejected = report.get("rejected", [])
    head = f"events: {events_file} ({report['events']} events"
    head += f", {len({r['line'] for r in rejected})} rejected)" if rejected else ")"
    out = [f"rule:   {report['rule']}", head, ""]
    for r in rejected:
        out.append(f"{events_file}:{r['line'] + 1}: rejected, as Elasticsearch would: {r['field']}: {r['reason']}")
    for w in report.get("warnings", []):
        out.append(f"warning: {w}")
    if rejected or report.get("warnings"):
        out.append("")
    width = max(len(n) for n in columns)
    for name, col in columns.items():
        engine = col.get("engine") or "-"
        if "skipped" in col:
            state = f"skipped: {_one_line(col['skipped'])}"
        elif "error" in col:
            state = f"ERROR: {_one_line(col['error'])}"
        elif name == "original":
            state = f"{len(col['matched'])} matched"
        else:
            state = {True: "agrees", False: "DISAGREES", None: "not compared"}[col.get("agrees")]
            accepted = sum(1 for d in col["differs"] if d["accepted"] is not None)
            if accepted:
                state += f" ({accepted} accepted difference{'s' if accepted != 1 else ''})"
            if "emit_error" in col:
                state += f"; nothing emitted: {_one_line(col['emit_error'])}"
        out.append(f"  {_heading(name):>5} {name:<{width}}  {state}  [{engine}]")
    out.append("")
    heads = (["line", "exp"] if expect else ["line"]) + [_heading(n) for n in columns]
    widths = [max(len(h), 4) for h in heads]
    out.append("  ".join(h.rjust(w) for h, w in zip(heads, widths)))
    for line in report["event_lines"]:
        cells = [str(line + 1)]
        if expect:
            bad = any(d["line"] == line for d in expect["differs"])
            cells.append(("M" if line in expect["match"] else ".") + ("!" if bad else ""))
        cells += [_cell(c, line) for c in columns.values()]
        out.append("  ".join(c.rjust(w) for c, w in zip(cells, widths)))
    out.append("legend: M matched  . not matched  ! differs (not accepted)  ~ accepted difference  "
               "- skipped  E engine error; line = 1-based line of the events file")
    if report.get("correlation"):
        out += ["", f"alerts ({report['correlation']}; the events behind each, by line):"]
        for name, col in columns.items():
            if "alerts" in col:
                shown = "  ".join("[" + " ".join(str(n + 1) for n in g) + "]" for g in col["alerts"]) or "none"
                out.append(f"  {_heading(name):>5}  {shown}")
    problems, accepted, stale = [], [], []
    if expect:
        for d in expect["differs"]:
            problems.append(f"{events_file}:{d['line'] + 1}: original rule: expected {_verdict(d['expected'])}, "
                            f"got {_verdict(d['got'])}" + (f" ({d['why']})" if d.get("why") else ""))
        stale = [f"accept[{i}] was not applied: no such difference any more (remove it), or the conversion "
                 "declared no note for it" for i in expect.get("unused_accept", ())]
    for name, col in columns.items():
        for d in col.get("differs", ()):
            text = (f"{events_file}:{d['line'] + 1}: {name}: expected {_verdict(d['expected'])}, "
                    f"got {_verdict(d['got'])}")
            if d["accepted"] is not None:
                by = "by the expect file" if d["accepted"] == "expect" else f"by note {d['accepted']}"
                accepted.append(f"{text}; accepted {by}: {d['reason']}")
            else:
                reason = why.get(str(d["line"]))
                problems.append(text + (f" (rule: {reason})" if reason else ""))
    if problems:
        out += ["", "differences:"] + [f"  {p}" for p in problems]
    if accepted:
        out += ["", "accepted:"] + [f"  {a}" for a in accepted]
    if stale:
        out += ["", "stale accept entries in the expect file:"] + [f"  {a}" for a in stale]
    notes = [(name, n) for name, col in columns.items() for n in col.get("notes", ()) if n.get("target")]
    shared = {(n["code"], n["message"]) for col in columns.values() for n in col.get("notes", ())
              if not n.get("target")}
    if shared or notes:
        out += ["", "notes declared by the conversion:"]
        out += [f"  (all) {code}: {msg}" for code, msg in sorted(shared)]
        out += [f"  {name}: {n['code']}: {n['message']}" for name, n in notes]
    verdict = "every target agrees" if report["agree"] else "targets disagree"
    if expect:
        verdict += "; expect file holds" if expect["ok"] else "; expect file does NOT hold"
    if report["skipped"]:
        verdict += f"; skipped: {', '.join(report['skipped'])}"
    out += ["", verdict]
    return "\n".join(out) + "\n"
