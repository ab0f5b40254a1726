"""Cloud and SaaS audit sources: the vendor's record, how Elastic's integration
reads it, and how each platform records it. Declared data, one file per source
(converters/data/cloud/<source>.json), each fact with the document it comes from.

A source file says three things about one Elastic dataset (aws.cloudtrail,
o365.audit, azure.signinlogs, ...):

``fields`` (the integration's ingest pipeline, read backwards)
    ECS field -> the raw vendor field it comes from. Kinds:
    ``raw``        the value of a raw path (a list: the first path present);
                   ``values`` maps raw values to ECS values (``"*"``: any other
                   raw value; absent: the raw value itself), ``ip`` keeps only
                   values that are IP addresses (``only``: values matching a regex),
                   ``text`` says the ECS value is
                   the raw object as text (``java-map``: Java's Map.toString)
    ``object``     a raw object kept whole: ``F.x.y`` is the raw ``path.x.y`` (``keys``:
                   ``snake_case`` when the pipeline renamed every key from camelCase,
                   ``renames`` the sub-paths renamed otherwise; a numeric key is an array
                   position)
    ``keyed``      a raw list of name/value objects the pipeline turns into an object:
                   ``F.x`` is the ``value`` of the element whose ``key`` is x (with
                   ``value`` null, ``F.x.y`` is that element's y); ``key_chars``: the
                   characters of a name the pipeline replaced by ``_``; ``renames``: ECS
                   sub-path -> the element name (or the names, the first present) it was
                   renamed from (other sub-paths are the element's own name)
    ``derived``    computed by the pipeline from other fields: an ordered
                   decision list of ``{"when": condition, "value": v}`` over ECS
                   fields (the condition language of converters.notes); with
                   ``multi`` every case that holds adds its value (arrays)
    ``enrichment`` / ``parsed``  added by a lookup (GeoIP, ASN) or a parser
                   (user agent) that no other platform runs (a field's sub-fields too)
    ``extract``    on a raw field: the ECS value is the regex's first group in the raw value
    ``approximate`` on a raw field: the platform holds what the record says, which the
                   integration computes another way (a GeoIP lookup of the record's IP)
    ``absent``     the integration never fills it for this source
``constants``
    ECS fields every event of the source has with one value (the dataset).
``platforms``
    per platform key (``splunk``, ``cim``, ``sentinel``, ``defender``) the
    table or sourcetype holding the source and its columns: column -> the raw
    path it holds, its type, and how (``json``: the raw object as JSON text;
    ``enum``: raw value -> the platform's value). A ``json`` layout (Splunk's
    JSON field extraction) names every raw path itself, arrays marked ``{}``.
    ``other_columns``: the table's other documented columns (name -> type),
    which no field of the source is read from (Defender's Timestamp, ReportId).
    ``keys`` (json layout): top-level keys of the record the platform's add-on names
    otherwise (Google Workspace's ``events`` object is Splunk's ``event``).
    ``scope_by_tables``: the tables hold just the records of the scope (no column of
    theirs names it, as Entra ID Protection's categories): the query selects no column.
    ``also``: more tables with the same columns, each holding part of the
    source (``holds``: the ECS condition of its records; ``types``: its own
    column types, ``const``: its own constants, ``lacks``: the columns it
    does not have); ``scope`` is then what the
    tables hold together, and a query reads their union (Entra sign-ins:
    SigninLogs and AADNonInteractiveUserSignInLogs).
    ``refusals``: platform key -> why the platform has no model of the source.

Loaded on first use (no work at import time). The emit stage builds its data
models from these facts (converters.emit.cloud) and the platform models render
fixture events from the same facts (converters.platforms.cloud.render); the
translation's field mapping is never read here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

DATA = Path(__file__).resolve().parent.parent.parent / "data" / "cloud"
FORMAT = 1
PLATFORM_KEYS = ("splunk", "cim", "sentinel", "defender")
#: the Sigma logsource products of cloud and SaaS audit data (the first part of an Elastic
#: dataset); a rule of one of them is a cloud rule on every target, declared source or not
CLOUD_PRODUCTS = frozenset(("aws", "azure", "gcp", "o365", "okta", "kubernetes", "github", "google_workspace"))
FIELD_KINDS = ("raw", "object", "keyed", "derived", "enrichment", "parsed", "absent")
COLUMN_TYPES = ("string", "bool", "int", "long", "real", "datetime", "dynamic")
#: a column's raw path naming the whole record
ROOT = "."
#: stands for a dot inside one key of a raw path (written `[a.b]` in the data files)
DOT = "\u2024"


def encode_path(path: str) -> str:
    """A raw path as written in the data (`claims.[http://x.y/name]`) with the dots inside a
    bracketed key encoded, so that `.` separates keys everywhere else."""
    return re.sub(r"\[([^\]]*)\]", lambda m: m.group(1).replace(".", DOT), path)


def key(segment: str) -> str:
    """A raw path segment as the record's key."""
    return segment.replace(DOT, ".")


