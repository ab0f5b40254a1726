"""The emit targets: what each one produces and what it assumes (pure data)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    name: str
    extension: str
    backend: str            # class path of the pySigma backend ("" for the Sigma rule itself)
    pipelines: tuple[str, ...]
    data: str               # the events the query is written for
    description: str
    base: str = ""          # the stock pySigma backend it is built on, if any

    def as_dict(self) -> dict:
        return {
            "name": self.name, "extension": self.extension, "backend": self.backend, "base": self.base,
            "pipelines": list(self.pipelines), "data": self.data, "description": self.description,
        }


_ELASTIC_DATA = ("Elastic Defend events, ECS fields and .caseless multi-fields: logs-endpoint.events.process-* "
                 "for process_creation, logs-endpoint.events.<file|network|registry|library>-* for the other "
                 "Defend logsources; category-less rules: ECS data in the original rule's indexes")

_LIST = [
    Target("sigma", ".yml", "", (), "Sigma process_creation taxonomy (any Sigma consumer)",
           "the Sigma rule itself, unchanged"),
    Target("splunk", ".spl", "converters.emit.backend_splunk.SplunkSearchBackend", ("ruleport.splunk_sysmon",),
           'Sysmon Event ID 1 via the Splunk Add-on for Sysmon '
           '(source="XmlWinEventLog:Microsoft-Windows-Sysmon/Operational" EventCode=1)',
           "SPL search, fully parenthesised; regexes via rex/eval flags", "sigma.backends.splunk.SplunkBackend"),
    Target("splunk-cim", ".spl", "converters.emit.backend_splunk.SplunkTstatsBackend", ("ruleport.splunk_cim",),
           "Splunk CIM Endpoint.Processes data model (accelerated or not)",
           "| tstats over datamodel=Endpoint.Processes", "sigma.backends.splunk.SplunkBackend"),
    Target("lucene", ".lucene", "converters.emit.backend_elastic.ElasticLuceneBackend", ("ruleport.elastic_defend",),
           _ELASTIC_DATA, "Lucene query string", "sigma.backends.elasticsearch.LuceneBackend"),
    Target("eql", ".eql", "converters.emit.backend_elastic.ElasticEqlBackend", ("ruleport.elastic_defend_eql",),
           _ELASTIC_DATA, "Elastic EQL (`process where ...`)", "sigma.backends.elasticsearch.EqlBackend"),
    Target("esql", ".esql", "converters.emit.backend_elastic.ElasticEsqlBackend", ("ruleport.elastic_defend",),
           _ELASTIC_DATA, "ES|QL (FROM ... | WHERE ...)", "sigma.backends.elasticsearch.ESQLBackend"),
    Target("kibana-kql", ".kql", "converters.emit.kibana_kql.KibanaKqlBackend", ("ruleport.elastic_defend",),
           _ELASTIC_DATA, "Kibana Query Language (ruleport's own pySigma backend)",
           "sigma.conversion.base.TextQueryBackend"),
    Target("kusto-defender", ".kql", "converters.emit.backend_kusto.RuleportKustoBackend", ("ruleport.defender_xdr",),
           "Microsoft Defender XDR advanced hunting, table DeviceProcessEvents",
           "Kusto over DeviceProcessEvents", "sigma.backends.kusto.KustoBackend"),
    Target("kusto-sentinel", ".kql", "converters.emit.backend_kusto.RuleportKustoBackend", ("ruleport.sentinel_asim",),
           "Microsoft Sentinel ASIM process events (imProcessCreate)",
           "Kusto over imProcessCreate", "sigma.backends.kusto.KustoBackend"),
]

TARGETS: dict[str, Target] = {t.name: t for t in _LIST}
