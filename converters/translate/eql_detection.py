"""EQL single-event queries to Sigma detections.

What EQL says, and how Sigma says it:
- `:` and `like~`/`in~`/`regex~` ignore case: Sigma's default. `==`, `like`,
  `in`, `regex` respect case: the `|cased` modifier (a regex: no `i` flag).
- `*` and `?` in `:`/`like` patterns are wildcards (one run / one character)
  and become Sigma's `*`/`?`; `==`/`in` values are literal.
- `regex` is Lucene's dialect and matches the whole value; Sigma's `|re` is
  a search, so the translation anchors it.
- ECS arrays (process.args) match when any element does; Sigma is silent on
  arrays, so such conditions are noted and the targets handle them.
- `?field` (optional) changes only what happens when the field is absent
  from the index mapping; on an event without the field the condition is
  false in both languages, so it needs no translation.
"""

from __future__ import annotations

from converters.eql import ast
from converters.errors import Note, TranslationError
from converters.translate import values as V
from converters.translate.detection import Cond, all_of, any_of, item, negate
from converters.translate.fieldmap import ARRAY_FIELDS, PATH_SEPARATOR, lookup

_STRING_FUNCTIONS = {"startswith": "startswith", "endswith": "endswith", "stringcontains": "contains"}
_NUMERIC_MODIFIER = {"<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}
_SWAPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


class EqlToSigma:
    """Converts one EQL boolean expression for one Sigma logsource."""

    def __init__(self, category: str | None, product: str | None, notes: list[Note]):
        self.category = category
        self.product = product
        self.notes = notes
        self._noted: set[tuple[str, str]] = set()

    # --- notes ---------------------------------------------------------
    def note(self, code: str, message: str, field: str | None = None) -> None:
        key = (code, field or message)
        if key not in self._noted:
            self._noted.add(key)
            self.notes.append(Note(code, message, None, field))

    # --- expressions -------------------------------------------------------
    def convert(self, expr) -> Cond:
        if isinstance(expr, ast.And):
            return all_of([self.convert(t) for t in expr.terms])
        if isinstance(expr, ast.Or):
            return any_of([self.convert(t) for t in expr.terms])
        if isinstance(expr, ast.Not):
            inner = self.convert(expr.term)
            self._note_negation(expr.term)
            return negate(inner)
        if isinstance(expr, ast.StringPredicate):
            field = self._field(expr.left)
            if expr.is_regex:
                return self._regex(field, expr.patterns, expr.case_insensitive)
            patterns = [V.wildcard_pattern(p) for p in expr.patterns]
            return self._patterns(field, patterns, case_sensitive=not expr.case_insensitive)
        if isinstance(expr, ast.InSet):
            field = self._field(expr.left)
            cond = self._literals(field, [self._literal(v) for v in expr.values], not expr.case_insensitive)
            if expr.negated:
                self._note_negation(expr)
                return negate(cond)
            return cond
        if isinstance(expr, ast.Comparison):
            return self._comparison(expr)
        if isinstance(expr, ast.FunctionCall):
            return self._function(expr)
        if isinstance(expr, ast.Literal) and isinstance(expr.value, bool):
            raise TranslationError("a constant true/false condition has no Sigma form", code="translate/unsupported-expression")
        raise TranslationError(f"{type(expr).__name__} expressions have no Sigma form",
                               code="translate/unsupported-expression")

    def _note_negation(self, term) -> None:
        fields = sorted({f.path for f in ast.fields_of(term)})
        self.note("translate/negation-missing-field",
                  "a negated condition also matches events that lack "
                  f"{', '.join(fields)} in Sigma; Elasticsearch EQL treats a missing field as null, "
                  "so the same events match only if the target does the same",
                  fields[0] if len(fields) == 1 else None)

    def _field(self, node) -> str:
        if not isinstance(node, ast.Field):
            what = f"{node.name}()" if isinstance(node, ast.FunctionCall) else type(node).__name__
            raise TranslationError(
                f"Sigma compares fields with values; {what} on the left of a comparison has no Sigma form",
                code="translate/unsupported-expression")
        if node.path in ARRAY_FIELDS:
            self.note("translate/array-field",
                      f"ECS {node.path} is an array: the condition holds when any element matches, "
                      "and each target must keep that meaning", node.path)
        return node.path

    def _literal(self, node):
        if not isinstance(node, ast.Literal):
            raise TranslationError("set members and compared values must be literals",
                                   code="translate/unsupported-expression")
        return node.value

    def _comparison(self, expr: ast.Comparison) -> Cond:
        left, op, right = expr.left, expr.op, expr.right
        if isinstance(left, ast.Literal) and isinstance(right, ast.Field):
            left, right, op = right, left, _SWAPPED[op]
        if isinstance(left, ast.Field) and isinstance(right, ast.Field):
            if op not in ("==", "!="):
                raise TranslationError(f"field-to-field `{op}` has no Sigma form", code="translate/unsupported-expression")
            sigma_left = self._sigma_field(self._field(left))
            sigma_right = self._sigma_field(self._field(right))
            self.note("translate/field-reference", f"{left.path} {op} {right.path} becomes a Sigma field reference "
                      "(`|fieldref`), which few backends support", left.path)
            cond = item(sigma_left[0], ("fieldref",), (sigma_right[0],))
            return negate(cond) if op == "!=" else cond
        field = self._field(left)
        value = self._literal(right)
        if op in ("==", "!="):
            cond = self._literals(field, [value], case_sensitive=True)
            if op == "!=":
                self._note_negation(expr)
                return negate(cond)
            return cond
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise TranslationError(f"`{op}` on a non-number ({value!r}) has no Sigma form",
                                   code="translate/unsupported-expression")
        sigma_field, _ = self._sigma_field(field)
        return item(sigma_field, (_NUMERIC_MODIFIER[op],), (value,))

    def _function(self, call: ast.FunctionCall) -> Cond:
        name = call.name.lower()
        if name in _STRING_FUNCTIONS or name == "wildcard":
            if not call.args:
                raise TranslationError(f"{call.name}() needs arguments", code="translate/unsupported-function")
            field = self._field(call.args[0])
            texts = [self._literal(a) for a in call.args[1:]]
            if not all(isinstance(t, str) for t in texts):
                raise TranslationError(f"{call.name}() needs string arguments", code="translate/unsupported-function")
            if name == "wildcard":
                patterns = [V.wildcard_pattern(t) for t in texts]
            else:
                wrap = _STRING_FUNCTIONS[name]
                patterns = [((V.STAR,) if wrap in ("endswith", "contains") else ())
                            + V.literal_pattern(t)
                            + ((V.STAR,) if wrap in ("startswith", "contains") else ()) for t in texts]
            # Elasticsearch's EQL string functions are case-sensitive unless written name~()
            return self._patterns(field, patterns, case_sensitive=not call.case_insensitive)
        if name == "cidrmatch":
            field = self._field(call.args[0])
            cidrs = tuple(self._literal(a) for a in call.args[1:])
            sigma_field, _ = self._sigma_field(field)
            return item(sigma_field, ("cidr",), cidrs)
        raise TranslationError(f"the EQL function {call.name}() has no Sigma equivalent",
                               code="translate/unsupported-function")

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
        cased = ("cased",) if case_sensitive else ()
        groups: dict[tuple, list] = {}
        regexes: list[str] = []
        for pattern in patterns:
            if basename:
                sep = PATH_SEPARATOR.get(self.product or "", "\\")
                if not V.has_wildcards(pattern):
                    groups.setdefault(("endswith",) + cased, []).append(V.sigma_string((sep,) + pattern))
                elif pattern[0] is V.STAR and not V.has_wildcards(pattern[1:]):
                    groups.setdefault(("endswith",) + cased, []).append(V.sigma_string(pattern[1:]))
                else:
                    regexes.append(V.basename_regex(pattern, sep))
                continue
            modifier, rest = V.split_modifier(pattern)
            key = ((modifier,) if modifier else ()) + cased
            groups.setdefault(key, []).append(V.sigma_string(rest))
        if basename:
            self.note("translate/basename",
                      f"{ecs} is the last component of {sigma_field}: matched as the end of the path", ecs)
        terms = [item(sigma_field, mods, tuple(dict.fromkeys(vals))) for mods, vals in groups.items()]
        if regexes:
            mods = ("re",) if case_sensitive else ("re", "i")
            terms.append(item(sigma_field, mods, tuple(dict.fromkeys(regexes))))
        return any_of(terms)

    def _regex(self, ecs: str, regexes: tuple[str, ...], case_insensitive: bool) -> Cond:
        sigma_field, basename = self._sigma_field(ecs)
        out = []
        for rx in regexes:
            anchored, exact = V.lucene_regex_to_sigma(rx)
            if basename:
                sep = PATH_SEPARATOR.get(self.product or "", "\\")
                anchored = f"(?:^|{V.re.escape(sep)})(?:{rx})$"
            if not exact:
                self.note("translate/regex-dialect",
                          f"the regex {rx!r} uses Lucene-only operators that Sigma's regex reads differently", ecs)
            out.append(anchored)
        mods = ("re", "i") if case_insensitive else ("re",)
        return item(sigma_field, mods, tuple(out))
