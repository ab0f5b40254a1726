"""Cloud and SaaS audit rules on a platform: each ECS condition in the platform's terms.

A `CloudModel` is one source (converters/data/cloud/<source>.json) on one
platform: `resolve(item, positive)` turns a detection item of a translated rule
(ECS field names, as Elastic's integration writes them) into a formula over the
platform's own fields (converters.emit.formulas), following the source's facts:

- a field copied from a raw path reads the platform field holding that path:
  on a JSON layout (Splunk's JSON extraction) the path itself, array members as
  ``key{}.sub``; on a table (Kusto) the column, or inside a column's object
  ``tostring(parse_json(Column).path)`` (``toreal`` for numeric comparisons).
  Values mapped by the integration are mapped back (``values``, ``enum``), a
  field read from the first of several raw paths reads them in that order, a
  field that only keeps IP addresses also requires the raw value to be one;
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
from dataclasses import dataclass, field
from typing import Any

from converters.emit.cloud_conditions import (
    condition_formula,
    item,
    item_condition,
    item_matches,
)
from converters.emit.errors import EmitError
from converters.emit.formulas import Atom, Formula, and_, not_, or_
from converters.emit.strings import pcre_escape, to_pcre
from converters.notes import EITHER, LESS, Affects, all_, any_, exists, regex, values_differ
from converters.notes import not_ as cond_not
from converters.platforms.cloud.facts import ROOT, Column, EcsField, Platform, Source, key
from sigma.conditions import ConditionAND
from sigma.modifiers import SigmaRegularExpressionFlag
from sigma.rule import SigmaDetectionItem
from sigma.types import (
    SigmaBool,
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaExists,
    SigmaNull,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaString,
    SpecialChars,
)

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# what grok's %{IP} accepts, closely enough: dotted-quad IPv4, or hex groups with colons
_IP_REGEX = r"^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$"
KUSTO_FUNCTIONS = ("tostring(", "toreal(")


@dataclass
class CloudModel:
    source: Source
    platform: Platform
    title: str
    notes: list = field(default_factory=list)   # (code, message, field, Affects)

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
        return Atom(item("Type", [_escaped_cased(t) for t in self.platform.tables]))

    # --- notes -------------------------------------------------------------------

    def _note(self, code: str, message: str, fld: str | None, where: dict | None, direction: str = EITHER) -> None:
        affects = Affects.of(direction, where if where is not None else exists(fld))
        entry = (code, message, fld, affects)
        if entry not in self.notes:
            self.notes.append(entry)

    def _differs(self, it: SigmaDetectionItem, platform_holds: dict | bool) -> dict | None:
        """Where the ECS item and the platform's reading of it disagree."""
        ecs = item_condition(it)
        if ecs is None:
            return None
        if platform_holds is True:
            return cond_not(ecs)
        if platform_holds is False:
            return ecs
        return any_(all_(ecs, cond_not(platform_holds)), all_(cond_not(ecs), platform_holds))

    # --- constants, unrecorded fields ---------------------------------------------

    def _constant(self, it: SigmaDetectionItem, value: str, why: str) -> Formula:
        holds = item_matches(it, value)
        self._note("emit/condition-implied",
                   f"{it.field} is not recorded by {self.title}; {it.field} = {value} "
                   f"{'holds' if holds else 'does not hold'} for every record there ({why})",
                   it.field, self._differs(it, holds))
        return holds

    def _unrecorded(self, it: SigmaDetectionItem, why: str) -> Formula:
        holds = item_matches(it, None)
        self._note("emit/field-unavailable",
                   f"{it.field} is not recorded by {self.title} ({why}): the condition "
                   f"{'always holds' if holds else 'never holds'} there", it.field, self._differs(it, holds))
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
        return _map_atoms(condition_formula(cond), lambda a: self.resolve(a.item, positive))

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
                parts.append(self._raw(_with_values(it, others), f, raw))
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

    def _exists(self, path: str) -> Formula:
        return self._read(item("_", [SigmaExists(True)]), path)

    def _mapped_values(self, it: SigmaDetectionItem, f: EcsField, path: str) -> Formula:
        """An ECS field whose values the integration maps from raw values (`values`): each ECS
        value read as the raw values that map to it (a case-insensitive value: to any casing)."""
        plain = _plain(it)
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
                alts.append(self._read(item(it.field, [_escaped_cased(r) for r in raws]), path))
            if "*" in values and same(values["*"]):
                others = [r for r in values if r != "*"]
                alts.append(and_(self._exists(path),
                                 not_(self._read(item(it.field, [_escaped_cased(r) for r in others]), path))))
            if "*" not in values and not any(same(m) for m in values.values()):
                alts.append(self._read(item(it.field, [v]), path))
            if not alts:
                lost.append(v)
            parts.append(or_(*alts))
        if lost:
            self._note("emit/value-unmapped",
                       f"{it.field}: no {path} value maps to {', '.join(str(x) for x in lost)} in the integration's "
                       f"table, so {self.title} never matches {'it' if len(lost) == 1 else 'them'}", it.field,
                       item_condition(_with_values(it, lost)))
        return and_(*parts) if it.value_linking is ConditionAND else or_(*parts)

    def _text(self, it: SigmaDetectionItem, f: EcsField, raw: str) -> Formula:
        """An ECS text rendering of a raw object (Java's Map.toString), read as the platform's JSON text."""
        if self.platform.layout == "json":
            target_field = "_raw"
            where = "the whole record's JSON text (_raw)"
        else:
            found = self.platform.column_for(raw)
            if found is None or found[1] or not found[0].json:
                return self._unrecorded(it, f"no column holds {raw} as text")
            target_field = found[0].name
            where = f"{target_field}, the JSON text of {raw}"
        values = []
        for v in it.value:
            if isinstance(v, (SigmaExists, SigmaNull)):
                values.append(v)
            elif type(v) in (SigmaString, SigmaCasedString):
                body = "^" + _java_map_regex(v) + "$"
                body = body[len("^.*"):] if body.startswith("^.*") else body
                body = body[:-len(".*$")] if body.endswith(".*$") and not body.endswith("\\.*$") else body
                rx = SigmaRegularExpression(body)
                if not isinstance(v, SigmaCasedString):
                    rx.add_flag(SigmaRegularExpressionFlag.IGNORECASE)
                rx.add_flag(SigmaRegularExpressionFlag.DOTALL)
                values.append(rx)
            else:
                raise EmitError(f"{it.field}: {type(v).__name__} values cannot be read in {where}",
                                code="emit/field-unsupported")
        self._note("emit/field-approximated",
                   f"{it.field} is Java's Map.toString of {raw}; on {self.title} it is read in {where}, "
                   "each key=value of the pattern as \"key\":value", it.field, exists(it.field))
        out = SigmaDetectionItem(target_field, [], values, value_linking=it.value_linking)
        return Atom(out)

    # --- JSON text: name/value lists, arrays on tables -----------------------------------

    def _json_field(self, raw_array: str) -> str:
        """The platform field holding the JSON text of the raw array (or list) `raw_array`."""
        if self.platform.layout == "json":
            return "_raw"
        found = self.platform.column_for(raw_array)
        if found is None:
            raise EmitError(f"{self.platform.select.get('table')} has no column holding {raw_array}",
                            code="emit/field-unsupported")
        col, rest = found
        return _kusto_expr(col, rest, "tostring")

    def _keyed(self, it: SigmaDetectionItem, f: EcsField, raw: str) -> Formula:
        """`F.name` of a name/value list: the element named `name`, read in the list's JSON text."""
        sub = raw[len(f.raw[0]) + 1:] if raw.startswith(f.raw[0] + ".") else ""
        if not sub:
            raise EmitError(f"{it.field}: the whole name/value list cannot be tested on {self.title}",
                            code="emit/field-unsupported")
        if f.value is not None:
            names, value_key = f.element_names(sub), f.value
            if "." in sub and sub not in (f.renames or {}):
                raise EmitError(f"{it.field}: {f.raw[0]}'s values hold no object", code="emit/field-unsupported")
        else:
            name, _, value_key = sub.partition(".")
            names = (name,)
            if not value_key or "." in value_key:
                raise EmitError(f"{it.field}: only a direct field of a {f.raw[0]} element can be read on "
                                f"{self.title}", code="emit/field-unsupported")
        name_rx = "|".join("".join(f"[{re.escape(f.key_chars)}_]" if c == "_" and f.key_chars
                                   else pcre_escape(_json_escape(c)) for c in name) for name in names)
        if len(names) > 1:
            name_rx = f"(?:{name_rx})"
        target = self._json_field(f.raw[0])
        self._note("emit/field-approximated",
                   f"{it.field} is the {value_key} of the {f.raw[0]} element named {' or '.join(names)}; on "
                   f"{self.title} it is read in the JSON text of {f.raw[0]} ({target}), the element's fields in "
                   f"the record's order, {f.key} first", it.field, exists(it.field))
        return self._json_atoms(it, target, lambda val: (
            rf'\{{[^{{}}]*"{pcre_escape(f.key)}"\s*:\s*"{name_rx}"[^{{}}]*"{pcre_escape(value_key)}"\s*:\s*{val}'))

    def _array_text(self, it: SigmaDetectionItem, col: Column, rest: str) -> Formula:
        """A path through an array of a Kusto column: its last key searched in the array's JSON text."""
        parts = rest.split(".")
        base = "" if col.raw == ROOT else col.raw + "."
        cut = 0 if col.raw in self.source.arrays else next(
            i for i in range(1, len(parts) + 1) if f"{base}{'.'.join(parts[:i])}" in self.source.arrays)
        target = _kusto_expr(col, ".".join(parts[:cut]), "tostring")
        key = parts[-1]
        self._note("emit/field-approximated",
                   f"{it.field} lies inside an array of {col.name}: on {self.title} its key {key} is searched in the "
                   "array's JSON text (any element, at any depth)", it.field, exists(it.field))
        return self._json_atoms(it, target, lambda val: rf'"{pcre_escape(_json_escape(key))}"\s*:\s*{val}')

    def _json_atoms(self, it: SigmaDetectionItem, target: str, template) -> Formula:
        parts = []
        for v in it.value:
            if isinstance(v, SigmaExists):
                f = Atom(item(target, [SigmaRegularExpression(template(""))]))
                parts.append(f if v.exists else not_(f))
                continue
            if isinstance(v, SigmaNull):
                parts.append(not_(Atom(item(target, [SigmaRegularExpression(template(""))]))))
                continue
            val = _json_value_regex(v)
            if val is None:
                raise EmitError(f"{it.field}: {type(v).__name__} values cannot be read in JSON text on {self.title}",
                                code="emit/field-unsupported")
            rx = SigmaRegularExpression("(?s)" + template(val))
            if not isinstance(v, SigmaCasedString) and not isinstance(v, (SigmaBool, SigmaNumber)):
                rx.add_flag(SigmaRegularExpressionFlag.IGNORECASE)
            parts.append(Atom(item(target, [rx])))
        return and_(*parts) if it.value_linking is ConditionAND else or_(*parts)

    # --- reading one raw path on the platform -----------------------------------------

    def _read(self, it: SigmaDetectionItem, raw: str) -> Formula:
        """`it`'s values tested on the platform field holding raw path `raw` (`@F`: where the
        platform reads ECS field F)."""
        if raw.startswith("@"):
            return self.resolve(SigmaDetectionItem(raw[1:], [], list(it.value), value_linking=it.value_linking))
        if self.platform.layout == "json":
            name = self.platform.prefix + self.platform.platform_path(_splunk_name(raw, self.source))
            if any(p.isdigit() for p in raw.split(".")):
                self._note("emit/field-approximated",
                           f"{it.field} names one position of an array; {self.title} keeps no positions, so every "
                           f"member of the array is read ({name})", it.field, exists(it.field))
            return Atom(_retarget(it, name, "string"))
        found = self.platform.column_for(raw)
        if found is None:
            return self._unrecorded(it, f"{self.platform.select.get('table')} has no column for {raw}")
        col, rest = found
        if rest and self._crosses_array(col, rest):
            return self._array_text(it, col, rest)
        if col.enum is not None:
            return self._enum(it, col, rest)
        if col.caseless and not rest and any(isinstance(v, SigmaCasedString) for v in it.value):
            loose = _with_values(it, [_uncased(v) for v in it.value])
            exact = item_condition(it)
            widened = item_condition(loose)
            self._note("emit/case-ignored",
                       f"{col.name} holds {col.raw} in another case than the record: {it.field} is compared "
                       f"ignoring case on {self.title}", it.field,
                       all_(widened, cond_not(exact)) if exact and widened else exists(it.field))
            it = loose
        return self._typed(it, col, rest)

    def _crosses_array(self, col: Column, rest: str) -> bool:
        """Whether the path goes through an array without naming a position in it."""
        parts = rest.split(".")
        base = "" if col.raw == ROOT else col.raw + "."
        if col.raw in self.source.arrays and not (parts and parts[0].isdigit()):
            return True
        return any(f"{base}{'.'.join(parts[:i])}" in self.source.arrays
                   and not (i < len(parts) and parts[i].isdigit()) for i in range(1, len(parts)))

    def _enum(self, it: SigmaDetectionItem, col: Column, rest: str) -> Formula:
        plain = _plain(it, strings=True)
        if plain is None or rest:
            raise EmitError(f"{it.field}: {col.name} holds {self.title}'s names for {col.raw}; only plain values "
                            "can be read through that mapping", code="emit/field-unsupported")
        names = [(col.enum or {}).get(str(v), str(v)) for v in plain]
        mapped = item(col.name, [_escaped_cased(n) for n in names],
                      all_values=it.value_linking is ConditionAND)
        return self._typed(mapped, col, "")

    def _typed(self, it: SigmaDetectionItem, col: Column, rest: str) -> Formula:
        """Split `it` by value kind: numeric comparisons read the value as a number, the rest as text."""
        numeric = [v for v in it.value if isinstance(v, SigmaCompareExpression)]
        textual = [v for v in it.value if not isinstance(v, SigmaCompareExpression)]
        parts = []
        if textual:
            expr = _kusto_expr(col, rest, "tostring" if (rest or col.type not in ("string",)) else None)
            parts.append(Atom(_retarget(_with_values(it, textual), expr, "string")))
        if numeric:
            expr = _kusto_expr(col, rest, None if (not rest and col.type in ("int", "long", "real")) else "toreal")
            parts.append(Atom(_retarget(_with_values(it, numeric), expr, "number")))
        return and_(*parts) if it.value_linking is ConditionAND else or_(*parts)


