"""What every artifact writer shares: the rule it packages, the entry it makes, its errors.

A writer (`Format`) works in two steps so that one bad rule never stops the
others: `entry()` turns one packaged rule into that format's data (or raises
ArtifactError for that rule alone, which is reported and skipped), then
`files()` lays every entry out as the files the platform imports.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from converters.errors import RuleportError
from converters.load.meta import RuleMeta
from converters.notes import Note

# Fixed namespace: the same Elastic rule_id gives the same artifact id for a target,
# on every run and machine; each target gets its own (they may share one SIEM).
ARTIFACT_ID_NAMESPACE = uuid.UUID("5b0e7c1e-2f43-5d6a-9a0e-77c1d2a4e8f3")


class ArtifactError(RuleportError):
    """One rule that one artifact format cannot carry (code `package/<reason>`)."""

    code = "package/unsupported"


@dataclass
class Packaged:
    """One rule converted for one target, ready to be laid out as that target's artifacts."""

    path: str                       # the rule file, as the user reached it
    rel: PurePosixPath              # its path below the PATH argument (folders kept)
    meta: RuleMeta
    target: str
    query: str
    sigma_yaml: str
    state: dict = field(default_factory=dict)    # the emit pipelines' state (index, query_table, ...)
    notes: list[Note] = field(default_factory=list)   # the translation's and this target's notes

    def artifact_id(self, salt: str = "") -> str:
        """A deterministic UUID for this rule on this target (never the original rule_id)."""
        key = f"{self.target}{salt}:{self.meta.rule_id or self.path}"
        return str(uuid.uuid5(ARTIFACT_ID_NAMESPACE, key))


@dataclass
class Entry:
    """A rule as one format carries it, with the notes the format itself adds."""

    item: Packaged
    data: Any
    notes: list[Note] = field(default_factory=list)


@dataclass
class Context:
    """What a writer knows beyond the rule: its target record and the deployment settings."""

    target: Any                     # converters.emit.targets.Target
    settings: dict = field(default_factory=dict)
    settings_source: str | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.settings.get("enabled", True))


class Format:
    """One deployable format. Subclasses set `name` and `description` and implement both steps."""

    name = ""
    description = ""

    def entry(self, item: Packaged, ctx: Context) -> Entry:
        """One rule's part of the format's files (each format implements it)."""
        raise NotImplementedError

    def files(self, entries: list[Entry], ctx: Context) -> dict[str, str]:
        """Relative path (below DIR/<target>/) -> file text."""
        raise NotImplementedError


def note(code: str, message: str, target: str) -> Note:
    """A note an artifact adds: it concerns deployment (schedule, severity), not which events match."""
    return Note(code, message, target=target)


def notes_for(item: Packaged) -> list[Note]:
    """The notes that concern this target: the translation's and the target's own."""
    return [n for n in item.notes if n.target in (None, item.target)]


def is_correlation(sigma_yaml: str) -> bool:
    """Whether the Sigma text holds a correlation rule (a `correlation:` key at the top level of a document)."""
    return any(line.startswith("correlation:") for line in sigma_yaml.splitlines())


def unique(names: list[str]) -> list[str]:
    """Names made unique by numbering repeats (`x`, `x (2)`), in order."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        n = seen.get(name, 0) + 1
        seen[name] = n
        out.append(name if n == 1 else f"{name} ({n})")
    return out
