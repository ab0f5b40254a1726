"""What a target does with each condition of a rule on one platform table.

An `EndpointModel` is one Sigma logsource (category, products) on one
platform table (converters.platforms.facts): which Sigma and ECS fields the
table holds under which names, how it states the fields it has no column
for (`equivalents`), and where the platform writes a user as DOMAIN\\name.
The target's pipeline (converters.emit.pipelines) applies one model per rule,
chosen by the rule's logsource; `resolve_item` is what the model makes of
each detection item (converters.emit.platform_conditions):

- a field the table has (`fields`, `names`, argv/argc): kept;
- event.type / event.action / network.direction: the table's action field
  (converters.emit.actions), or a constant where the table has none;
- event.category and the dataset fields: true where they name data of the
  table's kind (noted where they could name other data), else false;
- host.os.type: the table's OS field where it has one, else a constant;
- an `equivalents` entry: that rewrite, noted with the events it affects;
- anything else: not recorded (false), the rule folded around it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from converters.emit.actions import resolve as resolve_action
from converters.emit.platform_conditions import Constant, Rewrite
from converters.notes import EITHER, Affects, all_, any_, basename_mismatch, eq, exists, not_, regex, wildcard
from converters.platforms import facts
from converters.platforms.activity import WINDOWS_LOGON_TYPES
from converters.translate.fieldmap import ecs_of, lookup
from sigma.conditions import ConditionAND, ConditionOR
from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaRule
from sigma.types import (
    SigmaBool,
    SigmaCasedString,
    SigmaExists,
    SigmaNull,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaRegularExpressionFlag,
    SigmaString,
    SpecialChars,
)

#: ECS fields that name where an event came from: true on a table when they name data of its kind
DATASET_FIELDS = ("event.dataset", "data_stream.dataset", "event.module", "event.provider", "event.kind",
                  "event.outcome", "agent.type")
#: the dataset values that name endpoint data of each kind (Elastic Defend's, and Sysmon's via Elastic)
KIND_DATASETS = {
    "process": ("endpoint.events.process", "windows.sysmon_operational", "endpoint", "microsoft-windows-sysmon",
                "auditd_manager.auditd", "auditd"),
    "file": ("endpoint.events.file", "windows.sysmon_operational", "endpoint", "microsoft-windows-sysmon",
             "fim.event", "file_integrity", "auditd_manager.auditd", "auditd"),
    "registry": ("endpoint.events.registry", "windows.sysmon_operational", "endpoint", "microsoft-windows-sysmon"),
    "network": ("endpoint.events.network", "windows.sysmon_operational", "endpoint", "microsoft-windows-sysmon"),
    "dns": ("endpoint.events.network", "windows.sysmon_operational", "endpoint", "microsoft-windows-sysmon"),
    "library": ("endpoint.events.library", "windows.sysmon_operational", "endpoint", "microsoft-windows-sysmon"),
    "driver": ("windows.sysmon_operational", "microsoft-windows-sysmon"),
    "authentication": ("system.auth", "system.security", "windows.forwarded", "microsoft-windows-security-auditing"),
}
#: values of event.kind / event.outcome / agent.type every recorded event has
COMMON_VALUES = {"event.kind": ("event",), "event.outcome": ("success",), "agent.type": ("endpoint",)}
#: ECS event.category values of each kind
KIND_CATEGORIES = {"process": ("process",), "file": ("file",), "registry": ("registry",),
                   "network": ("network",), "dns": ("network", "dns"), "library": ("library",),
                   "driver": ("driver",), "authentication": ("authentication",)}
ACTION_FIELDS = ("event.type", "event.action", "network.direction")


def plain_values(item: SigmaDetectionItem) -> list[str] | None:
    """The item's values as plain strings, or None when one is not a plain string."""
    out = []
    for v in item.value:
        if type(v) in (SigmaString, SigmaCasedString) and not v.contains_special():
            out.append(v.to_plain())
        elif isinstance(v, SigmaNumber):
            out.append(str(v.number))
        elif isinstance(v, SigmaBool):
            out.append("true" if v.boolean else "false")
        else:
            return None
    return out