# --- helpers -----------------------------------------------------------------------

def _map_atoms(f: Formula, fn) -> Formula:
    from converters.emit.formulas import And, Not, Or

    if isinstance(f, Atom):
        return fn(f)
    if isinstance(f, Not):
        return not_(_map_atoms(f.arg, fn))
    if isinstance(f, And):
        return and_(*[_map_atoms(a, fn) for a in f.args])
    if isinstance(f, Or):
        return or_(*[_map_atoms(a, fn) for a in f.args])
    return f


def _same(mapped: Any, ecs_value: Any) -> bool:
    if isinstance(mapped, bool) or isinstance(ecs_value, bool):
        return str(mapped).lower() == str(ecs_value).lower()
    return str(mapped) == str(ecs_value)


def _plain(it: SigmaDetectionItem, strings: bool = False) -> list | None:
    out = []
    for v in it.value:
        if isinstance(v, SigmaBool):
            out.append(v.boolean)
        elif isinstance(v, SigmaNumber):
            out.append(v.number)
        elif type(v) in (SigmaString, SigmaCasedString) and not v.contains_special():
            out.append(v.to_plain())
        else:
            return None
    return [str(v) if strings and not isinstance(v, str) else v for v in out]


def _describe(cond: dict) -> str:
    if "field" in cond and "eq" in cond:
        return f"{cond['field']} is {' or '.join(map(str, cond['eq']))}"
    if "exists" in cond:
        return f"{cond['exists']} is present"
    return str(cond)


