"""Field conditions as Sigma items, shared by the EQL and KQL translators.

Both query languages end in the same leaves: a field, a set of patterns or
literal values, a case rule. This is where the field-mapping table, the
basename rule and the value escaping meet.
"""

from __future__ import annotations

from converters.engine.lucene_regexp import PatternError
from converters.errors import TranslationError
from converters.notes import EITHER, Affects, Note, basename_mismatch
from converters.translate import values as V
from converters.translate.detection import Cond, any_of, item
from converters.translate.fieldmap import ARRAY_FIELDS, PATH_SEPARATOR, ecs_of, lookup


class SigmaLeaves:
    """Builds Sigma items for one logsource, recording notes once each."""

    def __init__(self, category: str | None, product: str | None, notes: list[Note]):
        self.category = category
        self.product = product
        self.notes = notes
        self._noted: set[tuple[str, str]] = set()

    def note(self, code: str, message: str, field: str | None = None, affects: Affects | None = None) -> None:
        key = (code, field or message)
        if key not in self._noted:
            self._noted.add(key)
            self.notes.append(Note(code, message, None, field, affects))

    def note_array(self, ecs: str) -> None:
        if ecs in ARRAY_FIELDS:
            self.note("translate/array-field",
                      f"ECS {ecs} is an array: the condition holds when any element matches, "
                      "and each target must keep that meaning", ecs)

    # --- leaves ------------------------------------------------------------
    def _sigma_field(self, ecs: str) -> tuple[str, bool]:
        """Sigma field name for an ECS field, and whether it is a basename match."""
        mapping = lookup(self.category, ecs)
        if mapping is None:
            self.note("translate/custom-field",
                      f"{ecs} has no Sigma taxonomy field; the Sigma rule keeps the ECS name "
                      "and each target maps or approximates it", ecs)
            return ecs, False
        if mapping.note:
            self.note("translate/field-approximated", f"{ecs} -> {mapping.sigma}: {mapping.note}", ecs)
        return mapping.sigma, mapping.basename_of

    def _literals(self, ecs: str, values: list, case_sensitive: bool) -> Cond:
        strings = [V.literal_pattern(v) for v in values if isinstance(v, str)]
        others = [v for v in values if not isinstance(v, str)]
        terms = []
        if strings:
            terms.append(self._patterns(ecs, strings, case_sensitive))
        if others:
            sigma_field, basename = self._sigma_field(ecs)
            if basename and any(v is not None for v in others):
                raise TranslationError(f"{ecs} compared with a non-string", code="translate/unsupported-expression")
            terms.append(item(sigma_field, (), tuple(others)))
        return any_of(terms)

    def _patterns(self, ecs: str, patterns: list, case_sensitive: bool) -> Cond:
        sigma_field, basename = self._sigma_field(ecs)
        groups: dict[tuple, list] = {}
        regexes: list[str] = []
        exact: list[str] = []  # case_insensitive patterns with non-ASCII letters (ascii_folded_regex)
        for pattern in patterns:
            # case only matters where the value has letters: "4624" needs no |cased
            cased = ("cased",) if case_sensitive and _has_letters(pattern) else ()
            if not case_sensitive and V.has_non_ascii_letters(pattern):
                # Elasticsearch would not fold `É`; Sigma's case-insensitive match would
                sep = PATH_SEPARATOR.get(self.product or "", "\\") if basename else None
                exact.append(V.ascii_folded_regex(pattern, sep))
                continue
            if basename:
                sep = PATH_SEPARATOR.get(self.product or "", "\\")
                seps = (sep,) if self.product else ("\\", "/")
                if not V.has_wildcards(pattern):
                    groups.setdefault(("endswith",) + cased, []).extend(V.sigma_string((s,) + pattern) for s in seps)
                elif pattern[0] is V.STAR and not V.has_wildcards(pattern[1:]):
                    groups.setdefault(("endswith",) + cased, []).append(V.sigma_string(pattern[1:]))
                else:
                    regexes.extend(V.basename_regex(pattern, s) for s in seps)
                continue
            modifier, rest = V.split_modifier(pattern)
            key = ((modifier,) if modifier else ()) + cased
            groups.setdefault(key, []).append(V.sigma_string(rest))
        if basename:
            self.note("translate/basename",
                      f"{ecs} is the last component of {sigma_field}: matched as the end of the path", ecs,
                      # differs only on events whose name is not the last component of their path
                      Affects.of(EITHER, basename_mismatch(ecs, ecs_of(self.category, sigma_field))))
        terms = [item(sigma_field, mods, tuple(dict.fromkeys(vals))) for mods, vals in groups.items()]
        if regexes:
            mods = ("re",) if case_sensitive and any(_has_letters(p) for p in patterns) else ("re", "i")
            terms.append(item(sigma_field, mods, tuple(dict.fromkeys(regexes))))
        if exact:
            terms.append(item(sigma_field, ("re",), tuple(dict.fromkeys(exact))))
        return any_of(terms)

    def _regex(self, ecs: str, regexes: tuple[str, ...], case_insensitive: bool) -> Cond:
        """Lucene regexes keep their meaning as case-sensitive Sigma regexes (values.lucene_regex_to_sigma):
        no `i` flag, since Sigma's folds every letter and Lucene's `regex~` only single ASCII ones."""
        sigma_field, basename = self._sigma_field(ecs)
        sep = PATH_SEPARATOR.get(self.product or "", "\\") if basename else None
        out = []
        for rx in regexes:
            try:
                out.append(V.lucene_regex_to_sigma(rx, case_insensitive, sep))
            except PatternError as exc:
                raise TranslationError(f"{ecs}: {exc}", code="translate/unsupported-expression") from None
        return item(sigma_field, ("re",), tuple(out))


def _has_letters(pattern) -> bool:
    return any(not isinstance(p, V.Wildcard) and p.lower() != p.upper() for p in pattern)
