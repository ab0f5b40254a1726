"""`synthesize(rule_file)`: ECS events for a rule, built from its parsed query.

For every branch of the rule's condition (a conjunct of its DNF, or of a
cover when the DNF is too large) a positive; for every leaf, near misses
(a case variant where case matters, `?` with zero or two characters, text
beside an anchored pattern, the text next to a `*` changed, the other side
of a numeric bound or a CIDR block, an exclusion that hits, a missing
optional field, the other values of a scoping condition); other positives
that probe how a match is made (each alternative of a set, `*` matching
nothing, case variants where case does not matter, the match only in a later
array element); and the first branch's event on other operating systems and
in another category. Events are internally consistent (see
converters/prove/synthesis/entities.py), typed as ECS types their fields and
deterministic for a seed. Each lives in an index the rule reads
(converters/prove/synthesis/indexes.py).

Every event is checked with the rule's own evaluator (EQL: EqlExecutor,
kuery: KibanaKqlExecutor) over its Elastic rendering: an event whose verdict
is not the one it was built for is dropped. Sequences, samples, joins, pipes
and threshold rules are refused (SynthesisError); `EventSynthesizer` in
converters/prove/synthesis/generate.py is the single-event generator the
correlation streams build on.
"""

from __future__ import annotations

from dataclasses import dataclass

from converters.engine.executor import ExecutionError
from converters.eql import EqlSyntaxError, parse_query
from converters.eql import ast as eql_ast
from converters.kql import KqlSyntaxError, parse_kql
from converters.load import RuleFile, eql_fields
from converters.platforms.models import ELASTIC
from converters.prove.synthesis.formula import SynthesisError, eql_formula, kql_formula
from converters.prove.synthesis.indexes import placed
from converters.prove.synthesis.generate import (
    Case, EventSynthesizer, Synthesis, build_cases, coverage, rule_context, rule_seed, select)

__all__ = ["synthesize", "synthesize_cases", "SynthesisError", "Fixtures", "Case", "EventSynthesizer"]

_BASE_TIME = 1_735_725_600  # 2025-01-01T10:00:00Z


@dataclass
class Fixtures:
    """The synthesized events of one rule, each with what it was built to show, and the figures."""

    cases: list[Case]
    verdicts: list[bool]          # the rule's own verdict on each event
    synthesis: Synthesis

    @property
    def events(self) -> list[dict]:
        return [c.event for c in self.cases]


def _query(rule_file: RuleFile) -> tuple[str, str, dict]:
    rule = rule_file.rule
    language, kind, query = rule.get("language"), rule.get("type"), rule.get("query")
    where = rule_file.line_of(("rule", "query"))
    if kind == "threshold":
        raise SynthesisError("threshold rules count events; their event streams are not synthesized yet",
                             path=rule_file.path, line=rule_file.line_of(("rule", "threshold")),
                             code="fixtures/threshold")
    if language not in ("eql", "kuery"):
        raise SynthesisError(f"only EQL and KQL (kuery) queries can be synthesized for, not {language!r}"
                             f" ({kind} rule)", path=rule_file.path, line=rule_file.line_of(("rule", "language")),
                             code="fixtures/language")
    if not isinstance(query, str):
        raise SynthesisError("the rule has no query", path=rule_file.path, line=where, code="fixtures/no-query")
    return language, query, rule


def _matcher(language: str, query: str, rule: dict):
    from converters.eql.evaluator import EqlExecutor
    from converters.kql.evaluator import KibanaKqlExecutor

    fields = eql_fields(rule)   # the rule's event_category_override, timestamp and tiebreaker fields
    executor = EqlExecutor(fields.category, fields.timestamp, fields.tiebreaker) if language == "eql" \
        else KibanaKqlExecutor()

    def verdicts(events: list[dict]) -> list[bool]:
        docs, _ = ELASTIC.records(events)
        hits = set(executor.run(query, docs))
        return [i in hits for i in range(len(events))]

    return verdicts


