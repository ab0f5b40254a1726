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
- `field == null` / `field != null` test whether the field has a value:
  Sigma's `|exists`, on the field itself (process.name, not Image).
- `length(field) > n` and the other comparisons of a length with a number
  are regexes on the number of characters (converters/translate/eql_exprs.py);
  arithmetic on constants is computed first.
- `startsWith~`/`endsWith~` with another field as the pattern are Sigma's
  `|fieldref|startswith`/`|endswith` (case-insensitive, as Sigma's default).
  The case-sensitive forms and stringContains with a field have no Sigma
  form (a field reference cannot carry `|cased`).
"""

from __future__ import annotations

from converters.eql import ast
from converters.errors import TranslationError
from converters.notes import EITHER, Affects, all_, regex
from converters.translate import values as V
from converters.translate.detection import Cond, all_of, any_of, item, negate
from converters.translate.eql_exprs import at_least, complement, describe, fold, length_bounds, oriented
from converters.translate.fieldmap import ARRAY_FIELDS, lookup
from converters.translate.leaves import SigmaLeaves

_STRING_FUNCTIONS = {"startswith": "startswith", "endswith": "endswith", "stringcontains": "contains"}
_NUMERIC_MODIFIER = {"<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}


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
        if isinstance(expr, ast.Field):
            # a boolean field on its own: true when it holds `true`
            return self._literals(self._field(expr), [True], case_sensitive=True)
        if isinstance(expr, ast.Literal) and isinstance(expr.value, bool):
            raise TranslationError("a constant true/false condition has no Sigma form", code="translate/unsupported-expression")
        raise TranslationError(f"{type(expr).__name__} expressions have no Sigma form",
                               code="translate/unsupported-expression")

    def _note_negation(self, term) -> None:
        fields = sorted({f.path for f in ast.fields_of(term)})
        self.note("translate/negation-missing-field",
                  f"a negated condition matches events that lack {', '.join(fields)}, in Elasticsearch EQL "
                  "(a must_not query) as in Sigma; each target must do the same",
                  fields[0] if len(fields) == 1 else None)

    def _field(self, node) -> str:
        if not isinstance(node, ast.Field):
            raise TranslationError(
                f"Sigma compares a field's own value; {describe(node)} computes a value from the event and has "
                "no Sigma form", code="translate/unsupported-expression")
        self.note_array(node.path)
        return node.path

    def _literal(self, node, where: str = "a compared value"):
        node = fold(node)
        if not isinstance(node, ast.Literal):
            raise TranslationError(f"{where} must be a constant for Sigma; {describe(node)} is not",
                                   code="translate/unsupported-expression")
        return node.value

    def _ref_field(self, ecs: str) -> str:
        """A field in a field reference: a name field keeps its ECS name (its path field is another value)."""
        mapping = lookup(self.category, ecs)
        if mapping is not None and mapping.basename_of:
            self.note("translate/custom-field", f"{ecs} is compared with another field: it keeps its ECS name "
                      f"(its Sigma field {mapping.sigma} holds the whole path)", ecs)
            return ecs
        return self._sigma_field(ecs)[0]

    def _comparison(self, expr: ast.Comparison) -> Cond:
        left, op, right = oriented(expr)
        if isinstance(left, ast.FunctionCall) and left.name.lower() == "length" and isinstance(right, ast.Literal):
            return self._length(left, op, right.value)
        if isinstance(left, ast.Field) and isinstance(right, ast.Field):
            if op not in ("==", "!="):
                raise TranslationError(f"field-to-field `{op}` ({left.path} {op} {right.path}) has no Sigma form",
                                       code="translate/unsupported-expression")
            sigma_left, sigma_right = self._ref_field(self._field(left)), self._ref_field(self._field(right))
            self.note("translate/field-reference", f"{left.path} {op} {right.path} becomes a Sigma field reference "
                      "(`|fieldref`), which few backends support", left.path)
            cond = item(sigma_left, ("fieldref",), (sigma_right,))
            return negate(cond) if op == "!=" else cond
        field = self._field(left)
        value = self._literal(right)
        if value is None and op in ("==", "!="):
            return self._exists(field, op == "!=")
        if op in ("==", "!="):
            cond = self._literals(field, [value], case_sensitive=True)
            if op == "!=":
                self._note_negation(expr)
                return negate(cond)
            return cond
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise TranslationError(f"`{field} {op} {value!r}` orders text, which Sigma cannot state "
                                   "(its |lt, |gt... compare numbers)", code="translate/unsupported-expression")
        sigma_field, _ = self._sigma_field(field)
        return item(sigma_field, (_NUMERIC_MODIFIER[op],), (value,))

    def _length(self, call: ast.FunctionCall, op: str, n) -> Cond:
        if len(call.args) != 1 or not isinstance(call.args[0], ast.Field):
            raise TranslationError(f"{describe(call)}: Sigma can state the length of a field only",
                                   code="translate/unsupported-expression")
        if not isinstance(n, (int, float)) or isinstance(n, bool):
            raise TranslationError(f"{describe(call)} {op} {n!r} compares a length with a non-number",
                                   code="translate/unsupported-expression")
        if op == "!=":  # Elasticsearch reads `a != b` as `not a == b`: also true when the field is missing
            return negate(self._length(call, "==", n))
        ecs = self._field(call.args[0])
        mapping = lookup(self.category, ecs)
        # a length is the name's own, never its path's: a name field keeps its ECS name
        sigma_field = ecs if mapping is None or mapping.basename_of else self._sigma_field(ecs)[0]
        if mapping is None or mapping.basename_of:
            self.note("translate/custom-field", f"{ecs} has no Sigma taxonomy field for its length; the Sigma rule "
                      "keeps the ECS name and each target maps or approximates it", ecs)
        ranges = length_bounds(op, n)
        if not ranges:
            raise TranslationError(f"{describe(call)} {op} {n!r} never holds", code="translate/unsupported-expression")
        if ecs in ARRAY_FIELDS:
            self._note_length_of_array(ecs, ranges)

        def at_least_k(k: int) -> Cond:
            return item(sigma_field, ("exists",), (True,)) if k == 0 else item(sigma_field, ("re", "s"), (at_least(k),))

        terms = []
        for lo, hi in ranges:
            if hi == 0:
                terms.append(item(sigma_field, (), ("",)))
            elif hi is None:
                terms.append(at_least_k(lo))
            else:
                terms.append(all_of([at_least_k(lo), negate(at_least_k(hi + 1))]))
        return any_of(terms)

    def _note_length_of_array(self, ecs: str, ranges: list) -> None:
        # Elasticsearch runs length() as a script, which reads one value of an array (its smallest);
        # Sigma tests every element: verdicts can differ only on arrays holding lengths in and out of range
        def rx(spans):
            return [f"\\A.{{{lo},{'' if hi is None else hi}}}\\Z" for lo, hi in spans]
        self.note("translate/array-script", f"length({ecs}) is computed by Elasticsearch on one element of the "
                  "array (the smallest value), by Sigma on each element", ecs,
                  Affects.of(EITHER, all_(regex(ecs, rx(ranges)), regex(ecs, rx(complement(ranges))))))

    def _function(self, call: ast.FunctionCall) -> Cond:
        name = call.name.lower()
        if name in _STRING_FUNCTIONS or name == "wildcard":
            if len(call.args) < 2:
                raise TranslationError(f"{call.name}() needs a field and a pattern", code="translate/unsupported-function")
            field = self._field(call.args[0])
            others = [fold(a) for a in call.args[1:]]
            if name != "wildcard" and len(others) == 1 and isinstance(others[0], ast.Field):
                return self._field_affix(call, field, others[0])
            texts = [self._literal(a, f"the pattern of {call.name}()") for a in others]
            if not all(isinstance(t, str) for t in texts):
                raise TranslationError(f"{describe(call)} needs string patterns", code="translate/unsupported-function")
            if name == "stringcontains":
                # stringContains(s, "") is false in Elasticsearch (its documented edge case)
                texts = [t for t in texts if t]
                if not texts:
                    raise TranslationError(f"{describe(call)} never holds", code="translate/unsupported-expression")
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
            cidrs = tuple(self._literal(a, "a cidrMatch() block") for a in call.args[1:])
            sigma_field, _ = self._sigma_field(field)
            return item(sigma_field, ("cidr",), cidrs)
        raise TranslationError(f"the EQL function {call.name}() has no Sigma equivalent",
                               code="translate/unsupported-function")

    def _field_affix(self, call: ast.FunctionCall, field: str, other: ast.Field) -> Cond:
        """startsWith~(a, b) / endsWith~(a, b) with b a field: Sigma's |fieldref|startswith / |endswith."""
        name = call.name.lower()
        if not call.case_insensitive or name == "stringcontains":
            why = ("it is case-sensitive, and a Sigma field reference cannot carry |cased"
                   if name != "stringcontains" or not call.case_insensitive else
                   "stringContains with an empty field is false in Elasticsearch, true for Sigma's |fieldref|contains")
            raise TranslationError(f"{describe(call)} compares two fields of one event: {why}",
                                   code="translate/unsupported-expression")
        self.note("translate/field-reference", f"{describe(call)} becomes a Sigma field reference "
                  f"(`|fieldref|{_STRING_FUNCTIONS[name]}`), which few backends support", field)
        return item(self._ref_field(field), ("fieldref", _STRING_FUNCTIONS[name]), (self._ref_field(self._field(other)),))
