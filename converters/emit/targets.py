"""The targets: one record each, read by every stage.

A record names everything a target is made of: the pySigma backend and the
pipelines that emit its query, the language the query is in, the executor
that runs it and the platform model whose records it runs over. Emit, the
proof, the CLI, the docs generator and the tests all read these records;
adding a target is adding a record and its parts.

The records live in the emit stage because that is the lowest layer that
sees all their parts: executors, platform models and engine adapters sit
below emit (converters.engine and the language packages, converters.platforms).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from converters.emit import pipelines
from converters.emit.cloud_pipelines import cloud_audit, skip_cloud
from converters.emit.backend_elastic import ElasticEqlBackend, ElasticEsqlBackend, ElasticLuceneBackend
from converters.emit.backend_kusto import RuleportKustoBackend
from converters.emit.backend_splunk import SplunkSearchBackend, SplunkTstatsBackend
from converters.emit.correlation.base import target_field
from converters.translate.fieldmap import ecs_of
from converters.emit.kibana_kql import KibanaKqlBackend
from converters.engine.executor import Executor
from converters.eql.evaluator import EqlExecutor
from converters.esql.executor import EsqlExecutor
from converters.kql.evaluator import KibanaKqlExecutor
from converters.kusto.executor import KustoExecutor
from converters.lucene.executor import LuceneExecutor
from converters.lint.ecs import ecs_table
from converters.platforms import elastic as elastic_platform
from converters.platforms import facts
from converters.platforms import models as platforms
from converters.platforms.cloud import models as cloud_platforms
from converters.spl.executor import SplunkSearchExecutor
from converters.sqlite.executor import SigmaSqliteExecutor


@dataclass(frozen=True)
class Target:
    name: str
    heading: str            # short column heading of the proof matrix
    extension: str          # of the files `convert --out` writes
    language: str           # the query language of the output (parsed by converters.<language>)
    backend: type | None    # the pySigma backend (None: the output is the Sigma rule itself)
    pipelines: tuple[Callable, ...]   # processing-pipeline factories, applied in order
    data: str               # the events the query is written for
    description: str
    executor: Callable[[], Executor]  # makes the executor that runs the output
    platform: platforms.PlatformModel  # how the target's platform records a fixture event
    base: str = ""          # the stock pySigma backend it is built on, if any
    # `ruleport package`: the deployable formats written for it (converters.package.FORMATS)
    # and the deployment settings it takes (converters.load.settings.SETTINGS)
    artifacts: tuple[str, ...] = ()
    settings: tuple[str, ...] = ()

    @property
    def backend_path(self) -> str:
        return f"{self.backend.__module__}.{self.backend.__qualname__}" if self.backend else ""

    @property
    def pipeline_names(self) -> tuple[str, ...]:
        return tuple(f"ruleport.{p.__name__}" for p in self.pipelines)

    def build_pipeline(self):
        """A fresh pipeline (pySigma transformations are bound to one pipeline), or None."""
        pipeline = None
        for make in self.pipelines:
            p = make()
            pipeline = p if pipeline is None else pipeline + p
        return pipeline

    def as_dict(self) -> dict:
        return {
            "name": self.name, "extension": self.extension, "backend": self.backend_path, "base": self.base,
            "pipelines": list(self.pipeline_names), "data": self.data, "description": self.description,
            "artifacts": list(self.artifacts), "settings": list(self.settings),
        }


def _sigma_in_sqlite() -> Executor:
    # the sigma column reads argv from the command line, as the other targets do (pipelines.sigma_records);
    # a correlation's join keys go through that pipeline per referenced rule, as emit maps them
    return SigmaSqliteExecutor(pipelines.sigma_records, target_field, ecs_of, pipelines.sigma_record_arrays())


def defender_executor() -> Executor:
    """Kusto over Defender XDR's advanced hunting tables (their columns: the platform facts,
    and the cloud facts for CloudAppEvents)."""
    return KustoExecutor({**facts.kusto_schema("defender"), **cloud_platforms.kusto_schema("defender")},
                         "kusto-defender")


def sentinel_executor() -> Executor:
    """Kusto over Sentinel's ASIM parsers (their columns: the platform facts) and the cloud audit
    tables (their columns: the cloud facts)."""
    return KustoExecutor({**facts.kusto_schema("asim"), **cloud_platforms.kusto_schema("sentinel")},
                         "kusto-sentinel")


def lucene_executor() -> Executor:
    """Lucene over Elastic documents whose fields are indexed by their mapped type (ip, numbers,
    keywords): the Defend index templates of the platform facts, and ECS for other ECS fields."""
    return LuceneExecutor(field_types=elastic_platform.field_types(ecs_table().fields))


_ELASTIC_DATA = ("Elastic Defend events, ECS fields and .caseless multi-fields: logs-endpoint.events.process-* "
                 "for process_creation, logs-endpoint.events.<file|network|registry|library>-* for the other "
                 "Defend logsources; category-less rules: ECS data in the original rule's indexes")

_KIBANA = dict(artifacts=("kibana-ndjson",), settings=("index", "fields", "enabled"))
_SPLUNK_APP = ("splunk-app",)

_LIST = [
    Target("sigma", "sigma", ".yml", "sigma", None, (),
           "Sigma's taxonomy for every logsource the translator writes (any Sigma consumer); the proof runs it "
           "over the Sigma records of each event (taxonomy names plus the ECS fields it has no name for)",
           "the Sigma rule itself, unchanged", _sigma_in_sqlite, platforms.SIGMA, artifacts=("sigma-folder",)),
    Target("splunk", "spl", ".spl", "spl", SplunkSearchBackend, (cloud_audit("splunk"), skip_cloud(pipelines.splunk_sysmon)),
           "Sysmon for Windows (EventCode 1, 3, 5, 6, 7, 11, 12/13/14, 22, 23/26) via the Splunk Add-on for "
           "Sysmon, Sysmon for Linux (sourcetype sysmon:linux: 1, 3, 5, 11, 23) and PowerShell script blocks "
           "(EventCode 4104), Security logons (4624/4625) and the Security channel's other events "
           "(XmlWinEventLog:Security) via the Splunk Add-on for Microsoft Windows, sshd logins "
           "(linux_secure) via the Splunk Add-on for Unix and Linux; one data model per event kind; cloud and "
           "SaaS audit records by their add-ons' sourcetypes (aws:cloudtrail, o365:management:activity, ...)",
           "SPL search: the conditions Splunk evaluates in the base search, `| regex` for a regex, "
           "rex/eval flags only for regexes under OR",
           SplunkSearchExecutor, platforms.SYSMON, "sigma.backends.splunk.SplunkBackend", artifacts=_SPLUNK_APP,
           settings=("index", "sourcetype", "source", "macro", "app", "security_domain", "fields", "enabled")),
    Target("splunk-cim", "cim", ".spl", "spl", SplunkTstatsBackend, (cloud_audit("cim"), skip_cloud(pipelines.splunk_cim)),
           "Splunk CIM data models (accelerated or not): Endpoint.Processes, Endpoint.Filesystem, "
           "Endpoint.Registry, Network_Traffic.All_Traffic, Network_Resolution.DNS, Authentication (sshd logins)",
           "| tstats over the rule's data model: conditions in `where`, the rest after it on the grouped fields",
           SplunkSearchExecutor, platforms.CIM, "sigma.backends.splunk.SplunkBackend", artifacts=_SPLUNK_APP,
           settings=("app", "security_domain", "enabled")),
    Target("lucene", "luc", ".lucene", "lucene", ElasticLuceneBackend, (pipelines.elastic_defend,),
           _ELASTIC_DATA, "Lucene query string",
           lucene_executor, platforms.ELASTIC, "sigma.backends.elasticsearch.LuceneBackend", **_KIBANA),
    Target("eql", "eql", ".eql", "eql", ElasticEqlBackend, (pipelines.elastic_defend_eql,),
           _ELASTIC_DATA, "Elastic EQL (`process where ...`)",
           EqlExecutor, platforms.ELASTIC, "sigma.backends.elasticsearch.EqlBackend", **_KIBANA),
    Target("esql", "esql", ".esql", "esql", ElasticEsqlBackend, (pipelines.elastic_defend,),
           _ELASTIC_DATA, "ES|QL (FROM ... | WHERE ...)",
           EsqlExecutor, platforms.ELASTIC, "sigma.backends.elasticsearch.ESQLBackend", **_KIBANA),
    Target("kibana-kql", "kql", ".kql", "kql", KibanaKqlBackend, (pipelines.elastic_defend,),
           _ELASTIC_DATA, "Kibana Query Language (ruleport's own pySigma backend)",
           KibanaKqlExecutor, platforms.ELASTIC, "sigma.conversion.base.TextQueryBackend", **_KIBANA),
    Target("kusto-defender", "mde", ".kql", "kusto", RuleportKustoBackend, (cloud_audit("defender"), skip_cloud(pipelines.defender_xdr)),
           "Microsoft Defender XDR advanced hunting: DeviceProcessEvents, DeviceFileEvents, DeviceRegistryEvents, "
           "DeviceNetworkEvents, DeviceImageLoadEvents, DeviceEvents (DnsQueryResponse, DriverLoad), DeviceLogonEvents "
           "(Windows logons); Microsoft 365 "
           "audit records in CloudAppEvents",
           "Kusto over the rule's table, its ActionType filter first",
           defender_executor, platforms.DEFENDER, "sigma.backends.kusto.KustoBackend",
           artifacts=("defender-detection-rule",), settings=("enabled",)),
    Target("kusto-sentinel", "asim", ".kql", "kusto", RuleportKustoBackend, (cloud_audit("sentinel"), skip_cloud(pipelines.sentinel_asim)),
           "Microsoft Sentinel ASIM parsers: imProcessCreate, imFileEvent, imRegistry, imNetworkSession, imDns, "
           "imAuthentication (sshd and Windows logons); "
           "PowerShell script blocks from WindowsEvent and the Security channel's events from SecurityEvent (no "
           "ASIM schema has them); library and driver loads from "
           "DeviceImageLoadEvents and DeviceEvents (DriverLoad), which no ASIM schema has either: the Microsoft "
           "Defender XDR connector streams them from advanced hunting (a deployment prerequisite, like the "
           "connectors of every other table); cloud and SaaS audit tables "
           "(AWSCloudTrail, OfficeActivity, AzureActivity, SigninLogs, AuditLogs, GCPAuditLogs, OktaV2_CL, AKSAudit, "
           "GitHubAuditLogsV3_CL)",
           "Kusto over the rule's parser or table, its EventType/DvcOs (ActionType) filter first",
           sentinel_executor, platforms.ASIM, "sigma.backends.kusto.KustoBackend",
           artifacts=("sentinel-analytics",), settings=("table", "connectors", "fields", "enabled")),
]

TARGETS: dict[str, Target] = {t.name: t for t in _LIST}