class CloudFactsError(ValueError):
    """A cloud facts file is malformed (a bug in the data, reported with its file)."""


@dataclass(frozen=True)
class Case:
    """One step of a derivation: `value` when `when` (a condition over ECS fields) holds."""

    value: Any
    when: dict | None = None
    copy: str | None = None             # the value is this ECS field's (when `when` holds)


@dataclass(frozen=True)
class EcsField:
    name: str
    kind: str
    raw: tuple[str, ...] = ()
    values: Mapping[str, Any] | None = None
    text: str | None = None
    ip: bool = False
    cases: tuple[Case, ...] = ()
    multi: bool = False
    why: str = ""
    type: str = "keyword"
    render: Any = None                  # the raw value rendered for the `"*"` of `values`
    only: str | None = None             # raw values copied only when they match this regex
    key: str = "Name"                   # keyed: the element's name field
    value: str | None = "Value"         # keyed: the element's value field (None: the element)
    key_chars: str = ""                 # keyed: characters of a name the pipeline made `_`
    keys: str | None = None             # object: "snake_case" when every key was snake-cased
    renames: Mapping[str, Any] | None = None  # object: ECS sub-path -> raw sub-path; keyed: -> element name(s)
    approximate: str | None = None      # raw: how the integration computes it otherwise
    extract: str | None = None          # raw: the ECS value is this regex's group 1 in the raw value

    def element_names(self, sub: str) -> tuple[str, ...]:
        """keyed: the names of the elements an ECS sub-path is read from (the first present)."""
        names = (self.renames or {}).get(sub, sub)
        return (names,) if isinstance(names, str) else tuple(names)

    def raw_sub(self, sub: str) -> str:
        """The raw sub-path of an ECS sub-path of this object field."""
        for ecs_sub, raw_sub in (self.renames or {}).items():
            if sub == ecs_sub:
                return raw_sub
            if sub.startswith(ecs_sub + "."):
                return raw_sub + "." + _camel_path(sub[len(ecs_sub) + 1:], self.keys)
        return _camel_path(sub, self.keys)


@dataclass(frozen=True)
class Column:
    name: str
    raw: str | None
    type: str = "string"
    json: bool = False                  # the raw object as JSON text
    enum: Mapping[str, str] | None = None  # raw value -> the platform's value
    const: str | None = None            # every record holds this value
    caseless: bool = False              # holds the raw value in another case: compare ignoring case


@dataclass(frozen=True)
class AlsoTable:
    """Another table of the platform holding part of the source with the same columns (a query
    reads the union of the tables): the records it holds, and its columns' own types."""

    table: str
    source: str
    holds: dict                                     # the ECS condition its events meet
    types: Mapping[str, str] = field(default_factory=dict)   # column -> this table's type
    consts: Mapping[str, str] = field(default_factory=dict)  # column -> this table's constant
    lacks: tuple[str, ...] = ()                      # declared columns this table does not have


