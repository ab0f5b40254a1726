"""The Elastic targets' data models: one per Sigma logsource the translator produces from Defend data.

Keys are the field names of the Sigma rules ruleport writes (Sigma's
taxonomy, plus ECS names where the taxonomy has none); values are the ECS
field names Elastic Defend writes. `names` maps a Sigma path field to the
field holding just its last component (used for `Image|endswith: '\\name'`).
Which fields have a `.caseless` multi-field is not declared here: it is read
from the index templates in the platform facts
(converters/data/platforms/elastic-defend.json), for the indexes the rule
reads (its own, from the logsource definition, else the model's `index`).

Elastic Defend writes one data stream per event kind: process starts
(ELASTIC_DEFEND), file_event, network_connection, registry_event,
image_load, dns_query, plus ELASTIC_ECS for rules with no category (the
translator's fallback: ECS field names kept as they are). ELASTIC_POWERSHELL
holds PowerShell script blocks as Elastic's Windows integration indexes
them (its facts: converters/data/platforms/elastic-integrations.json). The
other targets' models are in converters.emit.tables_splunk and
tables_microsoft.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from converters.lint.ecs import ecs_multi_valued, ecs_table
from converters.platforms import facts


@functools.cache
def _ecs_names() -> frozenset[str]:
    return frozenset(ecs_table().fields)


@functools.cache
def _ecs_top_level() -> frozenset[str]:
    """ECS fields without a dot (message, tags, labels...), which a dotted-name check misses."""
    return frozenset(n for n in ecs_table().fields if "." not in n and not n.startswith("@"))


_TEXT_TYPES = ("text", "match_only_text")


@functools.cache
def _ecs_text() -> dict[str, str]:
    """ECS's analysed fields (message, error.message, the `.text` multi-fields): match_only_text,
    which always has the standard analyzer (Elasticsearch mapping reference, match_only_text)."""
    return {n: "standard" for n, t in ecs_table().fields.items() if t in _TEXT_TYPES}


def _text_of(table: facts.Table) -> dict[str, str]:
    return {n: f.analyzer or "standard" for n, f in table.fields.items() if f.type in _TEXT_TYPES}


@functools.cache
def _integrations_text() -> dict[str, str]:
    """The analysed fields of every integration data stream the facts declare."""
    out: dict[str, str] = {}
    for table in facts.platform("elastic-integrations").tables.values():
        out.update(_text_of(table))
    return out


@dataclass(frozen=True)
class DataModel:
    platform: str
    fields: dict[str, str]
    names: dict[str, str] = field(default_factory=dict)
    argv: dict[str, str] = field(default_factory=dict)        # ECS argv field -> Sigma command-line field
    argc: dict[str, str] = field(default_factory=dict)        # ECS argument count -> Sigma command-line field
    unavailable: tuple[str, ...] = ()
    stream: str | None = None                                 # Elastic: the facts table of the data stream
    arrays: tuple[str, ...] = ()                              # fields holding arrays ("any element")
    scope: dict[str, object] = field(default_factory=dict)    # what selects process starts in the data
    native: tuple[str, ...] = ()                              # platform fields a rule may name directly
    products: tuple[str, ...] = ("windows", "linux", "macos")  # Sigma logsource products the data holds
    os_scope: dict[str, dict] = field(default_factory=dict)   # product -> what selects that OS (if anything)
    implied: dict[str, tuple[str, ...]] = field(default_factory=dict)  # ECS field -> values every scoped event has
    domain_user: bool = False                                 # the user field holds DOMAIN\name
    category: str | None = "process_creation"                 # Sigma logsource category (None: none named)
    index: str = "logs-endpoint.events.process-*"             # Elastic: the indexes holding the data
    ecs: bool = False                                         # Elastic: other dotted (ECS) names pass unchanged
    facts: tuple[str, str] | None = None                      # Elastic integration: (platform, table) of its facts
    selects: tuple[str, ...] = ()                             # fields (`x.`: prefixes) that choose this model

    @property
    def caseless(self) -> tuple[str, ...]:
        """The fields with a `.caseless` multi-field in the data stream's index template."""
        return facts.table("elastic", self.stream).with_multi("caseless") if self.stream else ()

    @property
    def multi_valued(self) -> tuple[str, ...]:
        """The fields that may hold several values: the model's own arrays and every field ECS
        normalizes to an array (process.env_vars, host.ip, ...), as the fixtures hold them."""
        return tuple(sorted(set(self.arrays) | ecs_multi_valued()))

    @property
    def table(self) -> facts.Table | None:
        """An integration's data stream (not Defend's): its facts table."""
        return facts.table(*self.facts) if self.facts else None

    def text_fields(self) -> dict[str, str]:
        """The analysed (`text`, `match_only_text`) fields of the data the model reads -> their
        analyzer: an integration's data stream's and ECS's; for rules naming no category (any
        index: ELASTIC_ECS), ECS's and every integration's the facts declare. Defend's keyword
        models: none (their text multi-fields are not read by the translated rules)."""
        if self.table is not None:
            return {**_ecs_text(), **_text_of(self.table)}
        if self.category is None and self.ecs:
            return {**_ecs_text(), **_integrations_text()}
        return {}

    def known_fields(self) -> tuple[str, ...]:
        caseless = {f + ".caseless" for f in self.caseless}
        own = set(self.table.fields) | _ecs_names() if self.table else set()
        if self.stream:  # every field the Defend data stream's index template maps (platform facts)
            own |= set(facts.table("elastic", self.stream).fields)
        top = _ecs_top_level() if self.ecs or self.table else set()
        return tuple(sorted(set(self.fields.values()) | set(self.names.values()) | set(self.native) | caseless | own
                            | top))


