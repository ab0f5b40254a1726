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
from converters.errors import TranslationError
from converters.translate import values as V
from converters.translate.detection import Cond, all_of, any_of, item, negate
from converters.translate.leaves import SigmaLeaves

_STRING_FUNCTIONS = {"startswith": "startswith", "endswith": "endswith", "stringcontains": "contains"}
_NUMERIC_MODIFIER = {"<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}
_SWAPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


class EqlToSigma(SigmaLeaves):
    """Converts one EQL boolean expression for one Sigma logsource."""

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
        self.note_array(node.path)
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
