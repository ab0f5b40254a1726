"""Elastic rules that correlate several events, as Sigma correlation rules.

Sigma (specification v2) says "several events" with a correlation rule that
names base rules, each an ordinary single-event Sigma rule. One Elastic rule
becomes one multi-document YAML: its base rules first, then the correlation.

    sequence [by K] [with maxspan=T] [q1] [by k1] ... [qn] [by kn]
        -> temporal_ordered over the rules q1..qn, group-by K + the per-step keys
           (aliases where the steps name different fields), timespan T
    sample by K [q1] ... [qn]
        -> temporal (the same events, in any order)
    threshold rule (query, threshold.field F, threshold.value N)
        -> event_count, group-by F, condition gte N
    ... with threshold.cardinality (field C, value M)
        -> value_count, group-by F, condition field C, gte M

Meaning kept, and where it is not (each a Note or a refusal):
- `[q] with runs=n` is, by Elastic's definition, q repeated n times: n base
  rules with the same detection (temporal_ordered needs n distinct events in
  order); a one-step sequence `[q] with runs=n` is n events of q within T:
  an event_count with gte n.
- Without maxspan (and for samples, which have none) the span is bounded by
  the rule's look-back (`from`): each rule run only searches that window.
  Sigma needs a timespan, so the look-back is used, with a note (sequences
  spanning more than it are lost).
- A join key present in every step is one group-by field; keys that differ
  per step (`[a] by x [b] by y`) are one alias. Join keys are compared
  exactly (EQL compares keyword values); events lacking a (non-optional) key
  join no sequence, as Sigma's group-by skips them. An optional key
  (`?field`) lets EQL join events lacking it: not sayable in Sigma (noted).
- Conditions of a step on its own join key stay in that step's base rule:
  the group-by equality applies after each rule's detection, as EQL's does.
- `until`, missing events (`![...]`), pipes and join keys that are
  expressions are refused: Sigma has no form for them.
- `new_terms` rules are refused (no Sigma equivalent), as are threshold
  rules with several cardinality fields.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

from converters.eql import ast
from converters.errors import TranslationError
from converters.notes import LESS, Affects, Note, exists, group_span_over, not_
from converters.translate.detection import Selection, to_detection
from converters.translate.fieldmap import CATEGORY_LOGSOURCE, lookup
from converters.translate.metadata import SIGMA_ID_NAMESPACE

#: EQL time units (Elasticsearch's time values) in seconds
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
#: Elastic's default look-back when a rule sets no `from`
DEFAULT_FROM = "now-6m"


@dataclass
class BaseRule:
    """One step: an ordinary Sigma rule, named so that the correlation can refer to it."""

    name: str
    title: str
    logsource: dict
    selections: dict[str, Selection]
    condition: str
    keys: list[str]            # the Sigma field of each join-key position, for this step
    ecs_keys: list[str]        # the same, as the original rule's ECS fields


@dataclass
class Correlation:
    type: str                  # temporal_ordered | temporal | event_count | value_count
    rules: list[BaseRule]
    group_by: list[str]
    aliases: dict[str, dict[str, str]] = field(default_factory=dict)
    timespan: str = ""
    condition: dict | None = None

    @property
    def seconds(self) -> float:
        return timespan_seconds(self.timespan)


# --- time ---------------------------------------------------------------------

def _split_time(text: str) -> tuple[float, str]:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*", text or "")
    if not m:
        raise TranslationError(f"cannot read the time value {text!r}", code="translate/timespan")
    return float(m.group(1)), m.group(2) or "s"


def sigma_timespan(text: str) -> str:
    """An EQL/Elastic time value as a Sigma timespan (`5m`, `30s`): Sigma has no sub-second unit."""
    value, unit = _split_time(text)
    seconds = value * _UNITS[unit]
    if unit == "ms" or value != int(value):
        if seconds != int(seconds) or seconds <= 0:
            raise TranslationError(f"the time span {text} is not a whole number of seconds; Sigma timespans "
                                   "have no smaller unit", code="translate/timespan")
        return f"{int(seconds)}s"
    return f"{int(value)}{unit}"


def timespan_seconds(text: str) -> float:
    value, unit = _split_time(text)
    return value * _UNITS[unit]


def lookback(rule: dict) -> str:
    """The rule's look-back as a Sigma timespan: `from = "now-9m"` -> 9m."""
    text = str(rule.get("from") or DEFAULT_FROM)
    m = re.fullmatch(r"\s*now\s*-\s*(\d+)\s*([smhd])\s*", text)
    if not m:
        raise TranslationError(f"cannot read the rule's look-back from = {text!r}", code="translate/timespan")
    return f"{int(m.group(1))}{m.group(2)}"