# Elastic Defend process events (index logs-endpoint.events.process-*), ECS names.
# process.args is an array; event.category/event.type are arrays.
ELASTIC_DEFEND = DataModel(
    platform="Elastic Defend (logs-endpoint.events.process-*)",
    fields={
        "Image": "process.executable",
        "CommandLine": "process.command_line",
        "ParentImage": "process.parent.executable",
        "ParentCommandLine": "process.parent.command_line",
        "OriginalFileName": "process.pe.original_file_name",
        "User": "user.name",
        "CurrentDirectory": "process.working_directory",
        "Company": "process.pe.company",
        "Product": "process.pe.product",
        "Description": "process.pe.description",
        "FileVersion": "process.pe.file_version",
        "ProcessId": "process.pid",
        "ParentProcessId": "process.parent.pid",
        "IntegrityLevel": "process.Ext.token.integrity_level_name",
        "md5": "process.hash.md5",
        "sha1": "process.hash.sha1",
        "sha256": "process.hash.sha256",
        "ProcessGuid": "process.entity_id",  # the translation's name for ECS process.entity_id
    },
    names={"Image": "process.name", "ParentImage": "process.parent.name"},
    stream="logs-endpoint.events.process",
    arrays=("process.args", "process.parent.args", "event.category", "event.type"),
    native=(
        "process.args", "process.args_count", "process.parent.args", "process.parent.args_count",
        "process.code_signature.subject_name", "process.code_signature.trusted", "process.code_signature.status",
        "process.parent.code_signature.subject_name", "process.parent.code_signature.trusted",
        "process.pe.original_file_name", "user.domain", "user.id", "event.action", "event.type",
        "event.category", "event.code", "event.dataset", "event.module", "data_stream.dataset", "host.os.type",
        "process.code_signature.exists", "process.parent.code_signature.exists", "process.entity_id",
        "process.parent.entity_id", "process.Ext.effective_parent.executable", "process.Ext.effective_parent.name",
        "container.id", "process.pe.imphash", "process.interactive", "process.env_vars",
        "process.entry_leader.entry_meta.type", "process.entry_leader.executable",
        "process.session_leader.executable", "user.Ext.real.id", "group.Ext.real.id",
        "process.entry_leader.same_as_process", "process.parent.interactive", "process.user.id",
        "process.thread.capabilities.effective", "container.security_context.privileged",
        "host.id", "host.name", "host.hostname", "agent.id",  # every Defend event names its host and agent
    ),
    # Sigma's process_creation: process starts, which Elastic data types "start" (Defend, Sysmon via
    # Winlogbeat) or "process_started" (older Auditbeat/Endgame data; 147 Elastic rules test both)
    scope={"event.category": "process", "event.type": ["start", "process_started"]},
    os_scope={os: {"host.os.type": os} for os in ("windows", "linux", "macos")},
)

