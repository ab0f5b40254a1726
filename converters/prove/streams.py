"""Event streams for rules that correlate events: scenarios on each side of the rule.

A correlation's verdict belongs to a group of events, so its fixture is a
stream of scenarios, each a few events built from positives of the rule's
steps (the single-event synthesizer, converters/prove/synthesis/generate.py) sharing join-key values, placed apart in
time so that they do not meet (each starts a whole number of spans after
the previous one, at least an hour later). What each scenario shows:

sequences (EQL `sequence`)
  in-order          every step in order within maxspan: fires
  straddling        the same, across a multiple of the span (fixed time buckets split it): fires
  out-of-order      the steps reversed (when they differ): no alert
  outside-maxspan   the last steps after maxspan from the first: no alert
  other-key         the last step on another join-key value: no alert
  cut-by-until      an `until` event after the first step: no alert
samples (EQL `sample`): in-order, reversed (fires: samples are unordered), other-key
counts (a one-step sequence `with runs=n`, threshold rules)
  at-threshold      exactly n events of one group within the span: fires
  below-threshold   n-1 events: no alert
  spread-out        n events further apart than the span: no alert
  other-keys        n events split over two groups: no alert
  distinct-values / too-few-values (cardinality): m, then m-1 distinct values

Scenarios whose events cannot be built (a step the generator cannot satisfy
with the shared keys) are left out and listed by `stream_cases`.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field
from typing import Any, Callable

from converters.engine.timestamps import iso_utc
from converters.eql import EqlSyntaxError, ast, parse_query
from converters.errors import RuleportError
from converters.load import RuleFile
from converters.prove.synthesis.entities import Unsolved
from converters.prove.synthesis.indexes import placed
from converters.prove.synthesis.generate import Context, EventSynthesizer, rule_context, rule_seed
from converters.prove.synthesis.values import Exact, Need

BASE_TIME = 1_735_689_600  # 2025-01-01T00:00:00Z
_MIN_GAP = 3600.0


class StreamError(RuleportError):
    """The rule correlates nothing, or no scenario of it could be built."""

    code = "fixtures/stream"


@dataclass
class Scenario:
    name: str
    fires: bool                     # what the original rule does on it, by construction
    events: list[dict] = field(default_factory=list)


@dataclass
class Stream:
    scenarios: list[Scenario]
    skipped: list[str]              # scenarios that could not be built, with why

    @property
    def events(self) -> list[dict]:
        return [e for s in self.scenarios for e in s.events]


# --- steps --------------------------------------------------------------------------------

class StepEvents:
    """Events satisfying one step's query: positives of its branches from the single-event synthesizer,
    with some fields pinned (the join keys), each checked by the query's own evaluator."""

    def __init__(self, synth: EventSynthesizer):
        self.synth = synth

    def positive(self, rng: random.Random, force: dict[str, Any] | None = None, tries: int = 3) -> dict | None:
        """A nested ECS event satisfying the query with the `force`d field values, or None. A pinned
        process entity id pins its PID too, and a pinned host.id the host's name, where the query
        allows it: one process has one PID on every event, as a platform identifying processes by PID
        and start (Defender XDR) needs, and one host one name, as a platform that records only the
        name (Sysmon's Computer, CIM's dest: converters.emit.tables.NamedBy) groups by it."""
        force = force or {}
        derived = {_PINNED_WITH[name][0]: _PINNED_WITH[name][1](value) for name, value in force.items()
                   if name in _PINNED_WITH and _PINNED_WITH[name][0] not in force}
        if derived:
            event = self._positive(rng, {**force, **derived}, tries)
            if event is not None:
                return event
        return self._positive(rng, force, tries)

    def _positive(self, rng: random.Random, force: dict[str, Any], tries: int) -> dict | None:
        pinned = {name: Need([Exact(value)]) for name, value in force.items()}
        order = list(range(len(self.synth.branches)))
        for _ in range(tries):
            alt = rng.randrange(64)
            for index in order:
                try:
                    event = self.synth.positive(index, alt=alt, force=pinned)
                except Unsolved:
                    continue
                if self.synth.matches([event])[0]:
                    return event
            rng.shuffle(order)
        return None


def name_of(host_id: Any) -> str:
    """The name a host with this id has on every event of a stream."""
    return f"ws-{host_id}"


def pid_of(entity_id: Any) -> int:
    """The PID a process with this entity id has on every event of a stream (stable, 1000-60999)."""
    return 1000 + int.from_bytes(hashlib.sha256(str(entity_id).encode()).digest()[:4], "big") % 60000