def _uncased(v):
    """A case-sensitive Sigma string as the case-insensitive one (other values unchanged)."""
    if not isinstance(v, SigmaCasedString):
        return v
    out = SigmaString("")
    out.s = v.s
    return out


def _escaped_cased(text: str) -> SigmaCasedString:
    s = SigmaString("")
    s.s = (text,) if text else ()
    return SigmaCasedString.from_sigma_string(s)


def _ip_regex() -> SigmaRegularExpression:
    return SigmaRegularExpression(_IP_REGEX)


def _with_values(it: SigmaDetectionItem, values: list) -> SigmaDetectionItem:
    return SigmaDetectionItem(it.field, [], values, value_linking=it.value_linking)


def _as_text(v):
    if isinstance(v, SigmaBool):
        return _escaped_cased("true" if v.boolean else "false")
    if isinstance(v, SigmaNumber):
        return _escaped_cased(str(v.number))
    return v


def _retarget(it: SigmaDetectionItem, name: str, kind: str) -> SigmaDetectionItem:
    """`it` on platform field `name`; on text fields booleans and numbers compare as their text."""
    values = [_as_text(v) if kind == "string" else v for v in it.value]
    return SigmaDetectionItem(name, [], values, value_linking=it.value_linking)


def _splunk_name(raw: str, source: Source) -> str:
    """Splunk's JSON extraction name of a raw path: array members as key{}.sub (an array
    position, which Splunk does not keep apart, reads every member)."""
    parts = raw.split(".")
    out: list[str] = []
    for i, part in enumerate(parts):
        if part.isdigit() and out:
            if not out[-1].endswith("{}"):
                out[-1] += "{}"
            continue
        out.append(key(part))
        if ".".join(parts[:i + 1]) in source.arrays and not (i + 1 < len(parts) and parts[i + 1].isdigit()):
            out[-1] += "{}"
    return ".".join(out)


