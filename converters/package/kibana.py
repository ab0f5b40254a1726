"""Kibana detection rules: `<target>/rules.ndjson` for the Elastic targets.

One rule per line in the shape `POST /api/detection_engine/rules/_import`
takes (Kibana's rule API; the fields and types follow Elastic's published
API schemas, detection-rules `detection_rules/etc/api_schemas/<stack>/`,
and Kibana's create-rule reference: name, description, risk_score, severity
and type required; rule_id required to import).

* rule_id: a new deterministic UUID per target (the four Elastic targets may
  share one Kibana); the original rule_id is kept in `meta.ruleport`.
* type and language from the query language (table below); `index` from the
  emit pipeline's data (or the deployment settings); ES|QL names its data in
  FROM and takes no index.
* schedule, severity, risk, ATT&CK threat, tags, references, author, license
  and version as the original rule has them; the notes that concern the
  target are appended to the investigation guide (`note`).
"""

from __future__ import annotations

import json
import re

from converters.package.model import ArtifactError, Context, Entry, Format, Packaged, is_correlation, note, notes_for

# query language (Target.language) -> (Kibana rule type, Kibana language)
RULE_TYPES = {"eql": ("eql", "eql"), "lucene": ("query", "lucene"), "kql": ("query", "kuery"),
              "esql": ("esql", "esql")}
SEVERITIES = ("low", "medium", "high", "critical")
# Elastic's customary risk score for each severity (prebuilt rules), used when a rule has none
DEFAULT_RISK = {"low": 21, "medium": 47, "high": 73, "critical": 99}
INTERVAL = re.compile(r"^\d+[mshd]$")
# Kibana: non-aggregating ES|QL rules should read these so that alerts are de-duplicated
ESQL_METADATA = "METADATA _id, _version, _index"


def _threat(meta) -> list[dict]:
    """The rule's ATT&CK entries in the API's shape (references rebuilt from the ids)."""
    out = []
    for threat in meta.threat:
        tactic = threat.get("tactic") if isinstance(threat.get("tactic"), dict) else None
        if threat.get("framework") != "MITRE ATT&CK" or not tactic or not tactic.get("id"):
            continue
        entry = {"framework": "MITRE ATT&CK",
                 "tactic": {"id": tactic["id"], "name": tactic.get("name", ""),
                            "reference": f"https://attack.mitre.org/tactics/{tactic['id']}/"}}
        techniques = []
        for tech in threat.get("technique") or []:
            if not isinstance(tech, dict) or not re.fullmatch(r"T\d+", str(tech.get("id", ""))):
                continue
            t = {"id": tech["id"], "name": tech.get("name", ""),
                 "reference": f"https://attack.mitre.org/techniques/{tech['id']}/"}
            subs = [{"id": s["id"], "name": s.get("name", ""),
                     "reference": "https://attack.mitre.org/techniques/" + s["id"].replace(".", "/") + "/"}
                    for s in tech.get("subtechnique") or []
                    if isinstance(s, dict) and re.fullmatch(r"T\d+\.\d+", str(s.get("id", "")))]
            if subs:
                t["subtechnique"] = subs
            techniques.append(t)
        if techniques:
            entry["technique"] = techniques
        out.append(entry)
    return out


def _guide(item: Packaged) -> str:
    lines = [item.meta.note.rstrip()] if item.meta.note.strip() else []
    notes = notes_for(item)
    if notes:
        lines += ["", f"### Translation notes (ruleport, {item.target})", ""]
        lines += [f"- `{n.code}`{f' ({n.field})' if n.field else ''}: {n.message}" for n in notes]
    return "\n".join(lines).strip()


def _esql_with_metadata(query: str) -> str:
    first, _, rest = query.partition("\n")
    if not first.upper().startswith("FROM ") or " METADATA " in first.upper():
        return query
    return f"{first} {ESQL_METADATA}" + ("\n" + rest if rest else "")


class KibanaRules(Format):
    name = "kibana-ndjson"
    description = "Kibana detection rules, one per line (POST /api/detection_engine/rules/_import)"

    def entry(self, item: Packaged, ctx: Context) -> Entry:
        meta, extra = item.meta, []
        rule_type, language = RULE_TYPES[ctx.target.language]
        if rule_type == "query" and is_correlation(item.sigma_yaml):
            raise ArtifactError("the rule is a Sigma correlation: a Kibana query rule matches single events and "
                                "cannot carry its aggregation", code="package/correlation-unsupported")
        if not meta.description:
            raise ArtifactError("Kibana requires a description; the rule has none", code="package/no-description")
        severity = meta.severity
        if severity not in SEVERITIES:
            extra.append(note("package/severity", f"severity {severity!r} is not one of Kibana's: medium is used",
                              item.target))
            severity = "medium"
        interval = meta.interval
        if not INTERVAL.match(interval):
            extra.append(note("package/schedule", f"interval {interval!r} is not Kibana's <n><s|m|h|d>: 5m is used",
                              item.target))
            interval = "5m"
        query = item.query
        if rule_type == "esql":
            query = _esql_with_metadata(query)
            if query != item.query:
                extra.append(note("package/esql-metadata", f"the ES|QL rule reads `{ESQL_METADATA}` in FROM "
                                  "so that Kibana de-duplicates its alerts (what matches is unchanged)", item.target))
        rule = {
            "rule_id": item.artifact_id(),
            "name": f"{meta.name} (ruleport: {item.target})",
            "description": meta.description,
            "type": rule_type,
            "language": language,
            "query": query,
        }
        if rule_type != "esql":
            index = ctx.settings.get("index") or [i.strip() for i in str(item.state.get("index", "")).split(",")]
            index = [index] if isinstance(index, str) else [i for i in index if i]
            if not index:
                raise ArtifactError("no index pattern is known for this rule's data", code="package/no-index")
            rule["index"] = index
        rule.update({
            "interval": interval, "from": meta.lookback, "to": "now",
            "severity": severity,
            "risk_score": meta.risk_score if meta.risk_score is not None else DEFAULT_RISK[severity],
            "threat": _threat(meta),
            "tags": list(meta.tags),
            "references": list(meta.references),
            "author": list(meta.author),
            "false_positives": list(meta.false_positives),
            "version": meta.version or 1,
            "enabled": ctx.enabled,
            "meta": {"ruleport": {"derived_from": meta.rule_id, "target": item.target,
                                  "notes": [n.code for n in notes_for(item) + extra]}},
        })
        if meta.license:
            rule["license"] = meta.license
        if meta.max_signals:
            rule["max_signals"] = meta.max_signals
        if meta.timestamp_override:
            rule["timestamp_override"] = meta.timestamp_override
        guide = _guide(item)
        if guide:
            rule["note"] = guide
        return Entry(item, rule, extra)

    def files(self, entries: list[Entry], ctx: Context) -> dict[str, str]:
        lines = [json.dumps(e.data, ensure_ascii=False, separators=(",", ":")) for e in entries]
        return {"rules.ndjson": "".join(line + "\n" for line in lines)} if lines else {}