#: an entity id a stream pins -> the field it pins beside it, and that field's value for the id: one
#: PID per process (process.pid, process.parent.pid), one name per host
_PINNED_WITH = {"process.entity_id": ("process.pid", pid_of),
                "process.parent.entity_id": ("process.parent.pid", pid_of),
                "host.id": ("host.name", name_of)}


@dataclass
class _Step:
    generator: StepEvents
    keys: list[str]                 # ECS join-key fields, in position order


def _eql_step(query: ast.EventQuery, keys: list[str], context: Context, seed: int) -> _Step:
    step_context = Context(query.category, context.os_hint, context.endpoint_index, context.category_field)
    return _Step(StepEvents(EventSynthesizer.from_eql(query, step_context, seed)), keys)


def _kql_step(text: str, keys: list[str], context: Context, seed: int) -> _Step:
    from converters.kql import parse_kql

    step_context = Context("any", context.os_hint, context.endpoint_index, context.category_field)
    return _Step(StepEvents(EventSynthesizer.from_kql(parse_kql(text), step_context, seed)), keys)


# --- building scenarios -------------------------------------------------------------------------

class _Builder:
    def __init__(self, steps: list[_Step], rng: random.Random):
        self.steps = steps
        self.rng = rng
        self.counter = 0

    def fresh(self, like: Any, field: str | None = None) -> Any:
        """A new value of the field's ECS type (or of `like`'s kind)."""
        from converters.lint.ecs import ecs_table

        self.counter += 1
        kind = ecs_table().type_of(field) if field else None
        if isinstance(like, bool):
            return like
        if isinstance(like, int) or kind in ("long", "integer", "short", "unsigned_long"):
            return 40000 + self.counter * 7 + self.rng.randrange(5)
        if kind == "ip":
            return f"8.8.{self.counter % 250}.{1 + self.rng.randrange(250)}"
        return f"k{self.counter}-{self.rng.randrange(10**6):06d}"

    def key_values(self) -> list[Any] | None:
        """Join-key values every step accepts: the generator's own, else fresh ones."""
        free = [s.generator.positive(self.rng) for s in self.steps]
        if any(e is None for e in free):
            return None
        width = len(self.steps[0].keys)
        seen = [[_get(e, k) for k in step.keys] for e, step in zip(free, self.steps)]
        # fresh values first (each scenario its own keys), of the kind the steps' own values are
        fields = self.steps[0].keys
        options = [[seen[0][j] if seen[0][j] is not None and _described(fields[j])
                    else self.fresh(seen[0][j] if seen[0][j] is not None else "", fields[j]) for j in range(width)]]
        options += [[v if v is not None else self.fresh("", fields[j]) for j, v in enumerate(option)]
                    for option in seen]
        for values in options:
            if all(self.event(k, values) is not None for k in range(len(self.steps))):
                return values
        return None

    def event(self, k: int, values: list[Any], extra: dict | None = None) -> dict | None:
        step = self.steps[k]
        force = dict(zip(step.keys, values))
        force.update(extra or {})
        return step.generator.positive(self.rng, force)

    def other_values(self, values: list[Any]) -> list[Any] | None:
        """The same key with its first position changed (when the steps accept another value there)."""
        changed = [self.fresh(values[0], self.steps[-1].keys[0])] + list(values[1:])
        return changed if changed[0] != values[0] else None


def _straddle(events: list[tuple[float, dict]], span: float) -> list[tuple[float, dict]]:
    """The same events moved so that their middle falls on a multiple of the span (fixed time
    buckets of that size split them; a sliding window does not)."""
    shift = span - (events[0][0] + events[-1][0]) / 2
    return [(t + shift, e) for t, e in events]


def _described(field: str) -> bool:
    """A field that describes a file or program (a path, a name, a command line), not an identifier: its
    join-key values stay the ones the step's generator made, so that events stay consistent."""
    last = field.rsplit(".", 1)[-1]
    return last in ("executable", "path", "command_line", "args", "working_directory", "extension") or \
        (last == "name" and field.split(".")[0] in ("process", "file", "dll"))


def _times(start: float, count: int, step: float) -> list[float]:
    return [start + (i + 1) * step for i in range(count)]


def _stamp(event: dict, t: float) -> dict:
    return {"@timestamp": iso_utc(t), **{k: v for k, v in event.items() if k != "@timestamp"}}


def _place(scenarios: list[tuple[str, bool, list[tuple[float, dict]] | None]], span: float, skipped: list[str]) \
        -> list[Scenario]:
    """Lay scenarios out one after the other; each is a list of (offset from its start, event)."""
    gap = max(_MIN_GAP, 4 * span)
    gap = math.ceil(gap / span) * span if span > 0 else gap
    out, start = [], float(BASE_TIME)
    for name, fires, events in scenarios:
        if not events:
            skipped.append(f"{name}: its events could not be built")
            continue
        out.append(Scenario(name, fires, [_stamp(e, start + offset) for offset, e in events]))
        start += gap
    return out


