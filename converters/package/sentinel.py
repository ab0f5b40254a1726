"""Microsoft Sentinel scheduled analytics rules: one YAML per rule and one ARM template.

    <target>/<rule path>.yaml   the Azure-Sentinel repository's analytics rule format
                                (Detections/*/*.yaml; validated there by
                                .script/tests/detectionTemplateSchemaValidation)
    <target>/azuredeploy.json   an ARM template deploying every rule as a
                                Microsoft.SecurityInsights/alertRules resource (kind Scheduled,
                                API 2023-02-01) in the workspace given as parameter

What the template validation requires, and so what is written: id (GUID),
name (<= 256), description (<= 5000), severity (Informational, Low, Medium,
High), requiredDataConnectors, queryFrequency and queryPeriod (5m..14d,
period >= frequency), triggerOperator/triggerThreshold (0..10000), query
(<= 10000 characters), tactics (AttackTactic names; every tactic of each
listed technique), relevantTechniques, entityMappings (1..5 entities of 1..3
field mappings, from the columns the query returns), version (a.b.c), kind.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath

import yaml

from converters.load.meta import duration_seconds, format_duration
from converters.package import schedule
from converters.package.attack import SENTINEL_TACTICS, mapping, technique_tactics
from converters.package.model import ArtifactError, Context, Entry, Format, Packaged, note

API_VERSION = "2023-02-01"
MAX_QUERY = 10000
SEVERITY = {"low": "Low", "medium": "Medium", "high": "High", "critical": "High"}
OPERATORS = {"gt": "GreaterThan", "lt": "LessThan", "eq": "Equal", "ne": "NotEqual"}

# The data connectors feeding each table or parser, as Azure-Sentinel's own process rules list them
_PROCESS_CONNECTORS = (
    ("SecurityEvents", ("SecurityEvent",)), ("WindowsSecurityEvents", ("SecurityEvent",)),
    ("MicrosoftThreatProtection", ("DeviceProcessEvents",)), ("WindowsForwardedEvents", ("WindowsEvent",)),
    ("MicrosoftSysmonForLinux", ("Syslog",)),
)
CONNECTORS = {
    "imProcessCreate": _PROCESS_CONNECTORS,
    "DeviceProcessEvents": (("MicrosoftThreatProtection", ("DeviceProcessEvents",)),),
    # library and driver loads on kusto-sentinel: the Defender XDR connector's advanced hunting tables
    "DeviceImageLoadEvents": (("MicrosoftThreatProtection", ("DeviceImageLoadEvents",)),),
    "DeviceEvents": (("MicrosoftThreatProtection", ("DeviceEvents",)),),
    "SecurityEvent": (("SecurityEvents", ("SecurityEvent",)), ("WindowsSecurityEvents", ("SecurityEvent",))),
}

# Entity mappings from the columns each table returns (the queries keep every column; the
# columns are those the platform facts (converters/data/platforms/sentinel-asim.json) declare from Microsoft's schemas).
# ASIM has no file-name column for the new process: its file is mapped by hash (Hash, HashType).
ENTITIES = {
    "imProcessCreate": (
        ("Host", (("HostName", "DvcHostname"),)),
        ("Account", (("FullName", "TargetUsername"),)),
        ("Process", (("ProcessId", "TargetProcessId"), ("CommandLine", "TargetProcessCommandLine"))),
        ("FileHash", (("Algorithm", "HashType"), ("Value", "Hash"))),
        ("IP", (("Address", "DvcIpAddr"),)),
    ),
    "DeviceProcessEvents": (
        ("Host", (("HostName", "DeviceName"),)),
        ("Account", (("Name", "AccountName"), ("NTDomain", "AccountDomain"), ("Sid", "AccountSid"))),
        ("Process", (("ProcessId", "ProcessId"), ("CommandLine", "ProcessCommandLine"))),
        ("File", (("Name", "FileName"),)),
    ),
    # the loaded library or driver is the file; the loading process and its user are InitiatingProcess*
    **dict.fromkeys(("DeviceImageLoadEvents", "DeviceEvents"), (
        ("Host", (("HostName", "DeviceName"),)),
        ("Account", (("Name", "InitiatingProcessAccountName"), ("NTDomain", "InitiatingProcessAccountDomain"),
                     ("Sid", "InitiatingProcessAccountSid"))),
        ("Process", (("ProcessId", "InitiatingProcessId"), ("CommandLine", "InitiatingProcessCommandLine"))),
        ("File", (("Name", "FileName"),)),
    )),
}


class _Dumper(yaml.SafeDumper):
    """Block scalars for multi-line text (queries read as they are written); list items indented
    under their key, as the Azure-Sentinel repository writes them."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def _str(dumper, value):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _dump(data: dict) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=10**9,
                     default_flow_style=False)


def _arm_literal(value):
    """ARM reads a string in [ ] as an expression; a literal one starts with [[ instead."""
    if isinstance(value, str) and value.startswith("[") and value.endswith("]"):
        return "[" + value
    if isinstance(value, dict):
        return {k: _arm_literal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_arm_literal(v) for v in value]
    return value


