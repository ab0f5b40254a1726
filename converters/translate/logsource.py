"""Sigma logsources from the conditions that only scope a query's data.

Elastic queries say which data they read with ordinary conditions
(event.category, event.type, host.os.type, event.dataset); Sigma says it
with the logsource. Top-level conjuncts that test those fields for fixed
values are absorbed into the logsource when it says exactly the same, and
kept in the detection otherwise.

What a logsource says, in the original rule's ECS terms (the emit stage's
Elastic pipelines add these conditions back, case-sensitively:
converters/emit/pipelines.py, converters/emit/datamodels.py):

- category C: `event.category == C` (the Elastic category C maps to);
- category process_creation, also: `event.type in ("start", "process_started")`
  (Sigma's process_creation covers process starts only);
- product P (windows, linux, macos): `host.os.type == P`.

Which data the original rule reads is its `index` list (Elastic index
patterns), which no Sigma logsource field names: every rule that has one
keeps it as the logsource `definition` (`Elastic indexes: a, b`), the free
text Sigma's specification gives for "how the data is collected". The
Elastic targets read it back (definition_indexes): ES|QL's FROM, the
indexes of the Kibana rule, and which `.caseless` multi-fields every one of
those indexes has (converters/emit/pipelines.py).

Whenever the query does not already imply one of these conditions (it
tests the field case-insensitively, for other values, or not at all), the
Sigma rule misses the query's events that fail it: a note says so, with
the exact `affects` (less: events where the field does not hold the value).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from converters.errors import TranslationError
from converters.notes import LESS, Affects, Note, eq, not_
from converters.translate.fieldmap import CATEGORY_LOGSOURCE, OS_PRODUCT


#: the logsource definition of a rule's index patterns: this prefix, then the patterns joined by ", "
INDEXES_DEFINITION = "Elastic indexes: "


def indexes_definition(rule: dict) -> str | None:
    """The logsource definition naming the rule's index patterns (None: it names none, a data view)."""
    indexes = [i.strip() for i in rule.get("index") or [] if isinstance(i, str) and i.strip()]
    return INDEXES_DEFINITION + ", ".join(indexes) if indexes else None


def definition_indexes(definition: str | None) -> list[str] | None:
    """The index patterns a logsource definition names (indexes_definition), else None."""
    named = _definition_indexes(definition)
    return None if named is None else list(named)


@lru_cache(maxsize=4096)   # asked by every Elastic target's pipeline items for every rule
def _definition_indexes(definition: str | None) -> tuple[str, ...] | None:
    text = (definition or "").strip()
    if not text.startswith(INDEXES_DEFINITION):
        return None
    names = [n.strip() for n in text[len(INDEXES_DEFINITION):].split(",")]
    # an index pattern holds no space; "the rule's data view" is not one
    return tuple(names) if names and all(n and " " not in n for n in names) else None


@dataclass(frozen=True)
class Fixed:
    """A conjunct that tests one field for fixed string values (any of them)."""

    field: str
    values: tuple[str, ...]
    case_insensitive: bool = False

    def lowered(self) -> tuple[str, ...]:
        return tuple(v.lower() for v in self.values)

    def implies(self, required: frozenset[str]) -> bool:
        """True when every event this test keeps has the field exactly equal to a required value."""
        return not self.case_insensitive and set(self.values) <= required


@dataclass
class Scoped:
    logsource: dict
    category: str | None        # Sigma category, for the field-mapping table
    product: str | None
    kept: list                  # conjuncts that stay in the detection