# --- sequences and samples ------------------------------------------------------------------------

def _sequence_stream(query, rule: dict, rng: random.Random, context: Context, seed: int) -> Stream:
    from converters.translate.correlation import lookback, timespan_seconds

    base = query.base
    shared = [k.path for k in base.join_by]
    steps: list[_Step] = []
    for position, sub in enumerate(base.subqueries):
        if sub.missing:
            continue
        step = _eql_step(sub.query, shared + [k.path for k in sub.join_by], context, seed + position)
        steps += [step] * (sub.runs or 1)
    is_sample = isinstance(base, ast.Sample)
    maxspan = None
    if isinstance(base, ast.Sequence) and base.maxspan:
        from converters.eql.sequences import maxspan_seconds

        maxspan = maxspan_seconds(base.maxspan)
    span = maxspan or timespan_seconds(lookback(rule))
    builder = _Builder(steps, rng)
    skipped: list[str] = []
    values = builder.key_values()
    if values is None:
        raise StreamError("no join-key values that every step accepts were found")
    n = len(steps)
    delta = min(1.0, span / (2 * (n + 2)))

    def in_order(key_values) -> list[tuple[float, dict]] | None:
        """The steps in order, one event each, on `key_values` (fresh ones for each scenario when possible)."""
        key_values = key_values or values
        order = [builder.event(k, key_values) for k in range(n)]
        return None if any(e is None for e in order) else list(zip(_times(0, n, delta), order))

    ordered = in_order(values)
    plan: list[tuple[str, bool, Any]] = [("in-order", True, ordered)]
    if ordered:
        again = in_order(builder.key_values())
        plan.append(("straddling", True, again and _straddle(again, span)))
    distinct = len({id(s) for s in steps}) > 1
    if ordered and (distinct or is_sample):
        again = in_order(builder.key_values())
        plan.append(("reversed" if is_sample else "out-of-order", is_sample,
                     again and [(t, e) for t, (_, e) in zip(_times(0, n, delta), reversed(again))]))
    if ordered and maxspan is not None and n > 1:
        again = in_order(builder.key_values())
        plan.append(("outside-maxspan", False,
                     again and [(t if i == 0 else t + maxspan + delta, e) for i, (t, e) in enumerate(again)]))
    keys = builder.key_values() or values
    other = builder.other_values(keys) if n > 1 else None
    if ordered and other is not None:
        again = in_order(keys)
        last = builder.event(n - 1, other)
        plan.append(("other-key", False, None if last is None or not again else
                     again[:-1] + [(again[-1][0], last)]))
    if ordered and isinstance(base, ast.Sequence) and base.until is not None and n > 1:
        until = _eql_step(base.until.query, shared + [k.path for k in base.until.join_by], context, seed - 1)
        cut = until.generator.positive(rng, dict(zip(until.keys, values)))
        plan.append(("cut-by-until", False, None if cut is None else
                     [ordered[0], (ordered[0][0] + delta / 2, cut)] + ordered[1:]))
    return Stream(_place(plan, span, skipped), skipped)


def _count_stream(step: _Step, count: int, span: float, rng: random.Random,
                  card: tuple[str, int] | None = None) -> Stream:
    builder = _Builder([step], rng)
    skipped: list[str] = []
    values = builder.key_values()
    if values is None:
        raise StreamError("no group-by values that the query accepts were found")
    delta = min(1.0, span / (2 * (count + card[1] + 3 if card else count + 2)))

    sample = builder.event(0, values) if card else None
    seen = _get(sample, card[0]) if sample is not None else None

    def card_value(i: int) -> Any:
        if isinstance(seen, int) and not isinstance(seen, bool):
            return seen + i
        return f"{seen}-{i}" if isinstance(seen, str) else f"value-{i}"

    def group(n: int, key_values: list[Any], distinct: int | None = None) -> list[tuple[float, dict]] | None:
        out = []
        for i in range(n):
            extra = {card[0]: card_value(min(i, distinct - 1))} if card and distinct else {}
            event = builder.event(0, key_values, extra)
            if event is None:
                return None
            out.append(((i + 1) * delta, event))
        return out

    plan: list[tuple[str, bool, Any]] = []
    if card:
        field_name, m = card
        size = max(count, m)
        plan.append(("distinct-values", True, group(size, values, m)))
        plan.append(("too-few-values", False, group(size, values, m - 1) if m > 1 else None))
    else:
        at = group(count, values)
        plan.append(("at-threshold", True, at))
        if at and count > 1:
            plan.append(("straddling", True, _straddle(at, span)))
        plan.append(("below-threshold", False, group(count - 1, values) if count > 1 else None))
        spread = group(count, values)
        if spread and count > 1:
            plan.append(("spread-out", False, [(i * (span + 1.0), e) for i, (_, e) in enumerate(spread)]))
        other = builder.other_values(values) if values else None
        if other is not None and count > 1:
            half = group(count - 1, values)
            extra = builder.event(0, other)
            plan.append(("other-keys", False, None if half is None or extra is None else
                         half + [(count * delta, extra)]))
    return Stream(_place(plan, span, skipped), skipped)