@dataclass(frozen=True)
class Platform:
    key: str
    title: str
    source: str
    layout: str                         # "json" (field names are raw paths) or "table"
    select: Mapping[str, str]           # splunk: sourcetype; kusto: table (+ column filters)
    columns: Mapping[str, Column] = field(default_factory=dict)
    prefix: str = ""                    # json layout: the path the raw record sits under
    json_text: tuple[str, ...] = ()     # json layout: raw paths holding JSON as a string (spath)
    scope: dict | None = None           # the ECS condition an event meets to be in this table
    notes: tuple[str, ...] = ()
    other_columns: Mapping[str, str] = field(default_factory=dict)  # the table's other documented columns
    also: tuple[AlsoTable, ...] = ()    # table layout: more tables of the source (the query is their union)
    keys: Mapping[str, str] = field(default_factory=dict)  # json layout: record key -> the add-on's key
    scope_by_tables: bool = False       # the tables hold just the scope's records: no column selects them

    def platform_path(self, raw_path: str) -> str:
        """json layout: a raw path under the add-on's own top-level key."""
        head, dot, rest = raw_path.partition(".")
        return self.keys.get(head, head) + dot + rest

    @property
    def tables(self) -> tuple[str, ...]:
        return (self.table, *(a.table for a in self.also)) if self.table else ()

    @property
    def table(self) -> str | None:
        return self.select.get("table")

    def column_for(self, raw_path: str) -> tuple[Column, str] | None:
        """The column holding `raw_path`: (column, rest) where rest is the path inside the
        column's object ("" for the column itself); None when no column holds it."""
        best = None
        for col in self.columns.values():
            if col.raw is None:
                continue
            if col.raw == ROOT and best is None:
                best = (col, raw_path)  # the whole record (Defender's RawEventData)
                continue
            if col.raw == raw_path:
                return col, ""
            if raw_path.startswith(col.raw + ".") and (col.json or col.type == "dynamic"):
                if best is None or best[0].raw == ROOT or len(col.raw) > len(best[0].raw):
                    best = (col, raw_path[len(col.raw) + 1:])
        return best


@dataclass(frozen=True)
class Source:
    dataset: str
    product: str
    service: str
    title: str
    record: Mapping[str, str]
    integration: Mapping[str, str]
    constants: Mapping[str, str]
    fields: Mapping[str, EcsField]
    arrays: tuple[str, ...]
    platforms: Mapping[str, Platform]
    refusals: Mapping[str, str]
    path: str  # the data file, from the package root (converters/data/cloud/<source>.json)

    def ecs(self, name: str) -> tuple[EcsField, str] | None:
        """The declaration of ECS field `name`: (field, raw path) for raw and object fields
        (the path inside the object for an object's sub-field), (field, "") otherwise."""
        f = self.fields.get(name)
        if f is not None:
            return f, (f.raw[0] if f.kind in ("raw", "object", "keyed") and f.raw else "")
        best = None
        for prefix, f in self.fields.items():
            if f.kind in ("object", "keyed", "enrichment", "parsed", "absent") and name.startswith(prefix + "."):
                if best is None or len(prefix) > len(best[0]):
                    best = (prefix, f)
        if best is None:
            return None
        prefix, f = best
        if f.kind not in ("object", "keyed"):
            return f, ""  # a sub-field of a field no platform records
        sub = f.raw_sub(name[len(prefix) + 1:]) if f.kind == "object" else name[len(prefix) + 1:]
        return f, (sub if f.raw[0] == ROOT else f"{f.raw[0]}.{sub}")

    def is_array(self, raw_path: str) -> bool:
        return raw_path in self.arrays


def _camel(part: str) -> str:
    head, *rest = part.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _camel_path(sub: str, keys: str | None) -> str:
    """An ECS sub-path back to the record's keys: snake_case keys were camelCase; with `single`
    the whole sub-path is one key holding dots (Elasticsearch split it), with
    `underscored_dots` one key whose dots the pipeline wrote as _."""
    if keys == "single":
        return sub.replace(".", DOT)
    if keys == "underscored_dots":
        return sub.replace("_", DOT)
    if keys != "snake_case":
        return sub
    return ".".join(part if part.isdigit() else _camel(part) for part in sub.split("."))


