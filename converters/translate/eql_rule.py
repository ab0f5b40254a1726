"""An EQL rule's query to a Sigma logsource and detection condition.

The logsource comes from the query's event category and the top-level
conditions that only scope the data (host.os.type, event.type of a
process start); those conditions are absorbed into the logsource rather
than repeated in the detection.
"""

from __future__ import annotations

from converters.eql import EqlSyntaxError, ast, parse_query
from converters.errors import Note, TranslationError
from converters.translate.eql_detection import EqlToSigma
from converters.translate.fieldmap import CATEGORY_LOGSOURCE, OS_PRODUCT


def _equals_values(expr) -> tuple[str, list[str]] | None:
    """(field, values) for `field == v`, `field : v` (no wildcards) or `field in (..)`."""
    if isinstance(expr, ast.Comparison) and expr.op == "==" and isinstance(expr.left, ast.Field) \
            and isinstance(expr.right, ast.Literal) and isinstance(expr.right.value, str):
        return expr.left.path, [expr.right.value]
    if isinstance(expr, ast.StringPredicate) and expr.op in (":", "like~") and isinstance(expr.left, ast.Field) \
            and not any(c in p for p in expr.patterns for c in "*?"):
        return expr.left.path, list(expr.patterns)
    if isinstance(expr, ast.InSet) and not expr.negated and isinstance(expr.left, ast.Field) \
            and all(isinstance(v, ast.Literal) and isinstance(v.value, str) for v in expr.values):
        return expr.left.path, [v.value for v in expr.values]
    return None


def translate_eql(query_text: str, rule: dict, notes: list[Note]):
    try:
        query = parse_query(query_text)
    except EqlSyntaxError as exc:
        raise TranslationError(f"the EQL query does not parse: {exc.message}", code="translate/query-syntax") from None
    base = query.base
    if isinstance(base, (ast.Sequence, ast.Sample, ast.Join)):
        raise TranslationError(f"an EQL {type(base).__name__.lower()} correlates several events; "
                               "a Sigma detection rule matches one event (Sigma correlation rules are not generated)",
                               code="translate/multi-event")
    if query.pipes:
        raise TranslationError(f"EQL pipes (| {query.pipes[0].name}) filter across events and have no Sigma form",
                               code="translate/pipes")
    assert isinstance(base, ast.EventQuery)

    terms = list(base.condition.terms) if isinstance(base.condition, ast.And) else [base.condition]
    category = base.category.lower() if base.category != "any" else None
    product: str | None = None
    event_types: list[str] | None = None
    dataset: str | None = None
    kept = []
    for term in terms:
        found = _equals_values(term)
        if found and found[0] in ("event.dataset", "data_stream.dataset") and len(found[1]) == 1 \
                and dataset is None and "." in found[1][0]:
            dataset = found[1][0].lower()
            kept.append(term)  # scoping by dataset stays in the detection too: Sigma services are coarse
        elif found and found[0] == "host.os.type" and len(found[1]) == 1 and found[1][0].lower() in OS_PRODUCT and not product:
            product = OS_PRODUCT[found[1][0].lower()]
        elif found and found[0] == "event.category" and len(found[1]) == 1 and category is None:
            category = found[1][0].lower()
        elif found and found[0] == "event.type" and event_types is None:
            event_types = [v.lower() for v in found[1]]
            kept.append(term)  # decided below, once the category is known
        else:
            kept.append(term)

    logsource: dict = {}
    sigma_category = None
    if category in CATEGORY_LOGSOURCE:
        sigma_category, implied_types = CATEGORY_LOGSOURCE[category]
        logsource["category"] = sigma_category
        if implied_types:
            if event_types and set(event_types) <= set(implied_types):
                kept = [t for t in kept if not (_equals_values(t) and _equals_values(t)[0] == "event.type")]
            else:
                notes.append(Note("translate/logsource-narrowed",
                                  f"Sigma's {sigma_category} covers process starts only; the EQL query also "
                                  "matches other process events", None, "event.type"))
    elif category:
        notes.append(Note("translate/logsource-unmapped",
                          f"the EQL event category {category!r} has no Sigma logsource category", None, "event.category"))
    else:
        notes.append(Note("translate/logsource-unmapped", "the query names no event category", None, "event.category"))
    if product is None:
        tags = [t.split(":", 1)[1].strip().lower() for t in rule.get("tags", []) if t.startswith("OS:")]
        if len(tags) == 1 and tags[0] in OS_PRODUCT:
            product = OS_PRODUCT[tags[0]]
            notes.append(Note("translate/product-from-tag",
                              f"the query does not test host.os.type; the product comes from the rule's tag OS: {tags[0]}",
                              None, "host.os.type"))
    if product:
        logsource["product"] = product
    if not logsource:
        logsource = _fallback_logsource(rule, dataset, notes)
    if not kept:
        raise TranslationError("the query only scopes the data (category, OS) and has no detection condition",
                               code="translate/empty-detection")
    converter = EqlToSigma(sigma_category, product, notes)
    condition = ast.And(tuple(kept)) if len(kept) > 1 else kept[0]
    return logsource, converter.convert(condition)


def _fallback_logsource(rule: dict, dataset: str | None, notes: list[Note]) -> dict:
    """A logsource for queries that name no category or OS: from the dataset, else a description."""
    if dataset:
        product, service = dataset.split(".", 1)
        notes.append(Note("translate/logsource-from-dataset",
                          f"logsource product/service come from the dataset {dataset!r}", None, "event.dataset"))
        return {"product": product, "service": service}
    indexes = ", ".join(rule.get("index", [])) or "the rule's data view"
    notes.append(Note("translate/logsource-unmapped",
                      f"no Sigma logsource category or product fits; the logsource only describes the data ({indexes})",
                      None, None))
    return {"product": "elastic", "definition": f"Elastic indexes: {indexes}"}