def synthesize_cases(rule_file: RuleFile, *, seed: int = 0, count: int | None = None) -> Fixtures:
    """Synthesized events with their labels (see the module docstring)."""
    language, query, rule = _query(rule_file)
    where = dict(path=rule_file.path, line=rule_file.line_of(("rule", "query")))
    category = "any"
    try:
        if language == "eql":
            parsed = parse_query(query)
            base = parsed.base
            if isinstance(base, (eql_ast.Sequence, eql_ast.Sample, eql_ast.Join)):
                raise SynthesisError(f"an EQL {type(base).__name__.lower()} correlates several events; its event "
                                     "streams are not synthesized yet", code="fixtures/multi-event", **where)
            if parsed.pipes:
                raise SynthesisError(f"EQL pipes (| {parsed.pipes[0].name}) are not supported",
                                     code="fixtures/unsupported", **where)
            # under event_category_override the category is a condition on that field, which the events set
            base = eql_ast.category_as_condition(base, eql_fields(rule).category)
            category = base.category
            formula = eql_formula(base.condition)
        else:
            formula = kql_formula(parse_kql(query))
    except (EqlSyntaxError, KqlSyntaxError) as exc:
        raise SynthesisError(f"the query does not parse: {exc.message}", code="fixtures/query-syntax", **where) \
            from None
    except SynthesisError as exc:
        exc.path = exc.path or rule_file.path
        exc.line = exc.line or where["line"]
        raise
    except ExecutionError as exc:
        raise SynthesisError(f"the evaluator cannot run this query: {exc}", code="fixtures/unsupported",
                             **where) from None
    verdicts_of = _matcher(language, query, rule)
    context = rule_context(rule, rule_file.path, category)
    synth = EventSynthesizer(formula, verdicts_of, context, seed=rule_seed(seed, query))
    try:
        result = build_cases(synth)
    except ExecutionError as exc:
        raise SynthesisError(f"the evaluator cannot run this query: {exc}", code="fixtures/unsupported",
                             **where) from None
    kept, verdicts = _checked(result, verdicts_of)
    if not kept:
        reason = "; ".join(f"branch {i + 1}: no value for {f}" for i, f in list(result.unsolved.items())[:3])
        raise SynthesisError(f"no event could be built for this query ({reason or 'no branch'})",
                             code="fixtures/unsatisfiable", **where)
    chosen = select(kept, count)
    _stamp(chosen)
    for case, event in zip(chosen, placed([c.event for c in chosen], rule)):
        case.event = event
    order = {id(c): i for i, c in enumerate(kept)}
    verdicts = [verdicts[order[id(c)]] for c in chosen]
    docs, _ = ELASTIC.records([c.event for c in chosen])
    result.covered = coverage(synth, docs, verdicts)
    result.cases = chosen
    return Fixtures(chosen, verdicts, result)


def _checked(result: Synthesis, verdicts_of) -> tuple[list[Case], list[bool]]:
    """Cases whose verdict is the one they were built for (scope cases take theirs), deduplicated."""
    import json

    unique, seen = [], set()
    for case in result.cases:
        key = json.dumps(case.event, sort_keys=True)
        if key not in seen:
            seen.add(key)
            unique.append(case)
    unchecked = [c for c in unique if not c.checked]
    judged = dict(zip(map(id, unchecked), verdicts_of([c.event for c in unchecked]) if unchecked else []))
    kept, kept_verdicts = [], []
    for case in unique:
        verdict = judged.get(id(case), case.expect)
        if case.kind == "scope":
            case.expect = verdict
        elif case.expect != verdict:
            result.discarded += 1
            result.dropped.append(f"{case.kind}: {case.why}")
            continue
        kept.append(case)
        kept_verdicts.append(verdict)
    return kept, kept_verdicts


def _stamp(cases: list[Case]) -> None:
    import datetime as dt

    for i, case in enumerate(cases):
        when = dt.datetime.fromtimestamp(_BASE_TIME + i, tz=dt.timezone.utc)
        case.event = {"@timestamp": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"), **case.event}


def synthesize(rule_file: RuleFile, *, seed: int = 0, count: int | None = None) -> list[dict]:
    """ECS events (nested dicts) for the rule's query: positives, near misses, other scopes."""
    return synthesize_cases(rule_file, seed=seed, count=count).events