def wildcard_values(item: SigmaDetectionItem) -> list[str] | None:
    """The item's string values as wildcard patterns (`*`, `?`; literal ones escaped), else None."""
    out = []
    for v in item.value:
        if type(v) not in (SigmaString, SigmaCasedString):
            return None
        text = ""
        for part in v.s:
            if part is SpecialChars.WILDCARD_MULTI:
                text += "*"
            elif part is SpecialChars.WILDCARD_SINGLE:
                text += "?"
            else:
                text += "".join("\\" + c if c in "*?\\" else c for c in part)
        out.append(text)
    return out


def with_values(item: SigmaDetectionItem, field_name: str, values: list) -> SigmaDetectionItem:
    return SigmaDetectionItem(field_name, [], values, value_linking=item.value_linking)


def other_than(text: str) -> SigmaRegularExpression:
    """A regex matching every string but `text` (no lookaround, which RE2 and Kusto lack): a proper
    prefix of it, or its first i characters and then another one, or it followed by more."""
    esc = [re.escape(c) for c in text]
    alternatives = ["".join(esc[:i]) + "$" for i in range(len(text))]
    alternatives += ["".join(esc[:i]) + "[^" + esc[i] + "]" for i in range(len(text))]
    alternatives.append("".join(esc) + ".")
    return SigmaRegularExpression("^(?:" + "|".join(alternatives) + ")", [SigmaRegularExpressionFlag.DOTALL])


def _string(pattern: str, cased: bool) -> SigmaString:
    s = SigmaString(pattern)  # `*` and `?` are wildcards, `\\` escapes, as in Sigma
    return SigmaCasedString.from_sigma_string(s) if cased else s


# --- equivalents: how a table states a field it has no column for -----------

@dataclass(frozen=True)
class Same:
    """The ECS field under another name, values unchanged; `approximate`: the events where
    the platform's value can differ from the ECS one (None: exact)."""

    target: str
    approximate: Callable[[str], dict] | None = None
    why: str = ""

    def resolve(self, item, model, rule):
        notes = []
        if self.approximate is not None:
            notes.append(("emit/field-approximated",
                          f"{item.field} is read as {self.target} on {model.title}{': ' + self.why if self.why else ''}",
                          item.field, Affects.of(EITHER, self.approximate(model.ecs(item.field)))))
        return Rewrite(with_values(item, self.target, list(item.value)), notes)


@dataclass(frozen=True)
class Suffix:
    """`F: v` as `target` ending with `sep` + v (file.extension as the end of the file name,
    registry.value as the last component of the path). `source` is the ECS field the
    platform's `target` is rendered from: the note names the events where F and the end
    of that field disagree."""

    target: str
    sep: str | None          # None: the path separator of the rule's product (either, for none)
    sources: tuple[str, ...]

    def resolve(self, item, model, rule):
        pats = wildcard_values(item)
        if pats is None:
            return None
        cased = any(isinstance(v, SigmaCasedString) for v in item.value)
        ci = not cased
        seps = [self.sep] if self.sep is not None else \
            {"windows": ["\\"], "linux": ["/"], "macos": ["/"]}.get(rule.logsource.product, ["\\", "/"])
        ends = [f"*{'' if p.startswith('*') else sep.replace(chr(92), chr(92) * 2)}{p}" for p in pats for sep in seps]
        item_holds = wildcard(item.field, pats, case_insensitive=ci)
        alts = []
        present = []
        for src in self.sources:
            src_holds = wildcard(src, ends, case_insensitive=ci)
            alts.append(all_(*[not_(exists(p)) for p in present], exists(src),
                             any_(all_(item_holds, not_(src_holds)), all_(not_(item_holds), src_holds))))
            present.append(src)
        alts.append(all_(*[not_(exists(p)) for p in present], item_holds))
        note = ("emit/field-approximated",
                f"{item.field} has no column on {model.title}: read as the end of {self.target} "
                f"({' or '.join(seps)}value)", item.field, Affects.of(EITHER, any_(*alts)))
        return Rewrite(with_values(item, self.target, [_string(e, cased) for e in ends]), [note])


@dataclass(frozen=True)
class Prefix:
    """`user.domain: D` as `target` (DOMAIN\\name) starting with `D\\`."""

    target: str

    def resolve(self, item, model, rule):
        pats = wildcard_values(item)
        if pats is None:
            return None
        cased = any(isinstance(v, SigmaCasedString) for v in item.value)
        note = ("emit/field-approximated",
                f"{item.field} is read as the domain part of {self.target} (DOMAIN\\name) on {model.title}",
                item.field, Affects.of(EITHER, any_(not_(exists("user.name")), wildcard("user.name", ["*\\\\*"]),
                                                   wildcard(item.field, ["*\\\\*"]))))
        return Rewrite(with_values(item, self.target, [_string(p + "\\\\*", cased) for p in pats]), [note])


