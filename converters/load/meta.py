"""What an Elastic rule says about itself: name, severity, schedule, ATT&CK mapping.

Every deployable artifact and every `convert` output carries this metadata,
so it is read once, here, from the rule's TOML tables. Nothing is looked up:
ATT&CK ids are taken as the rule writes them (the artifact writers resolve
names and tactics against the pinned ATT&CK table).

Schedules follow Kibana's rule fields: `interval` (how often the rule runs,
`<n><s|m|h|d>`, default 5m) and `from` (how far back each run looks, date
math `now-<n><unit>`, default now-6m: Kibana's defaults when a rule omits them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
DEFAULT_INTERVAL = "5m"
DEFAULT_FROM = "now-6m"


def duration_seconds(text: str | None) -> int | None:
    """`5m` -> 300; None when the text is not `<n><s|m|h|d|w>`."""
    m = re.fullmatch(r"\s*(\d+)\s*([smhdw])\s*", text or "")
    return int(m.group(1)) * _UNIT_SECONDS[m.group(2)] if m else None


def lookback_seconds(date_math: str | None) -> int | None:
    """`now-9m` -> 540; None for any other date math (absolute dates, rounding)."""
    m = re.fullmatch(r"\s*now-(\d+)([smhdw])\s*", date_math or "")
    return int(m.group(1)) * _UNIT_SECONDS[m.group(2)] if m else None


def format_duration(seconds: int) -> str:
    """The largest whole unit: 540 -> `9m`, 3600 -> `1h`, 90 -> `90s`."""
    for unit in ("d", "h", "m"):
        size = _UNIT_SECONDS[unit]
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


@dataclass(frozen=True)
class Technique:
    id: str                 # T1059 or T1059.007, as the rule writes it
    name: str
    tactic_id: str          # the tactic it is listed under in the rule
    tactic_name: str


@dataclass(frozen=True)
class RuleMeta:
    rule_id: str
    name: str
    description: str
    severity: str
    risk_score: int | None
    interval: str                      # as written, or Kibana's default
    lookback: str                      # `from`, as written, or Kibana's default
    interval_seconds: int | None
    lookback_seconds: int | None
    version: int | None
    author: tuple[str, ...] = ()
    license: str = ""
    references: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    language: str = ""
    rule_type: str = ""
    indexes: tuple[str, ...] = ()
    maturity: str = ""
    note: str = ""
    false_positives: tuple[str, ...] = ()
    max_signals: int | None = None
    timestamp_override: str = ""
    threat: tuple = ()                 # the rule's `threat` entries, unchanged (dicts)
    tactics: tuple[tuple[str, str], ...] = ()     # (id, name), in rule order, once each
    techniques: tuple[Technique, ...] = field(default=())  # most specific first-level entries

    @property
    def technique_ids(self) -> tuple[str, ...]:
        """Every technique and sub-technique id the rule names, once each, in rule order."""
        return tuple(dict.fromkeys(t.id for t in self.techniques))

    @property
    def leaf_technique_ids(self) -> tuple[str, ...]:
        """The most specific ids: a technique listed with sub-techniques is represented by them."""
        ids = self.technique_ids
        return tuple(i for i in ids if not any(o.startswith(i + ".") for o in ids))

    def as_dict(self) -> dict:
        return {
            "rule_id": self.rule_id, "name": self.name, "severity": self.severity,
            "risk_score": self.risk_score, "interval": self.interval, "from": self.lookback,
            "version": self.version, "author": list(self.author), "license": self.license,
            "references": list(self.references), "tags": list(self.tags), "language": self.language,
            "type": self.rule_type, "index": list(self.indexes),
            "tactics": [{"id": i, "name": n} for i, n in self.tactics],
            "techniques": [{"id": t.id, "name": t.name, "tactic": t.tactic_id} for t in self.techniques],
        }


def _strings(value) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return ()


def _int(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _attack(threats) -> tuple[tuple, tuple]:
    tactics: dict[str, str] = {}
    techniques: list[Technique] = []
    for threat in threats if isinstance(threats, list) else []:
        if not isinstance(threat, dict) or threat.get("framework") != "MITRE ATT&CK":
            continue
        tactic = threat.get("tactic") if isinstance(threat.get("tactic"), dict) else {}
        tid, tname = str(tactic.get("id", "")), str(tactic.get("name", ""))
        if tid:
            tactics.setdefault(tid, tname)
        for tech in threat.get("technique") or []:
            if not isinstance(tech, dict) or not tech.get("id"):
                continue
            techniques.append(Technique(str(tech["id"]), str(tech.get("name", "")), tid, tname))
            for sub in tech.get("subtechnique") or []:
                if isinstance(sub, dict) and sub.get("id"):
                    techniques.append(Technique(str(sub["id"]), str(sub.get("name", "")), tid, tname))
    return tuple(tactics.items()), tuple(techniques)


def _false_positives(rule: dict) -> tuple[str, ...]:
    return tuple(" ".join(s.split()) for s in _strings(rule.get("false_positives")))


def rule_meta(rule: dict, metadata: dict | None = None) -> RuleMeta:
    """The metadata of one rule (its `[rule]` and `[metadata]` tables)."""
    metadata = metadata or {}
    interval = rule.get("interval") if isinstance(rule.get("interval"), str) else DEFAULT_INTERVAL
    lookback = rule.get("from") if isinstance(rule.get("from"), str) else DEFAULT_FROM
    tactics, techniques = _attack(rule.get("threat"))
    return RuleMeta(
        rule_id=str(rule.get("rule_id", "")),
        name=" ".join(str(rule.get("name", "")).split()),
        description=str(rule.get("description", "")).strip(),
        severity=str(rule.get("severity", "")) or "medium",
        risk_score=_int(rule.get("risk_score")),
        interval=interval,
        lookback=lookback,
        interval_seconds=duration_seconds(interval),
        lookback_seconds=lookback_seconds(lookback),
        version=_int(rule.get("version")),
        author=_strings(rule.get("author")),
        license=str(rule.get("license", "")),
        references=tuple(dict.fromkeys(_strings(rule.get("references")))),
        tags=_strings(rule.get("tags")),
        language=str(rule.get("language", "")),
        rule_type=str(rule.get("type", "")),
        indexes=_strings(rule.get("index")),
        maturity=str(metadata.get("maturity", "")),
        note=str(rule.get("note", "")),
        false_positives=_false_positives(rule),
        max_signals=_int(rule.get("max_signals")),
        timestamp_override=str(rule.get("timestamp_override", "")),
        threat=tuple(t for t in rule.get("threat") or [] if isinstance(t, dict)),
        tactics=tactics,
        techniques=techniques,
    )


@dataclass(frozen=True)
class EqlFields:
    """The fields an EQL rule reads its event category, time and tiebreaker from.

    An Elastic EQL rule may replace Elasticsearch's defaults with
    `event_category_override`, `timestamp_field` and `tiebreaker_field`
    (detection-rules' rule schema; Kibana's rule API passes them to the EQL
    search as event_category_field, timestamp_field, tiebreaker_field), so
    `info where ...` under `event_category_override = "event.type"` tests
    event.type, not event.category. The translator, the EQL evaluator and the
    event synthesis all read them from here."""
    category: str = "event.category"
    timestamp: str = "@timestamp"
    tiebreaker: str | None = None

    @property
    def category_overridden(self) -> bool:
        return self.category != "event.category"


def eql_fields(rule: dict) -> EqlFields:
    """The rule's EQL fields (its [rule] table); a missing or empty key keeps Elasticsearch's default."""
    def text(key: str) -> str | None:
        value = rule.get(key)
        return value.strip() if isinstance(value, str) and value.strip() else None

    return EqlFields(text("event_category_override") or "event.category",
                     text("timestamp_field") or "@timestamp", text("tiebreaker_field"))
