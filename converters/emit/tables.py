"""An endpoint data model: one Sigma logsource on one platform table.

An `EndpointModel` is one Sigma logsource (category, products) on one
platform table (converters.platforms.facts): which Sigma and ECS fields the
table holds under which names, how it states the fields it has no column
for (`equivalents`: converters.emit.equivalents), and where the platform writes
a user as DOMAIN\\name. The models of each target are declared in
converters.emit.tables_splunk and tables_microsoft; the target's pipeline
(converters.emit.endpoint_pipelines) applies one model per rule, chosen by the
rule's logsource, and converters.emit.endpoint_items says what the model makes
of each detection item.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from converters.emit.item_values import is_cased, plain_values
from converters.emit.platform_conditions import Constant
from converters.notes import eq, exists, not_
from converters.platforms import facts
from converters.translate.fieldmap import ecs_of
from sigma.rule import SigmaDetectionItem
from sigma.types import SigmaExists, SigmaNull


@dataclass(frozen=True)
class Composite:
    """A join key read as one of the platform's composite identities (converters.platforms.facts
    `Identity`, by name): Defender XDR's process is its device, PID and creation time together."""

    identity: str


@dataclass(frozen=True)
class NamedBy:
    """An entity's name read as its id in a join key (EndpointModel.approximate_identities): `column`
    holds the name; `notes` (code, message, ECS field, Affects) say which alert groups change: those
    the name merges (entities sharing a name) and those it splits (an entity renamed, or unnamed)."""

    column: str
    notes: tuple


@dataclass(frozen=True)
class EndpointModel:
    target: str
    title: str                         # e.g. "Defender XDR DeviceFileEvents"
    platform: str                      # converters.platforms.facts platform
    tables: dict                       # Sigma product (None: any) -> facts table names
    category: str                      # Sigma logsource category
    fields: dict[str, str]             # Sigma/ECS field -> platform field
    names: dict[str, str] = field(default_factory=dict)    # Sigma path field -> platform name field
    argv: dict[str, str] = field(default_factory=dict)     # ECS argv field -> platform command-line field
    argc: dict[str, str] = field(default_factory=dict)
    equivalents: dict = field(default_factory=dict)        # ECS field -> Same / Suffix / ...
    domain_user: bool = False          # the platform writes the user as DOMAIN\\name
    os_field: str | None = None        # the platform's field for host.os.type (compared case-insensitively)
    os_values: dict = field(default_factory=dict)   # host.os.type value -> (platform field, value), no OS field
    selects: tuple[str, ...] = ()      # fields whose presence selects this model within its category
    selects_category: tuple[str, ...] = ()  # ECS event.category values a rule with no Sigma category must ask for
    selects_values: tuple = ()         # (field, values or a function giving them): asking for one also selects it
    avoids: tuple[str, ...] = ()       # fields whose presence selects another model
    registry_paths: tuple[str, ...] = ()  # platform fields holding registry paths with full root names
    missing_as: dict = field(default_factory=dict)   # platform field -> the value it holds when missing
    user_fields: tuple[str, ...] = ("User",)   # with domain_user: the rule's fields naming the bare user
    # ECS entity ids -> the platform column that identifies the same entity (the device's own id),
    # or a `Composite` of the platform's columns (Defender XDR's process): read as join keys only
    # (grouping needs equal ids for one entity, not ECS's values), never in a condition, where the
    # values would have to be ECS's
    identities: dict = field(default_factory=dict)
    # ECS entity ids -> a `NamedBy` column that names the entity without identifying it (a host's
    # name for its id): a join key read from it groups approximately, with its notes
    approximate_identities: dict = field(default_factory=dict)
    scope: tuple = ()   # notes (code, message, field, Affects), or functions giving one, every rule on it gets

    def table_names(self, product: str | None) -> tuple[str, ...]:
        return tuple(self.tables.get(product, ()))

    def facts_tables(self, product: str | None = None) -> tuple[facts.Table, ...]:
        names = self.table_names(product) or tuple(n for ns in self.tables.values() for n in ns)
        return tuple(facts.table(self.platform, n) for n in dict.fromkeys(names))

    @property
    def kind(self) -> str:
        return self.facts_tables()[0].kind

    @property
    def products(self) -> tuple[str, ...]:
        return tuple(p for p in self.tables if p is not None)

    def known_fields(self) -> tuple[str, ...]:
        known = set(self.fields.values()) | set(self.names.values()) | set(self.argv.values())
        for t in self.facts_tables():
            known |= set(t.fields)
        known |= {self.identity_field(f) for f, v in self.identities.items() if isinstance(v, Composite)}
        return tuple(sorted(known))

    def identity_field(self, ecs_field: str) -> str:
        """The platform field a join key on `ecs_field` groups by: a column, or a composite identity's
        key (facts.Identity.key) as the platform declaring the model's table names it."""
        ident = self.identities[ecs_field]
        if not isinstance(ident, Composite):
            return ident
        return facts.platform(self.facts_tables()[0].recorded_as).identity(ident.identity).key

    def ecs(self, sigma_field: str) -> str:
        """The ECS field a Sigma field of this category stands for (a note speaks of the original events)."""
        return ecs_of(self.category, sigma_field)

    def unrecorded(self, item: SigmaDetectionItem, why: str = "") -> Constant:
        """The platform has no such field: the item never holds (`F: null` always does)."""
        ecs = self.ecs(item.field)
        nulls = [v for v in item.value if isinstance(v, SigmaNull) or (isinstance(v, SigmaExists) and not v.exists)]
        if nulls and len(nulls) == len(item.value):
            return Constant(True, "emit/condition-implied",
                            f"{item.field} is not recorded by {self.title}: `{item.field} is missing` always holds",
                            item.field, exists(ecs))
        return Constant(False, None, f"{item.field} is not recorded by {self.title}"
                        + (f" ({why})" if why else ""), item.field, exists(ecs))

    def implied(self, item: SigmaDetectionItem, allowed: tuple[str, ...], what: str) -> Constant:
        """A field the table does not record but its scope decides (`allowed`: the values every
        record holds): the item holds or not, noted with the events where the ECS field says otherwise."""
        values = plain_values(item)
        if values is None:
            return self.unrecorded(item)
        holds = bool({v.lower() for v in values} & {a.lower() for a in allowed})
        cased = is_cased(item)   # an event's other spelling differs
        cond = eq(item.field, values, case_insensitive=not cased)
        return Constant(holds, "emit/condition-implied",
                        f"{item.field} is not recorded by {self.title}; {', '.join(values)} "
                        f"{'is' if holds else 'is not'} implied by its scope ({what})",
                        item.field, not_(cond) if holds else cond)