@dataclass(frozen=True)
class Directory:
    """`file.directory: D` as the path field `target` starting with `D` + `sep` (the platform
    records the path, not its directory): files in D's subdirectories match too (noted)."""

    target: str
    sep: str = "\\"

    def resolve(self, item, model, rule):
        pats = wildcard_values(item)
        if pats is None:
            return None
        cased = any(isinstance(v, SigmaCasedString) for v in item.value)
        esc = self.sep.replace("\\", "\\\\")
        under = [f"{p}{esc}*" for p in pats]
        deeper = [f"{p}{esc}*{esc}*" for p in pats]
        note = ("emit/field-approximated",
                f"{item.field} is read as the start of {self.target} on {model.title}: files in its "
                "subdirectories match too", item.field,
                Affects.of(EITHER, any_(all_(wildcard("file.path", deeper, case_insensitive=not cased),
                                             not_(wildcard(item.field, pats, case_insensitive=not cased))),
                                        all_(exists(item.field), not_(exists("file.path"))))))
        return Rewrite(with_values(item, self.target, [_string(u, cased) for u in under]), [note])


@dataclass(frozen=True)
class Template:
    """`F: v` as `target` containing `fmt.format(v)` (a hash inside Sysmon's Hashes)."""

    target: str
    fmt: str
    upper: bool = True

    def resolve(self, item, model, rule):
        if item.value and all(isinstance(v, SigmaNull) for v in item.value):
            # `F: null`: the target is missing or holds no such part (Hashes without SHA256=)
            head = re.escape(self.fmt.split("{}")[0])
            return Rewrite(SigmaDetection(
                [with_values(item, self.target, [SigmaNull()]),
                 with_values(item, self.target, [SigmaRegularExpression(f"(?i)^(?!.*{head}).+")])],
                item_linking=ConditionOR))
        values = plain_values(item)
        if values is None:
            return None
        parts = [self.fmt.format(v.upper() if self.upper else v) for v in values]
        return Rewrite(with_values(item, self.target, [_string("*" + p + "*", False) for p in parts]))


@dataclass(frozen=True)
class Uppercase:
    """ECS field `F` read as `target`, which the platform writes in upper case (ASIM's protocol
    names): compared case-insensitively, noted for the values that differ from the rule's in case only."""

    target: str

    def resolve(self, item, model, rule):
        ecs = model.ecs(item.field)
        values = plain_values(item)
        notes = []
        if values is not None and any(isinstance(v, SigmaCasedString) for v in item.value):
            notes.append(("emit/field-approximated", f"{ecs} is read as {self.target} on {model.title}, which "
                          "writes it in upper case: compared ignoring case", ecs,
                          Affects.of(EITHER, all_(eq(ecs, values, case_insensitive=True), not_(eq(ecs, values))))))
        return Rewrite(caseless(item, self.target), notes)


@dataclass(frozen=True)
class From:
    """ECS field `F` read as `target`, which the platform fills from what ECS calls `source`
    (destination.address as the connection's remote IP; a tuple: the first the event has, as the
    process's account is process.user.* else user.*): noted with the events where F and that
    value disagree on the item's condition."""

    target: str
    source: str | tuple
    approximate: Callable[[str], dict] | None = None   # as Same: where the target holds another value
    why: str = ""

    def resolve(self, item, model, rule):
        ecs = model.ecs(item.field)
        sources = (self.source,) if isinstance(self.source, str) else tuple(self.source)
        where = disagree(ecs, sources[-1], item)
        for src in reversed(sources[:-1]):   # the first source the event has decides
            where = any_(all_(exists(src), disagree(ecs, src, item)), all_(not_(exists(src)), where))
        notes = [("emit/field-approximated", f"{ecs} is read as {self.target} on {model.title}, which holds "
                  f"{' (else '.join(sources)}{')' * (len(sources) - 1)}", ecs, Affects.of(EITHER, where))]
        if self.approximate is not None:
            notes.append(("emit/field-approximated", f"{ecs} is read as {self.target} on {model.title}: {self.why}",
                          ecs, Affects.of(EITHER, self.approximate(ecs))))
        return Rewrite(with_values(item, self.target, list(item.value)), notes)


