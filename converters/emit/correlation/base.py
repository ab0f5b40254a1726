"""What every ruleport backend shares when it converts a Sigma correlation rule.

pySigma converts the referenced (base) rules first, each through the target's
processing pipeline, and keeps their queries unfinalized; then it calls
`convert_correlation_rule`. pySigma's default applies the pipeline to the
correlation rule itself, whose group-by fields then go through the field
mapping as a whole, but ruleport's pipelines map fields per log source (a
join key is `ProcessGuid` in one step and `process.parent.entity_id` in
another) and refuse rules without a log source. So here:

- each join key is mapped per referenced rule, by the very pipeline that
  converted that rule: a probe rule (the base rule's log source, one exact
  condition on the key) goes through it and the key's field is read back; a
  key the platform lacks is refused, naming the field and the rule; a key it
  only approximates (a host's name for its id) comes with the notes of that
  reading (`emit/join-key-approximate`);
- the notes of every base rule's conversion are collected, with the
  backend's own notes on the correlation (`correlation_note`);
- each backend renders its query from its declared templates (class
  attributes in pySigma's style: `<type>_correlation_query`,
  `correlation_search_*`, `groupby_*`) in `correlation_query`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from converters.emit.errors import EmitError
from converters.emit.transforms import mark_probe, referrers
from converters.notes import MORE, PIPELINE_NOTES_KEY, Affects, Note, group_differs
from converters.translate.fieldmap import ecs_of
from sigma.conversion.state import ConversionState
from sigma.correlations import SigmaCorrelationConditionOperator as Op
from sigma.correlations import SigmaCorrelationRule, SigmaCorrelationType
from sigma.exceptions import SigmaError
from sigma.rule import SigmaDetectionItem, SigmaRule

#: the value a key probe matches; found again after the pipeline ran
_PROBE = "ruleport-join-key-probe"
#: the code of a note on a join key the platform only approximates (converters.emit.tables.NamedBy)
APPROXIMATE_KEY = "emit/join-key-approximate"

TYPE_NAMES = {
    SigmaCorrelationType.EVENT_COUNT: "event_count", SigmaCorrelationType.VALUE_COUNT: "value_count",
    SigmaCorrelationType.TEMPORAL: "temporal", SigmaCorrelationType.TEMPORAL_ORDERED: "temporal_ordered",
}
OPERATORS = {Op.LT: "lt", Op.LTE: "lte", Op.GT: "gt", Op.GTE: "gte", Op.EQ: "eq", Op.NEQ: "neq"}


@dataclass
class Step:
    """One referenced rule, converted for this target."""

    position: int               # 1-based, in the correlation's `rules` order
    name: str
    rule: SigmaRule
    query: str                  # its condition, converted (not finalized)
    state: dict                 # the processing state of its conversion (table, index, base search...)
    keys: list[str]             # the target field of each group-by position


class CorrelationBackend:
    """Mixin for a pySigma TextQueryBackend subclass (listed before it)."""

    #: when set, the target refuses every correlation rule with this reason
    correlation_refusal: ClassVar[str | None] = None

    # --- pySigma entry points ------------------------------------------------------
    def convert(self, rule_collection, *args, **kwargs):
        if self.correlation_refusal and any(isinstance(r, SigmaCorrelationRule) for r in rule_collection.rules):
            raise EmitError(self.correlation_refusal, code="emit/correlation-unsupported")
        return super().convert(rule_collection, *args, **kwargs)

    def convert_correlation_rule(self, rule: SigmaCorrelationRule, output_format=None, method=None,
                                 callback=None):
        if self.correlation_refusal:
            raise EmitError(self.correlation_refusal, code="emit/correlation-unsupported")
        methods = getattr(self, "correlation_methods", None) or {}
        method = method or getattr(self, "default_correlation_method", None)
        if method not in methods:
            raise EmitError(f"correlation method {method!r} is not one of {', '.join(methods)}",
                            code="emit/correlation-unsupported")
        kind = TYPE_NAMES.get(rule.type)
        if kind is None:
            raise EmitError(f"the {rule.type.name.lower()} correlation type is not supported",
                            code="emit/correlation-unsupported")
        self._correlation_notes: list[Note] = []
        steps = [self._step(rule, i, ref) for i, ref in enumerate(rule.referenced_rules, 1)]
        steps = self._drop_unavailable_keys(rule, steps)
        query = self.correlation_query(rule, kind, method, steps)
        self._publish_notes(steps)
        rule.set_conversion_result([query])
        rule.set_conversion_states([ConversionState(processing_state={})])
        if callback is not None:
            query = callback(rule, output_format, 0, query, query)
        return [query] if rule._output and query is not None else []

    def correlation_query(self, rule: SigmaCorrelationRule, kind: str, method: str, steps: list[Step]) -> str:
        """The query of one correlation: each language's backend implements it; a backend whose
        language has no correlation form sets `correlation_refusal` and never gets here."""
        raise NotImplementedError

    # --- helpers for the backends ----------------------------------------------------
    def correlation_note(self, code: str, message: str, affects: Affects | None = None,
                         field: str | None = None) -> None:
        note = Note(code, message, None, field, affects)
        if note not in self._correlation_notes:
            self._correlation_notes.append(note)

    @staticmethod
    def condition_of(rule: SigmaCorrelationRule) -> tuple[str, int]:
        """(operator name, count) of a counting condition: ("gte", 5)."""
        cond = rule.condition
        return OPERATORS[cond.op], int(cond.count)

    @staticmethod
    def counted_field(rule: SigmaCorrelationRule) -> str | None:
        fieldref = getattr(rule.condition, "fieldref", None)
        if isinstance(fieldref, list):
            if len(fieldref) != 1:
                raise EmitError("a value_count over several fields is not supported", code="emit/correlation-unsupported")
            fieldref = fieldref[0]
        return fieldref

    def refuse(self, message: str) -> EmitError:
        return EmitError(message, code="emit/correlation-unsupported")

    # --- internals -----------------------------------------------------------------------
    def _step(self, rule: SigmaCorrelationRule, position: int, ref) -> Step:
        base = ref.rule
        if isinstance(base, SigmaCorrelationRule):
            raise self.refuse("a correlation of correlation rules is not supported")
        queries = [q for q in base.get_conversion_result() if q is not None]
        states = base.get_conversion_states()
        if not queries:
            raise EmitError(f"the base rule {base.name} produced no query", code="emit/correlation-unsupported")
        if len(queries) > 1:
            queries = ["(" + ") or (".join(str(q) for q in queries) + ")"]
        state = dict(states[0].processing_state) if states else {}
        fields = []
        for group_field in rule.group_by or []:
            alias = next((a for a in rule.aliases if a.alias == group_field), None)
            if alias is None:
                fields.append(group_field)
                continue
            mapped = [f for r, f in alias.mapping.items() if r.reference in (ref.reference, base.name, str(base.id))]
            if not mapped:
                raise EmitError(f"the alias {group_field} names no field for {base.name}", code="emit/sigma-invalid")
            fields.append(mapped[0])
        keys: list = []
        for f in fields:
            try:
                keys.append(self._target_field(base, f))
            except EmitError as exc:
                if exc.code not in _UNAVAILABLE:
                    raise
                keys.append(_Missing(f, exc))
        counted = self.counted_field(rule) if rule.type == SigmaCorrelationType.VALUE_COUNT else None
        if counted is not None:
            keys.append(self._target_field(base, counted, counted=True))
        return Step(position, base.name or str(base.id), base, str(queries[0]), state, keys)

    def _drop_unavailable_keys(self, rule: SigmaCorrelationRule, steps: list[Step]) -> list[Step]:
        """A join key the platform does not record is left out of the grouping, with a note, when it is
        the same ECS field in every step and another key remains; otherwise the refusal stands."""
        width = len(rule.group_by or [])
        missing = [j for j in range(width) if any(isinstance(s.keys[j], _Missing) for s in steps)]
        if not missing:
            return steps
        first = next(s.keys[j] for j in missing for s in steps if isinstance(s.keys[j], _Missing))
        for j in missing:
            ecs = {ecs_of(s.rule.logsource.category, s.keys[j].field if isinstance(s.keys[j], _Missing)
                          else _sigma_field(rule, s, j)) for s in steps}
            if len(missing) == width or len(ecs) != 1:
                raise first.error
            field = ecs.pop()
            self.correlation_note(
                "emit/join-key-dropped",
                f"the platform does not record {field}: the correlation groups by its other keys only, so events "
                f"with different {field} values can make one alert", Affects.of(MORE, group_differs(field)), field)
        for step in steps:
            step.keys = [k for j, k in enumerate(step.keys) if j not in missing]
        return steps

    def _target_field(self, base: SigmaRule, field: str, counted: bool = False) -> str:
        found = target_field(self.last_processing_pipeline, base, field)
        # a key read from a column that only names the entity (a host's name for its id): the notes
        # the probe's reading recorded (the pipeline's state is the probe's now) are the correlation's
        notes = [n for n in self.last_processing_pipeline.state.get(PIPELINE_NOTES_KEY, []) if n.code == APPROXIMATE_KEY]
        if notes and counted:
            # the notes speak of groups merged or split; counting the names instead of the ids changes
            # the count itself, which they do not describe
            raise EmitError(f"the counted field {field} of {base.name} is only approximated on this platform (from "
                            f"{found}); its distinct values cannot be counted", code="emit/join-key-unavailable")
        self._correlation_notes.extend(n for n in notes if n not in self._correlation_notes)
        return found

    def _publish_notes(self, steps: list[Step]) -> None:
        """Every base rule's notes and the correlation's own, where emit() collects them."""
        notes: dict[Note, None] = {}   # an ordered set, as record_note keeps them
        for step in steps:
            notes.update(dict.fromkeys(step.state.get(PIPELINE_NOTES_KEY, ())))
        notes.update(dict.fromkeys(self._correlation_notes))
        self.last_processing_pipeline.state[PIPELINE_NOTES_KEY] = notes


#: refusals that mean "the platform does not record this field"
_UNAVAILABLE = ("emit/field-unmapped", "emit/join-key-unavailable", "emit/field-unavailable")


@dataclass
class _Missing:
    """A join key the platform lacks, and why."""

    field: str
    error: EmitError


def _sigma_field(rule: SigmaCorrelationRule, step: Step, position: int) -> str:
    """The Sigma field of group-by position `position` in `step`'s base rule."""
    group = (rule.group_by or [])[position]
    alias = next((a for a in rule.aliases if a.alias == group), None)
    if alias is None:
        return group
    return next(f for r, f in alias.mapping.items() if r.reference in (step.name, str(step.rule.id)) or
                getattr(r, "rule", None) is step.rule)


