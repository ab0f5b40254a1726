"""Cloud and SaaS audit rules on a platform: each ECS condition in the platform's terms.

A `CloudModel` is one source (converters/data/cloud/<source>.json) on one
platform: `resolve(item, positive)` turns a detection item of a translated rule
(ECS field names, as Elastic's integration writes them) into a formula over the
platform's own fields (converters.emit.formulas), following the source's facts:

- a field copied from a raw path reads the platform field holding that path
  (converters.emit.cloud_reading: the path on a JSON layout, a column or a
  value inside a column's object on a table, JSON text where no field
  reaches it). Values mapped by the integration are mapped back (``values``),
  a value cut out of a raw value is a regex on it (``extract``), a field read
  from the first of several raw paths reads them in that order, a field that
  only keeps IP addresses also requires the raw value to be one;
- a derived field becomes its decision list over the fields it is derived from;
- a constant of the source (its dataset) is implied by the platform's scope;
- a field the platform never holds (a GeoIP enrichment, a parsed user agent)
  never matches: the formula folds around it;
- a Java Map.toString text (CloudTrail's request_parameters) is read as the
  JSON text the platform keeps, each `key=value` of a pattern as `"key":value`.

Every approximation is a note whose `affects` is exact at the level of the
item: EITHER, where the item's verdict on the ECS event and the platform's
verdict on its record can differ (so a rule-level difference is always covered
by the note of the item that caused it, and nothing else is).
"""

from __future__ import annotations

import re
from typing import Any

from converters.emit.cloud_conditions import condition_formula, item, item_condition, item_matches
from converters.emit.cloud_reading import CloudReading
from converters.emit.errors import EmitError
from converters.emit.formulas import Atom, Formula, and_, map_atoms, not_, or_
from converters.emit.item_values import literal_string, literal_values, with_values
from converters.emit.strings import to_pcre
from converters.notes import LESS, all_, any_, exists, regex, values_differ
from converters.notes import not_ as cond_not
from converters.platforms.cloud.facts import ROOT, EcsField
from sigma.conditions import ConditionAND
from sigma.modifiers import SigmaRegularExpressionFlag
from sigma.rule import SigmaDetectionItem
from sigma.types import SigmaCasedString, SigmaExists, SigmaNull, SigmaRegularExpression, SigmaString

# what grok's %{IP} accepts, closely enough: dotted-quad IPv4, or hex groups with colons
_IP_REGEX = r"^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$"