def _case(spec: Any, where: str) -> Case:
    if not isinstance(spec, dict) or ("value" not in spec and "copy" not in spec):
        raise CloudFactsError(f"{where}: each case needs a value or a field to copy")
    when = spec.get("when")
    if when is not None and not isinstance(when, dict):
        raise CloudFactsError(f"{where}: `when` must be a condition object")
    return Case(spec.get("value"), when, spec.get("copy"))


def _field(name: str, spec: Any, where: str) -> EcsField:
    if not isinstance(spec, dict):
        raise CloudFactsError(f"{where}: field {name}: expected an object, got {spec!r}")
    kinds = [k for k in FIELD_KINDS if k in spec]
    if len(kinds) != 1:
        raise CloudFactsError(f"{where}: field {name}: name exactly one of {', '.join(FIELD_KINDS)}")
    kind = kinds[0]
    raw: tuple[str, ...] = ()
    cases: tuple[Case, ...] = ()
    why = ""
    if kind in ("raw", "object", "keyed"):
        value = spec[kind]
        raw = (value,) if isinstance(value, str) else tuple(value)
        raw = tuple(encode_path(p) for p in raw)
        if not raw or not all(isinstance(p, str) and p for p in raw):
            raise CloudFactsError(f"{where}: field {name}: {kind} needs a raw path or a list of them")
    elif kind == "derived":
        if not isinstance(spec["derived"], list) or not spec["derived"]:
            raise CloudFactsError(f"{where}: field {name}: derived needs a list of cases")
        cases = tuple(_case(c, f"{where}: field {name}") for c in spec["derived"])
    else:
        why = str(spec[kind])
    values = spec.get("values")
    if values is not None and not isinstance(values, dict):
        raise CloudFactsError(f"{where}: field {name}: values must map raw values to ECS values")
    return EcsField(name, kind, raw, values, spec.get("text"), bool(spec.get("ip")), cases,
                    bool(spec.get("multi")), why, spec.get("type", "keyword"), spec.get("render"), spec.get("only"),
                    spec.get("key", "Name"), spec.get("value", "Value"), spec.get("key_chars", ""),
                    spec.get("keys"), spec.get("renames"), spec.get("approximate"), spec.get("extract"))


def _column(name: str, spec: Any, where: str) -> Column:
    if isinstance(spec, str):
        return Column(name, encode_path(spec))
    if not isinstance(spec, dict):
        raise CloudFactsError(f"{where}: column {name}: expected a raw path or an object")
    ctype = spec.get("type", "string")
    if ctype not in COLUMN_TYPES:
        raise CloudFactsError(f"{where}: column {name}: type {ctype!r} is not one of {', '.join(COLUMN_TYPES)}")
    if "raw" not in spec and "const" not in spec:
        raise CloudFactsError(f"{where}: column {name}: needs a raw path or a const")
    raw = spec.get("raw")
    return Column(name, encode_path(raw) if raw else raw, ctype, bool(spec.get("json")), spec.get("enum"),
                  spec.get("const"), spec.get("case") == "insensitive")


