"""A KQL (kuery) rule's query to a Sigma logsource and detection condition.

KQL semantics that the translation keeps (Kibana's documented behaviour):
- on keyword fields (most of ECS) a value matches exactly, case included,
  so string values carry `|cased`; text fields are analysed instead, which
  Sigma cannot say (noted);
- an unquoted `*` is a wildcard, a quoted value is literal, KQL has no
  one-character wildcard;
- `field:*` tests that the field exists.
"""

from __future__ import annotations

from converters.errors import TranslationError
from converters.kql import ast, parse_kql
from converters.notes import Note
from converters.translate import values as V
from converters.translate.detection import Cond, all_of, any_of, item, negate
from converters.translate.leaves import SigmaLeaves
from converters.translate.logsource import scope

_RANGE_MODIFIER = {"<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}
# Fields Elasticsearch analyses (ECS `text`/`match_only_text`, the windows integration's
# PowerShell fields, and every `.text` multi-field): KQL matches words there, not the value.
# process.command_line and error.stack_trace are ECS `wildcard` fields: matched whole.
_TEXT_FIELDS = frozenset({"message", "error.message", "powershell.file.script_block_text",
                          "powershell.command.value", "powershell.command.invocation_details.value"})


def _is_text_field(field: str) -> bool:
    return field in _TEXT_FIELDS or (field.endswith(".text") and len(field) > len(".text"))


def _pattern(value: ast.Value):
    return tuple(V.STAR if isinstance(p, ast.Wildcard) else p for p in value.parts)


def _fixed_values(node) -> tuple[str, list[str]] | None:
    """(field, values) when a conjunct tests one field for fixed values (an OR of them)."""
    if isinstance(node, ast.FieldMatch) and node.value.literal is not None:
        return node.field, [node.value.literal]
    if isinstance(node, ast.Or) and node.terms:
        found = [_fixed_values(t) for t in node.terms]
        if all(found) and len({f[0] for f in found}) == 1:
            return found[0][0], [v for f in found for v in f[1]]
    return None


class KqlToSigma(SigmaLeaves):
    def convert(self, node) -> Cond:
        if isinstance(node, ast.And):
            return all_of([self.convert(t) for t in node.terms])
        if isinstance(node, ast.Or):
            return any_of([self.convert(t) for t in node.terms])
        if isinstance(node, ast.Not):
            fields = sorted(set(ast.fields_of(node.term)))
            self.note("translate/negation-missing-field",
                      f"a negated condition also matches events that lack {', '.join(fields)}, "
                      "in KQL as in Sigma", fields[0] if len(fields) == 1 else None)
            return negate(self.convert(node.term))
        if isinstance(node, ast.FieldMatch):
            return self._match(node.field, node.value)
        if isinstance(node, ast.FieldExists):
            self.note_array(node.field)
            sigma_field, _ = self._sigma_field(node.field)
            return item(sigma_field, ("exists",), (True,))
        if isinstance(node, ast.Range):
            number = _number(node.value.literal)
            if number is None:
                raise TranslationError(f"the range {node.field} {node.op} {node.value.pattern()} is not numeric; "
                                       "Sigma compares numbers only", code="translate/unsupported-expression")
            sigma_field, _ = self._sigma_field(node.field)
            return item(sigma_field, (_RANGE_MODIFIER[node.op],), (number,))
        if isinstance(node, ast.Nested):
            raise TranslationError(f"nested field queries ({node.field}:{{...}}) have no Sigma form",
                                   code="translate/unsupported-expression")
        if isinstance(node, ast.FreeText):
            raise TranslationError("a value without a field searches Kibana's default fields, which Sigma cannot name",
                                   code="translate/unsupported-expression")
        raise TranslationError(f"{type(node).__name__} has no Sigma form", code="translate/unsupported-expression")

    def _match(self, field: str, value: ast.Value) -> Cond:
        if "*" in field:
            raise TranslationError(f"the wildcard field name {field!r} has no Sigma form",
                                   code="translate/unsupported-expression")
        self.note_array(field)
        literal = value.literal
        if not value.quoted and literal in ("true", "false"):
            sigma_field, _ = self._sigma_field(field)
            return item(sigma_field, (), (literal == "true",))
        if _is_text_field(field):
            self.note("translate/text-field", f"{field} is a text field: KQL matches analysed words there, "
                      "Sigma matches the whole value", field)
            return self._patterns(field, [(V.STAR,) + _pattern(value) + (V.STAR,)], case_sensitive=False)
        return self._patterns(field, [_pattern(value)], case_sensitive=True)


def _number(text):
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return None


def translate_kql(query_text: str, rule: dict, notes: list[Note]):
    query = parse_kql(query_text)     # KqlSyntaxError (positions inside the query): translate_rule places it
    terms = list(query.terms) if isinstance(query, ast.And) else [query]
    scoped = scope(None, [(t, _fixed_values(t)) for t in terms], rule, notes)
    converter = KqlToSigma(scoped.category, scoped.product, notes)
    return scoped.logsource, converter.convert(ast.And(tuple(scoped.kept)) if len(scoped.kept) > 1 else scoped.kept[0])
