"""Emit: a Sigma rule to the query text of each SIEM target, through pySigma.

    targets      one record per target (backend, pipelines, executor, platform model, ...)
    core         emit(), prepare(): a Sigma rule through a target's pipelines and backend
    errors       EmitError

Data models: which platform field holds what
    datamodels        the Elastic targets: one declared table per Defend event kind
    tables            EndpointModel: one Sigma logsource on one platform table
    tables_splunk     the Sysmon and CIM models; tables_microsoft: Defender XDR and ASIM
    tables_winlog     Windows event log records: event codes, EventData fields, what is never received
    equivalents       how a table states an ECS field it has no column for
    actions           event.type / event.action as the table's action field

Each detection item resolved against a model (approximations noted)
    platform_conditions  the transformation: each item kept, rewritten or a constant
    endpoint_items       what an endpoint model makes of an item
    record_notes         the process's account and one-value arrays, on every platform
    item_values          an item's values as plain strings, patterns, regexes for notes
    cloud                a cloud or SaaS source: each ECS field from the source's facts
    cloud_reading        one raw path of the source's records read on the platform
    cloud_paths          a raw path as a Splunk extraction name or a Kusto expression
    json_text            regexes over the JSON text a platform keeps of an object
    cloud_conditions     detection items and the notes' conditions, one as the other
    formulas, folding    a rule as and/or/not over its items; constant folding

Pipelines
    transforms           ruleport's pySigma transformations
    argv                 argv, argument count and user name from what a platform records
    endpoint_pipelines   the Splunk, CIM, Defender and Sentinel pipelines from the models
    cloud_pipelines      cloud and SaaS rules in those pipelines
    pipelines            processing pipelines built from the tables, by name

Query languages
    backend_*            stock backends subclassed where they lose meaning
    kibana_kql           ruleport's own Kibana Query Language backend
    correlation          Sigma correlation rules per query language
    strings, regex, regex_values   Sigma strings and regexes in each language's shape

Importing this package loads pySigma and every backend: the commands that
do not emit (validate) never import it.
"""

from converters.emit.core import Emitted, emit, prepare
from converters.emit.errors import EmitError
from converters.emit.targets import TARGETS, Target

__all__ = ["TARGETS", "Target", "emit", "prepare", "Emitted", "EmitError"]