# --- Elastic Defend, one table per event kind (Elastic targets only) --------
#
# Defend's array fields beyond ECS's own (a condition holds when any element
# matches); ES|QL needs to know them (MV_CONCAT). DataModel.multi_valued adds
# every field ECS normalizes to an array.
ECS_ARRAYS = (
    "event.category", "event.type", "process.args", "process.parent.args", "related.ip", "related.user",
    "related.hosts", "dns.resolved_ip", "registry.data.strings", "file.Ext.header_bytes", "dns.answers.data",
)
_OS_SCOPE = {os: {"host.os.type": os} for os in ("windows", "linux", "macos")}

# `.caseless` multi-fields: those the data stream's index template declares
# (platform facts). Every other field (dll.*, registry.*, destination.domain,
# dns.question.name, user.name) is a plain keyword: case-insensitive matches
# there use the target's own fallback (Lucene two-case regex, KQL case
# spellings, ES|QL TO_LOWER).

# No event.type scope: Defend file events are creation, change, deletion and
# rename, and Sigma's file_event covers file activity in general.
ELASTIC_DEFEND_FILE = DataModel(
    platform="Elastic Defend file events (logs-endpoint.events.file-*)",
    category="file_event",
    index="logs-endpoint.events.file-*",
    fields={"TargetFilename": "file.path", "Image": "process.executable", "User": "user.name"},
    names={"TargetFilename": "file.name", "Image": "process.name"},
    stream="logs-endpoint.events.file",
    arrays=ECS_ARRAYS,
    scope={"event.category": "file"},
    os_scope=_OS_SCOPE,
    ecs=True,
)

# Connection events; DNS lookups share the index and category (see below).
ELASTIC_DEFEND_NETWORK = DataModel(
    platform="Elastic Defend network events (logs-endpoint.events.network-*)",
    category="network_connection",
    index="logs-endpoint.events.network-*",
    fields={
        "DestinationIp": "destination.ip", "DestinationPort": "destination.port",
        "DestinationHostname": "destination.domain", "SourceIp": "source.ip", "SourcePort": "source.port",
        "Protocol": "network.transport", "Image": "process.executable", "User": "user.name",
    },
    names={"Image": "process.name"},
    stream="logs-endpoint.events.network",
    arrays=ECS_ARRAYS,
    scope={"event.category": "network"},
    os_scope=_OS_SCOPE,
    ecs=True,
)

# Registry events exist on Windows only. registry.data.strings is an array.
ELASTIC_DEFEND_REGISTRY = DataModel(
    platform="Elastic Defend registry events (logs-endpoint.events.registry-*)",
    category="registry_event",
    index="logs-endpoint.events.registry-*",
    fields={"TargetObject": "registry.path", "Details": "registry.data.strings", "Image": "process.executable"},
    names={"Image": "process.name"},
    stream="logs-endpoint.events.registry",
    arrays=ECS_ARRAYS,
    scope={"event.category": "registry"},
    os_scope={"windows": {"host.os.type": "windows"}},
    products=("windows",),
    ecs=True,
)

# Library (DLL / shared object) loads.
ELASTIC_DEFEND_LIBRARY = DataModel(
    platform="Elastic Defend library events (logs-endpoint.events.library-*)",
    category="image_load",
    index="logs-endpoint.events.library-*",
    fields={"ImageLoaded": "dll.path", "Image": "process.executable"},
    names={"ImageLoaded": "dll.name", "Image": "process.name"},
    stream="logs-endpoint.events.library",
    arrays=ECS_ARRAYS,
    scope={"event.category": "library"},
    os_scope=_OS_SCOPE,
    ecs=True,
)

