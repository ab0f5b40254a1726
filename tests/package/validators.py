"""Each platform's published requirements, as checks over the artifacts `ruleport package` writes.

JSON Schemas under tests/fixtures/package/ (their sources: README.md there);
what a schema cannot say is checked here, with the same sources:
* Sentinel: queryFrequency/queryPeriod 5m..14d, period >= frequency, the
  identifiers each entity type takes, every tactic of each technique listed
  (Azure-Sentinel template validation: RangeTimeSpanIsoFormat,
  PeriodGreaterThanOrEqualFrequency, EntityMappingIdentifiers,
  NoTechniquesWithoutMatchingTactics);
* Splunk: the keys savedsearches.conf, app.conf and default.meta document
  (Splunk Admin Manual, *.conf.spec; ES correlation-search keys as Splunk's
  own content packs write them), valid cron and relative times, JSON values.
"""

from __future__ import annotations

import functools
import json
import re

import jsonschema
import yaml

from converters.lint.attack import attack_table
from converters.load.meta import duration_seconds
from converters.package import conf
from tests.support import FIXTURES

SCHEMAS = FIXTURES / "package"


@functools.cache
def _validator(name: str):
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def schema_errors(name: str, doc) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in _validator(name).iter_errors(doc)]


# --- Kibana ------------------------------------------------------------------

def kibana_errors(line: str) -> list[str]:
    rule = json.loads(line)
    return schema_errors("kibana-rule-import.schema.json", rule)


# --- Sentinel -----------------------------------------------------------------

# Azure-Sentinel EntityMappingIdentifiers.cs: identifiers each entity type takes (those ruleport may use)
ENTITY_IDENTIFIERS = {
    "Account": {"Name", "FullName", "NTDomain", "DnsDomain", "UPNSuffix", "Sid", "AadTenantId", "AadUserId", "PUID",
                "IsDomainJoined", "DisplayName", "ObjectGuid"},
    "Host": {"DnsDomain", "NTDomain", "HostName", "FullName", "NetBiosName", "AzureID", "OMSAgentID", "OSFamily",
             "OSVersion", "IsDomainJoined"},
    "IP": {"Address"}, "File": {"Directory", "Name"}, "FileHash": {"Algorithm", "Value"},
    "Process": {"ProcessId", "CommandLine", "ElevationToken", "CreationTimeUtc"}, "URL": {"Url"},
    "DNS": {"DomainName"}, "RegistryKey": {"Hive", "Key"}, "RegistryValue": {"Name", "Value", "ValueType"},
}
SENTINEL_TACTIC_OF = {"initial-access": "InitialAccess", "execution": "Execution", "persistence": "Persistence",
                      "privilege-escalation": "PrivilegeEscalation", "defense-evasion": "DefenseEvasion",
                      "credential-access": "CredentialAccess", "discovery": "Discovery",
                      "lateral-movement": "LateralMovement", "collection": "Collection",
                      "exfiltration": "Exfiltration", "command-and-control": "CommandAndControl",
                      "impact": "Impact", "reconnaissance": "Reconnaissance",
                      "resource-development": "ResourceDevelopment"}


def sentinel_errors(text: str) -> list[str]:
    doc = yaml.safe_load(text)
    errors = schema_errors("sentinel-analytics-rule.schema.json", doc)
    if errors:
        return errors
    freq, period = duration_seconds(doc["queryFrequency"]), duration_seconds(doc["queryPeriod"])
    for name, value in (("queryFrequency", freq), ("queryPeriod", period)):
        if not 300 <= value <= 14 * 86400:
            errors.append(f"{name} {value}s is outside 5m..14d")
    if period < freq:
        errors.append("queryPeriod is shorter than queryFrequency")
    for entity in doc.get("entityMappings", []):
        for fm in entity["fieldMappings"]:
            if fm["identifier"] not in ENTITY_IDENTIFIERS.get(entity["entityType"], set()):
                errors.append(f"{entity['entityType']} has no identifier {fm['identifier']}")
    table = attack_table()
    for tech in doc["relevantTechniques"]:
        known = table.techniques.get(tech.split(".")[0])
        if known is None:
            errors.append(f"unknown technique {tech}")
            continue
        for tactic in known.tactics:
            if SENTINEL_TACTIC_OF[tactic] not in doc["tactics"]:
                errors.append(f"{tech} is listed without its tactic {tactic}")
    return errors


def arm_errors(text: str) -> list[str]:
    return schema_errors("sentinel-arm-template.schema.json", json.loads(text))


# --- Defender -----------------------------------------------------------------

