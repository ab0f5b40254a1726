"""ATT&CK mapping checks against the pinned table (converters/lint/attack.py).

Each [[rule.threat]] entry is one tactic with its techniques and their
sub-techniques. Names are compared exactly: a rule names what ATT&CK names.
"""

from __future__ import annotations

import re

from converters.lint.attack import attack_table
from converters.lint.codes import finding
from converters.load import RuleFile

_URL = re.compile(r"^https://attack\.mitre\.org/(tactics|techniques)/(T[A0-9]\d*)(?:/(\d{3}))?/?$")


def _url_id(url) -> str | None:
    m = _URL.match(url) if isinstance(url, str) else None
    if not m or (m.group(1) == "tactics") != m.group(2).startswith("TA"):
        return None
    return m.group(2) + ("." + m.group(3) if m.group(3) else "")


def check_attack(rf: RuleFile) -> list:
    threats = rf.rule.get("threat")
    if not isinstance(threats, list):
        return []
    table = attack_table()
    out: list = []
    seen_tactics: dict[str, int] = {}
    for i, threat in enumerate(threats):
        if not isinstance(threat, dict) or threat.get("framework") != "MITRE ATT&CK":
            continue
        base = ("rule", "threat", i)
        tactic = threat.get("tactic") if isinstance(threat.get("tactic"), dict) else {}
        tactic_id = tactic.get("id") if isinstance(tactic.get("id"), str) else None
        known_tactic = table.tactics.get(tactic_id)
        if tactic_id is not None and known_tactic is None:
            out.append(finding(rf.path, rf.line_of(base + ("tactic", "id")), "attack/unknown-tactic",
                               f"tactic {tactic_id!r} is not an ATT&CK {table.version} Enterprise tactic"))
        elif known_tactic is not None:
            out += _name_and_url(rf, base + ("tactic",), tactic, known_tactic.name, known_tactic.id, "tactic")
            if tactic_id in seen_tactics:
                out.append(finding(rf.path, rf.line_of(base + ("tactic", "id")), "attack/duplicate-tactic",
                                   f"tactic {tactic_id} ({known_tactic.name}) is mapped again; "
                                   f"first in [[rule.threat]] entry {seen_tactics[tactic_id] + 1}"))
            else:
                seen_tactics[tactic_id] = i
        techniques = threat.get("technique") if isinstance(threat.get("technique"), list) else []
        seen_techniques: set = set()
        for j, tech in enumerate(techniques):
            if not isinstance(tech, dict):
                continue
            tpath = base + ("technique", j)
            out += _technique(rf, tpath, tech, table, known_tactic, seen_techniques, parent=None)
            subs = tech.get("subtechnique") if isinstance(tech.get("subtechnique"), list) else []
            seen_subs: set = set()
            for k, sub in enumerate(subs):
                if isinstance(sub, dict):
                    out += _technique(rf, tpath + ("subtechnique", k), sub, table, known_tactic, seen_subs,
                                      parent=tech.get("id"))
    return out


def _technique(rf, path, entry, table, tactic, seen, parent) -> list:
    out = []
    tid = entry.get("id")
    if not isinstance(tid, str):
        return out
    kind = "sub-technique" if parent else "technique"
    def id_line():  # looked up only when reporting: indexing lines costs more than checking
        return rf.line_of(path + ("id",))

    known = table.techniques.get(tid)
    if known is None:
        return [finding(rf.path, id_line(), "attack/unknown-technique",
                        f"{kind} {tid!r} is not in ATT&CK {table.version} Enterprise")]
    if tid in seen:
        out.append(finding(rf.path, id_line(), "attack/duplicate-technique", f"{kind} {tid} is listed twice here"))
    seen.add(tid)
    out += _name_and_url(rf, path, entry, known.name, tid, kind)
    if known.status == "revoked":
        repl = table.techniques.get(known.replaced_by) if known.replaced_by else None
        instead = f"; ATT&CK replaces it with {repl.id} ({repl.name})" if repl else ""
        out.append(finding(rf.path, id_line(), "attack/revoked", f"{kind} {tid} ({known.name}) is revoked{instead}"))
    elif known.status == "deprecated":
        out.append(finding(rf.path, id_line(), "attack/deprecated",
                           f"{kind} {tid} ({known.name}) is deprecated in ATT&CK {table.version}"))
    if parent is not None:
        if known.parent != parent:
            out.append(finding(rf.path, id_line(), "attack/subtechnique-parent",
                               f"sub-technique {tid} belongs under {known.parent}, not {parent}"))
    elif tactic is not None and known.status == "" and tactic.shortname not in known.tactics:
        names = ", ".join(sorted(table.tactic_by_shortname[s].name for s in known.tactics
                                 if s in table.tactic_by_shortname))
        out.append(finding(rf.path, id_line(), "attack/technique-tactic",
                           f"technique {tid} ({known.name}) is not in tactic {tactic.id} ({tactic.name}); "
                           f"ATT&CK lists it under: {names or 'no tactic'}"))
    return out


def _name_and_url(rf, path, entry, name, tid, kind) -> list:
    out = []
    given = entry.get("name")
    if isinstance(given, str) and given != name:
        out.append(finding(rf.path, rf.line_of(path + ("name",)), "attack/name-mismatch",
                           f"{kind} {tid} is named {name!r} in ATT&CK, not {given!r}"))
    url = entry.get("reference")
    if isinstance(url, str) and _url_id(url) != tid:
        out.append(finding(rf.path, rf.line_of(path + ("reference",)), "attack/reference-mismatch",
                           f"reference {url!r} does not point to {kind} {tid}"))
    return out