def _json_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


_JSON_CHAR = r'(?:[^"\\]|\\.)'


def _json_value_regex(v) -> str | None:
    """A regex for the JSON text of a value a Sigma value matches (a string, or the literal it is)."""
    if isinstance(v, SigmaBool):
        text = "true" if v.boolean else "false"
        return f'(?:"{text}"|{text})'
    if isinstance(v, SigmaNumber):
        return f'(?:"{v.number}"|{v.number})'
    if type(v) not in (SigmaString, SigmaCasedString):
        return None
    body = []
    for part in v.s:
        if part is SpecialChars.WILDCARD_MULTI:
            body.append(_JSON_CHAR + "*")
        elif part is SpecialChars.WILDCARD_SINGLE:
            body.append(_JSON_CHAR)
        else:
            body.append(pcre_escape(_json_escape(part)))
    text = "".join(body)
    literal = v.to_plain() if not v.contains_special() else None
    if literal is not None and re.fullmatch(r"true|false|null|-?\d+(?:\.\d+)?", literal):
        return f'(?:"{text}"|{text})'
    return f'"{text}"'


def _kusto_expr(col: Column, rest: str, wrap: str | None) -> str:
    if col.raw == ROOT:
        return f"{wrap or 'tostring'}({col.name}" + _kusto_path(rest) + ")" if rest else col.name
    if not rest:
        return f"{wrap}({col.name})" if wrap else col.name
    return f"{wrap or 'tostring'}(parse_json({col.name}){_kusto_path(rest)})"


