"""Elastic (lucene, eql, esql, kibana-kql): the document as Elasticsearch indexes it.

Every event is present. The document is the doc-values view (dotted path ->
list of values; arrays kept as several values; nulls and empty arrays
absent), plus:

- `_index`: the index the document lives in, which ES|QL's FROM selects.
  The event's own `_index` when it names one (a search hit's metadata: the
  synthesizer sets it on an event that would otherwise live outside the
  rule's indexes, converters/prove/synthesis/indexes.py); else from the event's `data_stream.type/dataset/namespace` when it names them,
  else `logs-<event.dataset>-default`, else the Elastic Defend data stream of
  its event kind (process, file, network (also DNS lookups), registry,
  library); an event that names no kind goes to the first Defend data stream
  whose index template maps every field it holds, one of them of the
  stream's own kind (process.*, file.*, ...; process first); else
  `logs-generic-default` (Fleet's data stream for logs with no dataset).
- `.caseless` multi-fields (the value lower-cased, as the `lowercase`
  normalizer gives it) on exactly the fields whose mapping declares one in
  that data stream's index template (converters/data/platforms/elastic-defend.json):
  a document in another index has none.
"""

from __future__ import annotations

import functools
from typing import Any, Mapping

from converters.engine.documents import flatten_ecs
from converters.platforms import facts
from converters.platforms.activity import Activity, first, get

#: the event kind whose events a Defend data stream holds (DNS lookups share the network stream)
_STREAM_OF_KIND = {"process": "process", "file": "file", "network": "network", "dns": "network",
                   "registry": "registry", "library": "library"}


def defend_table(kind: str | None) -> facts.Table | None:
    stream = _STREAM_OF_KIND.get(kind or "")
    return facts.table("elastic", f"logs-endpoint.events.{stream}") if stream else None


INDEX = "_index"


def index_of(event: Mapping[str, Any], kind: str | None) -> str:
    named = event.get(INDEX)
    if isinstance(named, str) and named:
        return named
    ds_type, dataset, namespace = (first(get(event, f"data_stream.{k}")) for k in ("type", "dataset", "namespace"))
    if isinstance(dataset, str) and dataset:
        return f"{ds_type or 'logs'}-{dataset}-{namespace or 'default'}"
    dataset = first(get(event, "event.dataset"))
    if isinstance(dataset, str) and dataset:
        return f"logs-{dataset}-default"
    # logons are no Defend data (Elastic's system and windows integrations): placed like an event of no kind
    table = defend_table(kind) if kind not in (None, "authentication", "winlog") else _mapping_every_field(event)
    if table is not None:
        return table.select["index"].replace("*", "default")
    return "logs-generic-default"


_UNMAPPED = ("@timestamp", "_index", "data_stream.")


#: the fields that make an event one of a Defend stream's kind
_OWN = {"process": ("process.",), "file": ("file.",), "network": ("source.", "destination.", "network.", "dns."),
        "registry": ("registry.",), "library": ("dll.",)}


def _mapping_every_field(event: Mapping[str, Any]) -> facts.Table | None:
    names = [n for n in flatten_ecs(event) if not n.startswith(_UNMAPPED)]
    for kind, own in _OWN.items():
        table = defend_table(kind)
        if table is not None and any(n.startswith(own) for n in names) and all(table.has(n) for n in names):
            return table
    return None


def caseless_fields(index: str) -> tuple[str, ...]:
    """The fields with a `.caseless` multi-field in the index template of `index`."""
    for table in facts.platform("elastic").tables.values():
        prefix = table.select["index"].rstrip("*")
        if index.startswith(prefix):
            return table.with_multi("caseless")
    return ()


def _template_of(pattern: str) -> facts.Table | None:
    """The Defend data stream whose index template maps every index `pattern` can name: the
    pattern begins with the stream's own prefix (`logs-endpoint.events.process-*` and
    `logs-endpoint.events.process-default`, not `logs-endpoint.events.*` nor `logs-*`, which also
    name indexes of other templates; a remote cluster's `c:...` is not known)."""
    for table in facts.platform("elastic").tables.values():
        if pattern.startswith(table.select["index"].rstrip("*")):
            return table
    return None


#: the prefix of every index the Elastic Defend (Endpoint) integration writes
DEFEND_PREFIX = "logs-endpoint."


def defend_only(patterns: list[str]) -> bool:
    """Whether the index patterns can name only Elastic Defend's indexes: every including pattern
    begins with `logs-endpoint.` before any wildcard (`logs-endpoint.events.process*` does;
    `auditbeat-*`, `winlogbeat-*`, `logs-*`, a remote cluster's `c:logs-endpoint...` do not).
    No pattern: none named, so no."""
    included = [p for p in patterns if not p.startswith("-")]
    return bool(included) and all(p.split("*", 1)[0].startswith(DEFEND_PREFIX) for p in included)


def caseless_in_every(patterns: list[str]) -> tuple[str, ...]:
    """The fields with a `.caseless` multi-field in every index the index patterns can name (an
    excluding `-pattern` only removes indexes); none when one pattern may name an index of
    another template, or when no pattern is given."""
    return _caseless_in_every(tuple(patterns))


