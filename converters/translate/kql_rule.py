"""A KQL (kuery) rule's query to a Sigma logsource and detection condition.

KQL semantics that the translation keeps (Kibana's documented behaviour,
as ruleport's KQL evaluator models it: converters/kql/evaluator.py):
- on keyword fields (most of ECS) a value matches exactly, case included,
  so string values carry `|cased`; an unquoted `*` is a wildcard, a quoted
  value is literal, KQL has no one-character wildcard;
- KQL values are untyped text: the field's ECS type decides what they are.
  On numeric fields a number (`process.args_count:2` is Sigma's 2), on
  boolean fields true/false, on ip fields an address or CIDR block (Sigma's
  `|cidr`, which compares addresses, not their spelling). A value those
  fields cannot hold (a wildcard, a word) is an error in Elasticsearch and
  refused here. Fields ECS does not define keep the text, except the words
  true/false, which are booleans;
- `field:*` tests that the field exists (a name field keeps its own name);
- text fields are analysed: KQL matches their words (tokens), Sigma can
  only say `|contains`. The note says exactly which events can differ (see
  converters/translate/text_fields.py).
"""

from __future__ import annotations

import ipaddress
from dataclasses import replace

from converters.errors import TranslationError
from converters.kql import ast, parse_kql
from converters.kql.evaluator import analyzer_of, is_ip_field
from converters.notes import Note
from converters.translate import values as V
from converters.translate.detection import Cond, all_of, any_of, item, negate
from converters.translate.fieldmap import NUMERIC_TYPES, ecs_fields_matching, ecs_type
from converters.translate.leaves import SigmaLeaves
from converters.translate.logsource import Fixed, scope
from converters.translate.text_fields import TextFieldNotes