def _kusto_path(rest: str) -> str:
    path = ""
    for part in map(key, rest.split(".")):
        if part.isdigit():
            path += f"[{part}]"
            continue
        path += f".{part}" if _IDENT.match(part) else '["' + part.replace("\\", "\\\\").replace('"', '\\"') + '"]'
    return path


def _java_map_regex(v: SigmaString) -> str:
    """A regex over JSON text for a pattern over Java's Map.toString of the same object."""
    out = []
    for part in v.s:
        if part is SpecialChars.WILDCARD_MULTI:
            out.append(".*")
        elif part is SpecialChars.WILDCARD_SINGLE:
            out.append(".")
        elif isinstance(part, str):
            i = 0
            while i < len(part):
                c = part[i]
                if c == "=":
                    out.append(r'"?\s*:\s*"?')
                elif part.startswith(", ", i):
                    out.append(r'"?\s*,\s*"?')
                    i += 1
                elif c == "{":
                    out.append(r'\{\s*"?')
                elif c == "}":
                    out.append(r'"?\s*\}')
                elif c == "[":
                    out.append(r'\[\s*"?')
                elif c == "]":
                    out.append(r'"?\s*\]')
                elif c == '"':
                    out.append(r'\\"')
                elif c == "\\":
                    out.append(r"\\\\")
                else:
                    out.append(pcre_escape(c))
                i += 1
    return "".join(out)


__all__ = ["CloudModel", "KUSTO_FUNCTIONS", "SigmaCIDRExpression"]