# Defend writes DNS lookups (event.action lookup_requested / lookup_result) to
# the network index with event.category network. The scope asks for the
# question name to exist rather than for those actions: it selects exactly
# the events a QueryName condition can be read on, whatever the action names.
ELASTIC_DEFEND_DNS = DataModel(
    platform="Elastic Defend DNS events (logs-endpoint.events.network-*, dns.question.name present)",
    category="dns_query",
    index="logs-endpoint.events.network-*",
    fields={"QueryName": "dns.question.name", "Image": "process.executable"},
    names={"Image": "process.name"},
    stream="logs-endpoint.events.network",
    arrays=ECS_ARRAYS,
    scope={"event.category": "network", "dns.question.name|exists": True},
    os_scope=_OS_SCOPE,
    ecs=True,
)

# Rules that name no logsource category: the translator's fallback for
# queries that test neither event.category nor a known OS (logsource
# `product: elastic` with the rule's indexes as `definition`, or the
# product/service of an event.dataset). Their fields are ECS names already,
# so they pass unchanged; the data is whatever the original rule's indexes
# hold (index: `logs-*` unless the definition names them), `.caseless`
# multi-fields only where every index named is a Defend data stream's whose
# template declares them (transforms.RuleIndexes), and a host.os.type product is
# enforced as the original query did. Sigma taxonomy names (no dot) are refused.
ELASTIC_ECS = DataModel(
    platform="ECS data as the original Elastic rule's indexes hold it",
    category=None,
    index="logs-*",
    fields={},
    arrays=ECS_ARRAYS,
    os_scope=_OS_SCOPE,
    products=(),  # any product
    ecs=True,
)

# PowerShell script block logging (event 4104) as Elastic's Windows integration indexes it
# (Winlogbeat's winlogbeat-* the same; converters/data/platforms/elastic-integrations.json).
# Elastic files script blocks under event.category process with event.type info, which the
# translator reads as Sigma's process_creation: a process_creation rule that names one of the
# integration's powershell.* fields is this model's. Its scope is the category alone (a script block is no process
# start); its fields are the data stream's own and ECS's (Fleet's ecs@mappings).
ELASTIC_POWERSHELL = DataModel(
    platform="Windows PowerShell script blocks (logs-windows.powershell_operational-*)",
    category="process_creation",
    index="logs-windows.powershell_operational-*",
    fields={},
    facts=("elastic-integrations", "logs-windows.powershell_operational"),
    selects=("powershell.",),
    arrays=ECS_ARRAYS,
    scope={"event.category": "process"},
    os_scope={"windows": {"host.os.type": "windows"}},
    products=("windows",),
)

# Sysmon records naming a target process (event 10 ProcessAccess, 8 CreateRemoteThread) as the
# Windows integration (and Winlogbeat) index them: event.category process, event.type access or
# change, never start. Elastic's rules read them as `process where event.code == "10"`, which the
# translator calls process_creation: a process_creation rule naming the target process's Sysmon
# fields is this model's, scoped by its category alone (its event.code says which record).
ELASTIC_SYSMON_TARGET = DataModel(
    platform="Sysmon process access records (logs-windows.sysmon_operational-*)",
    category="process_creation",
    index="logs-windows.sysmon_operational-*",
    fields={"Image": "process.executable", "User": "user.name", "ProcessId": "process.pid",
            "ProcessGuid": "process.entity_id"},
    names={"Image": "process.name"},
    facts=("elastic-integrations", "logs-windows.sysmon_operational"),
    selects=("winlog.event_data.TargetImage", "winlog.event_data.GrantedAccess", "winlog.event_data.CallTrace",
             "winlog.event_data.TargetProcessGUID", "winlog.event_data.TargetProcessId"),
    arrays=ECS_ARRAYS,
    scope={"event.category": "process"},
    os_scope={"windows": {"host.os.type": "windows"}},
    products=("windows",),
)

# The Elastic targets' tables, in the order their pipeline tries them (a model that `selects`
# fields before the other models of its category).
ELASTIC_MODELS = (
    ELASTIC_POWERSHELL, ELASTIC_SYSMON_TARGET, ELASTIC_DEFEND, ELASTIC_DEFEND_FILE, ELASTIC_DEFEND_NETWORK, ELASTIC_DEFEND_REGISTRY,
    ELASTIC_DEFEND_LIBRARY, ELASTIC_DEFEND_DNS, ELASTIC_ECS,
)
