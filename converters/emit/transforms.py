"""The project's own pySigma transformations (each one a rule rewrite).

Every approximation is recorded as a Note in the pipeline state under
NOTES_KEY, so that `emit` can hand it back; nothing is lost silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from converters.emit.errors import EmitError
from converters.emit.folding import fold, prune, serialize
from converters.emit.strings import has_single_wildcard, to_pcre
from converters.notes import EITHER, LESS, MORE, PIPELINE_NOTES_KEY, Affects, Note, eq, exists, not_
from converters.platforms.elastic import (
    caseless_in_every,
    caseless_in_some,
    caseless_templates,
    defend_only,
    integration_fields,
    integration_text_fields,
)
from converters.translate.fieldmap import ecs_of
from converters.translate.logsource import definition_indexes
from sigma.conditions import ConditionAND, ConditionOR
from sigma.correlations import SigmaCorrelationRule
from sigma.modifiers import SigmaRegularExpressionFlag
from sigma.processing.conditions.base import RuleProcessingCondition
from sigma.processing.transformations.base import (
    DetectionItemTransformation,
    PreprocessingTransformation,
    ValueTransformation,
)
from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaRule
from sigma.types import SigmaCasedString, SigmaExists, SigmaNull, SigmaRegularExpression, SigmaString, SpecialChars

NOTES_KEY = PIPELINE_NOTES_KEY


def record_note(pipeline, code: str, message: str, field_name: str | None = None,
                affects: Affects | None = None) -> None:
    """Add a Note to the pipeline state (target is filled in by `emit`); `affects` says which
    ECS events the approximation can give another verdict (converters/notes.py)."""
    if pipeline is None:
        return
    # a dict used as an ordered set: a rule can gather hundreds of notes, and a list's `in` made
    # recording them quadratic (a fifth of kibana-kql's conversion time on the corpus)
    notes = pipeline.state.setdefault(NOTES_KEY, {})
    notes[Note(code=code, message=message, field=field_name, affects=affects)] = None


def ci_regex(body: str, case_insensitive: bool, dotall: bool = False) -> SigmaRegularExpression:
    regex = SigmaRegularExpression(body)
    if case_insensitive:
        regex.add_flag(SigmaRegularExpressionFlag.IGNORECASE)
    if dotall:  # a Sigma `*` also runs over line breaks
        regex.add_flag(SigmaRegularExpressionFlag.DOTALL)
    return regex


@dataclass
class ProductIs(RuleProcessingCondition):
    """The rule's logsource product is exactly `product` (None: names no product)."""

    product: str | None

    def match(self, rule) -> bool:
        return isinstance(rule, SigmaRule) and rule.logsource.product == self.product


@dataclass
class NamesNoIndexes(RuleProcessingCondition):
    """The rule's logsource definition names no index patterns (the original rule read a data view,
    or the Sigma rule was not written by the translator): the data model's indexes are assumed."""

    def match(self, rule) -> bool:
        return isinstance(rule, SigmaRule) and definition_indexes(getattr(rule.logsource, "definition", None)) is None


@dataclass
class RequireAnyLogsource(PreprocessingTransformation):
    """Refuse a rule whose logsource none of the target's tables holds.

    `accepted` maps a Sigma category (None: a rule naming no category) to the
    products that data holds (empty: any product)."""

    accepted: dict
    data: str

    def apply(self, rule) -> None:
        super().apply(rule)
        ls = rule.logsource
        products = self.accepted.get(ls.category, None)
        if products is None or (products and ls.product is not None and ls.product not in products):
            raise EmitError(
                f"logsource {ls.category}/{ls.product} is not covered: this target assumes {self.data}",
                code="emit/logsource-unsupported",
            )


def referrers(rule) -> list:
    """The rules that reference `rule` (pySigma 1.5 records them when it resolves a correlation's
    `rules`, in an attribute it does not document: a missing one is an error, not "none")."""
    try:
        return list(rule._backreferences)
    except AttributeError:
        raise EmitError("pySigma no longer records the rules a correlation references "
                        "(SigmaRule._backreferences): ruleport needs pySigma 1.5", code="emit/unsupported") from None


#: attributes ruleport sets on pySigma rule objects: the base rule a join-key probe stands for,
#: and the data model the pipeline chose for a rule (a probe names one field only, which may not
#: be enough to choose the same model: it is taken by its base rule's)
_PROBE_OF = "_ruleport_probe_of"
_MODEL = "_ruleport_model"


def mark_probe(probe, base) -> None:
    setattr(probe, _PROBE_OF, base)