class SentinelRules(Format):
    name = "sentinel-analytics"
    description = "Sentinel scheduled analytics rules (Azure-Sentinel YAML) and one ARM template"

    def entry(self, item: Packaged, ctx: Context) -> Entry:
        meta, extra = item.meta, []
        if len(item.query) > MAX_QUERY:
            raise ArtifactError(f"the query has {len(item.query)} characters; Sentinel takes at most {MAX_QUERY}",
                                code="package/query-too-long")
        table = str(item.state.get("query_table", ""))
        every = meta.interval_seconds or 300
        lookback = meta.lookback_seconds or every
        freq, period, why = schedule.sentinel_times(every, lookback)
        extra += [note("package/schedule", w, item.target) for w in why]
        if period > freq:
            extra.append(note("package/lookback-overlap",
                              f"each run looks back {format_duration(period)} every {format_duration(freq)} (the rule's "
                              "`from`): an event in the overlap is seen by two runs; Kibana de-duplicates those "
                              "alerts, Sentinel does not", item.target))
        if meta.severity == "critical":
            extra.append(note("package/severity", "Sentinel has no critical severity: High", item.target))
        attack = mapping(meta)
        tactics = list(attack.tactics)
        for tech in attack.ids:  # Sentinel requires every tactic of each technique it lists
            for tactic in technique_tactics(tech):
                if tactic not in tactics:
                    tactics.append(tactic)
                    extra.append(note("package/tactics", f"{tech} is also listed under the {tactic} tactic in "
                                      "ATT&CK: Sentinel requires that tactic too", item.target))
        connectors = ctx.settings.get("connectors")
        if connectors is None:
            connectors = [{"connectorId": c, "dataTypes": list(d)} for c, d in CONNECTORS.get(table, ())]
            if table not in CONNECTORS:
                extra.append(note("package/connectors", f"no data connector is known for {table}: "
                                  "requiredDataConnectors is empty (set `connectors` in the settings)", item.target))
        entities = [{"entityType": kind, "fieldMappings": [{"identifier": i, "columnName": c} for i, c in fields]}
                    for kind, fields in ENTITIES.get(table, ())]
        fields = ctx.settings.get("fields") or {}
        for entity in entities:  # the deployment's own column names
            for fm in entity["fieldMappings"]:
                fm["columnName"] = fields.get(fm["columnName"], fm["columnName"])
        if not entities:
            extra.append(note("package/entities", f"no entity mapping is known for the columns of {table}",
                              item.target))
        rule = {
            "id": item.artifact_id(),
            "name": meta.name[:256],
            "description": (meta.description or meta.name)[:5000],
            "severity": SEVERITY.get(meta.severity, "Medium"),
            "requiredDataConnectors": connectors,
            "queryFrequency": format_duration(freq),
            "queryPeriod": format_duration(period),
            "triggerOperator": "gt",
            "triggerThreshold": 0,
            "tactics": [SENTINEL_TACTICS[t] for t in tactics if t in SENTINEL_TACTICS],
            "relevantTechniques": list(attack.ids),
            "query": item.query,
        }
        if entities:
            rule["entityMappings"] = entities
        rule.update({
            "eventGroupingSettings": {"aggregationKind": "AlertPerResult"},  # one alert per event, as Kibana
            "version": f"{meta.version or 1}.0.0",
            "kind": "Scheduled",
        })
        if attack.problems:
            extra.append(note("package/attack", "; ".join(attack.problems), item.target))
        return Entry(item, rule, extra)

    def files(self, entries: list[Entry], ctx: Context) -> dict[str, str]:
        out = {}
        for e in entries:
            out[str(PurePosixPath(e.item.rel).with_suffix(".yaml"))] = _dump(e.data)
        if entries:
            out["azuredeploy.json"] = json.dumps(self.template(entries, ctx), indent=2, ensure_ascii=False) + "\n"
        return out

    def template(self, entries: list[Entry], ctx: Context) -> dict:
        resources = []
        for e in entries:
            r = e.data
            props = {
                "displayName": r["name"],
                "description": r["description"],
                "severity": r["severity"],
                "enabled": ctx.enabled,
                "query": r["query"],
                "queryFrequency": schedule.iso8601(_seconds(r["queryFrequency"])),
                "queryPeriod": schedule.iso8601(_seconds(r["queryPeriod"])),
                "triggerOperator": OPERATORS[r["triggerOperator"]],
                "triggerThreshold": r["triggerThreshold"],
                "suppressionDuration": "PT5H",
                "suppressionEnabled": False,
                "tactics": r["tactics"],
                # this API version takes technique ids only (sub-techniques: their parent)
                "techniques": list(dict.fromkeys(t.split(".")[0] for t in r["relevantTechniques"])),
                "eventGroupingSettings": r["eventGroupingSettings"],
                "incidentConfiguration": {
                    "createIncident": True,
                    "groupingConfiguration": {"enabled": False, "reopenClosedIncident": False,
                                              "lookbackDuration": "PT5H", "matchingMethod": "AllEntities"},
                },
            }
            if "entityMappings" in r:
                props["entityMappings"] = r["entityMappings"]
            resources.append({
                "type": "Microsoft.SecurityInsights/alertRules",
                "apiVersion": API_VERSION,
                "name": r["id"],
                "scope": "[format('Microsoft.OperationalInsights/workspaces/{0}', parameters('workspace'))]",
                "kind": "Scheduled",
                "properties": _arm_literal(props),
            })
        return {
            "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
            "contentVersion": "1.0.0.0",
            "parameters": {"workspace": {"type": "string", "metadata": {
                "description": "The Log Analytics workspace where Microsoft Sentinel is enabled"}}},
            "resources": resources,
        }


def _seconds(text: str) -> int:
    return duration_seconds(text) or 0  # written by format_duration above: always a duration