@dataclass(frozen=True)
class Values:
    """`F: v` as `target` holding `mapping[v]` (booleans to a signature status); other values: false."""

    target: str
    mapping: dict
    differs: Callable[[str], dict]
    why: str = ""

    def resolve(self, item, model, rule):
        values = plain_values(item)
        if values is None:
            return None
        mapped = [self.mapping[v.lower()] for v in values if v.lower() in self.mapping]
        note = ("emit/field-approximated", f"{item.field} is read as {self.target} on {model.title}: {self.why}",
                item.field, Affects.of(EITHER, self.differs(model.ecs(item.field))))
        if not mapped:
            return Rewrite(False, [note])
        return Rewrite(with_values(item, self.target, [SigmaString(m) for m in mapped]), [note])


#: well-known security identifiers and user ids, and the account they name (domain, name)
WELL_KNOWN_USERS = {
    "S-1-5-18": ("NT AUTHORITY", "SYSTEM"),
    "S-1-5-19": ("NT AUTHORITY", "LOCAL SERVICE"),
    "S-1-5-20": ("NT AUTHORITY", "NETWORK SERVICE"),
    "0": (None, "root"),
}


@dataclass(frozen=True)
class WellKnownUser:
    """`user.id` on a platform that records only the user's name: a well-known identifier
    (S-1-5-18 is NT AUTHORITY\\SYSTEM, uid 0 is root) as that account's name in `target`
    (`domain`: the platform writes DOMAIN\\name); any other identifier: not recorded."""

    target: str
    domain: bool = True

    def resolve(self, item, model, rule):
        values = plain_values(item)
        if values is None or not all(v.upper() in WELL_KNOWN_USERS or v in WELL_KNOWN_USERS for v in values):
            return None
        names, wheres = [], []
        for v in values:
            dom, name = WELL_KNOWN_USERS.get(v.upper()) or WELL_KNOWN_USERS[v]
            names.append(f"{dom}\\{name}" if dom and self.domain else name)
            account = all_(eq("user.name", name, case_insensitive=True),
                           *([eq("user.domain", dom, case_insensitive=True)] if dom and self.domain else []))
            wheres.append(any_(all_(eq(item.field, v, case_insensitive=True), not_(account)),
                               all_(not_(eq(item.field, v, case_insensitive=True)), account)))
        note = ("emit/field-approximated", f"{item.field} is not recorded by {model.title}: the well-known "
                f"identifiers {', '.join(values)} are read as the account names {', '.join(names)}",
                item.field, Affects.of(EITHER, any_(*wheres)))
        return Rewrite(with_values(item, self.target, [_string(n, False) for n in names]), [note])


@dataclass(frozen=True)
class Implied:
    """A field every record of the table holds with one of `values` (network.protocol dns on DNS
    lookups): true for those values, false for others, noted where the event says otherwise."""

    values: tuple[str, ...]
    why: str = ""

    def resolve(self, item, model, rule):
        return _implied(model, item, self.values, self.why or "the table's events")


@dataclass(frozen=True)
class KeyPath:
    """`registry.key` (the key's path without its root) as the end of `target`, the key with its
    root spelled out (Defender's and ASIM's RegistryKey)."""

    target: str

    def resolve(self, item, model, rule):
        pats = wildcard_values(item)
        if pats is None:
            return None
        cased = any(isinstance(v, SigmaCasedString) for v in item.value)
        ends = [p if p.startswith("*") else "*\\\\" + p for p in pats]
        note = ("emit/field-approximated", f"{item.field} is read as the end of {self.target} (the key with its "
                f"root) on {model.title}", item.field,
                Affects.of(EITHER, any_(not_(exists("registry.key")), not_(exists("registry.path")))))
        return Rewrite(with_values(item, self.target, [_string(e, cased) for e in ends]), [note])


