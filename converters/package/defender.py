"""Defender XDR custom detection rules: one JSON per rule, Graph's `detectionRule` shape.

`<target>/<rule path>.json` is the body of `POST /security/rules/detectionRules`
(Microsoft Graph, security `detectionRule`): displayName, isEnabled,
queryCondition.queryText, schedule.period, detectionAction (alertTemplate:
title, description, severity, category, recommendedActions, mitreTechniques,
impactedAssets; organizationalScope; responseActions).

Defender's requirements ("Create and manage custom detection rules"):
* the query returns `Timestamp`, `ReportId` and a column naming the impacted
  device, user or mailbox (`DeviceId`, `AccountObjectId`, ... ENTITY_COLUMNS):
  a query that only filters its table (no project/summarize) returns all of
  its table's columns; anything else is checked;
* `schedule.period` is one of 0 (continuous), 1H, 3H, 12H, 24H: the nearest
  to the rule's interval, with a note; continuous (NRT) rules must read one
  table with supported operators and carry no comments;
* impacted assets name a column the query returns (deviceId -> DeviceId,
  accountSid -> AccountSid: Graph's `deviceAssetIdentifier`/`userAssetIdentifier`).
"""

from __future__ import annotations

import json
import re
from pathlib import PurePosixPath

from converters.load.meta import format_duration
from converters.package import schedule
from converters.package.attack import DEFENDER_CATEGORIES, DEFENDER_FALLBACK_CATEGORY, mapping
from converters.package.model import ArtifactError, Context, Entry, Format, Packaged, note
from converters.platforms.cloud.models import kusto_schema as cloud_schema  # the cloud audit tables
from converters.platforms.facts import kusto_schema  # each table's documented columns, declared once

SEVERITY = {"low": "low", "medium": "medium", "high": "high", "critical": "high"}
REQUIRED_COLUMNS = ("Timestamp", "ReportId")
# "One of the following columns that identify specific devices, users, or mailboxes"
# (Create and manage custom detection rules: Required columns in the query results)
ENTITY_COLUMNS = ("DeviceId", "DeviceName", "RemoteDeviceName", "RecipientEmailAddress", "SenderFromAddress",
                  "SenderMailFromAddress", "RecipientObjectId", "AccountObjectId", "AccountSid", "AccountUpn",
                  "InitiatingProcessAccountSid", "InitiatingProcessAccountUpn", "InitiatingProcessAccountObjectId")
# Operators after which a query no longer returns its table's columns unless it names them
RESHAPING = ("project", "project-away", "project-keep", "summarize", "distinct", "count", "top-nested",
             "make-series", "evaluate", "join", "union")
# one column per asset type ("You can select only one column for each entity type"): the first the table has
IMPACTED = (("#microsoft.graph.security.impactedDeviceAsset", "deviceId", "DeviceId"),
            ("#microsoft.graph.security.impactedUserAsset", "accountSid", "AccountSid"),
            ("#microsoft.graph.security.impactedUserAsset", "accountObjectId", "AccountObjectId"))


def _operators(query: str) -> list[str]:
    """The tabular operators of a query written one per line (`| where ...`), first word each."""
    return [m.group(1).lower() for m in re.finditer(r"^\s*\|\s*([A-Za-z-]+)", query, re.MULTILINE)]


def _recommended(note_text: str) -> str | None:
    """The investigation guide's response section, as plain lines."""
    out, inside = [], False
    for line in note_text.splitlines():
        if re.match(r"^#{1,6}\s", line):
            inside = bool(re.search(r"response|remediation", line, re.IGNORECASE))
            continue
        if inside and line.strip():
            out.append(re.sub(r"^\s*[-*]\s+", "- ", line.rstrip()))
    return "\n".join(out) or None


def _impacted(columns) -> list[dict]:
    chosen: dict[str, str] = {}
    for asset, identifier, column in IMPACTED:
        if column in columns:
            chosen.setdefault(asset, identifier)
    return [{"@odata.type": t, "identifier": i} for t, i in chosen.items()]


class DefenderRules(Format):
    name = "defender-detection-rule"
    description = "Defender XDR custom detection rules (Graph security detectionRule JSON)"

    def entry(self, item: Packaged, ctx: Context) -> Entry:
        meta, extra = item.meta, []
        table = str(item.state.get("query_table", ""))
        columns = kusto_schema("defender").get(table) or cloud_schema("defender").get(table)
        if columns is None:
            raise ArtifactError(f"the columns of {table or 'the query'} are not known: cannot tell whether it "
                                f"returns {', '.join(REQUIRED_COLUMNS)}", code="package/columns-unknown")
        reshaping = [op for op in _operators(item.query) if op in RESHAPING]
        if reshaping:
            raise ArtifactError(f"the query reshapes its results ({', '.join(reshaping)}): Defender requires "
                                f"{', '.join(REQUIRED_COLUMNS)} among them, which ruleport cannot check",
                                code="package/columns-unknown")
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        if not any(c in columns for c in ENTITY_COLUMNS):
            missing.append(f"device, user or mailbox column ({', '.join(ENTITY_COLUMNS)})")
        if missing:
            raise ArtifactError(f"{table} has no {', '.join(missing)} column, which Defender requires",
                                code="package/columns-missing")
        every = meta.interval_seconds or 300
        period, lookback = schedule.defender_period(every)
        looks = "events as they arrive" if lookback is None else f"the past {format_duration(lookback)}"
        runs = "continuously (NRT)" if period == "0" else f"every {period}"
        extra.append(note("package/schedule",
                          f"Defender runs custom detections every 0 (continuous), 1H, 3H, 12H or 24H: the rule's "
                          f"interval {meta.interval} became {runs}, looking at {looks} (the rule looked back "
                          f"{meta.lookback})", item.target))
        if meta.severity == "critical":
            extra.append(note("package/severity", "Graph alert severities stop at high: high", item.target))
        attack = mapping(meta)
        category = next((DEFENDER_CATEGORIES[t] for t in attack.tactics if t in DEFENDER_CATEGORIES), None)
        if category is None:
            category = DEFENDER_FALLBACK_CATEGORY
            extra.append(note("package/category", f"no Defender alert category matches the rule's tactics "
                              f"({', '.join(attack.tactics) or 'none'}): {category}", item.target))
        rule = {
            "displayName": meta.name,
            "isEnabled": ctx.enabled,
            "queryCondition": {"queryText": item.query},
            "schedule": {"period": period},
            "detectionAction": {
                "alertTemplate": {
                    "title": meta.name,
                    "description": meta.description or meta.name,
                    "severity": SEVERITY.get(meta.severity, "medium"),
                    "category": category,
                    "recommendedActions": _recommended(meta.note),
                    "mitreTechniques": list(attack.ids),
                    "impactedAssets": _impacted(columns),
                },
                "organizationalScope": None,
                "responseActions": [],
            },
        }
        if attack.problems:
            extra.append(note("package/attack", "; ".join(attack.problems), item.target))
        return Entry(item, rule, extra)

    def files(self, entries: list[Entry], ctx: Context) -> dict[str, str]:
        return {str(PurePosixPath(e.item.rel).with_suffix(".json")): json.dumps(e.data, indent=2, ensure_ascii=False)
                + "\n" for e in entries}