def probe_of(rule):
    return getattr(rule, _PROBE_OF, None)


def remember_model(rule, model) -> None:
    setattr(rule, _MODEL, model)


def remembered_model(rule):
    return getattr(rule, _MODEL, None)


def correlation_step(rule) -> bool:
    """The rule is referenced by a correlation rule (a join-key probe carries its base rule's)."""
    return any(isinstance(r, SigmaCorrelationRule) for r in referrers(rule))


@dataclass
class RuleIndexes(PreprocessingTransformation):
    """What the Elastic targets read of a rule's data, in the pipeline state:

    - `index`: the original rule's index patterns, which the translator writes
      in the logsource definition (converters.translate.logsource), else
      `default` (the data model's indexes);
    - `caseless_fields`: the fields with a `.caseless` multi-field in every
      index those patterns can name, from the index templates of the platform
      facts (converters.platforms.elastic.caseless_in_every): only there is
      `X.caseless: v` the same as X compared ignoring case;
    - `caseless_some`: field -> the index patterns of the templates that give
      it one, for the other fields that some index the rule's patterns can
      name has a `.caseless` multi-field of (a backend without another case-insensitive
      match uses it there, and says what it misses elsewhere);
    - `beyond_defend`: the rule is a step of a correlation (pySigma's back-reference
      from the correlation rule) and its patterns can name indexes other than
      Elastic Defend's (auditbeat-*, winlogbeat-*, logs-windows.*...), whose
      documents hold ECS and integration fields the Defend data model does not
      list (KnownFields keeps them). Single-event rules stay on their data model's
      fields: an integration's own fields choose that integration's model
      (datamodels.ELASTIC_POWERSHELL), which declares them;
    - `integration_fields`: the fields of the integration data streams (platform
      facts, elastic-integrations.json) that the rule's own index patterns can
      name (`winlogbeat-*`, `logs-windows.sysmon_operational-*`: the Sysmon
      channel's winlog.event_data.IntegrityLevel...): KnownFields keeps them, the
      original rule reads them there. None for a rule naming no index;
    - `integration_text`: those of them that are analysed text (field -> analyzer),
      which the backends match as words (converters.emit.text_match)."""

    default: str

    def apply(self, rule) -> None:
        super().apply(rule)
        named = definition_indexes(getattr(rule.logsource, "definition", None))
        patterns = named or [p.strip() for p in self.default.split(",")]
        every = caseless_in_every(patterns)
        some = set(caseless_in_some(patterns)) - set(every)
        state = self._pipeline.state
        state["index"] = ", ".join(patterns)
        state["caseless_fields"] = every
        state["caseless_some"] = {f: caseless_templates(f) for f in sorted(some)}
        state["beyond_defend"] = correlation_step(rule) and not defend_only(patterns)
        state["integration_fields"] = integration_fields(named or [])
        state["integration_text"] = integration_text_fields(named or [])


@dataclass
class RequireLogsource(PreprocessingTransformation):
    """Refuse a rule whose log source the target's data does not hold."""

    category: str
    products: tuple[str, ...]
    data: str

    def apply(self, rule) -> None:
        super().apply(rule)
        ls = rule.logsource
        # a rule naming no product applies to every OS, so also to this data
        if ls.category != self.category or (ls.product is not None and ls.product not in self.products):
            raise EmitError(
                f"logsource {ls.category}/{ls.product} is not covered: this target assumes {self.data}",
                code="emit/logsource-unsupported",
            )


@dataclass
class StaticNote(PreprocessingTransformation):
    """Record a note that holds for every rule on this target (e.g. a scope it cannot apply)."""

    code: str
    message: str
    field_name: str | None = None
    affects: Affects | None = None

    def apply(self, rule) -> None:
        super().apply(rule)
        record_note(self._pipeline, self.code, self.message, self.field_name, self.affects)