@dataclass(frozen=True)
class LogonType:
    """Elastic's winlog.logon.type (the logon type's name: Network, RemoteInteractive...) as
    `target`, which holds the type as Windows numbers it (`numbers`: Splunk's LogonType) or by its
    name in Windows' spelling (Defender's LogonType, ASIM's EventSubType). Noted for the events
    the platform reads otherwise: another spelling of a name under a case-sensitive condition, and
    types Windows does not define (the platform has none)."""

    target: str
    numbers: bool = False

    def resolve(self, item, model, rule):
        values = plain_values(item)
        if values is None:
            return None
        canonical = {n.lower(): (k if self.numbers else n) for k, n in WINDOWS_LOGON_TYPES.items()}
        mapped = list(dict.fromkeys(canonical[v.lower()] for v in values if v.lower() in canonical))
        unknown = [v for v in values if v.lower() not in canonical]
        cased = any(isinstance(v, SigmaCasedString) for v in item.value)
        known = [v for v in values if v.lower() in canonical]
        where = []
        if cased and known:
            where.append(all_(eq(item.field, known, case_insensitive=True), not_(eq(item.field, known))))
        if unknown:
            where.append(eq(item.field, unknown, case_insensitive=not cased))
        notes = []
        if where:
            notes.append(("emit/field-approximated", f"{item.field} is read as {self.target} on {model.title}, "
                          f"which holds the logon types Windows defines, {'by number' if self.numbers else 'by name'}"
                          f"{' (compared ignoring case)' if cased else ''}", item.field,
                          Affects.of(EITHER, any_(*where))))
        if not mapped:
            return Rewrite(False, notes)
        return Rewrite(with_values(item, self.target, [SigmaString(m) for m in mapped]), notes)


def logon_event_data(columns: dict[str, str]) -> dict:
    """A Windows logon's own EventData fields (winlog.event_data.<name>) read as the platform column
    that holds the ECS field Elastic fills from them (user.name from TargetUserName...): `columns`
    maps those ECS fields to the platform's columns; noted where the two disagree on an event."""
    raw = {"TargetUserName": "user.name", "TargetUserSid": "user.id", "TargetDomainName": "user.domain",
           "IpAddress": "source.ip", "IpPort": "source.port"}
    return {f"winlog.event_data.{name}": From(columns[ecs], ecs) for name, ecs in raw.items() if ecs in columns}


@dataclass(frozen=True)
class Refuse:
    """A field the platform does not record, said in the platform's terms."""

    why: str

    def resolve(self, item, model, rule):
        return model.unrecorded(item, self.why)


def basename_of(path_field: str) -> Callable[[str], dict]:
    return lambda name_field: basename_mismatch(name_field, path_field)


# --- the model --------------------------------------------------------------

@dataclass(frozen=True)
class EndpointModel:
    target: str
    title: str                         # e.g. "Defender XDR DeviceFileEvents"
    platform: str                      # converters.platforms.facts platform
    tables: dict                       # Sigma product (None: any) -> facts table names
    category: str                      # Sigma logsource category
    fields: dict[str, str]             # Sigma/ECS field -> platform field
    names: dict[str, str] = field(default_factory=dict)    # Sigma path field -> platform name field
    argv: dict[str, str] = field(default_factory=dict)     # ECS argv field -> platform command-line field
    argc: dict[str, str] = field(default_factory=dict)
    equivalents: dict = field(default_factory=dict)        # ECS field -> Same / Suffix / ...
    domain_user: bool = False          # the platform writes the user as DOMAIN\\name
    os_field: str | None = None        # the platform's field for host.os.type (compared case-insensitively)
    os_values: dict = field(default_factory=dict)   # host.os.type value -> (platform field, value), no OS field
    selects: tuple[str, ...] = ()      # fields whose presence selects this model within its category
    selects_category: tuple[str, ...] = ()  # ECS event.category values a rule with no Sigma category must ask for
    avoids: tuple[str, ...] = ()       # fields whose presence selects another model
    registry_paths: tuple[str, ...] = ()  # platform fields holding registry paths with full root names
    missing_as: dict = field(default_factory=dict)   # platform field -> the value it holds when missing
    user_fields: tuple[str, ...] = ("User",)   # with domain_user: the rule's fields naming the bare user

    def table_names(self, product: str | None) -> tuple[str, ...]:
        return tuple(self.tables.get(product, ()))

    def facts_tables(self, product: str | None = None) -> tuple[facts.Table, ...]:
        names = self.table_names(product) or tuple(n for ns in self.tables.values() for n in ns)
        return tuple(facts.table(self.platform, n) for n in dict.fromkeys(names))

    @property
    def kind(self) -> str:
        return self.facts_tables()[0].kind

    @property
    def products(self) -> tuple[str, ...]:
        return tuple(p for p in self.tables if p is not None)

    def known_fields(self) -> tuple[str, ...]:
        known = set(self.fields.values()) | set(self.names.values()) | set(self.argv.values())
        for t in self.facts_tables():
            known |= set(t.fields)
        return tuple(sorted(known))

    def ecs(self, sigma_field: str) -> str:
        """The ECS field a Sigma field of this category stands for (a note speaks of the original events)."""
        return ecs_of(self.category, sigma_field)

    def unrecorded(self, item: SigmaDetectionItem, why: str = "") -> Constant:
        """The platform has no such field: the item never holds (`F: null` always does)."""
        ecs = self.ecs(item.field)
        nulls = [v for v in item.value if isinstance(v, SigmaNull) or (isinstance(v, SigmaExists) and not v.exists)]
        if nulls and len(nulls) == len(item.value):
            return Constant(True, "emit/condition-implied",
                            f"{item.field} is not recorded by {self.title}: `{item.field} is missing` always holds",
                            item.field, exists(ecs))
        return Constant(False, None, f"{item.field} is not recorded by {self.title}"
                        + (f" ({why})" if why else ""), item.field, exists(ecs))


