"""The one small interface every executor implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Mapping, Sequence

Event = Mapping[str, Any]


class ExecutionError(Exception):
    """The query could not be run: unsupported construct, engine failure."""


class Executor(ABC):
    """Runs one query language over events as one platform records them.

    Subclasses document, in their docstring, the semantics they follow
    (case rules, wildcards, arrays, missing fields) and test them on their own.
    """

    #: short name, e.g. "eql", "splunk-spl", "lucene"
    name: str = ""
    #: what actually evaluates the query, shown in reports
    engine: str = ""

    def unavailable(self) -> str | None:
        """Why this executor cannot run here (e.g. no JVM), or None when it can."""
        return None

    @abstractmethod
    def run(self, query: str, events: Sequence[Event]) -> list[int]:
        """Return the 0-based indexes of `events` that `query` matches, ascending."""

    def adaptation_notes(self, query: str) -> list:
        """Notes (converters.notes.Note) on what this executor changes before running `query`,
        when it adapts the query to its platform (the sigma column's Sysmon pipeline); usually none."""
        return []

    def alerts(self, query: str, events: Sequence[Event]) -> list[tuple[int, ...]]:
        """For a query that correlates events (a sequence, a count per group within a time span):
        the events behind each alert it raises, as tuples of 0-based indexes of `events`.
        `events` are in time order. Executors that run correlations override this."""
        raise ExecutionError(f"{self.engine or self.name} does not run correlation queries")


def provenance(i) -> frozenset:
    """The events a row stands for: a row index, or the frozenset of a grouped row's events."""
    return i if isinstance(i, frozenset) else frozenset((i,))


class RowsExecutor(Executor):
    """An executor whose queries are pipelines of row stages (SPL, ES|QL): `_rows` yields
    (provenance, row) pairs; a single-event query's rows stand for one event, a grouping
    command's for the events of its group."""

    @abstractmethod
    def _rows(self, query: str, events: Sequence[Event]) -> list:
        """The query's result rows over `events`, each with its provenance."""

    def run(self, query: str, events: Sequence[Event]) -> list[int]:
        return sorted({i for p, _ in self._rows(query, events) for i in provenance(p)})

    def alerts(self, query: str, events: Sequence[Event]) -> list[tuple[int, ...]]:
        """The events behind each result row (a grouped row: its group's)."""
        found: list[tuple[int, ...]] = []
        for p, _ in self._rows(query, events):
            group = tuple(sorted(provenance(p)))
            if group not in found:
                found.append(group)
        return found
