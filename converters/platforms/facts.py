"""Platform facts: which tables each SIEM platform has, their fields, types and multi-fields,
and how the platform records an endpoint event in them. One declared table, read by emit
(converters.emit.datamodels, pipelines) and by the platform models (converters.platforms.models).

The facts live in converters/data/platforms/<platform>.json, each with the
documents they were written from (`source`, per file and per table). They are
the vendor's facts only: which Sigma field a translated rule's field becomes
is the emit stage's business (its data models name platform fields, and a
test holds every such name to these tables), and the translation's own field
mapping (converters.translate.fieldmap) is never read here.

A table (`Table`)
    platform, name   e.g. "defender", "DeviceFileEvents"
    kind             the endpoint event kind it holds: process, file, registry,
                     network, dns, library, driver, script (PowerShell script blocks),
                     authentication (logons: sshd's, Windows 4624/4625),
                     winlog (the other records of a Windows event log channel)
    os               the operating systems whose events it holds
    select           how a query selects it (an index pattern, a source and
                     EventCodes, a data model dataset, a table name)
    fields           name -> Field (type; Elastic multi-fields such as
                     `caseless`; an Elastic text field's analyzer; CIM's
                     fill value for a missing field)
    actions          the table's action field and the ordered decision list
                     that gives each ECS event its value there (see `Actions`);
                     a process start is event.type `start` or `process_started`
                     (the Auditbeat spelling Elastic's prebuilt rules accept
                     beside it, as the translation does)
    guids            the columns holding a process GUID, each with the text the
                     platform's parsers give it: `bare` (without braces) or
                     `braced` (kept as Sysmon writes it, `{...}`, on some
                     records); cited by the table's `"guids"` "source"
    origin           the platform whose facts declare the table: itself, or the
                     platform a `"table_of": "<platform>"` entry borrows it from
                     (Sentinel holds Defender XDR's tables as the Defender XDR
                     connector streams them: one declaration, cited per platform)

An identity (`Identity`, a platform's `"identities"`, cited once for them all)
    how the platform identifies an entity it has no single id for: Defender XDR
    has no process GUID, its documented process identity is the device, the
    process ID and the creation time together. `key` names it as one field
    ("DeviceId+ProcessId+ProcessCreationTime"), which emit reads as a join key
    (grouping only) and `key_columns` splits again.

Loaded on first use (no work at import time).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

DATA = Path(__file__).resolve().parent.parent / "data" / "platforms"

#: platform name -> data file
FILES = {
    "elastic": "elastic-defend.json",
    "elastic-integrations": "elastic-integrations.json",
    "sysmon": "sysmon.json",
    "cim": "splunk-cim.json",
    "defender": "defender-xdr.json",
    "asim": "sentinel-asim.json",
}

#: a decision-list value that holds for any value of the field (the field exists)
EXISTS = "*"

#: how a process-GUID column holds the GUID: without braces, or (on some records) in them
GUID_FORMS = ("bare", "braced")

KINDS = ("process", "file", "registry", "network", "dns", "library", "driver", "script", "authentication", "winlog")


class FactsError(ValueError):
    """A platform facts file is malformed (a bug in the data, reported with its file)."""


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    multi: tuple[str, ...] = ()     # Elastic multi-fields (`caseless`, `text`)
    fill: str | None = None         # CIM: the value the data model gives a missing field
    analyzer: str | None = None     # Elastic `text` fields: the analyzer that splits the value into words


@dataclass(frozen=True)
class Rule:
    """One step of a decision list: `value` when every ECS condition holds.

    `when` maps an ECS field (event.type, event.action, ...) to the values it
    may hold; a condition holds when one of the event's values is listed
    (`"*"`: when the event has any value there, e.g. registry.value). A
    step with no condition holds for every event of the table's kind. A step
    marked `not_recorded` names events the platform never records (a fork is
    no process creation, a read no file event)."""

    value: str | None
    when: tuple[tuple[str, tuple[str, ...]], ...]
    recorded: bool = True   # False: an event this step fits is not recorded at all

    def holds(self, event_values: Mapping[str, Iterable[str]]) -> bool:
        return all((EXISTS in values and any(True for _ in event_values.get(f, ())))
                   or set(event_values.get(f, ())) & set(values) for f, values in self.when)


@dataclass(frozen=True)
class Actions:
    """How a platform names the action of each event it records.

    `field` is the platform field holding it (None: the table has no such
    field; every record is the same kind of event). The first rule whose
    conditions hold gives the value; an event no rule fits is not recorded."""

    field: str | None
    rules: tuple[Rule, ...]

    def value(self, event_values: Mapping[str, Iterable[str]]) -> tuple[bool, str | None]:
        """(recorded, value) for an event whose ECS values are given per field."""
        for rule in self.rules:
            if rule.holds(event_values):
                return (True, rule.value) if rule.recorded else (False, None)
        return False, None

    @property
    def ecs_fields(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f for r in self.rules for f, _ in r.when))

    def ecs_values(self, ecs_field: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v for r in self.rules for f, vs in r.when if f == ecs_field for v in vs))


@dataclass(frozen=True)
class Table:
    platform: str
    name: str
    kind: str
    os: tuple[str, ...]
    source: str
    fields: Mapping[str, Field]
    select: Mapping[str, Any] = field(default_factory=dict)
    actions: Actions | None = None
    origin: str = ""        # the platform whose facts declare it ("" : this one)
    guids: Mapping[str, str] = field(default_factory=dict)   # process-GUID column -> GUID_FORMS

    @property
    def recorded_as(self) -> str:
        """The platform whose records the table holds (converters.platforms renders them so)."""
        return self.origin or self.platform

    def has(self, name: str) -> bool:
        return name in self.fields

    def type_of(self, name: str) -> str | None:
        f = self.fields.get(name)
        return f.type if f else None

    def with_multi(self, multi: str) -> tuple[str, ...]:
        """The fields that have the multi-field `multi` (e.g. "caseless")."""
        # asked for every condition a rule has: kept per table (the facts never change once read)
        cache = self.__dict__.setdefault("_with_multi", {})
        if multi not in cache:
            cache[multi] = tuple(sorted(n for n, f in self.fields.items() if multi in f.multi))
        return cache[multi]

    def filled(self) -> dict[str, str]:
        """Field -> the value a missing field holds (CIM's `unknown`)."""
        return {n: f.fill for n, f in self.fields.items() if f.fill is not None}


#: joins the columns of a composite identity into the one field name emit carries (no Kusto identifier has it)
KEY_SEPARATOR = "+"


@dataclass(frozen=True)
class Identity:
    """An entity identified by several columns: `device` (on every record of the platform) and
    `columns`, which identify the entity on that device (empty where a record names no such entity)."""

    name: str
    device: str
    columns: tuple[str, ...]

    @property
    def key(self) -> str:
        return KEY_SEPARATOR.join((self.device, *self.columns))


def key_columns(field_name: str) -> tuple[str, ...]:
    """The columns of a join-key field: an identity's key split again, else the field itself."""
    return tuple(field_name.split(KEY_SEPARATOR))


@dataclass(frozen=True)
class Platform:
    name: str
    title: str
    source: str
    tables: Mapping[str, Table]
    identities: Mapping[str, Identity] = field(default_factory=dict)

    def identity(self, name: str) -> Identity:
        try:
            return self.identities[name]
        except KeyError:
            raise KeyError(f"{self.name} declares no identity {name!r} (known: {', '.join(self.identities)})") \
                from None

    def table(self, name: str) -> Table:
        try:
            return self.tables[name]
        except KeyError:
            raise KeyError(f"{self.name} has no table {name!r} (known: {', '.join(self.tables)})") from None

    def of_kind(self, kind: str) -> tuple[Table, ...]:
        return tuple(t for t in self.tables.values() if t.kind == kind)


def _field(name: str, spec: Any, where: str) -> Field:
    if isinstance(spec, str):
        return Field(name, spec)
    if isinstance(spec, dict) and isinstance(spec.get("type"), str):
        return Field(name, spec["type"], tuple(spec.get("multi", ())), spec.get("fill"), spec.get("analyzer"))
    raise FactsError(f"{where}: field {name}: expected a type or {{\"type\": ...}}, got {spec!r}")


def _actions(spec: Any, where: str) -> Actions | None:
    if spec is None:
        return None
    if not isinstance(spec, dict) or not isinstance(spec.get("rules"), list):
        raise FactsError(f"{where}: actions need a \"rules\" list")
    rules = []
    for i, r in enumerate(spec["rules"]):
        when = {k: v for k, v in r.items() if k not in ("value", "not_recorded")}
        if not all(isinstance(v, list) and v for v in when.values()):
            raise FactsError(f"{where}: actions.rules[{i}]: each condition is a non-empty list of values")
        rules.append(Rule(r.get("value"), tuple((k, tuple(str(x) for x in v)) for k, v in when.items()),
                          not r.get("not_recorded", False)))
    return Actions(spec.get("field"), tuple(rules))


def _guids(spec: Any, fields: Mapping[str, Field], where: str) -> dict[str, str]:
    if spec is None:
        return {}
    if not isinstance(spec, dict) or not spec.get("source"):
        raise FactsError(f"{where}: guids: a mapping that cites its \"source\"")
    out = {c: form for c, form in spec.items() if c != "source"}
    for column, form in out.items():
        if column not in fields or form not in GUID_FORMS:
            raise FactsError(f"{where}: guids.{column}: a column of the table, as one of {', '.join(GUID_FORMS)}")
    return out


def read_data(path) -> dict:
    """A platform data file's JSON, or a FactsError naming the file."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise FactsError(f"{path}: {exc}") from None


def _load(name: str) -> Platform:
    path = DATA / FILES[name]
    raw = read_data(path)
    tables = {}
    for tname, t in raw["tables"].items():
        where = f"{path.name}: {tname}"
        if "table_of" in t:
            tables[tname] = _borrowed(name, tname, t, where)
            continue
        kind = t.get("kind")
        if kind not in KINDS:
            raise FactsError(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
        if not t.get("source"):
            raise FactsError(f"{where}: every table cites its source")
        fields = {n: _field(n, spec, where) for n, spec in t["fields"].items()}
        tables[tname] = Table(name, tname, kind, tuple(t.get("os", ("windows", "linux", "macos"))), t["source"],
                              fields, dict(t.get("select", {})), _actions(t.get("actions"), where),
                              guids=_guids(t.get("guids"), fields, where))
    return Platform(name, raw.get("platform", name), raw["source"], tables,
                    _identities(raw.get("identities"), path.name, tables))


def _identities(spec: Any, where: str, tables: Mapping[str, Table]) -> dict[str, Identity]:
    if spec is None:
        return {}
    if not isinstance(spec, dict) or not spec.get("source"):
        raise FactsError(f"{where}: identities: a mapping that cites its \"source\"")
    out = {}
    for name, ident in spec.items():
        if name == "source":
            continue
        if not isinstance(ident, dict) or not isinstance(ident.get("device"), str) or \
                not isinstance(ident.get("columns"), list) or not ident["columns"]:
            raise FactsError(f"{where}: identities.{name}: expected {{\"device\": column, \"columns\": [...]}}")
        out[name] = Identity(name, ident["device"], tuple(ident["columns"]))
        if not any(all(t.has(c) for c in out[name].key.split(KEY_SEPARATOR)) for t in tables.values()):
            raise FactsError(f"{where}: identities.{name}: no table has all of {', '.join(out[name].key.split('+'))}")
    return out


def _borrowed(name: str, tname: str, spec: dict, where: str) -> Table:
    """A table another platform's facts declare, as this platform receives it (same name, columns
    and records); `source` cites how it gets there, the declaring table's source follows."""
    other = spec["table_of"]
    if other not in FILES or other == name or set(spec) - {"table_of", "source"}:
        raise FactsError(f"{where}: \"table_of\" names another platform ({', '.join(FILES)}) and takes only "
                         "a \"source\"")
    if not spec.get("source"):
        raise FactsError(f"{where}: every table cites its source")
    try:
        declared = platform(other).table(tname)
    except KeyError as exc:
        raise FactsError(f"{where}: {exc.args[0]}") from None
    if declared.origin:
        raise FactsError(f"{where}: {other}'s {tname} is itself borrowed; name the platform declaring it")
    return replace(declared, platform=name, source=f"{spec['source']}; as {other} declares it: {declared.source}",
                   origin=other)


@lru_cache(maxsize=None)
def platform(name: str) -> Platform:
    if name not in FILES:
        raise KeyError(f"no platform facts for {name!r} (known: {', '.join(FILES)})")
    return _load(name)


def table(platform_name: str, table_name: str) -> Table:
    return platform(platform_name).table(table_name)


def kusto_schema(platform_name: str) -> dict[str, dict[str, str]]:
    """Table -> column -> Kusto type of a Kusto platform (tables sharing a physical table merged;
    columns a query computes with `extend` left out)."""
    schema: dict[str, dict[str, str]] = {}
    for t in platform(platform_name).tables.values():
        computed = set(t.select.get("extend", {}))
        cols = schema.setdefault(t.select["table"], {})
        cols.update({n: f.type for n, f in t.fields.items() if n not in computed})
    return schema
