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
        # a null member matches nothing (`f in ("a", null)`); `f == null` is an existence check (_exists)
        others = [v for v in values if v is not None and not isinstance(v, str)]
        terms = []
        if strings:
            terms.append(self._patterns(ecs, strings, case_sensitive))
        if others:
            sigma_field, basename = self._sigma_field(ecs)
            if basename:
                raise TranslationError(f"{ecs} holds a name; comparing it with {others[0]!r} has no Sigma form",
                                       code="translate/unsupported-expression")
            terms.append(item(sigma_field, (), tuple(others)))
        if not terms:  # `f in (null)`: Elasticsearch's terms query ignores null members
            raise TranslationError(f"comparing {ecs} with null members only never holds",
                                   code="translate/unsupported-expression")
        return any_of(terms)

    def _exists(self, ecs: str, present: bool) -> Cond:
        """`field != null` / KQL `field:*` (present): Sigma's `|exists: true`; `field == null`:
        Sigma's `field: null` (pySigma's Lucene backend writes `|exists: false` without the
        parentheses a pure negation needs inside an OR).

        A name field (process.name) keeps its ECS name: that a path field has a
        value says nothing about its name field, and the reverse."""
        mapping = lookup(self.category, ecs)
        if mapping is not None and mapping.basename_of:
            self.note("translate/custom-field",
                      f"{ecs} has no Sigma taxonomy field of its own (it is the last component of "
                      f"{mapping.sigma}); its existence check keeps the ECS name", ecs)
            field = ecs
        else:
            field, _ = self._sigma_field(ecs)
        return item(field, ("exists",), (True,)) if present else item(field, (), (None,))

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
                exact.extend(V.ascii_folded_regex(pattern, sep) for sep in (self._separators() if basename else (None,)))
                continue
            if basename:
                if not V.has_wildcards(pattern):
                    groups.setdefault(("endswith",) + cased, []).extend(
                        V.sigma_string((sep,) + pattern) for sep in self._separators())
                elif pattern[0] is V.STAR and not V.has_wildcards(pattern[1:]):
                    groups.setdefault(("endswith",) + cased, []).append(V.sigma_string(pattern[1:]))
                else:
                    regexes.extend(V.basename_regex(pattern, sep) for sep in self._separators())
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

    def _separators(self) -> tuple[str, ...]:
        """Path separators of the rule's product; a rule naming no OS may hold either kind of path."""
        sep = PATH_SEPARATOR.get(self.product or "")
        return (sep,) if sep else ("\\", "/")

    def _regex(self, ecs: str, regexes: tuple[str, ...], case_insensitive: bool) -> Cond:
        """Lucene regexes keep their meaning as case-sensitive Sigma regexes (values.lucene_regex_to_sigma):
        no `i` flag, since Sigma's folds every letter and Lucene's `regex~` only single ASCII ones."""
        sigma_field, basename = self._sigma_field(ecs)
        if basename and any(_may_match_separator(rx, sep) for rx in regexes for sep in self._separators()):
            # on the path, such a regex could match across the last separator: keep the name field
            self.note("translate/custom-field",
                      f"{ecs}: a regex that can match a path separator is kept on the name field "
                      "(on the path it would not be confined to the last component)", ecs)
            sigma_field, basename = ecs, False
        seps = self._separators() if basename else (None,)
        out = []
        for rx in regexes:
            try:
                out.extend(V.lucene_regex_to_sigma(rx, case_insensitive, sep) for sep in seps)
            except PatternError as exc:
                raise TranslationError(f"{ecs}: {exc}", code="translate/unsupported-expression") from None
        return item(sigma_field, ("re",), tuple(dict.fromkeys(out)))


_LEADING_ANY = ("(?:.*)", ".*")


def _may_match_separator(rx: str, sep: str) -> bool:
    """Could the (whole-value, Lucene) regex match a text holding `sep`? A conservative reading:
    a leading `.*` is harmless (the name is the path's tail), any other `.`, negated class,
    `\\W`/`\\S`/`\\D`, complement `~` or the separator itself may be."""
    for lead in _LEADING_ANY:
        if rx.startswith(lead):
            rx = rx[len(lead):]
            break
    i = 0
    while i < len(rx):
        c = rx[i]
        if c == "\\":
            nxt = rx[i + 1:i + 2]
            if nxt in ("W", "S", "D") or nxt == sep:
                return True
            i += 2
            continue
        if c in ".~" or c == sep or (c == "[" and rx[i + 1:i + 2] == "^"):
            return True
        i += 1
    return False


def _has_letters(pattern) -> bool:
    return any(not isinstance(p, V.Wildcard) and p.lower() != p.upper() for p in pattern)