# --- names --------------------------------------------------------------------

def rule_slug(rule: dict) -> str:
    """A Sigma rule name from the Elastic rule's name (letters, digits, underscores)."""
    slug = re.sub(r"[^a-z0-9]+", "_", str(rule.get("name", "")).lower()).strip("_")
    return slug or "ruleport_correlation"


def step_id(rule: dict, suffix: str) -> str:
    return str(uuid.uuid5(SIGMA_ID_NAMESPACE, f"{rule.get('rule_id', rule.get('name', ''))}/{suffix}"))


def key_field(category: str | None, ecs: str) -> str:
    """The Sigma field a join key is compared on in a rule of `category`.

    Only an exact mapping renames it; a basename mapping (process.name is the
    end of Image) would compare other values, so such keys keep the ECS name."""
    mapping = lookup(category, ecs)
    if mapping is None or mapping.basename_of:
        return ecs
    return mapping.sigma


def alias_name(ecs: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9]+", "_", ecs).strip("_") or "key"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    taken.add(name)
    return name


def group_fields(rules: list[BaseRule]) -> tuple[list[str], dict[str, dict[str, str]]]:
    """Group-by fields and aliases for join-key positions shared by all rules."""
    positions = len(rules[0].keys)
    group_by: list[str] = []
    aliases: dict[str, dict[str, str]] = {}
    taken = {k for r in rules for k in r.keys}
    for j in range(positions):
        names = [r.keys[j] for r in rules]
        if len(set(names)) == 1 and names[0] not in group_by:
            group_by.append(names[0])
            continue
        alias = alias_name(rules[0].ecs_keys[j], taken)
        aliases[alias] = {r.name: r.keys[j] for r in rules}
        group_by.append(alias)
    return group_by, aliases


def optional_key_note(fields: list[str]) -> Note:
    return Note("translate/optional-join-key",
                f"the optional join key(s) {', '.join('?' + f for f in fields)} let EQL join events that lack them "
                "(a null key); Sigma's group-by skips such events, so those sequences are not found",
                None, fields[0] if len(fields) == 1 else None,
                Affects.of(LESS, not_(exists(fields[0])) if len(fields) == 1
                           else {"any": [not_(exists(f)) for f in fields]}))


def lookback_note(what: str, span: str, rule: dict) -> Note:
    return Note("translate/timespan-from-lookback",
                f"{what}: only the rule's look-back bounds it (each run searches the last {span}, from = "
                f"{rule.get('from') or DEFAULT_FROM}, every {rule.get('interval') or '5m'}), so the Sigma timespan is "
                f"{span}: Sigma looks at any {span} window, the rule at the windows of its runs (it can miss a "
                f"correlation its runs' windows split, which the Sigma rule finds); correlations spanning more "
                f"than {span} are found by neither",
                None, None, Affects.of(LESS, group_span_over(timespan_seconds(span))))


# --- EQL sequences and samples ---------------------------------------------------

def _key_paths(exprs, what: str) -> list:
    out = []
    for e in exprs:
        if not isinstance(e, ast.Field):
            raise TranslationError(f"the join key of {what} is an expression; Sigma groups by field values only",
                                   code="translate/join-key-expression")
        out.append(e)
    return out


def _step_notes(notes: list[Note], found: list[Note], label: str) -> None:
    for n in found:
        n = Note(n.code, f"{label}: {n.message}", n.target, n.field, n.affects)
        if n not in notes:
            notes.append(n)


