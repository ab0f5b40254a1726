"""Elastic rule metadata to Sigma metadata."""

from __future__ import annotations

import re
import uuid

# Fixed namespace for Sigma ids: the same Elastic rule_id always gives the same
# Sigma id, and a different one from the rule_id itself (Sigma ids are unique).
SIGMA_ID_NAMESPACE = uuid.UUID("8a3f6f2e-6d0b-5f0e-9a77-2f1e5c0d7b41")

STATUS_BY_MATURITY = {"production": "stable", "development": "experimental", "deprecated": "deprecated"}
LEVEL_BY_SEVERITY = {"low": "low", "medium": "medium", "high": "high", "critical": "critical"}
# SPDX identifiers for the license strings Elastic rules carry
SPDX_LICENSE = {"Elastic License v2": "Elastic-2.0", "Elastic License": "Elastic-2.0",
                "Apache License 2.0": "Apache-2.0", "MIT": "MIT"}


def sigma_id(rule_id: str) -> str:
    return str(uuid.uuid5(SIGMA_ID_NAMESPACE, rule_id))


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(str(text))
    except ValueError:
        return False
    return True


def sigma_date(value) -> str | None:
    """Elastic's YYYY/MM/DD as Sigma's YYYY-MM-DD."""
    if value is None:
        return None
    m = re.fullmatch(r"(\d{4})[/-](\d{2})[/-](\d{2})", str(value).strip())
    return f"{m.group(1)}-{m.group(2)}-{m.group(3)}" if m else None


def attack_tags(threats: list) -> list[str]:
    """attack.<tactic-name> and the most specific technique ids, in rule order."""
    tags: list[str] = []
    for threat in threats or []:
        if not isinstance(threat, dict) or threat.get("framework") != "MITRE ATT&CK":
            continue
        tactic = threat.get("tactic") or {}
        if tactic.get("name"):
            tags.append("attack." + re.sub(r"[^a-z0-9]+", "-", tactic["name"].lower()).strip("-"))
        for technique in threat.get("technique") or []:
            subs = technique.get("subtechnique") or []
            if subs:
                tags.extend("attack." + s["id"].lower() for s in subs if s.get("id"))
            elif technique.get("id"):
                tags.append("attack." + technique["id"].lower())
    return list(dict.fromkeys(tags))


def false_positives(note: str | None) -> list[str]:
    """The bullets of the investigation guide's false-positive section."""
    if not note:
        return []
    lines = note.splitlines()
    out: list[str] = []
    inside = False
    for line in lines:
        if re.match(r"^#{1,6}\s", line):
            inside = bool(re.match(r"^#{1,6}\s*false positive", line, re.IGNORECASE))
            continue
        if inside:
            m = re.match(r"^\s*[-*]\s+(.*\S)", line)
            if m:
                out.append(m.group(1))
    return out


def sigma_metadata(rule: dict, metadata: dict) -> dict:
    """Sigma's metadata keys, in Sigma's customary order (logsource/detection come later)."""
    meta: dict = {"title": rule.get("name", "").strip()}
    if rule.get("rule_id"):
        meta["id"] = sigma_id(rule["rule_id"])
        if _is_uuid(rule["rule_id"]):  # Sigma's `related` takes UUIDs only
            meta["related"] = [{"id": rule["rule_id"], "type": "derived"}]
    meta["status"] = STATUS_BY_MATURITY.get(metadata.get("maturity", ""), "experimental")
    if rule.get("description"):
        meta["description"] = " ".join(rule["description"].split())
    if rule.get("references"):
        meta["references"] = list(dict.fromkeys(rule["references"]))
    if rule.get("author"):
        meta["author"] = ", ".join(rule["author"])
    if rule.get("license"):
        meta["license"] = SPDX_LICENSE.get(rule["license"], rule["license"])
    created, updated = sigma_date(metadata.get("creation_date")), sigma_date(metadata.get("updated_date"))
    if created:
        meta["date"] = created
    if updated:
        meta["modified"] = updated
    tags = attack_tags(rule.get("threat"))
    if tags:
        meta["tags"] = tags
    return meta


def sigma_trailer(rule: dict) -> dict:
    """Keys that Sigma places after the detection."""
    out: dict = {}
    fps = false_positives(rule.get("note"))
    out["falsepositives"] = fps or ["Unknown"]
    out["level"] = LEVEL_BY_SEVERITY.get(rule.get("severity", ""), "medium")
    return out