def _platform(key: str, spec: Any, where: str) -> Platform:
    if key not in PLATFORM_KEYS:
        raise CloudFactsError(f"{where}: unknown platform {key!r} (known: {', '.join(PLATFORM_KEYS)})")
    if not isinstance(spec, dict) or not spec.get("source") or not spec.get("title"):
        raise CloudFactsError(f"{where}: platform {key}: every platform cites its source and has a title")
    layout = spec.get("layout", "table")
    if layout not in ("json", "table"):
        raise CloudFactsError(f"{where}: platform {key}: layout must be json or table")
    select = spec.get("select") or {}
    if layout == "table" and "table" not in select:
        raise CloudFactsError(f"{where}: platform {key}: a table layout selects a table")
    columns = {n: _column(n, c, f"{where}: {key}") for n, c in (spec.get("columns") or {}).items()}
    if layout == "table" and not columns:
        raise CloudFactsError(f"{where}: platform {key}: a table layout declares its columns")
    others = dict(spec.get("other_columns") or {})
    for name, ctype in others.items():
        if ctype not in COLUMN_TYPES:
            raise CloudFactsError(f"{where}: {key}: other column {name}: type {ctype!r} is not one of "
                                  f"{', '.join(COLUMN_TYPES)}")
    also = []
    for a in spec.get("also") or ():
        if layout != "table" or not isinstance(a, dict) or not a.get("table") or not a.get("source") \
                or not isinstance(a.get("holds"), dict):
            raise CloudFactsError(f"{where}: {key}: another table names its table, source and what it holds")
        for name in a.get("lacks") or ():
            if name not in columns:
                raise CloudFactsError(f"{where}: {key}: {a['table']}: lacks {name}, which is not a declared column")
        for name, ctype in (a.get("types") or {}).items():
            if name not in columns or ctype not in COLUMN_TYPES:
                raise CloudFactsError(f"{where}: {key}: {a['table']}: column {name} ({ctype}) is not a declared "
                                      f"column with a known type")
        if spec.get("scope") is None:
            raise CloudFactsError(f"{where}: {key}: a platform of several tables states what they hold together")
        also.append(AlsoTable(a["table"], a["source"], a["holds"], dict(a.get("types") or {}),
                              dict(a.get("const") or {}), tuple(a.get("lacks") or ())))
    return Platform(key, spec["title"], spec["source"], layout, dict(select), columns, spec.get("prefix", ""),
                    tuple(spec.get("json_text", ())), spec.get("scope"), tuple(spec.get("notes", ())), others,
                    tuple(also), dict(spec.get("keys") or {}), bool(spec.get("scope_by_tables")))


def _load(path: Path) -> Source:
    where = path.name
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CloudFactsError(f"{path}: {exc}") from None
    if raw.get("format") != FORMAT:
        raise CloudFactsError(f"{where}: format must be {FORMAT}")
    for key in ("dataset", "title", "record", "integration", "fields"):
        if key not in raw:
            raise CloudFactsError(f"{where}: missing {key}")
    for key in ("record", "integration"):
        if not isinstance(raw[key], dict) or not raw[key].get("source"):
            raise CloudFactsError(f"{where}: {key} cites its source")
    dataset = raw["dataset"]
    product, _, service = dataset.partition(".")
    fields = {n: _field(n, s, where) for n, s in raw["fields"].items()}
    platforms = {k: _platform(k, s, where) for k, s in (raw.get("platforms") or {}).items()}
    refusals = dict(raw.get("refusals") or {})
    for key in refusals:
        if key in platforms:
            raise CloudFactsError(f"{where}: {key} both has a model and a refusal")
    return Source(dataset, product, service, raw["title"], raw["record"], raw["integration"],
                  dict(raw.get("constants") or {}), fields, tuple(encode_path(a) for a in raw.get("arrays", ())),
                  platforms, refusals,
                  _shown(path))


def _shown(path: Path) -> str:
    """The data file as messages name it: from the package root (the same wherever ruleport is installed)."""
    root = DATA.parent.parent.parent
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


@lru_cache(maxsize=1)
def sources() -> dict[str, Source]:
    """Every declared source, by Elastic dataset."""
    out = {}
    for path in sorted(DATA.glob("*.json")):
        src = _load(path)
        if src.dataset in out:
            raise CloudFactsError(f"{path.name}: dataset {src.dataset} is declared twice")
        out[src.dataset] = src
    return out


def by_logsource(product: str | None, service: str | None) -> Source | None:
    """The source a Sigma logsource (product, service from the Elastic dataset) names."""
    if not product or not service:
        return None
    return sources().get(f"{product}.{service}")


def source_of_dataset(dataset: str) -> Source | None:
    return sources().get(dataset)
