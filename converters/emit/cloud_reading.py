"""How a cloud source's records are read on a platform, one raw path at a time.

`CloudReading` is one source (converters/data/cloud/<source>.json) on one
platform, and the notes its reading makes; converters.emit.cloud's
`CloudModel` builds on it to resolve each ECS field. A raw path of the
source's records is read through the platform field that holds it
(converters.emit.cloud_paths): on a JSON layout its extraction name, on a
table its column or a value inside the column's object. Where the platform
cannot reach the value as a field, it is searched in JSON text
(converters.emit.json_text): a path through an array in the array's text, an
element of a name/value list in the list's text, Java's Map.toString
rendering of an object in the object's JSON text. A column holding the
platform's names for a value (`enum`) maps the rule's values; a column that
keeps another case than the record compares ignoring case (noted).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from converters.emit.cloud_conditions import item, item_condition, item_matches
from converters.emit.cloud_paths import kusto_expr, splunk_name
from converters.emit.errors import EmitError
from converters.emit.formulas import Atom, Formula, and_, not_, or_
from converters.emit.item_values import literal_string, literal_values, uncased, with_values
from converters.emit.json_text import java_map_regex, json_escape, json_value_regex
from converters.emit.strings import pcre_escape
from converters.notes import EITHER, Affects, all_, any_, exists
from converters.notes import not_ as cond_not
from converters.platforms.cloud.facts import ROOT, Column, EcsField, Platform, Source
from sigma.conditions import ConditionAND
from sigma.modifiers import SigmaRegularExpressionFlag
from sigma.rule import SigmaDetectionItem
from sigma.types import (
    SigmaBool,
    SigmaCasedString,
    SigmaCompareExpression,
    SigmaExists,
    SigmaNull,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaString,
)


@dataclass
class CloudReading:
    """One source on one platform: how a raw path of its records is read there; `notes`
    collects the approximations (code, message, field, Affects) as they are made."""

    source: Source
    platform: Platform
    title: str
    notes: list = field(default_factory=list)   # (code, message, field, Affects)

    def resolve(self, it: SigmaDetectionItem, positive: bool = True) -> Formula:
        """The formula over the platform's fields for an ECS detection item (converters.emit.cloud)."""
        raise NotImplementedError

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

    def _unrecorded(self, it: SigmaDetectionItem, why: str) -> Formula:
        holds = item_matches(it, None)
        self._note("emit/field-unavailable",
                   f"{it.field} is not recorded by {self.title} ({why}): the condition "
                   f"{'always holds' if holds else 'never holds'} there", it.field, self._differs(it, holds))
        return holds

    # --- reading one raw path on the platform -----------------------------------------

    def _read(self, it: SigmaDetectionItem, raw: str) -> Formula:
        """`it`'s values tested on the platform field holding raw path `raw` (`@F`: where the
        platform reads ECS field F)."""
        if raw.startswith("@"):
            return self.resolve(SigmaDetectionItem(raw[1:], [], list(it.value), value_linking=it.value_linking))
        if self.platform.layout == "json":
            name = self.platform.prefix + self.platform.platform_path(splunk_name(raw, self.source))
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
            loose = with_values(it, it.field, [uncased(v) for v in it.value])
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
        plain = literal_values(it, strings=True)
        if plain is None or rest:
            raise EmitError(f"{it.field}: {col.name} holds {self.title}'s names for {col.raw}; only plain values "
                            "can be read through that mapping", code="emit/field-unsupported")
        names = [(col.enum or {}).get(str(v), str(v)) for v in plain]
        mapped = item(col.name, [literal_string(n) for n in names],
                      all_values=it.value_linking is ConditionAND)
        return self._typed(mapped, col, "")

    def _typed(self, it: SigmaDetectionItem, col: Column, rest: str) -> Formula:
        """Split `it` by value kind: numeric comparisons read the value as a number, the rest as text."""
        numeric = [v for v in it.value if isinstance(v, SigmaCompareExpression)]
        textual = [v for v in it.value if not isinstance(v, SigmaCompareExpression)]
        parts = []
        if textual:
            expr = kusto_expr(col, rest, "tostring" if (rest or col.type not in ("string",)) else None)
            parts.append(Atom(_retarget(with_values(it, it.field, textual), expr, "string")))
        if numeric:
            expr = kusto_expr(col, rest, None if (not rest and col.type in ("int", "long", "real")) else "toreal")
            parts.append(Atom(_retarget(with_values(it, it.field, numeric), expr, "number")))
        return and_(*parts) if it.value_linking is ConditionAND else or_(*parts)

    def _exists(self, path: str) -> Formula:
        return self._read(item("_", [SigmaExists(True)]), path)

    # --- JSON text: Map.toString renderings, name/value lists, arrays on tables ----------

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
                body = "^" + java_map_regex(v) + "$"
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

    def _json_field(self, raw_array: str) -> str:
        """The platform field holding the JSON text of the raw array (or list) `raw_array`."""
        if self.platform.layout == "json":
            return "_raw"
        found = self.platform.column_for(raw_array)
        if found is None:
            raise EmitError(f"{self.platform.select.get('table')} has no column holding {raw_array}",
                            code="emit/field-unsupported")
        col, rest = found
        return kusto_expr(col, rest, "tostring")

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
                                   else pcre_escape(json_escape(c)) for c in name) for name in names)
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
        target = kusto_expr(col, ".".join(parts[:cut]), "tostring")
        key = parts[-1]
        self._note("emit/field-approximated",
                   f"{it.field} lies inside an array of {col.name}: on {self.title} its key {key} is searched in the "
                   "array's JSON text (any element, at any depth)", it.field, exists(it.field))
        return self._json_atoms(it, target, lambda val: rf'"{pcre_escape(json_escape(key))}"\s*:\s*{val}')

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
            val = json_value_regex(v)
            if val is None:
                raise EmitError(f"{it.field}: {type(v).__name__} values cannot be read in JSON text on {self.title}",
                                code="emit/field-unsupported")
            rx = SigmaRegularExpression("(?s)" + template(val))
            if not isinstance(v, SigmaCasedString) and not isinstance(v, (SigmaBool, SigmaNumber)):
                rx.add_flag(SigmaRegularExpressionFlag.IGNORECASE)
            parts.append(Atom(item(target, [rx])))
        return and_(*parts) if it.value_linking is ConditionAND else or_(*parts)


def _as_text(v):
    if isinstance(v, SigmaBool):
        return literal_string("true" if v.boolean else "false")
    if isinstance(v, SigmaNumber):
        return literal_string(str(v.number))
    return v


def _retarget(it: SigmaDetectionItem, name: str, kind: str) -> SigmaDetectionItem:
    """`it` on platform field `name`; on text fields booleans and numbers compare as their text."""
    values = [_as_text(v) if kind == "string" else v for v in it.value]
    return SigmaDetectionItem(name, [], values, value_linking=it.value_linking)