@dataclass
class UnavailableFields(PreprocessingTransformation):
    """Fields the target's data does not have, and fields its scope implies.

    A condition on an absent field is never true: that is how the engine
    itself treats a missing field, so the rule is rewritten with it as FALSE:
    an OR branch disappears, an AND containing one disappears (narrowing:
    `emit/branch-dropped`); under a NOT it becomes TRUE (widening:
    `emit/condition-widened`).

    `implied` fields (Elastic's event.action, event.type...) hold, on this
    platform, for every event the query's scope selects when their value is
    one of the listed ones (a process start): such a condition is TRUE (note
    `emit/condition-implied`), any other value FALSE. A rule that simplifies
    to a constant cannot be emitted at all.
    """

    fields: tuple[str, ...]
    platform: str
    implied: dict[str, tuple[str, ...]] = dataclass_field(default_factory=dict)

    def _item_value(self, item: SigmaDetectionItem, hits: list[str]):
        if item.field in self.fields:
            hits.append(item.field)
            return False
        allowed = self.implied.get(item.field)
        if allowed is None:
            return item
        hits.append(item.field)
        values = {str(v).lower() for v in item.value if isinstance(v, SigmaString) and not v.contains_special()}
        if len(values) != len(item.value):
            raise EmitError(f"{item.field}: only plain values can be read against {self.platform}'s scope",
                            code="emit/field-unavailable")
        if item.value_linking is ConditionAND:
            return values <= {a.lower() for a in allowed} and len(values) <= 1
        return bool(values & {a.lower() for a in allowed})

    def apply(self, rule) -> None:
        super().apply(rule)
        if not isinstance(rule, SigmaRule):
            return
        detections = rule.detection.detections
        constants: dict[str, bool] = {}
        touched: dict[str, list[str]] = {}
        for name, det in list(detections.items()):
            hits: list[str] = []
            pruned = prune(det, lambda item, hits=hits: self._item_value(item, hits))
            if hits:
                touched[name] = hits
            if isinstance(pruned, bool):
                constants[name] = pruned
        if not touched:
            return
        fields = sorted({f for hits in touched.values() for f in hits})
        category = rule.logsource.category
        for cond in rule.detection.parsed_condition:
            tree = cond.parse(postprocess=False)
            signs: dict[str, set[bool]] = {}
            value = fold(tree, rule.detection, constants, set(touched), signs)
            polarity = {s for each in signs.values() for s in each}
            if isinstance(value, bool):
                raise EmitError(
                    f"{', '.join(fields)}: not available on {self.platform} or implied by its scope; "
                    f"the condition becomes always {'true' if value else 'false'}",
                    code="emit/field-unavailable",
                )
            cond.condition = serialize(value)
        for f in fields:
            ecs = ecs_of(category, f)
            if f in self.implied:
                # the platform holds only events of the implied values: others differ either way
                record_note(
                    self._pipeline, "emit/condition-implied",
                    f"{f} is not recorded on {self.platform}; its process-start values are implied by the "
                    "query's scope (other values never match)", f,
                    Affects.of(EITHER, not_(eq(ecs, list(self.implied[f]), case_insensitive=True))))
            elif True in polarity:
                record_note(
                    self._pipeline, "emit/branch-dropped",
                    f"{f} does not exist on {self.platform}: the branches that require it were "
                    "dropped (the rule matches a subset of what it matches on Elastic data)", f,
                    Affects.of(LESS, exists(ecs)))
            if f not in self.implied and False in polarity:
                record_note(
                    self._pipeline, "emit/condition-widened",
                    f"{f} does not exist on {self.platform}: a negated condition on it is always "
                    "true here (the rule matches more than on Elastic data)", f,
                    Affects.of(MORE, exists(ecs)))
        for name in constants:
            del detections[name]


def _basename_value(value, separators: tuple[str, ...]):
    for sep in separators:
        out = _basename_value_sep(value, sep)
        if out is not None:
            return out
    return None


def _basename_value_sep(value, separator: str):
    """`*\\name` (no other separator, no wildcard) -> name; the regex
    `(?:^|\\\\)body$` (how ruleport's translator writes a wildcard name) -> `^(?:body)$`;
    else None."""
    if isinstance(value, SigmaRegularExpression):
        text = str(value.regexp)
        prefix = f"(?:^|{re.escape(separator)})"
        if text.startswith(prefix) and text.endswith("$") and not text.endswith("\\$"):
            out = SigmaRegularExpression(f"^(?:{text[len(prefix):-1]})$")
            out.flags = set(value.flags)
            return out
        return None
    if not isinstance(value, SigmaString) or len(value.s) != 2:
        return None
    first, rest = value.s
    if first is not SpecialChars.WILDCARD_MULTI or not isinstance(rest, str):
        return None
    if not rest.startswith(separator) or separator in rest[1:] or len(rest) == 1:
        return None
    out = SigmaString("")
    out.s = [rest[1:]]  # built from parts: a literal `*` in the name stays literal
    return SigmaCasedString.from_sigma_string(out) if isinstance(value, SigmaCasedString) else out