class CloudModel(CloudReading):
    """A cloud source on a platform, resolving each ECS field (see the module docstring)."""

    # --- the entry point -------------------------------------------------------

    def resolve(self, it: SigmaDetectionItem, positive: bool = True) -> Formula:
        name = it.field
        if name is None:
            raise EmitError(f"keyword (field-less) search is not supported on {self.title}",
                            code="emit/keyword-unsupported")
        if name in self.source.constants:
            return self._constant(it, self.source.constants[name], "the platform's scope selects "
                                  f"{self.source.title} records only")
        found = self.source.ecs(name)
        if found is None:
            raise EmitError(f"field {name} has no declared source in {self.source.title} "
                            f"({self.source.path}): cannot read it on {self.title}", code="emit/field-unmapped")
        f, raw = found
        if f.kind == "derived":
            return self._derived(it, f, positive)
        if f.kind in ("enrichment", "parsed", "absent"):
            return self._unrecorded(it, f.why or f.kind)
        if f.kind == "keyed":
            return self._keyed(it, f, raw)
        if f.text:
            return self._text(it, f, raw)
        return self._raw(it, f, raw)

    def scope(self) -> Formula:
        """What selects the source's records in the platform's table, beyond the table itself."""
        if self.platform.scope is None:
            return True
        self._note("emit/scope-narrowed",
                   f"{self.title} holds only the {self.source.title} records where "
                   f"{_describe(self.platform.scope)}; other records of the source are not there",
                   None, cond_not(self.platform.scope), LESS)
        if self.platform.scope_by_tables:
            return True  # selecting the tables selects these records
        return self._formula(self.platform.scope, True)

    def everything(self) -> Formula | None:
        """A condition every record of the platform's tables meets (their Type column names
        them), for a rule that reads every record of a source the tables hold alone."""
        if not self.platform.scope_by_tables or "Type" not in self.platform.columns:
            return None
        return Atom(item("Type", [literal_string(t) for t in self.platform.tables]))

    # --- constants -----------------------------------------------------------------

    def _constant(self, it: SigmaDetectionItem, value: str, why: str) -> Formula:
        holds = item_matches(it, value)
        self._note("emit/condition-implied",
                   f"{it.field} is not recorded by {self.title}; {it.field} = {value} "
                   f"{'holds' if holds else 'does not hold'} for every record there ({why})",
                   it.field, self._differs(it, holds))
        return holds

    # --- derived fields ------------------------------------------------------------

    def _derived(self, it: SigmaDetectionItem, f: EcsField, positive: bool) -> Formula:
        alternatives = []
        ecs_alternatives = []
        earlier: list[dict] = []
        for case in f.cases:
            when = case.when
            if f.multi:
                applies = when
            else:
                conds = ([when] if when else []) + [cond_not(e) for e in earlier]
                applies = all_(*conds) if conds else None
            if case.copy is not None:
                copied = SigmaDetectionItem(case.copy, [], list(it.value), value_linking=it.value_linking)
                holds = item_condition(copied)
                if holds is None:
                    raise EmitError(f"{it.field}: these values cannot be read through {case.copy}",
                                    code="emit/field-unsupported")
                cond = all_(applies, holds) if applies is not None else holds
                alternatives.append(self._formula(cond, positive))
                ecs_alternatives.append(cond)
            elif item_matches(it, case.value):
                if applies is None:
                    alternatives.append(True)
                    ecs_alternatives.append(None)
                else:
                    alternatives.append(self._formula(applies, positive))
                    ecs_alternatives.append(applies)
            if when is not None:
                earlier.append(when)
            elif not f.multi:
                break  # an unconditional case ends a decision list
        formula = or_(*alternatives)
        if any(a is None for a in ecs_alternatives):
            platform_holds: dict | bool = True
        elif not ecs_alternatives:
            platform_holds = False
        else:
            platform_holds = any_(*ecs_alternatives)
        self._note("emit/field-derived",
                   f"{it.field} is not recorded by {self.title}: it is read as Elastic's integration derives it "
                   f"({self.source.integration.get('title', 'the ingest pipeline')})", it.field,
                   self._differs(it, platform_holds))
        return formula

    def _formula(self, cond: dict, positive: bool) -> Formula:
        """A notes-language condition over ECS fields, resolved to the platform."""
        return map_atoms(condition_formula(cond), lambda a: self.resolve(a.item, positive))

    # --- raw copies ------------------------------------------------------------------

    def _raw(self, it: SigmaDetectionItem, f: EcsField, raw: str) -> Formula:
        paths = list(f.raw) if f.kind == "raw" else [raw]
        if f.values is not None:
            return self._mapped_values(it, f, paths[0])
        if f.extract:
            return self._extracted(it, f, paths[0])
        if len(paths) > 1 and any(isinstance(v, (SigmaNull, SigmaExists)) for v in it.value):
            # presence of a field read from the first raw path present: any path / none of them
            parts = []
            for v in it.value:
                present = v.exists if isinstance(v, SigmaExists) else False
                tests = [self._exists(p) for p in paths]
                parts.append(or_(*tests) if present else and_(*[not_(t) for t in tests]))
            others = [v for v in it.value if not isinstance(v, (SigmaNull, SigmaExists))]
            if others:
                parts.append(self._raw(with_values(it, it.field, others), f, raw))
            return and_(*parts) if it.value_linking is ConditionAND else or_(*parts)
        self._shared_note(it.field, paths[0])
        if f.approximate:
            self._note("emit/field-approximated",
                       f"{it.field} is {f.approximate}; {self.title} reads the record's own {paths[0]}",
                       it.field, exists(it.field))
        exact = []
        for n, path in enumerate(paths):
            reads = self._read(it, path)
            before = [not_(self._exists(p)) for p in paths[:n]]
            exact.append(and_(*before, reads))
        formula = or_(*exact)
        if f.ip or f.only:
            # the integration copies only values that are IP addresses (or match `only`)
            check = SigmaRegularExpression(_IP_REGEX if f.ip else f.only)
            formula = and_(formula, or_(*[and_(*[not_(self._exists(p)) for p in paths[:n]],
                                               self._read(item(it.field, [check]), path))
                                          for n, path in enumerate(paths)]))
        return formula

    def _extracted(self, it: SigmaDetectionItem, f: EcsField, raw: str) -> Formula:
        """An ECS value the pipeline cut out of a raw value (group 1 of `extract`): each value a
        regex on the raw field, the group replaced by the value's pattern."""
        if re.compile(f.extract).groups != 1 or f.extract.count("(") != 1:
            raise EmitError(f"{it.field}: the extraction {f.extract} needs exactly one plain group",
                            code="emit/field-unsupported")
        start, end = f.extract.index("("), f.extract.index(")") + 1
        writer = next((g for g, o in self.source.fields.items()
                       if o.kind == "raw" and o.raw and o.raw[0] == raw and not o.extract and not o.values), None)
        parts, platform_side = [], []
        for v in it.value:
            if isinstance(v, (SigmaExists, SigmaNull)):
                present = v.exists if isinstance(v, SigmaExists) else False
                reads = self._read(item(it.field, [SigmaRegularExpression(f.extract)]), raw)
                parts.append(reads if present else not_(reads))
                test = regex(writer, [f.extract]) if writer else None
                platform_side.append(test if present or test is None else cond_not(test))
                continue
            if type(v) not in (SigmaString, SigmaCasedString):
                raise EmitError(f"{it.field}: {type(v).__name__} values cannot be read through {f.extract}",
                                code="emit/field-unsupported")
            pattern = f.extract[:start] + f"(?:{to_pcre(v, anchored=False)})" + f.extract[end:]
            rx = SigmaRegularExpression(pattern)
            ci = not isinstance(v, SigmaCasedString)
            if ci:
                rx.add_flag(SigmaRegularExpressionFlag.IGNORECASE)
            whole = SigmaRegularExpression(f.extract)
            parts.append(and_(self._read(item(it.field, [rx]), raw), self._read(item(it.field, [whole]), raw)))
            if writer:
                platform_side.append(all_(regex(writer, [pattern], case_insensitive=ci), regex(writer, [f.extract])))
        if writer and all(p is not None for p in platform_side):
            holds = all_(*platform_side) if it.value_linking is ConditionAND else any_(*platform_side)
            where = self._differs(it, holds)
        else:
            where = exists(it.field)
        self._note("emit/field-derived",
                   f"{it.field} is cut out of the record's {raw} ({f.extract}); {self.title} reads it there",
                   it.field, where)
        return and_(*parts) if it.value_linking is ConditionAND else or_(*parts)

    def _shared_note(self, name: str, raw: str) -> None:
        """Other ECS fields the integration fills from the same raw path: the platform holds one
        value there, so an event where they disagree is read through whichever renders."""
        others = []
        for g, f in self.source.fields.items():
            if g == name or f.kind not in ("raw", "object") or f.text or not f.raw:
                continue
            if f.kind == "raw" and f.raw[0] == raw:
                others.append(g)
            elif f.kind == "object" and f.raw[0] == ROOT and "." not in raw and not name.startswith(g + "."):
                others.append(f"{g}.{raw}")
            elif f.kind == "object" and raw.startswith(f.raw[0] + ".") and not name.startswith(g + "."):
                others.append(f"{g}.{raw[len(f.raw[0]) + 1:]}")
        if others:
            self._note("emit/field-shared",
                       f"{name} and {', '.join(others)} are copies of the record's {raw}: {self.title} holds one "
                       "value, so an event where they disagree cannot exist there as it is",
                       name, any_(*[values_differ(name, o) for o in others]))

    def _mapped_values(self, it: SigmaDetectionItem, f: EcsField, path: str) -> Formula:
        """An ECS field whose values the integration maps from raw values (`values`): each ECS
        value read as the raw values that map to it (a case-insensitive value: to any casing)."""
        plain = literal_values(it)
        if plain is None:
            raise EmitError(f"{it.field}: only plain values can be read through the integration's value "
                            f"mapping on {self.title}", code="emit/field-unsupported")
        values = f.values or {}
        parts, lost = [], []
        for v, ecs_value in zip(it.value, plain):
            ci = type(v) is SigmaString

            def same(m, ecs_value=ecs_value, ci=ci) -> bool:
                return _same(m, ecs_value) or (ci and m is not None and str(m).lower() == str(ecs_value).lower())

            raws = [r for r, m in values.items() if r != "*" and same(m)]
            alts = []
            if raws:
                alts.append(self._read(item(it.field, [literal_string(r) for r in raws]), path))
            if "*" in values and same(values["*"]):
                others = [r for r in values if r != "*"]
                alts.append(and_(self._exists(path),
                                 not_(self._read(item(it.field, [literal_string(r) for r in others]), path))))
            if "*" not in values and not any(same(m) for m in values.values()):
                alts.append(self._read(item(it.field, [v]), path))
            if not alts:
                lost.append(v)
            parts.append(or_(*alts))
        if lost:
            self._note("emit/value-unmapped",
                       f"{it.field}: no {path} value maps to {', '.join(str(x) for x in lost)} in the integration's "
                       f"table, so {self.title} never matches {'it' if len(lost) == 1 else 'them'}", it.field,
                       item_condition(with_values(it, it.field, lost)))
        return and_(*parts) if it.value_linking is ConditionAND else or_(*parts)


# --- helpers -----------------------------------------------------------------------

def _same(mapped: Any, ecs_value: Any) -> bool:
    if isinstance(mapped, bool) or isinstance(ecs_value, bool):
        return str(mapped).lower() == str(ecs_value).lower()
    return str(mapped) == str(ecs_value)


def _describe(cond: dict) -> str:
    if "field" in cond and "eq" in cond:
        return f"{cond['field']} is {' or '.join(map(str, cond['eq']))}"
    if "exists" in cond:
        return f"{cond['exists']} is present"
    return str(cond)
