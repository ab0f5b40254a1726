"""Elastic's conventions beyond the schema: metadata, tags, file names.

Written down from detection-rules' practice (its own unit tests enforce
the same things in Elastic's repository):
  * severity follows risk_score: low <= 21, medium <= 47, high <= 73,
    critical >= 74;
  * every `Tactic: <name>` tag is backed by a [[rule.threat]] tactic (the
    reverse, a mapped tactic with no tag, is common in good rules and is
    not reported);
  * a rule tagged `Resources: Investigation Guide` has a note;
  * updated_date is not before creation_date;
  * license is exactly "Elastic License v2" (configurable per repository);
  * the file name starts with the rule's primary (first) tactic, e.g.
    execution_*.toml; machine-learning rules are exempt.
"""

from __future__ import annotations

import os

from converters.lint.attack import attack_table
from converters.lint.codes import finding
from converters.load import RuleFile

DEFAULT_LICENSE = "Elastic License v2"

# (band name, lowest risk_score, highest risk_score)
SEVERITY_BANDS = {"low": (0, 21), "medium": (22, 47), "high": (48, 73), "critical": (74, 100)}


def check_meta(rf: RuleFile, license_text: str = DEFAULT_LICENSE) -> list:
    out: list = []
    rule, meta = rf.rule, rf.metadata
    severity, score = rule.get("severity"), rule.get("risk_score")
    # a score outside 0-100 is the schema's finding already
    if isinstance(severity, str) and severity in SEVERITY_BANDS and isinstance(score, int) \
            and not isinstance(score, bool) and 0 <= score <= 100:
        low, high = SEVERITY_BANDS[severity]
        if not low <= score <= high:
            fitting = next((s for s, (lo, hi) in SEVERITY_BANDS.items() if lo <= score <= hi), None)
            out.append(finding(rf.path, rf.line_of(("rule", "risk_score")), "meta/severity-risk-score",
                               f"risk_score {score} is outside the {severity!r} band ({low}-{high})"
                               + (f"; it is a {fitting!r} score" if fitting else "")))
    lic = rule.get("license")
    if isinstance(lic, str) and lic != license_text:
        out.append(finding(rf.path, rf.line_of(("rule", "license")), "meta/license",
                           f"license is {lic!r}, expected {license_text!r}"))
    created, updated = meta.get("creation_date"), meta.get("updated_date")
    if isinstance(created, str) and isinstance(updated, str) and updated < created:
        out.append(finding(rf.path, rf.line_of(("metadata", "updated_date")), "meta/dates-order",
                           f"updated_date {updated} is before creation_date {created}"))
    tags = rule.get("tags") if isinstance(rule.get("tags"), list) else []
    tags = [t for t in tags if isinstance(t, str)]
    if "Resources: Investigation Guide" in tags:
        note = rule.get("note")
        if not isinstance(note, str) or not note.strip():
            out.append(finding(rf.path, tag_line(rf, "Resources: Investigation Guide"), "meta/investigation-guide",
                               "tagged 'Resources: Investigation Guide' but rule.note is missing or empty"))
    out += _tactic_tags(rf, tags)
    out += _file_name(rf)
    return out


def tag_line(rf: RuleFile, tag: str) -> int | None:
    """The line of one tag inside a (multi-line) tags array, else the line of `tags`."""
    start = rf.line_of(("rule", "tags"))
    if start is None:
        return None
    lines = rf.text.split("\n")
    quoted = ('"' + tag + '"', "'" + tag + "'")
    for n in range(start - 1, min(len(lines), start + 200)):
        if any(q in lines[n] for q in quoted):
            return n + 1
        if n > start - 1 and lines[n].lstrip().startswith("]"):
            break
    return start


def _mapped_tactics(rf: RuleFile) -> list:
    table = attack_table()
    found = []
    threats = rf.rule.get("threat")
    for threat in threats if isinstance(threats, list) else []:
        tactic = threat.get("tactic") if isinstance(threat, dict) else None
        if isinstance(tactic, dict):
            tid = tactic.get("id")
            known = table.tactics.get(tid) if isinstance(tid, str) else None
            name = known.name if known else tactic.get("name")
            if isinstance(name, str):
                found.append((name, known))
    return found


def _tactic_tags(rf: RuleFile, tags: list) -> list:
    out = []
    mapped = {name.lower() for name, _ in _mapped_tactics(rf)}
    for tag in tags:
        head, sep, value = tag.partition(":")
        if sep and head.strip() == "Tactic":
            name = value.strip()
            if name.lower() not in mapped:
                out.append(finding(rf.path, tag_line(rf, tag), "tags/tactic-unmapped",
                                   f"tag {tag!r} has no matching tactic in [[rule.threat]]"))
    return out


def _file_name(rf: RuleFile) -> list:
    if rf.rule.get("type") == "machine_learning":
        return []
    mapped = _mapped_tactics(rf)
    if not mapped or mapped[0][1] is None:
        return []
    primary = mapped[0][1].shortname.replace("-", "_")
    stem = os.path.basename(rf.path)
    if stem.startswith(primary + "_"):
        return []
    return [finding(rf.path, 1, "meta/filename-tactic",
                    f"file name {stem!r} does not start with the primary tactic {primary!r}_")]
