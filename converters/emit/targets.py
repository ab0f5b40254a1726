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
from converters.kusto.executor import defender_executor, sentinel_executor
from converters.lucene.executor import LuceneExecutor
from converters.platforms import models as platforms
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
    # the sigma column applies the same Sysmon argv/signer approximations the Sysmon targets do;
    # a correlation's join keys go through that pipeline per referenced rule, as emit maps them
    return SigmaSqliteExecutor(pipelines.sysmon_approximations, target_field, ecs_of)


_ELASTIC_DATA = ("Elastic Defend events, ECS fields and .caseless multi-fields: logs-endpoint.events.process-* "
                 "for process_creation, logs-endpoint.events.<file|network|registry|library>-* for the other "
                 "Defend logsources; category-less rules: ECS data in the original rule's indexes")

_KIBANA = dict(artifacts=("kibana-ndjson",), settings=("index", "fields", "enabled"))
_SPLUNK_APP = ("splunk-app",)

_LIST = [
    Target("sigma", "sigma", ".yml", "sigma", None, (), "Sigma process_creation taxonomy (any Sigma consumer)",
           "the Sigma rule itself, unchanged", _sigma_in_sqlite, platforms.SIGMA, artifacts=("sigma-folder",)),
    Target("splunk", "spl", ".spl", "spl", SplunkSearchBackend, (pipelines.splunk_sysmon,),
           'Sysmon Event ID 1 via the Splunk Add-on for Sysmon '
           '(source="XmlWinEventLog:Microsoft-Windows-Sysmon/Operational" EventCode=1)',
           "SPL search, fully parenthesised; regexes via rex/eval flags",
           SplunkSearchExecutor, platforms.SYSMON, "sigma.backends.splunk.SplunkBackend", artifacts=_SPLUNK_APP,
           settings=("index", "sourcetype", "source", "macro", "app", "security_domain", "fields", "enabled")),
    Target("splunk-cim", "cim", ".spl", "spl", SplunkTstatsBackend, (pipelines.splunk_cim,),
           "Splunk CIM Endpoint.Processes data model (accelerated or not)",
           "| tstats over datamodel=Endpoint.Processes",
           SplunkSearchExecutor, platforms.CIM, "sigma.backends.splunk.SplunkBackend", artifacts=_SPLUNK_APP,
           settings=("app", "security_domain", "enabled")),
    Target("lucene", "luc", ".lucene", "lucene", ElasticLuceneBackend, (pipelines.elastic_defend,),
           _ELASTIC_DATA, "Lucene query string",
           LuceneExecutor, platforms.ELASTIC, "sigma.backends.elasticsearch.LuceneBackend", **_KIBANA),
    Target("eql", "eql", ".eql", "eql", ElasticEqlBackend, (pipelines.elastic_defend_eql,),
           _ELASTIC_DATA, "Elastic EQL (`process where ...`)",
           EqlExecutor, platforms.ELASTIC, "sigma.backends.elasticsearch.EqlBackend", **_KIBANA),
    Target("esql", "esql", ".esql", "esql", ElasticEsqlBackend, (pipelines.elastic_defend,),
           _ELASTIC_DATA, "ES|QL (FROM ... | WHERE ...)",
           EsqlExecutor, platforms.ELASTIC, "sigma.backends.elasticsearch.ESQLBackend", **_KIBANA),
    Target("kibana-kql", "kql", ".kql", "kql", KibanaKqlBackend, (pipelines.elastic_defend,),
           _ELASTIC_DATA, "Kibana Query Language (ruleport's own pySigma backend)",
           KibanaKqlExecutor, platforms.ELASTIC, "sigma.conversion.base.TextQueryBackend", **_KIBANA),
    Target("kusto-defender", "mde", ".kql", "kusto", RuleportKustoBackend, (pipelines.defender_xdr,),
           "Microsoft Defender XDR advanced hunting, table DeviceProcessEvents",
           "Kusto over DeviceProcessEvents",
           defender_executor, platforms.DEFENDER, "sigma.backends.kusto.KustoBackend",
           artifacts=("defender-detection-rule",), settings=("enabled",)),
    Target("kusto-sentinel", "asim", ".kql", "kusto", RuleportKustoBackend, (pipelines.sentinel_asim,),
           "Microsoft Sentinel ASIM process events (imProcessCreate)",
           "Kusto over imProcessCreate",
           sentinel_executor, platforms.ASIM, "sigma.backends.kusto.KustoBackend",
           artifacts=("sentinel-analytics",), settings=("table", "connectors", "fields", "enabled")),
]

TARGETS: dict[str, Target] = {t.name: t for t in _LIST}
