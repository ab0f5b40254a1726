"""EQL sequences and samples over an event stream, as Elasticsearch runs them.

What we follow (Elasticsearch's EQL syntax reference, "Sequences", "with
maxspan", "by keyword", "until keyword", "Samples", "How sequence queries
handle matches"; elastic/elasticsearch#79677 for optional join keys and
#92348 for missing events):

Order and time
  Events are taken in `@timestamp` order (ties in stream order: Elasticsearch
  breaks them with its tiebreaker, then the document order). An event without
  a readable `@timestamp` takes part in nothing. A rule's `timestamp_field`
  replaces @timestamp; its `tiebreaker_field` orders events of equal time
  (ascending, as Elasticsearch sorts it; an event without one comes last
  among them), then stream order. Step categories read the rule's
  `event_category_override` field (converters.eql.evaluator).

Steps and join keys
  An event "matches step k" when it passes the step's event query (category and
  condition, converters.eql.evaluator) and has a value for each of the step's
  join keys: the sequence-level `by` keys followed by the step's own. A
  missing key excludes the event from that step, unless the key is optional
  (`?field`), whose missing value is null and joins other nulls. Keys compare
  exactly (keyword values); an array key compares as the whole list.
  `[q] with runs=n` is q repeated n times.

Sequences: one state machine per join-key value
  Each positive step is a state holding at most one pending sequence; a newer
  pending sequence replaces an older one in the same state. Each event is
  checked against the steps from the last to the first, so that it can both
  move a pending sequence forward and start a new one, but never passes two
  steps of one sequence:
  - step 1: a new pending sequence [e] (replacing the one in state 1);
  - step k > 1: the sequence pending in state k-1, if any, moves on with e to
    state k (replacing the one there) and state k-1 empties; with `maxspan`, only
    when e is at most maxspan after the sequence's FIRST event (an older
    pending sequence is dropped instead);
  - the last step completes the sequence: it is returned and leaves the machine.
  `until [q]`: an event matching q (with the same key) empties every state of
  its key before the steps are checked, so pending sequences cannot complete.
  Missing events `![q]` (which need maxspan): a completed sequence is kept
  only when no event of q with the same key occurs strictly between its
  neighbouring positive events; a leading one looks back maxspan from the
  last event, a trailing one forward maxspan from the first.

Samples (`sample by k [q1] ... [qn]`)
  Unordered and without a time window. For each join-key value, one sample
  (Elasticsearch's default max_samples_per_key is 1): for each filter in turn,
  its earliest matching event not already taken by another filter. A key
  whose filters cannot all be filled has no sample.

Joins (Elasticsearch does not run them) and pipes raise ExecutionError.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Sequence

from converters.engine.documents import doc_values_reader
from converters.engine.executor import Event, ExecutionError
from converters.engine.timestamps import epoch_seconds
from converters.eql import ast, parse_query
from converters.eql.parser import EqlSyntaxError

_TIME = "@timestamp"
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_NO_KEY = object()


@dataclass(frozen=True)
class _Step:
    test: Callable[[dict], bool]
    keys: tuple[ast.Field, ...]
    missing: bool = False

    def key(self, doc: dict) -> Any:
        """The join-key value of `doc` for this step, or _NO_KEY when a required key is missing."""
        out = []
        for f in self.keys:
            values = doc.get(f.path)
            if not values:
                if not f.optional:
                    return _NO_KEY
                out.append(None)
            else:
                out.append(values[0] if len(values) == 1 else tuple(values))
        return tuple(out)


def maxspan_seconds(text: str | None) -> float | None:
    if text is None:
        return None
    text = text.strip()
    for unit in ("ms", "s", "m", "h", "d"):
        if text.endswith(unit) and text[: -len(unit)].strip().replace(".", "", 1).isdigit():
            return float(text[: -len(unit)]) * _UNITS[unit]
    if text.replace(".", "", 1).isdigit():
        return float(text)
    raise ExecutionError(f"cannot read maxspan={text}")


@lru_cache(maxsize=128)
def _compile(text: str, compile_event_query: Callable, category_field: str, timestamp_field: str,
             tiebreaker_field: str | None):
    try:
        query = parse_query(text)
    except EqlSyntaxError as exc:
        raise ExecutionError(f"EQL does not parse: {exc}") from None
    base = query.base
    if query.pipes:
        raise ExecutionError(f"EQL pipes (| {query.pipes[0].name}) are not supported on sequences")
    if isinstance(base, ast.Join):
        raise ExecutionError("EQL joins are not run by Elasticsearch (nor here)")

    def step(sub: ast.SubQuery) -> _Step:
        return _Step(compile_event_query(sub.query), tuple(base.join_by) + tuple(sub.join_by), sub.missing)

    steps = []
    for sub in base.subqueries:
        if any(not isinstance(k, ast.Field) for k in tuple(base.join_by) + tuple(sub.join_by)):
            raise ExecutionError("join keys that are expressions are not supported")
        steps.extend([step(sub)] * (sub.runs or 1))
    until = step(base.until) if isinstance(base, ast.Sequence) and base.until is not None else None
    fields = [f.path for f in ast.fields_of(base)] + [timestamp_field, category_field]
    if tiebreaker_field:
        fields.append(tiebreaker_field)
    maxspan = maxspan_seconds(base.maxspan) if isinstance(base, ast.Sequence) else None
    if any(s.missing for s in steps) and maxspan is None:
        raise ExecutionError("missing events (![...]) need `with maxspan`")
    return isinstance(base, ast.Sample), tuple(steps), until, maxspan, doc_values_reader(fields)


def find_sequences(text: str, events: Sequence[Event], compile_event_query: Callable, *,
                   category_field: str = "event.category", timestamp_field: str = _TIME,
                   tiebreaker_field: str | None = None) -> list[tuple[int, ...]]:
    """The sequences (or samples) `text` finds in `events`, each as event indexes in stream order.
    `compile_event_query`: an event query (AST) to a `doc -> bool` test (the evaluator's, reading
    `category_field`); the fields a rule may override name the time and the tiebreaker."""
    is_sample, steps, until, maxspan, read = _compile(text, compile_event_query, category_field,
                                                      timestamp_field, tiebreaker_field)
    docs = [read(e) for e in events]
    times = [epoch_seconds(d.get(timestamp_field)) for d in docs]
    order = sorted((i for i, t in enumerate(times) if t is not None),
                   key=lambda i: (times[i], _tiebreak(docs[i], tiebreaker_field), i))
    if is_sample:
        return _samples(steps, docs, order)
    found = _sequences([s for s in steps if not s.missing], until, maxspan, docs, times, order)
    if any(s.missing for s in steps):
        found = [seq for seq in found if _no_missing_event(seq, steps, maxspan, docs, times, order)]
    return found


def _tiebreak(doc: dict, field: str | None) -> tuple:
    """The sort key of an event's tiebreaker: its first value; events without one after the others."""
    values = doc.get(field) if field else None
    if not values:
        return (1, 0, "")
    v = values[0]
    return (0, 0, v) if isinstance(v, (int, float)) and not isinstance(v, bool) else (0, 1, str(v))