@dataclass
class BasenameField(DetectionItemTransformation):
    """`Image|endswith: '\\node.exe'` is the Sigma spelling of a match on the
    process name; targets that store the name on its own (ECS process.name,
    CIM process_name, Defender FileName) get an exact match on that field."""

    mapping: dict[str, str]
    separators: tuple[str, ...] = ("\\",)

    def apply_detection_item(self, item: SigmaDetectionItem):
        target = self.mapping.get(item.field)
        if target is None or not item.value:
            return None
        names = [_basename_value(v, self.separators) for v in item.value]
        if any(n is None for n in names):
            return None
        return SigmaDetectionItem(target, [], names, value_linking=item.value_linking)


@dataclass
class NameExistence(DetectionItemTransformation):
    """`process.name|exists` and `process.name: null` (the translator keeps a name field's
    existence check on the name) on data that records the name only inside its path
    (Sysmon's Image): there the name has a value exactly when the path has one."""

    paths: dict[str, str]   # ECS name field -> the Sigma path field it is the last component of

    def apply_detection_item(self, item: SigmaDetectionItem):
        path = self.paths.get(item.field)
        if path is None or not item.value or not all(isinstance(v, (SigmaExists, SigmaNull)) for v in item.value):
            return None
        return SigmaDetectionItem(path, list(item.modifiers), list(item.value), value_linking=item.value_linking,
                                  auto_modifiers=False)


@dataclass
class CaselessMultiField(DetectionItemTransformation):
    """Case-insensitive matches on Elastic keyword fields go to the field's
    `.caseless` multi-field (a lower-cased keyword) with the value
    lower-cased; the match there is exact. |cased values and regexes stay on
    the field itself. The fields: those with the multi-field in every index
    the rule reads (the state's `caseless_fields`, set by RuleIndexes)."""

    def apply_detection_item(self, item: SigmaDetectionItem):
        if item.field not in self._pipeline.state.get("caseless_fields", ()):
            return None
        plain = [v for v in item.value if type(v) is SigmaString]
        other = [v for v in item.value if type(v) is not SigmaString]
        if not plain:
            return None
        lowered = [SigmaCasedString.from_sigma_string(v.lower()) for v in plain]
        caseless = SigmaDetectionItem(item.field + ".caseless", [], lowered, value_linking=item.value_linking)
        if not other:
            return caseless
        rest = SigmaDetectionItem(item.field, [], other, value_linking=item.value_linking)
        linking = ConditionAND if item.value_linking is ConditionAND else ConditionOR
        return SigmaDetection([caseless, rest], item_linking=linking)


@dataclass
class StringsAsRegex(ValueTransformation):
    """Values a query language cannot match natively become anchored regexes
    (exact): `?` wildcards and literal `*` (Splunk search knows only the `*`
    wildcard and cannot escape it) and |cased values (Splunk search compares
    case-insensitively)."""

    single_wildcard: bool = True
    cased: bool = True
    literal_star: bool = True
    cased_plain: bool = True   # False: a cased value without wildcards stays (the backend says CASE())

    def apply_value(self, field: str | None, val: SigmaString):
        is_cased = isinstance(val, SigmaCasedString)
        if is_cased and not self.cased_plain and not val.contains_special() \
                and not any(isinstance(p, str) and "*" in p for p in val.s):
            return None
        star = self.literal_star and any(isinstance(p, str) and "*" in p for p in val.s)
        if (self.cased and is_cased) or (self.single_wildcard and has_single_wildcard(val)) or star:
            return ci_regex(to_pcre(val, anchored=True), not is_cased, dotall=val.contains_special())
        return None


@dataclass
class KnownFields(DetectionItemTransformation):
    """After mapping, every field must be one the target's data has (`ecs`:
    or any dotted ECS name, which the data holds under that name). On the
    Elastic targets a rule whose indexes are not only Elastic Defend's (the
    state's `beyond_defend`, set by RuleIndexes) also keeps its dotted names:
    the original rule reads them in those indexes (Auditbeat's auditd.*,
    Winlogbeat's winlog.*, ECS fields Defend does not record), so a field
    Defend's data model lacks is not unmapped there (for now on correlation
    steps only, see RuleIndexes)."""

    fields: tuple[str, ...]
    platform: str
    ecs: bool = False

    def apply_detection_item(self, item: SigmaDetectionItem):
        if item.field is None:
            raise EmitError(f"keyword (field-less) search is not supported on {self.platform}",
                            code="emit/keyword-unsupported")
        state = self._pipeline.state
        ecs = self.ecs or state.get("beyond_defend", False)
        if item.field not in self.fields and not (ecs and "." in item.field) \
                and item.field not in state.get("integration_fields", ()):
            raise EmitError(f"field {item.field} has no mapping on {self.platform}",
                            code="emit/field-unmapped")
        return None