def _step_query(query, rule: dict, notes: list[Note]):
    """One step's logsource and condition. A step whose event category has no Sigma logsource
    (`authentication where`), or that only scopes its data (`[network where host.os.type == "macos"]`:
    any network event), keeps its category in the detection: `event.category` holds it among its
    values, exactly as EQL's `<category> where` tests it."""
    from converters.translate.eql_rule import category_as_condition, translate_event_query

    query = category_as_condition(query, rule)   # a rule's event_category_override: a condition on its field
    terms = query.condition.terms if isinstance(query.condition, ast.And) else (query.condition,)
    terms = tuple(t for t in terms if t != ast.Literal(True))
    if query.category not in CATEGORY_LOGSOURCE and query.category != "any":
        # no Sigma logsource says this category (authentication, iam...): translate_event_query keeps
        # it in the detection
        return translate_event_query(ast.EventQuery(query.category, _and(terms) if terms else ast.Literal(True)),
                                     rule, notes)
    if terms:
        try:
            return translate_event_query(ast.EventQuery(query.category, _and(terms)), rule, notes)
        except TranslationError as exc:
            if exc.code != "translate/empty-detection" or query.category == "any":
                raise
    elif query.category == "any":
        raise TranslationError("`any where true` matches every event; a Sigma rule needs a condition",
                               code="translate/empty-detection")
    category = ast.Comparison(ast.Field("event.category"), "==", ast.Literal(query.category))
    return translate_event_query(ast.EventQuery(query.category, _and(terms + (category,))), rule, notes)


def _and(terms: tuple):
    return terms[0] if len(terms) == 1 else ast.And(terms)


def translate_multi_event(query, rule: dict, notes: list[Note]) -> Correlation:
    """An EQL sequence or sample (parsed) to a Correlation; raises TranslationError where Sigma has no form."""
    base = query.base
    kind = "sequence" if isinstance(base, ast.Sequence) else "sample" if isinstance(base, ast.Sample) else "join"
    if kind == "join":
        raise TranslationError("an EQL join has no Sigma correlation form (and Elasticsearch does not run joins)",
                               code="translate/multi-event")
    if query.pipes:
        raise TranslationError(f"EQL pipes (| {query.pipes[0].name}) filter the sequences found and have no Sigma "
                               "form", code="translate/pipes")
    if kind == "sequence" and base.until is not None:
        raise TranslationError("`until` ends pending sequences when an event occurs; a Sigma correlation cannot "
                               "name an event that must not occur", code="translate/until")
    if any(s.missing for s in base.subqueries):
        raise TranslationError("a missing-event step (![...]) asks that an event does not occur; a Sigma "
                               "correlation cannot say that", code="translate/missing-events")
    shared = _key_paths(base.join_by, f"the {kind}")
    widths = {len(s.join_by) for s in base.subqueries}
    if len(widths) != 1:
        raise TranslationError("the steps name different numbers of join keys", code="translate/query-syntax")
    slug = rule_slug(rule)
    rules: list[BaseRule] = []
    optional: list[str] = []
    total = sum(s.runs or 1 for s in base.subqueries)
    single_run = kind == "sequence" and len(base.subqueries) == 1
    for i, step in enumerate(base.subqueries, 1):
        keys = shared + _key_paths(step.join_by, f"step {i}")
        optional += [k.path for k in keys if k.optional and k.path not in optional]
        found: list[Note] = []
        try:
            logsource, cond = _step_query(step.query, rule, found)
        except TranslationError as exc:
            raise TranslationError(f"step {i}: {exc.message}", code=exc.code) from None
        _step_notes(notes, found, f"step {i}")
        selections, condition = to_detection(cond)
        category = logsource.get("category")
        runs = 1 if single_run else (step.runs or 1)
        for run in range(1, runs + 1):
            suffix = f"step{i}" if runs == 1 else f"step{i}_run{run}"
            label = f"step {len(rules) + 1} of {total}" if not single_run else "the counted events"
            rules.append(BaseRule(f"{slug}_{suffix}", f"{rule.get('name', '').strip()} ({label})", logsource,
                                  selections, condition, [key_field(category, k.path) for k in keys],
                                  [k.path for k in keys]))
    if optional:
        notes.append(optional_key_note(optional))
    group_by, aliases = group_fields(rules)
    if kind == "sample":
        span = lookback(rule)
        notes.append(lookback_note("an EQL sample has no time window (only the rule's look-back bounds it)", span,
                                   rule))
        return Correlation("temporal", rules, group_by, aliases, span)
    if base.maxspan:
        span = sigma_timespan(base.maxspan)
    else:
        span = lookback(rule)
        notes.append(lookback_note("the sequence has no maxspan", span, rule))
    if single_run:
        runs = base.subqueries[0].runs or 1
        return Correlation("event_count", rules, group_by, aliases, span, {"gte": runs})
    return Correlation("temporal_ordered", rules, group_by, aliases, span)


