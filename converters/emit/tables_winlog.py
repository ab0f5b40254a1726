"""Windows event log records (Security channel and others) on the SIEM targets: the equivalents their models use.

A category-less Sigma rule on product windows that names `event.code` or a
`winlog.*` field reads Windows event log records as Elastic's System and
Windows integrations index them (converters.platforms.winlog). The SIEMs keep
the same records under the event ID (Splunk's EventCode, Sentinel's
SecurityEvent.EventID) with the EventData fields under their own names
(Splunk's extractions, SecurityEvent's columns) or, where the platform has no
column for one, in the record's EventData XML (SecurityEvent.EventData).

What each ECS field becomes:
- event.code: the event ID column (a number where the platform types it so);
  exact, except that a platform model gives an event without event.code the
  one code its event.action names (noted where that applies);
- event.action / event.category / event.type: the event codes Elastic's
  Security pipeline gives those values (converters/data/platforms/
  elastic-windows-security.json), noted with the events whose event.code (or,
  without one, event.action) says otherwise: values the pipeline sets for no
  code (an event's task name, e.g. "Directory Service Access") match nothing;
- winlog.event_data.<Name>: the platform's field of that name; on a table
  without it, the EventData XML element `<Data Name="Name">value</Data>`
  (plain values and wildcards only; XML-escaped as Windows writes them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from converters.emit.platform_conditions import Rewrite
from converters.emit.equivalents import From, Refuse, Same
from converters.emit.item_values import is_cased, plain_values, with_values
from converters.emit.strings import render
from converters.notes import EITHER, LESS, Affects, all_, any_, eq, exists, not_
from converters.platforms import facts, winlog
from sigma.types import SigmaCasedString, SigmaNumber, SigmaRegularExpression, SigmaRegularExpressionFlag, \
    SigmaString, SpecialChars

EVENT_DATA = "winlog.event_data."


def _numbers(values: list[str], numeric: bool) -> list:
    return [SigmaNumber(int(v)) if numeric else SigmaString(v) for v in values]


def _code_from_action(codes: tuple[str, ...]) -> list[str]:
    """The event.action values a platform model reads as one of `codes` for an event with no event.code."""
    sec = winlog.security()
    return sorted({a for c in codes for a in sec.values_of(c, "event.action") if sec.code_of(a) == c})


def _platform_holds(codes: tuple[str, ...]) -> tuple[dict, dict]:
    """(event has event.code, the platform's event ID is one of `codes`): rendered from
    event.code where the event has it, else from the one code its event.action names."""
    with_code = eq("event.code", list(codes)) if codes else {"not": {"exists": "@timestamp"}}
    actions = _code_from_action(codes)
    without = eq("event.action", actions) if actions else {"not": {"exists": "@timestamp"}}
    return with_code, without


def _disagree(holds: dict, codes: tuple[str, ...]) -> dict:
    """The events where `holds` (the ECS condition) and "the platform's event ID is in codes" differ."""
    with_code, without = _platform_holds(codes)
    return any_(all_(exists("event.code"), any_(all_(holds, not_(with_code)), all_(not_(holds), with_code))),
                all_(not_(exists("event.code")), any_(all_(holds, not_(without)), all_(not_(holds), without))))


@dataclass(frozen=True)
class EventCode:
    """event.code as the platform's event ID `target` (a number where `numeric`)."""

    target: str
    numeric: bool = False

    def resolve(self, item, model, rule):
        values = plain_values(item)
        if values is None:
            return None
        known = [v for v in values if v.isdigit()]
        notes = []
        derived = _code_from_action(tuple(known))
        if derived:   # an event with no event.code is given the code its event.action names
            notes.append(("emit/field-approximated", f"{item.field} is read as {self.target} on {model.title}, "
                          "which an event without event.code has from its event.action", item.field,
                          Affects.of(EITHER, all_(not_(exists("event.code")), eq("event.action", derived)))))
        if len(known) < len(values):
            odd = [v for v in values if not v.isdigit()]
            notes.append(("emit/field-approximated", f"{item.field} {', '.join(odd)} is no event ID: "
                          f"{model.title} holds none", item.field,
                          Affects.of(EITHER, eq("event.code", odd, case_insensitive=not is_cased(item)))))
        if not known:
            return Rewrite(False, notes)
        return Rewrite(with_values(item, self.target, _numbers(known, self.numeric)), notes)


@dataclass(frozen=True)
class CodeOf:
    """event.action / event.category / event.type of a Windows Security event as the event IDs
    Elastic's pipeline gives those values (converters.platforms.winlog)."""

    target: str
    numeric: bool = False

    def resolve(self, item, model, rule):
        values = plain_values(item)
        if values is None or (item.value_linking.__name__ == "ConditionAND" and len(values) > 1):
            return None
        ci = not is_cased(item)
        codes = winlog.security().codes_where(item.field, values, case_insensitive=ci)
        holds = eq(item.field, values, case_insensitive=ci)
        note = ("emit/action-mapped", f"{item.field} {'/'.join(values)} is read as {self.target} "
                f"{', '.join(codes) or '(none: Elastic gives no Security event code that value)'} on "
                f"{model.title}, the event codes Elastic's Security pipeline gives it", item.field,
                Affects.of(EITHER, _disagree(holds, codes)))
        if not codes:
            return Rewrite(False, [note])
        return Rewrite(with_values(item, self.target, _numbers(list(codes), self.numeric)), [note])


def _xml_text(text: str) -> str:
    """A value as the Windows event XML writes it (&, < and > escaped)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _element_regex(name: str, value) -> str | None:
    """`<Data Name="name">value</Data>` as a regex (`*`, `?` within the element), else None."""
    if type(value) not in (SigmaString, SigmaCasedString) \
            or not all(isinstance(part, (str, SpecialChars)) for part in value.s):   # a placeholder
        return None
    body = render(value, any_run="[^<]*", any_char="[^<]", literal=lambda part: re.escape(_xml_text(part)))
    return f'<Data Name="{re.escape(name)}">{body}</Data>'


@dataclass(frozen=True)
class EventDataXml:
    """winlog.event_data.<name> as its element in the EventData XML column `target`."""

    name: str
    target: str = "EventData"

    def resolve(self, item, model, rule):
        regexes = [_element_regex(self.name, v) for v in item.value]
        if not regexes or None in regexes:
            return None
        flags = [] if is_cased(item) else [SigmaRegularExpressionFlag.IGNORECASE]
        note = ("emit/field-approximated", f"{item.field} has no column on {model.title}: read as its element "
                f'<Data Name="{self.name}"> in {self.target}', item.field, None)
        return Rewrite(with_values(item, self.target, [SigmaRegularExpression(r, flags) for r in regexes]), [note])


class EventDataEquivalents(dict):
    """A model's equivalents, where any winlog.event_data.<Name> not listed is the facts table's
    field `Name` when it has one (compared as a number where the table types it so), else
    `fallback(Name)` (None: not recorded). The table is read on first use."""

    def __init__(self, entries: dict, platform: str, table: str, fallback=None):
        super().__init__(entries)
        self.platform, self.table, self.fallback = platform, table, fallback

    def _derived(self, key):
        if not isinstance(key, str) or not key.startswith(EVENT_DATA):
            return None
        name = key[len(EVENT_DATA):]
        derived = winlog.security().derived.get(name)
        if derived is not None:
            return Refuse(f"Elastic's pipeline derives {name} ({derived}); the platform keeps the record's own "
                          "EventData only")
        kind = facts.table(self.platform, self.table).type_of(name)
        if kind in ("int", "long"):
            return Numeric(name)
        if kind is not None:
            return Same(name)
        return self.fallback(name) if self.fallback else None

    def __contains__(self, key) -> bool:
        return dict.__contains__(self, key) or self._derived(key) is not None

    def __missing__(self, key):
        found = self._derived(key)
        if found is None:
            raise KeyError(key)
        return found


@dataclass(frozen=True)
class Numeric:
    """An EventData field the platform types as a number: plain decimal values compared as numbers."""

    target: str

    def resolve(self, item, model, rule):
        values = plain_values(item)
        if values is None or not all(v.isdigit() for v in values):
            return None
        return Rewrite(with_values(item, self.target, [SigmaNumber(int(v)) for v in values]))


#: the group of a group-management event (4727-4764: added-member-to-group, ...), which Elastic's
#: pipeline fills from the record's Target* fields: read as those fields (noted where they disagree)
GROUP_FIELDS = {f"group.{ecs}": From(name, f"{EVENT_DATA}{name}")
                for ecs, name in (("id", "TargetSid"), ("name", "TargetUserName"), ("domain", "TargetDomainName"))}


def security_scope(title: str) -> tuple:
    """The note of a table holding the Security channel's records: which ECS events it never receives."""
    sec = winlog.security()
    unique = sorted({a for c in sec.events for a in sec.values_of(c, "event.action") if sec.code_of(a) == c})
    other_kind = ["process", "file", "registry", "network", "dns", "library", "driver", "authentication"]
    where = any_(
        all_(exists("winlog.channel"), not_(eq("winlog.channel", [sec.channel]))),
        all_(not_(exists("winlog.channel")), exists("event.provider"),
             not_(eq("event.provider", list(winlog.SECURITY_PROVIDERS)))),
        all_(not_(exists("winlog.channel")), eq("event.provider", [winlog.SECURITY_PROVIDERS[1]]),
             not_(eq("event.code", list(sec.events)))),
        all_(not_(exists("event.code")), not_(eq("event.action", unique))),
        eq("event.category", other_kind),
        exists("powershell.file.script_block_text"),
        all_(exists("host.os.type"), not_(eq("host.os.type", ["windows"]))),
    )
    return ("emit/not-recorded", f"{title} holds the records of the Windows Security channel: events of another "
            "channel or provider, events Elastic files under another kind (logons, processes, files, network, ...), "
            "and events with no event ID are never received", "event.code", Affects.of(LESS, where))


__all__ = ["GROUP_FIELDS", "EventCode", "CodeOf", "EventDataXml", "EventDataEquivalents", "Numeric", "security_scope"]