def target_field(pipeline, base: SigmaRule, field: str) -> str:
    """The field `field` of the rule `base` becomes through `pipeline`: the pipeline applied to a probe
    rule (the same log source, one exact condition on the field). Raises EmitError when the
    pipeline refuses the field or drops it (the platform does not record it)."""
    probe = SigmaRule.from_dict({
        "title": "ruleport join-key probe", "logsource": base.logsource.to_dict(),
        "detection": {"probe": {f"{field}|cased": _PROBE}, "condition": "probe"}})
    for referrer in referrers(base):  # the probe is a step of the same correlations (transforms.RuleIndexes)
        probe.add_backreference(referrer)
    mark_probe(probe, base)   # read with the data model that read the base rule
    try:
        if pipeline is not None:
            pipeline.apply(probe)
    except EmitError as exc:
        raise EmitError(f"the join key {field} of {base.name}: {exc.message}", code=exc.code) from None
    except SigmaError as exc:
        raise EmitError(f"the join key {field} of {base.name}: {exc}", code="emit/unsupported") from None
    for item in _items(probe.detection):
        if item.field and any(_exact(v) for v in item.value):
            return item.field
        if item.field and any(_PROBE in str(getattr(v, "regexp", v)) for v in item.value):
            # the value was rewritten (argv from the command line...): another field's values, not this one's
            raise EmitError(f"the join key {field} of {base.name} is only approximated on this platform "
                            f"(from {item.field}); events cannot be grouped by it", code="emit/join-key-unavailable")
    raise EmitError(f"the join key {field} of {base.name} has no field on this platform",
                    code="emit/join-key-unavailable")


def _exact(value) -> bool:
    """The probe's value itself: the text, or a regex matching exactly it (a case-sensitive match as a regex)."""
    text = str(getattr(value, "regexp", value))
    return text.replace("\\", "") in (_PROBE, f"^{_PROBE}$")


def _items(detection) -> list[SigmaDetectionItem]:
    out = []
    for d in detection.detections.values():
        stack = [d]
        while stack:
            node = stack.pop()
            if isinstance(node, SigmaDetectionItem):
                out.append(node)
            else:
                stack.extend(getattr(node, "detection_items", []))
    return out


def same_keys(steps: list[Step]) -> bool:
    """Every step joins on the same fields (then a sequence-level `by` says it once)."""
    return len({tuple(s.keys) for s in steps}) == 1


def timespan_units(seconds: float, units: tuple[tuple[str, int], ...]) -> str:
    """The largest unit that writes `seconds` exactly: 300 -> "5m" with units (("d", 86400), ...)."""
    for unit, size in units:
        if seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    raise EmitError(f"the timespan of {seconds} seconds has no exact form here", code="emit/correlation-unsupported")
