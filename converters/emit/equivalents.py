"""How a platform table states an ECS field it has no column for.

An endpoint model (converters.emit.tables.EndpointModel) maps each such field
to one of these equivalents: the field under another name (`Same`), the end of
a path (`Suffix`), the domain part of DOMAIN\\name (`Prefix`), a value inside
another (`Template`), a value the platform fills from another ECS field
(`From`), a mapping of values (`Values`, `LogonType`, `WellKnownUser`), a value
every record holds (`Implied`), or a refusal in the platform's terms
(`Refuse`). `resolve(item, model, rule)` gives what the detection item becomes
on the table (converters.emit.platform_conditions: a Rewrite with the notes
naming the events it affects, or a Constant), or None when the item's values
have no equivalent (the model then does not read the field).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from converters.emit.item_values import (
    caseless,
    disagree,
    is_cased,
    pattern_string,
    plain_values,
    wildcard_values,
    with_values,
)
from converters.emit.platform_conditions import Rewrite
from converters.notes import EITHER, Affects, all_, any_, basename_mismatch, eq, exists, not_, wildcard
from converters.platforms.activity import WINDOWS_LOGON_TYPES
from sigma.conditions import ConditionOR
from sigma.rule import SigmaDetection
from sigma.types import SigmaNull, SigmaRegularExpression, SigmaString


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
        cased = is_cased(item)
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
        return Rewrite(with_values(item, self.target, [pattern_string(e, cased) for e in ends]), [note])


@dataclass(frozen=True)
class Prefix:
    """`user.domain: D` as `target` (DOMAIN\\name) starting with `D\\`."""

    target: str

    def resolve(self, item, model, rule):
        pats = wildcard_values(item)
        if pats is None:
            return None
        cased = is_cased(item)
        note = ("emit/field-approximated",
                f"{item.field} is read as the domain part of {self.target} (DOMAIN\\name) on {model.title}",
                item.field, Affects.of(EITHER, any_(not_(exists("user.name")), wildcard("user.name", ["*\\\\*"]),
                                                   wildcard(item.field, ["*\\\\*"]))))
        return Rewrite(with_values(item, self.target, [pattern_string(p + "\\\\*", cased) for p in pats]), [note])


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
        cased = is_cased(item)
        esc = self.sep.replace("\\", "\\\\")
        under = [f"{p}{esc}*" for p in pats]
        deeper = [f"{p}{esc}*{esc}*" for p in pats]
        note = ("emit/field-approximated",
                f"{item.field} is read as the start of {self.target} on {model.title}: files in its "
                "subdirectories match too", item.field,
                Affects.of(EITHER, any_(all_(wildcard("file.path", deeper, case_insensitive=not cased),
                                             not_(wildcard(item.field, pats, case_insensitive=not cased))),
                                        all_(exists(item.field), not_(exists("file.path"))))))
        return Rewrite(with_values(item, self.target, [pattern_string(u, cased) for u in under]), [note])


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
        return Rewrite(with_values(item, self.target, [pattern_string("*" + p + "*", False) for p in parts]))


@dataclass(frozen=True)
class Uppercase:
    """ECS field `F` read as `target`, which the platform writes in upper case (ASIM's protocol
    names): compared case-insensitively, noted for the values that differ from the rule's in case only."""

    target: str

    def resolve(self, item, model, rule):
        ecs = model.ecs(item.field)
        values = plain_values(item)
        notes = []
        if values is not None and is_cased(item):
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
        return Rewrite(with_values(item, self.target, [pattern_string(n, False) for n in names]), [note])


@dataclass(frozen=True)
class Implied:
    """A field every record of the table holds with one of `values` (network.protocol dns on DNS
    lookups): true for those values, false for others, noted where the event says otherwise."""

    values: tuple[str, ...]
    why: str = ""

    def resolve(self, item, model, rule):
        return model.implied(item, self.values, self.why or "the table's events")


@dataclass(frozen=True)
class KeyPath:
    """`registry.key` (the key's path without its root) as the end of `target`, the key with its
    root spelled out (Defender's and ASIM's RegistryKey)."""

    target: str

    def resolve(self, item, model, rule):
        pats = wildcard_values(item)
        if pats is None:
            return None
        cased = is_cased(item)
        ends = [p if p.startswith("*") else "*\\\\" + p for p in pats]
        note = ("emit/field-approximated", f"{item.field} is read as the end of {self.target} (the key with its "
                f"root) on {model.title}", item.field,
                Affects.of(EITHER, any_(not_(exists("registry.key")), not_(exists("registry.path")))))
        return Rewrite(with_values(item, self.target, [pattern_string(e, cased) for e in ends]), [note])


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
        cased = is_cased(item)
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