def resolve_item(model: EndpointModel, item: SigmaDetectionItem, rule: SigmaRule):
    """What `item` becomes on the model's table (see the module docstring)."""
    if item.field and item.field.endswith(CASELESS):
        item = caseless(item)
        result = _resolve(model, item, rule)
        if result is None:
            result = Rewrite(item)
    else:
        result = _resolve(model, item, rule)
    ecs = model.ecs(item.field) if item.field else None
    notes = [n for n in (one_value_note(ecs, model.title, item), account_note(ecs, model.title, item)) if n]
    if not notes or isinstance(result, Constant):
        return result
    if result is None:
        return Rewrite(item, notes)
    result.notes.extend(notes)
    return result


#: user.* -> process.user.*: a platform records the account that ran the process, which ECS
#: gives as process.user.* (the effective user) where the event has it
ACCOUNT = {"user.id": "process.user.id", "user.name": "process.user.name", "user.domain": "process.user.domain"}


def account_note(ecs: str | None, title: str, item: SigmaDetectionItem):
    """A platform's account of the process is process.user.<x> where the event has it, else
    user.<x> (converters.platforms.activity.Activity.account): the events where that value and
    the rule's field disagree on the item's condition."""
    if ecs in ACCOUNT:
        user, process_user = ecs, ACCOUNT[ecs]
    elif ecs in ACCOUNT.values():
        process_user = ecs
        user = next(k for k, v in ACCOUNT.items() if v == ecs)
    else:
        return None
    found = _element_regexes(item)
    if found is None:   # null / exists: the platform has a value where either field has one
        other = process_user if ecs == user else user
        where = all_(not_(exists(ecs)), exists(other))
    else:
        hold = _holds_item(found)
        if ecs == user:
            where = any_(all_(hold(process_user), not_(hold(user))),
                         all_(exists(process_user), not_(hold(process_user)), hold(user)))
        else:
            where = all_(not_(exists(process_user)), hold(user))
    return ("emit/field-approximated",
            f"{ecs} is read as the process's account on {title} (process.user.* where the event has it, "
            "else user.*)", ecs, Affects.of(EITHER, where))


def _holds_item(found):
    regexes, insensitive = found
    union = "^(?:" + "|".join(f"(?:{r})" for r in regexes) + ")\\Z"
    return lambda f: regex(f, [union], case_insensitive=insensitive)


def disagree(a: str, b: str, item: SigmaDetectionItem) -> dict:
    """The events where ECS fields `a` and `b` give the item's condition different truths."""
    found = _element_regexes(item)
    if found is None:   # null / exists
        return any_(all_(exists(a), not_(exists(b))), all_(exists(b), not_(exists(a))))
    hold = _holds_item(found)
    return any_(all_(hold(a), not_(hold(b))), all_(hold(b), not_(hold(a))))


CASELESS = ".caseless"