# --- threshold rules ------------------------------------------------------------------

def threshold_correlation(rule: dict, logsource: dict, cond, notes: list[Note]) -> Correlation:
    """A threshold rule's query (already translated to `logsource`, `cond`) and its threshold."""
    threshold = rule.get("threshold") or {}
    fields = threshold.get("field") or []
    fields = [fields] if isinstance(fields, str) else list(fields)
    value = threshold.get("value")
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise TranslationError(f"threshold.value {value!r} is not a positive integer", code="translate/threshold")
    cardinality = threshold.get("cardinality") or []
    if len(cardinality) > 1:
        raise TranslationError("a threshold with several cardinality fields has no single Sigma correlation",
                               code="translate/threshold")
    category = logsource.get("category")
    selections, condition = to_detection(cond)
    slug = rule_slug(rule)
    keys = [key_field(category, f) for f in fields]
    base = BaseRule(f"{slug}_events", f"{rule.get('name', '').strip()} (the counted events)", logsource,
                    selections, condition, keys, fields)
    span = lookback(rule)
    interval = rule.get("interval") or "5m"
    notes.append(Note("translate/threshold-window",
                      f"Elastic counts per rule run: every {interval}, over the last {span} (from = "
                      f"{rule.get('from') or DEFAULT_FROM}); the Sigma rule counts within any {span} window, so it "
                      "can also fire on a group whose events no single run's window held together"))
    if not cardinality:
        return Correlation("event_count", [base], keys, {}, span, {"gte": value})
    card = cardinality[0]
    card_value = card.get("value")
    if not isinstance(card_value, int) or card_value < 1 or not card.get("field"):
        raise TranslationError(f"threshold.cardinality {card!r} needs a field and a positive value",
                               code="translate/threshold")
    counted = key_field(category, card["field"])
    if value > card_value:
        # M distinct values imply at least M events: the count condition only matters above M
        notes.append(Note("translate/threshold-count-dropped",
                          f"the rule also asks for at least {value} events per group; a Sigma value_count counts "
                          f"distinct {card['field']} values only (at least {card_value}), so groups with fewer "
                          f"than {value} events can fire"))
    return Correlation("value_count", [base], keys, {}, span, {"field": counted, "gte": card_value})


# --- the YAML -------------------------------------------------------------------------

def render(corr: Correlation, rule: dict, metadata: dict, notes: list[Note]) -> str:
    from converters.translate.metadata import sigma_metadata, sigma_trailer
    from converters.translate.sigma_yaml import render_correlation

    meta = sigma_metadata(rule, metadata)
    bases = []
    for base in corr.rules:
        bases.append({
            "meta": {"title": base.title, "id": step_id(rule, base.name),
                     "name": base.name, "status": meta.get("status", "experimental")},
            "logsource": base.logsource, "selections": base.selections, "condition": base.condition})
    name = rule_slug(rule)
    ordered = {k: v for k, v in meta.items() if k in ("title", "id")}
    ordered["name"] = name
    ordered.update({k: v for k, v in meta.items() if k not in ordered})
    section: dict = {"type": corr.type, "rules": [b.name for b in corr.rules], "group-by": list(corr.group_by)}
    if corr.aliases:
        section["aliases"] = {alias: dict(m) for alias, m in corr.aliases.items()}
    section["timespan"] = corr.timespan
    if corr.condition:
        section["condition"] = dict(corr.condition)
    header = [f"Generated by ruleport from Elastic rule {rule.get('rule_id', '(no rule_id)')}; do not edit by hand.",
              f"A Sigma correlation rule ({corr.type}) and the {len(corr.rules)} base rule(s) it correlates."]
    return render_correlation(header, notes, bases, ordered, section, sigma_trailer(rule))