# The functions of a rule's index patterns are asked for every rule and Elastic target (the
# pipelines' RuleIndexes): each answer is kept per pattern list (a few hundred distinct ones).
@functools.lru_cache(maxsize=2048)
def _caseless_in_every(patterns: tuple[str, ...]) -> tuple[str, ...]:
    included = [p for p in patterns if not p.startswith("-")]
    tables = [_template_of(p) for p in included]
    if not tables or any(t is None for t in tables):
        return ()
    common = set(tables[0].with_multi("caseless"))
    for table in tables[1:]:
        common &= set(table.with_multi("caseless"))
    return tuple(sorted(common))


@functools.lru_cache(maxsize=4096)
def caseless_templates(field: str) -> tuple[str, ...]:
    """The index patterns of the templates that give `field` a `.caseless` multi-field (exactly the
    indexes where render_elastic adds it)."""
    return tuple(t.select["index"] for t in facts.platform("elastic").tables.values()
                 if field in t.with_multi("caseless"))


def _may_name_prefixed(pattern: str, prefix: str) -> bool:
    """Whether the index pattern (`*`: any run) can name an index that begins with `prefix`."""
    for i, c in enumerate(prefix):
        if i >= len(pattern):
            return False
        if pattern[i] == "*":
            return True
        if pattern[i] != c:
            return False
    return True


def integration_fields(patterns: list[str]) -> frozenset[str]:
    """The fields of the integration data streams the index patterns can name (_integration_tables)."""
    return _integration_fields(tuple(patterns))


@functools.lru_cache(maxsize=2048)
def _integration_fields(patterns: tuple[str, ...]) -> frozenset[str]:
    return frozenset(f for t in _integration_tables(patterns) for f in t.fields)


def integration_text_fields(patterns: list[str]) -> dict[str, str]:
    """The analysed (`text`, `match_only_text`) fields of the integration data streams the index
    patterns can name -> their analyzer."""
    return dict(_integration_text_fields(tuple(patterns)))


@functools.lru_cache(maxsize=2048)
def _integration_text_fields(patterns: tuple[str, ...]) -> dict[str, str]:
    return {n: f.analyzer or "standard" for t in _integration_tables(patterns) for n, f in t.fields.items()
            if f.type in ("text", "match_only_text")}


@functools.lru_cache(maxsize=2048)
def _integration_tables(patterns: tuple[str, ...]) -> tuple[facts.Table, ...]:
    """The integration data streams (elastic-integrations.json: the Windows integration's Sysmon
    and PowerShell channels...) whose indexes some of the patterns can name:
    a table's `select.indexes` (its data stream, and Winlogbeat's `winlogbeat-*`, which hold the
    same fields) against the rule's including patterns."""
    included = [p for p in patterns if not p.startswith("-")]
    tables = []
    for table in facts.platform("elastic-integrations").tables.values():
        prefixes = [q.split("*", 1)[0] for q in table.select.get("indexes", [table.select["index"]])]
        if any(_may_name_prefixed(p, prefix) for p in included for prefix in prefixes):
            tables.append(table)
    return tuple(tables)


def caseless_in_some(patterns: list[str]) -> tuple[str, ...]:
    """The fields with a `.caseless` multi-field in some index the index patterns can name
    (`logs-endpoint.events.*` names indexes of every Defend stream's template)."""
    return _caseless_in_some(tuple(patterns))


@functools.lru_cache(maxsize=2048)
def _caseless_in_some(patterns: tuple[str, ...]) -> tuple[str, ...]:
    included = [p for p in patterns if not p.startswith("-")]
    fields: set[str] = set()
    for table in facts.platform("elastic").tables.values():
        prefix = table.select["index"].rstrip("*")
        if any(_may_name_prefixed(p, prefix) for p in included):
            fields.update(table.with_multi("caseless"))
    return tuple(sorted(fields))


def field_types(ecs: Mapping[str, str]) -> dict[str, str]:
    """Field -> Elasticsearch type as the indexes map it: the Defend data streams' index templates
    (the platform facts: their own fields, e.g. `process.Ext.*`, and ECS's), the integrations' data
    streams the facts declare (elastic-integrations.json: powershell.*), and ECS's type for the
    other ECS fields (`ecs`: field -> type, converters/data/ecs_fields.json), as the integrations'
    templates map ECS fields. The facts give each field one type across the Defend streams, and it is
    ECS's (tests hold both to that)."""
    types = dict(ecs)
    for table in facts.platform("elastic-integrations").tables.values():
        types.update((name, _analysed(f)) for name, f in table.fields.items())
    for table in facts.platform("elastic").tables.values():
        types.update((name, f.type) for name, f in table.fields.items())
    return types


def _analysed(f: facts.Field) -> str:
    """A field's type, naming its analyzer when it is an analysed field with another than the
    standard one (`text:powershell_script_analyzer`: the Lucene column indexes its words so)."""
    return f"{f.type}:{f.analyzer}" if f.analyzer and f.analyzer != "standard" else f.type


def render_elastic(event: Mapping[str, Any]) -> dict[str, list]:
    doc = flatten_ecs(event)
    index = index_of(event, Activity(event).kind)
    for name in caseless_fields(index):
        found = doc.get(name)
        if found:
            doc[name + ".caseless"] = [v.lower() if isinstance(v, str) else v for v in found]
    doc["_index"] = [index]
    return doc