def caseless(item: SigmaDetectionItem, field_name: str | None = None) -> SigmaDetectionItem:
    """`X.caseless: v` is X compared case-insensitively: the `lowercase` normalizer lower-cases the
    indexed value and the query's alike, so a |cased value there is not case-sensitive."""
    return with_values(item, field_name or item.field, [_uncased(v) for v in item.value])


def _uncased(v):
    """A SigmaCasedString as the SigmaString of the same parts (wildcards kept)."""
    if isinstance(v, SigmaCasedString):
        s = SigmaString("")
        s.s = v.s
        return s
    return v


#: ECS array fields every platform here records as one value (the first: a REG_MULTI_SZ's strings
#: are one RegistryValueData / Details / registry_value_data)
ONE_VALUE = ("registry.data.strings",)


def one_value_note(ecs: str | None, title: str, item: SigmaDetectionItem):
    """Of an array the platform keeps one value: an event whose values disagree on the item's
    condition (one holds, another not) may get another verdict."""
    if ecs not in ONE_VALUE:
        return None
    found = _element_regexes(item)
    if found is None:
        return None
    regexes, insensitive = found
    union = "|".join(f"(?:{r})" for r in regexes)
    where = all_(regex(ecs, [f"^(?:{union})\\Z"], case_insensitive=insensitive),
                 regex(ecs, [f"^(?!(?:{union})\\Z)"], case_insensitive=insensitive))
    return ("emit/field-approximated",
            f"{ecs} is an array; {title} records one value of it (the first of several)",
            ecs, Affects.of(EITHER, where))


def _element_regexes(item: SigmaDetectionItem) -> tuple[list[str], bool] | None:
    """The item's values as whole-value regexes and whether they ignore case (None: a value
    that is no string, number or regex: null, exists)."""
    out, cased = [], False
    for v in item.value:
        if type(v) in (SigmaString, SigmaCasedString):
            cased = cased or isinstance(v, SigmaCasedString)
            rx = ""
            for part in v.s:
                if part is SpecialChars.WILDCARD_MULTI:
                    rx += ".*"
                elif part is SpecialChars.WILDCARD_SINGLE:
                    rx += "."
                else:
                    rx += re.escape(part)
            out.append(rx)
        elif isinstance(v, SigmaNumber):
            out.append(re.escape(str(v.number)))
        elif isinstance(v, SigmaRegularExpression):
            cased = cased or SigmaRegularExpressionFlag.IGNORECASE not in v.flags
            out.append(f".*(?:{v.regexp}).*")   # found anywhere in the value
        else:
            return None
    return (out, not cased) if out else None


def records_resolver(title: str):
    """A PlatformConditions resolver for records that keep the ECS fields (the Sigma column):
    `X.caseless` is X compared case-insensitively, and the arrays `title` records one value of
    are noted."""
    def resolve(item: SigmaDetectionItem, rule: SigmaRule):
        category = rule.logsource.category
        if item.field and item.field.endswith(CASELESS):
            return Rewrite(caseless(item, item.field[: -len(CASELESS)]))
        if item.field == "User":   # the taxonomy's User is the process's account
            note = account_note(ecs_of(category or "process_creation", "User"), title, item)
        else:
            note = one_value_note(ecs_of(category, item.field) if item.field else None, title, item)
        return Rewrite(item, [note]) if note else None
    return resolve


def _resolve(model: EndpointModel, item: SigmaDetectionItem, rule: SigmaRule):
    f = item.field
    if f is None:
        return None  # keyword search: KnownFields refuses it
    if f in model.missing_as and item.value and all(
            isinstance(v, SigmaNull) or (isinstance(v, SigmaExists) and not v.exists) for v in item.value):
        # `F: null` (`F|exists: false`) is the platform's placeholder too
        return Rewrite(SigmaDetection([item, with_values(item, f, [SigmaString(model.missing_as[f])])],
                                      item_linking=ConditionOR))
    if f in model.missing_as and len(item.value) == 1 and isinstance(item.value[0], SigmaExists):
        # `F|exists: true`: present, and not the placeholder (a value Sysmon writes for "none")
        return Rewrite(SigmaDetection([item, with_values(item, f, [other_than(model.missing_as[f])])],
                                      item_linking=ConditionAND))
    if f in model.fields or f in model.names or f in model.argv or f in model.argc:
        return None
    path = _path_of_name(model, f)
    if path is not None and item.value and all(isinstance(v, (SigmaExists, SigmaNull)) for v in item.value):
        # a name is the last component of its path: on a table that records the path, the name
        # exists exactly when the path does (the translation keeps `process.name != null` as is)
        return Rewrite(with_values(item, path, item.value))
    if f in model.equivalents:
        res = model.equivalents[f].resolve(item, model, rule)
        return res if res is not None else model.unrecorded(item, "only plain values of it have an equivalent")
    if f in ACTION_FIELDS or (f == "event.outcome" and f in _action_fields(model, rule)):
        return _action(model, item, rule)   # a logon's outcome is the platform's result field
    if f == "event.category":
        return _implied(model, item, KIND_CATEGORIES[model.kind], "the data of the table's kind")
    if f == "host.os.type":
        return _os(model, item, rule)
    if f in DATASET_FIELDS:
        allowed = COMMON_VALUES.get(f) or KIND_DATASETS.get(model.kind, ())
        return _implied(model, item, allowed, "where the platform's events come from")
    return model.unrecorded(item)


