"""The Windows event log as Elastic's integrations name it: which ECS values each Security event gets.

Elastic's System and Windows integrations read the Windows event log
(Security, System, ... channels) and keep each record's event ID in
`event.code`, its channel in `winlog.channel`, its provider in
`event.provider` and its EventData in `winlog.event_data.<Name>`. For the
Security channel the ingest pipeline also sets event.category, event.type and
event.action from the event code (a fixed table:
converters/data/platforms/elastic-windows-security.json, written from the
pipeline, which it cites); other events keep the event.action Winlogbeat
gives them (the event's task name), which is no function of the code.

The SIEMs record the same event under its event ID (Splunk's EventCode,
SecurityEvent's EventID), so an ECS condition on event.action, event.category
or event.type of a Security event becomes a condition on the event ID
(`codes_where`), and a platform model gives an event that names no event.code
the ID its event.action stands for, when one ID alone has that action
(`code_of`). Both read this table and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping

from converters.engine.documents import flatten_ecs
from converters.platforms.facts import DATA, FactsError, read_data

FILE = DATA / "elastic-windows-security.json"

#: the ECS fields the pipeline sets from the event code, and the key of each in the table
ECS_OF_CODE = {"event.action": "action", "event.category": "category", "event.type": "type"}


@dataclass(frozen=True)
class SecurityEvents:
    channel: str
    provider: str
    source: str
    events: Mapping[str, Mapping[str, tuple[str, ...]]]   # code -> ECS field -> values
    derived: Mapping[str, str] = None   # EventData name Elastic's pipeline adds -> what it derives it from

    def codes_where(self, ecs_field: str, wanted, *, case_insensitive: bool = True) -> tuple[str, ...]:
        """The event codes the pipeline gives one of `wanted` in `ecs_field` (sorted numerically)."""
        fold = (lambda s: s.lower()) if case_insensitive else (lambda s: s)
        want = {fold(w) for w in wanted}
        return tuple(sorted((c for c, e in self.events.items() if {fold(v) for v in e[ecs_field]} & want), key=int))

    def values_of(self, code: str, ecs_field: str) -> tuple[str, ...]:
        found = self.events.get(str(code))
        return found[ecs_field] if found else ()

    def code_of(self, action: str) -> str | None:
        """The one event code whose event.action is `action` (None: none, or several)."""
        codes = self.codes_where("event.action", [action], case_insensitive=False)
        return codes[0] if len(codes) == 1 else None

    def actions(self) -> tuple[str, ...]:
        return tuple(sorted({a for e in self.events.values() for a in e["event.action"]}))

    def ambiguous_actions(self) -> tuple[str, ...]:
        """The event.action values several codes share (the event code is not implied by them)."""
        seen: dict[str, int] = {}
        for e in self.events.values():
            for a in e["event.action"]:
                seen[a] = seen.get(a, 0) + 1
        return tuple(sorted(a for a, n in seen.items() if n > 1))


@lru_cache(maxsize=None)
def security() -> SecurityEvents:
    raw = read_data(FILE)
    events = {}
    for code, spec in raw["events"].items():
        if not code.isdigit() or set(spec) != set(ECS_OF_CODE.values()):
            raise FactsError(f"{FILE.name}: events.{code}: an event code with action, category and type")
        events[code] = {ecs: tuple([spec[key]] if isinstance(spec[key], str) else spec[key])
                        for ecs, key in ECS_OF_CODE.items()}
    return SecurityEvents(raw["channel"], raw["provider"], raw["source"], events, dict(raw["derived_event_data"]))


#: the providers that write the Security channel's records: the auditing subsystem, and the
#: event log service for its own events there (1100 shutdown, 1102 log cleared, 1104 log full, ...)
SECURITY_PROVIDERS = ("Microsoft-Windows-Security-Auditing", "Microsoft-Windows-Eventlog")


def channel(channel_value: Any, provider: Any, code: str | None) -> str | None:
    """The channel of a Windows event log record: winlog.channel; an event naming none is a
    Security record when its provider writes to Security (the event log service: for the codes
    Elastic's Security table lists) or when it names no provider; else unknown (None)."""
    if channel_value is not None:
        return str(channel_value)
    if provider is None or provider == SECURITY_PROVIDERS[0]:
        return security().channel
    if provider == SECURITY_PROVIDERS[1] and code in security().events:
        return security().channel
    return None


def event_code(event_code_value: Any, actions: list[str]) -> str | None:
    """The event ID of a Windows event log record: its event.code, else the one Security event
    code its event.action names (Elastic's pipeline sets the action from the code)."""
    if event_code_value is not None:
        text = str(event_code_value)
        return text if text.isdigit() else None
    codes = {security().code_of(a) for a in actions}
    codes.discard(None)
    return codes.pop() if len(codes) == 1 else None


EVENT_DATA = "winlog.event_data."


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def event_data(event: Mapping[str, Any]) -> dict[str, str]:
    """The record's EventData fields (winlog.event_data.<Name>) as the text Windows writes: an
    ECS array (a list Elastic split the field into) as its values one per line; the fields
    Elastic's pipeline derives (NewUACList, AccessMaskDescription, ...) are no part of it."""
    found = flatten_ecs(event)
    derived = security().derived
    return {k[len(EVENT_DATA):]: "\n".join(_text(v) for v in vs) for k, vs in found.items()
            if k.startswith(EVENT_DATA) and "." not in k[len(EVENT_DATA):] and k[len(EVENT_DATA):] not in derived}


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def event_data_xml(data: Mapping[str, str]) -> str:
    """EventData as the Windows event XML renders it: one <Data Name="N">value</Data> per field."""
    inner = "".join(f'<Data Name="{name}">{_xml_text(value)}</Data>' for name, value in data.items())
    return '<EventData xmlns="http://schemas.microsoft.com/win/2004/08/events/event">' + inner + "</EventData>"


@dataclass(frozen=True)
class Record:
    """A Windows event log record as the platforms keep it (channel, event ID, provider, computer, data)."""

    channel: str
    code: str
    provider: str | None
    computer: str | None
    data: Mapping[str, str]


def record(a) -> Record | None:
    """The Windows event log record an ECS event (an Activity of kind winlog) stands for, or None
    when it names no event ID or its channel is unknown."""
    if a.kind != "winlog":
        return None
    code = event_code(a.one("event.code"), a.actions)
    if code is None:
        return None
    provider = a.one("event.provider")
    found = channel(a.one("winlog.channel"), provider, code)
    if found is None:
        return None
    if provider is None and found == security().channel:
        provider = SECURITY_PROVIDERS[0]
    return Record(found, code, provider, a.one("winlog.computer_name") or a.one("host.name"), event_data(a.event))


__all__ = ["Record", "record", "event_data", "event_data_xml", "SecurityEvents", "security", "event_code", "channel", "ECS_OF_CODE", "SECURITY_PROVIDERS"]