# --- entry points ------------------------------------------------------------------------------------

def stream_cases(rule_file: RuleFile, *, seed: int = 0) -> Stream:
    """The scenarios of a correlation rule's stream (see the module docstring), each event in an
    index the rule reads (converters/prove/synthesis/indexes.py)."""
    stream = _scenarios(rule_file, seed)
    for scenario in stream.scenarios:
        scenario.events = placed(scenario.events, rule_file.rule)
    return stream


def _scenarios(rule_file: RuleFile, seed: int) -> Stream:
    from converters.translate.correlation import lookback, timespan_seconds

    rule = rule_file.rule
    rng = random.Random(f"{seed}:{rule.get('rule_id', rule_file.path)}")
    language, text = rule.get("language"), rule.get("query")
    context = rule_context(rule, rule_file.path, "any")
    seed = rule_seed(seed, text if isinstance(text, str) else "")
    if rule.get("type") == "threshold":
        threshold = rule.get("threshold") or {}
        fields = threshold.get("field") or []
        fields = [fields] if isinstance(fields, str) else list(fields)
        if language == "eql":
            base = parse_query(text).base
            step = _eql_step(base, fields, context, seed)
        else:
            step = _kql_step(text, fields, context, seed)
        card = (threshold.get("cardinality") or [None])[0]
        span = timespan_seconds(lookback(rule))
        return _count_stream(step, int(threshold.get("value") or 1), span, rng,
                             (card["field"], int(card["value"])) if card else None)
    if language != "eql" or not isinstance(text, str):
        raise StreamError("only EQL sequences/samples and threshold rules have correlation streams")
    try:
        query = parse_query(text)
    except EqlSyntaxError as exc:
        raise StreamError(f"the EQL query does not parse: {exc.message}") from None
    base = query.base
    if isinstance(base, ast.Join):
        raise StreamError("an EQL join correlates events that Sigma cannot express; its streams are not "
                          "synthesized", path=rule_file.path, line=rule_file.line_of(("rule", "query")))
    if not isinstance(base, (ast.Sequence, ast.Sample)):
        raise StreamError("the rule matches single events: it has no correlation stream")
    if isinstance(base, ast.Sequence) and len(base.subqueries) == 1 and not base.subqueries[0].missing:
        from converters.eql.sequences import maxspan_seconds

        sub = base.subqueries[0]
        span = maxspan_seconds(base.maxspan) if base.maxspan else timespan_seconds(lookback(rule))
        step = _eql_step(sub.query, [k.path for k in base.join_by] + [k.path for k in sub.join_by], context, seed)
        return _count_stream(step, sub.runs or 1, span, rng)
    return _sequence_stream(query, rule, rng, context, seed)


def synthesize_stream(rule_file: RuleFile, *, seed: int = 0) -> list[dict]:
    """The events of the rule's correlation stream, in time order."""
    return stream_cases(rule_file, seed=seed).events


class Synthesizer:
    """Events for `ruleport prove`: a correlation rule's stream; any other rule's events from `single`
    (the single-event synthesizer), or a refusal saying none is available. Picklable, for `--jobs`."""

    def __init__(self, single: Callable[..., list] | None = None):
        self.single = single

    def __call__(self, rule_file: RuleFile, *, seed: int = 0, **kw) -> list[dict]:
        from converters.prove.correlation import correlation_kind

        if correlation_kind(rule_file):
            return synthesize_stream(rule_file, seed=seed)
        if self.single is None:
            raise StreamError("no events: the rule matches single events and no single-event synthesizer is "
                              "installed (give --events-dir)", path=rule_file.path, code="prove/no-events")
        return self.single(rule_file, seed=seed, **kw)


def _get(event: dict, path: str) -> Any:
    if path in event:
        return event[path]
    node: Any = event
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node if not isinstance(node, (dict, list)) else None