def scope(event_category: str | None, conjuncts: list[tuple[object, Fixed | None]],
          rule: dict, notes: list[Note]) -> Scoped:
    """event_category: the EQL event category (`process where`), which tests event.category
    exactly; conjuncts: (term, Fixed when the term tests a field for fixed values)."""
    category, category_exact = event_category, event_category is not None
    product: str | None = None
    product_term: Fixed | None = None
    dataset: str | None = None
    kept: list = []
    types: list[tuple[object, Fixed]] = []
    for term, fixed in conjuncts:
        if fixed is not None and len(fixed.values) == 1:
            value = fixed.lowered()[0]
            if fixed.field == "host.os.type" and value in OS_PRODUCT and product is None:
                product, product_term = OS_PRODUCT[value], fixed
                continue
            if fixed.field == "event.category" and category is None and value in CATEGORY_LOGSOURCE:
                category, category_exact = value, fixed.implies(frozenset((value,)))
                continue
            if fixed.field in ("event.dataset", "data_stream.dataset") and "." in value and not dataset:
                dataset = value  # kept in the detection too: a Sigma service is coarser than a dataset
        if fixed is not None and fixed.field == "event.type":
            types.append((term, fixed))
        kept.append(term)

    logsource: dict = {}
    sigma_category = None
    if category in CATEGORY_LOGSOURCE:
        sigma_category, implied_types = CATEGORY_LOGSOURCE[category]
        logsource["category"] = sigma_category
        if not category_exact:
            _narrowed(notes, "event.category", (category,),
                      f"the query tests event.category {category!r} ignoring case; the Sigma category "
                      f"{sigma_category} selects it exactly")
        if implied_types:
            kept = _event_types(kept, types, frozenset(implied_types), sigma_category, notes)
    if product is not None and not product_term.implies(frozenset((product,))):
        _narrowed(notes, "host.os.type", (product,),
                  f"the query tests host.os.type {product!r} ignoring case; the Sigma product selects it exactly")
    if product is None:
        tags = [t.split(":", 1)[1].strip().lower() for t in rule.get("tags", []) if t.startswith("OS:")]
        if len(tags) == 1 and tags[0] in OS_PRODUCT:
            product = OS_PRODUCT[tags[0]]
            notes.append(Note("translate/product-from-tag",
                              f"the query does not test host.os.type; the product comes from the rule's tag "
                              f"OS: {tags[0]}, so the Sigma rule only matches events whose host.os.type is {product}",
                              None, "host.os.type", Affects.of(LESS, not_(eq("host.os.type", product)))))
    if product:
        logsource["product"] = product
    if not logsource:
        logsource = _fallback(rule, dataset, notes)
    if "definition" not in logsource and (definition := indexes_definition(rule)):
        logsource["definition"] = definition
    if not kept:
        raise TranslationError("the query only scopes the data (category, OS) and has no detection condition",
                               code="translate/empty-detection")
    return Scoped(logsource, sigma_category, product, kept)


def _narrowed(notes: list[Note], field: str, values: tuple[str, ...], message: str) -> None:
    notes.append(Note("translate/logsource-narrowed", message, None, field,
                      Affects.of(LESS, not_(eq(field, list(values))))))


def _event_types(kept: list, types: list[tuple[object, Fixed]], implied: frozenset[str],
                 sigma_category: str, notes: list[Note]) -> list:
    """Absorb the event.type test the Sigma category states; note what the category drops."""
    absorbed = next((t for t, f in types if set(f.lowered()) == implied
                     and (f.case_insensitive or set(f.values) == implied)), None)
    kept = [t for t in kept if t is not absorbed]
    if not any(f.implies(implied) for _, f in types):
        starts = " or ".join(sorted(implied))
        _narrowed(notes, "event.type", tuple(sorted(implied)),
                  f"Sigma's {sigma_category} covers process starts only (event.type {starts}); "
                  "the query also matches other process events")
    return kept


def _fallback(rule: dict, dataset: str | None, notes: list[Note]) -> dict:
    """A logsource for queries that name no category or OS: from the dataset, else a description."""
    if dataset:
        product, service = dataset.split(".", 1)
        notes.append(Note("translate/logsource-from-dataset",
                          f"logsource product/service come from the dataset {dataset!r}", None, "event.dataset"))
        if product in OS_PRODUCT.values():
            # a product that names an OS scopes the data to that OS on the targets
            _narrowed(notes, "host.os.type", (product,),
                      f"the dataset's product {product!r} names an operating system; the query does not test "
                      "host.os.type")
        return {"product": product, "service": service}
    definition = indexes_definition(rule) or f"{INDEXES_DEFINITION}the rule's data view"
    notes.append(Note("translate/logsource-unmapped",
                      f"no Sigma logsource category or product fits; the logsource only describes the data "
                      f"({definition[len(INDEXES_DEFINITION):]})", None, None))
    return {"product": "elastic", "definition": definition}
