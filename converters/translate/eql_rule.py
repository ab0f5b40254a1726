"""An EQL rule's query to a Sigma logsource and detection condition."""

from __future__ import annotations

from converters.eql import ast, parse_query
from converters.errors import TranslationError
from converters.load import eql_fields
from converters.notes import Note
from converters.translate.eql_detection import EqlToSigma
from converters.translate.fieldmap import CATEGORY_LOGSOURCE
from converters.translate.logsource import Fixed, scope


def _equals_values(expr) -> Fixed | None:
    """The fixed values of `field == v`, `field : v`/`like` (no wildcards) or `field in (..)`."""
    if isinstance(expr, ast.Comparison) and expr.op == "==" and isinstance(expr.left, ast.Field) \
            and isinstance(expr.right, ast.Literal) and isinstance(expr.right.value, str):
        return Fixed(expr.left.path, (expr.right.value,))
    if isinstance(expr, ast.StringPredicate) and not expr.is_regex and isinstance(expr.left, ast.Field) \
            and not any(c in p for p in expr.patterns for c in "*?"):
        return Fixed(expr.left.path, tuple(expr.patterns), expr.case_insensitive)
    if isinstance(expr, ast.InSet) and not expr.negated and isinstance(expr.left, ast.Field) \
            and all(isinstance(v, ast.Literal) and isinstance(v.value, str) for v in expr.values):
        return Fixed(expr.left.path, tuple(v.value for v in expr.values), expr.case_insensitive)
    return None


def translate_eql(query_text: str, rule: dict, notes: list[Note]):
    """(logsource, condition); EqlSyntaxError (positions inside the query) when it does not parse."""
    query = parse_query(query_text)
    base = query.base
    if isinstance(base, (ast.Sequence, ast.Sample, ast.Join)):
        raise TranslationError(f"an EQL {type(base).__name__.lower()} correlates several events; "
                               "a Sigma detection rule matches one event (Sigma correlation rules are not generated)",
                               code="translate/multi-event")
    if query.pipes:
        raise TranslationError(f"EQL pipes (| {query.pipes[0].name}) filter across events and have no Sigma form",
                               code="translate/pipes")
    return translate_event_query(base, rule, notes)


def category_as_condition(base: ast.EventQuery, rule: dict) -> ast.EventQuery:
    """The rule's event_category_override, if any, as a condition: no Sigma category says
    "F holds C", so `info where x` under F = event.type becomes `event.type == "info" and x`."""
    return ast.category_as_condition(base, eql_fields(rule).category)


def translate_event_query(base: ast.EventQuery, rule: dict, notes: list[Note]):
    """One EQL event query (a rule's query, or one step of a sequence) to a logsource and condition."""
    base = category_as_condition(base, rule)
    terms = list(base.condition.terms) if isinstance(base.condition, ast.And) else [base.condition]
    terms = [t for t in terms if t != ast.Literal(True)]   # `iam where true`: the category is the condition
    category = base.category if base.category != "any" else None
    if category is not None and category not in CATEGORY_LOGSOURCE:
        # no Sigma category says it: `iam where` stays a condition (EQL tests event.category exactly)
        terms.insert(0, ast.Comparison(ast.Field("event.category"), "==", ast.Literal(category)))
        category = None
    scoped = scope(category, [(t, _equals_values(t)) for t in terms], rule, notes)
    converter = EqlToSigma(scoped.category, scoped.product, notes)
    condition = ast.And(tuple(scoped.kept)) if len(scoped.kept) > 1 else scoped.kept[0]
    return scoped.logsource, converter.convert(condition)
