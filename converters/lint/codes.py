"""Every finding code `ruleport validate` can report: severity and one-line hint.

Codes are stable (`group/name`): CI filters, suppressions and SARIF rule
ids refer to them. Adding a check means adding its code here first.
"""

from __future__ import annotations

from dataclasses import dataclass

from converters.errors import ERROR, INFO, WARNING, Finding


@dataclass(frozen=True)
class Code:
    code: str
    severity: str
    title: str
    hint: str


_TABLE = [
    # loading
    Code("file/unreadable", ERROR, "File cannot be read", "Check the path and its permissions."),
    Code("file/encoding", ERROR, "File is not UTF-8", "Save the file as UTF-8."),
    Code("toml/syntax", ERROR, "TOML syntax error", "Fix the TOML at the line shown; quote strings, close brackets."),
    # schema (schemas/elastic-rule.schema.json)
    Code("schema/required", ERROR, "Required key missing", "Add the key; see schemas/elastic-rule.schema.json."),
    Code("schema/unknown-key", ERROR, "Unknown key", "Remove the key or fix its spelling; the schema lists the allowed keys."),
    Code("schema/type", ERROR, "Value of the wrong type", "Use the type the schema names (string, integer, array, table)."),
    Code("schema/enum", ERROR, "Value not among the allowed ones", "Use one of the values listed in the message."),
    Code("schema/format", ERROR, "Value not in the expected format", "Match the format in the message (UUID, YYYY/MM/DD, now-9m, 5m)."),
    Code("schema/range", ERROR, "Number out of range", "Keep the number within the bounds in the message."),
    Code("schema/conditional", ERROR, "Key not allowed or needed for this rule type",
         "Match the keys to rule.type: see the condition named in the message."),
    Code("schema/invalid", ERROR, "Schema violation", "See schemas/elastic-rule.schema.json for the expected shape."),
    # ATT&CK mapping
    Code("attack/unknown-tactic", ERROR, "Unknown ATT&CK tactic", "Use a tactic id from ATT&CK Enterprise (TA0001...)."),
    Code("attack/unknown-technique", ERROR, "Unknown ATT&CK technique", "Use a technique id that exists in ATT&CK Enterprise."),
    Code("attack/name-mismatch", ERROR, "ATT&CK name does not match its id", "Copy the name ATT&CK gives for the id."),
    Code("attack/reference-mismatch", ERROR, "ATT&CK reference URL does not match its id",
         "Use https://attack.mitre.org/tactics/TAxxxx/ or /techniques/Txxxx/yyy/ for the same id."),
    Code("attack/subtechnique-parent", ERROR, "Sub-technique under the wrong technique",
         "Place Txxxx.yyy under technique Txxxx."),
    Code("attack/technique-tactic", ERROR, "Technique not in this tactic",
         "Move the technique under a tactic ATT&CK lists for it."),
    Code("attack/revoked", ERROR, "Revoked ATT&CK technique", "Map to the technique ATT&CK names as its replacement."),
    Code("attack/deprecated", ERROR, "Deprecated ATT&CK technique", "Map to a current technique."),
    Code("attack/duplicate-tactic", ERROR, "Tactic mapped twice", "Merge the techniques into one [[rule.threat]] entry per tactic."),
    Code("attack/duplicate-technique", WARNING, "Technique listed twice under one tactic", "Keep one entry."),
    # Elastic's conventions
    Code("meta/severity-risk-score", ERROR, "Severity and risk_score disagree",
         "Bands: low <= 21, medium 22-47, high 48-73, critical >= 74."),
    Code("meta/license", ERROR, "Unexpected license string", 'Use exactly "Elastic License v2".'),
    Code("meta/dates-order", ERROR, "updated_date before creation_date", "Set updated_date to the day of the change."),
    Code("meta/investigation-guide", ERROR, "Investigation guide missing",
         'Write the guide in rule.note or drop the "Resources: Investigation Guide" tag.'),
    Code("meta/filename-tactic", ERROR, "File name does not start with the primary tactic",
         "Rename the file to <tactic>_<what>.toml after its first threat tactic."),
    Code("tags/tactic-unmapped", ERROR, "Tactic tag without a threat mapping",
         "Add the tactic to [[rule.threat]] or remove the Tactic: tag."),
    Code("tags/os-query", WARNING, "OS tags and query disagree",
         "Make the OS: tags name exactly the operating systems the query selects (host.os.type)."),
    Code("repo/duplicate-rule-id", ERROR, "rule_id used by another rule", "Give each rule a fresh UUID (uuid4)."),
    Code("repo/duplicate-name", ERROR, "Name used by another rule", "Give each rule a distinct name."),
    Code("repo/duplicate-file-name", WARNING, "File name used by another rule",
         "Give each rule file a distinct name: reviews, links and flat exports tell rules apart by it."),
    # queries
    Code("query/eql-syntax", ERROR, "EQL query does not parse", "Fix the EQL at the position shown."),
    Code("query/kql-syntax", ERROR, "KQL query does not parse", "Fix the KQL at the position shown."),
    Code("query/not-checked", INFO, "Query language not checked", "ruleport does not parse this language yet."),
    Code("ecs/unknown-field", WARNING, "Field not in ECS", "Check the spelling against ECS, or use a field the integration documents."),
    # configuration and suppressions
    Code("config/invalid", ERROR, "Invalid ruleport configuration", "See docs/validate.md for [tool.ruleport]."),
    Code("config/no-reason", ERROR, "Suppression without a reason", 'Say why: "# ruleport: disable=CODE -- reason".'),
    Code("ruleport/internal", ERROR, "Internal error in a check",
         "Please report it with the rule file; the other rules were checked."),
    Code("config/unknown-key", WARNING, "Unknown key in [tool.ruleport]", "Fix its spelling; docs/validate.md lists the keys."),
    Code("config/unknown-code", WARNING, "Suppression names an unknown code", "Use a code listed in docs/validate.md."),
]

CODES: dict[str, Code] = {c.code: c for c in _TABLE}


def finding(path: str, line: int | None, code: str, message: str) -> Finding:
    """A Finding for a registered code, with its severity and hint."""
    c = CODES[code]
    return Finding(path, line, c.severity, code, message, c.hint)