def graph_errors(text: str) -> list[str]:
    rule = json.loads(text)
    errors = schema_errors("graph-detection-rule.schema.json", rule)
    query = rule.get("queryCondition", {}).get("queryText", "")
    # Defender: the query returns Timestamp, ReportId and an impacted-entity column; a query that
    # only filters its table (no project/summarize) returns every column of it
    if re.search(r"^\s*\|\s*(project|summarize|distinct|count)\b", query, re.MULTILINE):
        errors.append("the query reshapes its results: Timestamp/DeviceId/ReportId not guaranteed")
    return errors


# --- Navigator ----------------------------------------------------------------

def navigator_errors(text: str) -> list[str]:
    layer = json.loads(text)
    errors = schema_errors("navigator-layer-4.5.schema.json", layer)
    table = attack_table()
    for t in layer.get("techniques", []):
        known = table.techniques.get(t["techniqueID"])
        if known is None:
            errors.append(f"{t['techniqueID']} is not in ATT&CK {table.version}")
        elif "tactic" in t and t["tactic"] not in known.tactics:
            errors.append(f"{t['techniqueID']} is not a technique of {t['tactic']}")
    return errors


# --- Splunk -------------------------------------------------------------------

# savedsearches.conf.spec settings ruleport writes (Splunk Enterprise Admin Manual)
SAVEDSEARCH_KEYS = {
    "description", "search", "disabled", "enableSched", "cron_schedule", "dispatch.earliest_time",
    "dispatch.latest_time", "counttype", "relation", "quantity", "alert.track", "alert.digest_mode",
    "alert.suppress", "alert.severity", "schedule_window", "is_visible",
}
# alert actions: action.<name> = 0|1 and action.<name>.param.<setting> (spec); ES's correlation search keys
ACTION_KEY = re.compile(r"^action\.(notable|risk)(\.param\.[A-Za-z_]+)?$")
CORRELATION_KEYS = {"action.correlationsearch.enabled", "action.correlationsearch.label",
                    "action.correlationsearch.annotations"}
APP_CONF = {"install": {"is_configured", "state", "build"}, "ui": {"is_visible", "label"},
            "launcher": {"author", "version", "description"}, "package": {"id", "check_for_updates"}}
META_KEYS = {"access", "export", "owner"}
_CRON_FIELD = re.compile(r"^(\*|\d+)(/\d+)?$")


def cron_errors(cron: str) -> list[str]:
    fields = cron.split()
    if len(fields) != 5 or not all(_CRON_FIELD.match(f) for f in fields):
        return [f"not a five-field cron schedule: {cron!r}"]
    return []


def splunk_app_errors(files: dict[str, str]) -> list[str]:
    """`files`: path below the app folder -> text (default/app.conf, default/savedsearches.conf, metadata/default.meta)."""
    errors = []
    for required in ("default/app.conf", "default/savedsearches.conf", "metadata/default.meta"):
        if required not in files:
            errors.append(f"missing {required}")
    if errors:
        return errors
    for stanza, keys in conf.parse(files["default/app.conf"]).items():
        errors += [f"app.conf [{stanza}] {k}: not documented" for k in keys if k not in APP_CONF.get(stanza, set())]
    for stanza, keys in conf.parse(files["metadata/default.meta"]).items():
        errors += [f"default.meta [{stanza}] {k}: not documented" for k in keys if k not in META_KEYS]
    searches = conf.parse(files["default/savedsearches.conf"])
    if not searches:
        errors.append("savedsearches.conf has no stanza")
    for name, keys in searches.items():
        for key in keys:
            if key not in SAVEDSEARCH_KEYS and key not in CORRELATION_KEYS and not ACTION_KEY.match(key):
                errors.append(f"[{name}] {key}: not a documented setting")
        for key in ("search", "cron_schedule", "dispatch.earliest_time", "action.correlationsearch.annotations",
                    "action.risk.param._risk"):
            if key not in keys:
                errors.append(f"[{name}] lacks {key}")
        if errors:
            continue
        errors += [f"[{name}] {e}" for e in cron_errors(keys["cron_schedule"])]
        if not re.fullmatch(r"-\d+[smhdw]", keys["dispatch.earliest_time"]):
            errors.append(f"[{name}] dispatch.earliest_time is not a relative time")
        annotations = json.loads(keys["action.correlationsearch.annotations"])
        if not all(re.fullmatch(r"T\d{4}(\.\d{3})?", t) for t in annotations.get("mitre_attack", [])):
            errors.append(f"[{name}] annotations hold a malformed technique id")
        for risk in json.loads(keys["action.risk.param._risk"]):
            if set(risk) != {"risk_object_field", "risk_object_type", "risk_score"}:
                errors.append(f"[{name}] malformed risk object {risk}")
    return errors