def _sequences(steps, until, maxspan, docs, times, order) -> list[tuple[int, ...]]:
    n = len(steps)
    machines: dict[Any, list] = {}          # key -> one slot per state: (start time, [indexes]) or None
    done: list[tuple[int, ...]] = []
    for i in order:
        doc, t = docs[i], times[i]
        if until is not None and until.test(doc):
            key = until.key(doc)
            if key is not _NO_KEY:
                machines.pop(key, None)
        for k in range(n - 1, -1, -1):
            step = steps[k]
            if not step.test(doc):
                continue
            key = step.key(doc)
            if key is _NO_KEY:
                continue
            states = machines.setdefault(key, [None] * n)
            if k == 0:
                moved = (t, [i])
            else:
                pending = states[k - 1]
                if pending is None:
                    continue
                states[k - 1] = None
                if maxspan is not None and t - pending[0] > maxspan:
                    continue            # expired: dropped
                moved = (pending[0], pending[1] + [i])
            if k == n - 1:
                done.append(tuple(moved[1]))
            else:
                states[k] = moved
    return done


def _no_missing_event(seq, steps, maxspan, docs, times, order) -> bool:
    positives = [k for k, s in enumerate(steps) if not s.missing]
    at = dict(zip(positives, seq))
    first, last = (times[seq[0]], seq[0]), (times[seq[-1]], seq[-1])
    for k, step in enumerate(steps):
        if not step.missing:
            continue
        before = [p for p in positives if p < k]
        after = [p for p in positives if p > k]
        low = (times[at[before[-1]]], at[before[-1]]) if before else (last[0] - maxspan, -1)
        high = (times[at[after[0]]], at[after[0]]) if after else (first[0] + maxspan, len(docs))
        key = steps[positives[0]].key(docs[seq[0]])
        for j in order:
            point = (times[j], j)
            if low < point < high and step.test(docs[j]) and step.key(docs[j]) == key:
                return False
    return True


def _samples(steps, docs, order) -> list[tuple[int, ...]]:
    candidates: dict[Any, list[list[int]]] = {}
    for i in order:
        for k, step in enumerate(steps):
            if step.test(docs[i]):
                key = step.key(docs[i])
                if key is not _NO_KEY:
                    candidates.setdefault(key, [[] for _ in steps])[k].append(i)
    position = {i: n for n, i in enumerate(order)}
    found = []
    for per_filter in candidates.values():
        taken: list[int] = []
        for events in per_filter:
            pick = next((i for i in events if i not in taken), None)
            if pick is None:
                break
            taken.append(pick)
        else:
            found.append(tuple(sorted(taken, key=position.__getitem__)))
    return sorted(found, key=lambda s: [position[i] for i in s])