_RANGE_MODIFIER = {"<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}


def _pattern(value: ast.Value):
    return tuple(V.STAR if isinstance(p, ast.Wildcard) else p for p in value.parts)


def _fixed_values(node) -> Fixed | None:
    """The field and values when a conjunct tests one keyword field for fixed values (an OR of them)."""
    if isinstance(node, ast.FieldMatch) and node.value.literal is not None and analyzer_of(node.field) is None:
        return Fixed(node.field, (node.value.literal,))
    if isinstance(node, ast.Or) and node.terms:
        found = [_fixed_values(t) for t in node.terms]
        if all(found) and len({f.field for f in found}) == 1:
            return Fixed(found[0].field, tuple(v for f in found for v in f.values))
    return None


def _is_ip(field: str) -> bool:
    return ecs_type(field) == "ip" or is_ip_field(field)


class KqlToSigma(SigmaLeaves):
    def __init__(self, category, product, notes):
        super().__init__(category, product, notes)
        self.text_notes = TextFieldNotes()

    def finish(self) -> None:
        """Record the notes gathered over the whole query (one per text field)."""
        for note in self.text_notes.notes():
            self.notes.append(note)

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
        if isinstance(node, (ast.FieldMatch, ast.FieldExists, ast.Range)) and "*" in node.field:
            return any_of([self.convert(replace(node, field=f)) for f in self._expand(node.field)])
        if isinstance(node, ast.FieldMatch):
            return self._match(node.field, node.value)
        if isinstance(node, ast.FieldExists):
            self.note_array(node.field)
            return self._exists(node.field, True)
        if isinstance(node, ast.Range):
            return self._range(node.field, node.op, node.value)
        if isinstance(node, ast.Nested):
            raise TranslationError(f"nested field queries ({node.field}:{{...}}) have no Sigma form",
                                   code="translate/unsupported-expression")
        if isinstance(node, ast.FreeText):
            raise TranslationError("a value without a field searches Kibana's default fields, which Sigma cannot name",
                                   code="translate/unsupported-expression")
        raise TranslationError(f"{type(node).__name__} has no Sigma form", code="translate/unsupported-expression")

    def _expand(self, pattern: str) -> list[str]:
        """A wildcard field name, as Kibana expands it against an ECS index mapping."""
        fields = ecs_fields_matching(pattern)
        if not fields:
            raise TranslationError(f"the wildcard field name {pattern!r} names no ECS field; Kibana expands it "
                                   "against the index mapping, which Sigma cannot name", code="translate/unsupported-expression")
        self.note("translate/field-pattern", f"the wildcard field name {pattern} is expanded to the ECS fields it "
                  f"names ({', '.join(fields)}), as Kibana expands it against an ECS mapping", pattern)
        return fields

    def _range(self, field: str, op: str, value: ast.Value) -> Cond:
        kind = ecs_type(field)
        number = _number(value.literal)
        if number is None or kind in ("keyword", "wildcard", "constant_keyword", "ip", "date"):
            what = "not numeric" if number is None else f"on the {kind} field {field}, which KQL orders as text"
            raise TranslationError(f"the range {field} {op} {value.pattern()} is {what}; "
                                   "Sigma's |lt, |gt... compare numbers only", code="translate/unsupported-expression")
        self.note_array(field)
        sigma_field, _ = self._sigma_field(field)
        return item(sigma_field, (_RANGE_MODIFIER[op],), (number,))

    def _match(self, field: str, value: ast.Value) -> Cond:
        self.note_array(field)
        kind = ecs_type(field)
        literal = value.literal
        if _is_ip(field):
            return self._ip(field, value)
        if kind in NUMERIC_TYPES or kind == "boolean":
            typed = _number(literal) if kind in NUMERIC_TYPES else {"true": True, "false": False}.get(literal or "")
            if typed is None:
                raise TranslationError(f"{field} is a {kind} field: Elasticsearch rejects the value "
                                       f"{value.pattern()!r} there", code="translate/unsupported-expression")
            sigma_field, _ = self._sigma_field(field)
            return item(sigma_field, (), (typed,))
        if kind is None and not value.quoted and literal in ("true", "false"):
            sigma_field, _ = self._sigma_field(field)
            return item(sigma_field, (), (literal == "true",))
        analyzer = analyzer_of(field)
        if analyzer is not None:
            self.text_notes.add(field, analyzer, value)
            return self._patterns(field, [(V.STAR,) + _pattern(value) + (V.STAR,)], case_sensitive=False)
        return self._patterns(field, [_pattern(value)], case_sensitive=True)

    def _ip(self, field: str, value: ast.Value) -> Cond:
        """An address or block on an ip field: a block is Sigma's |cidr; an IPv4 address its text (one
        spelling only); an IPv6 address, which has many spellings (`::1`, `0:0:0:0:0:0:0:1`), its
        one-address block."""
        if value.has_wildcard:
            raise TranslationError(f"{field} is an ip field: Elasticsearch rejects the wildcard query "
                                   f"{value.pattern()!r} there", code="translate/unsupported-expression")
        try:
            network = ipaddress.ip_network(value.literal or "", strict=False)
        except ValueError:
            raise TranslationError(f"{field} is an ip field: {value.literal!r} is not an address or CIDR block",
                                   code="translate/unsupported-expression") from None
        sigma_field, _ = self._sigma_field(field)
        if "/" not in (value.literal or "") and network.version == 4:
            return item(sigma_field, (), (str(network.network_address),))
        return item(sigma_field, ("cidr",), (str(network),))


def _number(text):
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            return None
        return number if number == number and abs(number) != float("inf") else None


def translate_kql(query_text: str, rule: dict, notes: list[Note]):
    query = parse_kql(query_text)     # KqlSyntaxError (positions inside the query): translate_rule places it
    terms = list(query.terms) if isinstance(query, ast.And) else [query]
    scoped = scope(None, [(t, _fixed_values(t)) for t in terms], rule, notes)
    converter = KqlToSigma(scoped.category, scoped.product, notes)
    cond = converter.convert(ast.And(tuple(scoped.kept)) if len(scoped.kept) > 1 else scoped.kept[0])
    converter.finish()
    return scoped.logsource, cond
