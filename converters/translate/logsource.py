"""Sigma logsources from the conditions that only scope a query's data.

Elastic queries say which data they read with ordinary conditions
(event.category, event.type, host.os.type, event.dataset); Sigma says it
with the logsource. Top-level conjuncts that test those fields for fixed
values are absorbed into the logsource when it says the same, and kept in
the detection when it does not.
"""

from __future__ import annotations

from dataclasses import dataclass

from converters.errors import TranslationError
from converters.notes import Note
from converters.translate.fieldmap import CATEGORY_LOGSOURCE, OS_PRODUCT


@dataclass
class Scoped:
    logsource: dict
    category: str | None        # Sigma category, for the field-mapping table
    product: str | None
    kept: list                  # conjuncts that stay in the detection


def scope(event_category: str | None, conjuncts: list[tuple[object, tuple[str, list[str]] | None]],
          rule: dict, notes: list[Note]) -> Scoped:
    """conjuncts: (term, (field, values) when the term tests a field for fixed values)."""
    category = event_category
    product: str | None = None
    event_types: list[str] | None = None
    dataset: str | None = None
    kept: list = []
    type_terms: list = []
    for term, found in conjuncts:
        field, values = found if found else (None, [])
        lowered = [v.lower() for v in values]
        if field == "host.os.type" and len(values) == 1 and lowered[0] in OS_PRODUCT and not product:
            product = OS_PRODUCT[lowered[0]]
            continue
        if field == "event.category" and len(values) == 1 and category is None and lowered[0] in CATEGORY_LOGSOURCE:
            category = lowered[0]
            continue
        if field == "event.type" and event_types is None:
            event_types = lowered
            type_terms.append(term)
        if field in ("event.dataset", "data_stream.dataset") and len(values) == 1 and "." in values[0] and not dataset:
            dataset = lowered[0]  # kept in the detection too: a Sigma service is coarser than a dataset
        kept.append(term)

    logsource: dict = {}
    sigma_category = None
    if category in CATEGORY_LOGSOURCE:
        sigma_category, implied_types = CATEGORY_LOGSOURCE[category]
        logsource["category"] = sigma_category
        if implied_types:
            if event_types and set(event_types) <= set(implied_types):
                kept = [t for t in kept if t not in type_terms]
            else:
                notes.append(Note("translate/logsource-narrowed",
                                  f"Sigma's {sigma_category} covers process starts only; the query also "
                                  "matches other process events", None, "event.type"))
    elif category:
        notes.append(Note("translate/logsource-unmapped",
                          f"the event category {category!r} has no Sigma logsource category", None, "event.category"))
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
        logsource = _fallback(rule, dataset, notes)
    if not kept:
        raise TranslationError("the query only scopes the data (category, OS) and has no detection condition",
                               code="translate/empty-detection")
    return Scoped(logsource, sigma_category, product, kept)


def _fallback(rule: dict, dataset: str | None, notes: list[Note]) -> dict:
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