def _action_fields(model: EndpointModel, rule: SigmaRule) -> tuple[str, ...]:
    actions = model.facts_tables(rule.logsource.product)[0].actions
    return actions.ecs_fields if actions is not None else ()


def _path_of_name(model: EndpointModel, ecs_field: str) -> str | None:
    """The Sigma path field whose last component `ecs_field` is (process.name: Image), when the table has it."""
    mapping = lookup(model.category, ecs_field)
    if mapping is None or not mapping.basename_of:
        return None
    return mapping.sigma if mapping.sigma in model.fields or mapping.sigma in model.names else None


def _implied(model, item, allowed, what) -> Constant:
    values = plain_values(item)
    if values is None:
        return model.unrecorded(item)
    holds = bool({v.lower() for v in values} & {a.lower() for a in allowed})
    cased = any(isinstance(v, SigmaCasedString) for v in item.value)   # an event's other spelling differs
    cond = eq(item.field, values, case_insensitive=not cased)
    return Constant(holds, "emit/condition-implied",
                    f"{item.field} is not recorded by {model.title}; {', '.join(values)} "
                    f"{'is' if holds else 'is not'} implied by its scope ({what})",
                    item.field, not_(cond) if holds else cond)


def _action(model, item, rule):
    values = plain_values(item)
    tables = model.facts_tables(rule.logsource.product)
    actions = tables[0].actions
    if values is None or actions is None or (item.value_linking.__name__ == "ConditionAND" and len(values) > 1):
        return model.unrecorded(item, "only plain values of it can be read against the platform's actions")
    ci = not any(isinstance(v, SigmaCasedString) for v in item.value)
    res = resolve_action(actions, item.field, values, case_insensitive=ci)
    desc = f"{item.field} {'/'.join(values)}"
    if actions.field is None or res.values is None:
        return Constant(bool(res.constant), "emit/condition-implied",
                        f"{desc}: {model.title} records only {tables[0].kind} events of its own kind; "
                        f"the condition is {'implied' if res.constant else 'never true'} there",
                        item.field, res.differs)
    notes = []
    if res.differs is not None:
        notes.append(("emit/action-mapped",
                      f"{desc} is read as {actions.field} {' or '.join(res.values) or '(none)'} on {model.title}",
                      item.field, Affects.of(EITHER, res.differs)))
    if not res.values:
        return Rewrite(False, notes)
    return Rewrite(with_values(item, actions.field, [SigmaString(v) for v in res.values]), notes)


def _os(model, item, rule):
    values = plain_values(item)
    if values is None:
        return model.unrecorded(item)
    if model.os_field:
        return Rewrite(with_values(item, model.os_field, [SigmaString(v) for v in values]))
    if model.os_values:
        mapped = [model.os_values[v.lower()] for v in values if v.lower() in model.os_values]
        if not mapped:
            return Constant(False, "emit/condition-implied", f"host.os.type {'/'.join(values)}: {model.title} "
                            "holds no event of that OS", item.field, eq(item.field, values, case_insensitive=True))
        fields_ = {f for f, _ in mapped}
        if len(fields_) == 1:
            return Rewrite(with_values(item, fields_.pop(), [SigmaString(v) for _, v in mapped]))
    oses = {o for t in model.facts_tables(rule.logsource.product) for o in t.os}
    return _implied(model, item, tuple(oses), "the platform has no operating-system field")
