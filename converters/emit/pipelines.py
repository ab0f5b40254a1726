"""The project's processing pipelines, one factory per platform.

Pipelines are data: ordered ProcessingItems built from the platform's
declared table (converters.emit.datamodels). pySigma transformations are
bound to one pipeline, so every call builds a fresh one.

Order matters and is the same everywhere: refuse a foreign log source,
drop conditions on fields the platform lacks, approximate argv from the
command line, map `Image|endswith '\\name'` to a name field, map field
names, check every field is known, then add the platform's scope.
The Elastic pipeline repeats that sequence once per Elastic data model,
each copy applied only to rules of its logsource category.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from converters.emit import endpoint_pipelines
from converters.emit.endpoint_pipelines import ArrayAsLines, SysmonRegistryData
from converters.emit.platform_conditions import PlatformConditions
from converters.emit.record_notes import records_resolver
from converters.emit.argv import ArgCountFromCommandLine, ArgvFromCommandLine, DomainQualifiedUser
from converters.emit.datamodels import ECS_ARRAYS, ELASTIC_DEFEND, ELASTIC_ECS, ELASTIC_MODELS, DataModel
from converters.emit.tables_microsoft import ASIM_MODELS, DEFENDER_LACKS, DEFENDER_MODELS
from converters.emit.tables_splunk import CIM_LACKS, CIM_MODELS, SYSMON_LACKS, SYSMON_MODELS
from converters.emit.transforms import (
    BasenameField,
    CaselessMultiField,
    KnownFields,
    NamesNoIndexes,
    NameExistence,
    ProductIs,
    RequireAnyLogsource,
    RequireLogsource,
    RuleIndexes,
    StaticNote,
    StringsAsRegex,
    UnavailableFields,
    probe_of,
    remember_model,
    remembered_model,
)
from converters.notes import LESS, MORE, Affects, all_, any_, eq, exists, not_
from converters.translate.fieldmap import array_fields
from sigma.processing.conditions import LogsourceCondition, RuleProcessingCondition
from sigma.rule import SigmaRule
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import (
    AddConditionTransformation,
    FieldMappingTransformation,
    SetStateTransformation,
)

ELASTIC_INDEX = ELASTIC_DEFEND.index  # process starts (the other Elastic models carry their own)
PRIORITY = 20  # after nothing: ruleport pipelines are used on their own


def _item(transformation, ident: str, **kw) -> ProcessingItem:
    return ProcessingItem(transformation=transformation, identifier=f"ruleport_{ident}", **kw)


# path separators by logsource product; a rule naming no product may hold either
SEPARATORS = {"windows": ("\\",), "linux": ("/",), "macos": ("/",), None: ("\\", "/")}


def _fresh(when: tuple) -> list:
    # a pySigma rule condition is bound to one processing item: each item gets its own copies
    return [replace(c) for c in when]


def _cond(when: tuple) -> dict:
    return {"rule_conditions": _fresh(when)} if when else {}


def _for_product(product: str | None, when: tuple = ()) -> list:
    if len(when) == 1 and isinstance(when[0], ElasticModelIs) and when[0].product is ...:
        return [replace(when[0], product=product)]   # one condition for both
    return [*_fresh(when), ProductIs(product)]


def _mapping_items(dm: DataModel, *, names: bool = True, check: bool = True, when: tuple = ()) -> list[ProcessingItem]:
    """`when`: extra rule conditions on every item (the Elastic pipelines hold
    one set of items per data model, selected by logsource category); then
    the caller checks the logsource itself."""
    items = [] if when else [_item(RequireLogsource("process_creation", dm.products, dm.platform), "logsource")]
    items += _model_items(dm, names=names, check=check, when=when)
    return items


# ECS name fields whose existence is their path's on data without a name field of its own
_NAME_PATHS = {"process.name": "Image", "process.parent.name": "ParentImage"}


def _model_items(dm: DataModel, *, names: bool, check: bool, when: tuple) -> list[ProcessingItem]:
    items = []
    name_paths = {ecs: path for ecs, path in _NAME_PATHS.items() if ecs not in dm.known_fields() and not dm.ecs}
    if dm.category == "process_creation" and name_paths:
        items.append(_item(NameExistence(name_paths), "name_existence", **_cond(when)))
    if dm.unavailable or dm.implied:
        items.append(_item(UnavailableFields(dm.unavailable, dm.platform, dict(dm.implied)), "unavailable_fields",
                           **_cond(when)))
    for argv_field, cmdline in dm.argv.items():
        items.append(_item(ArgvFromCommandLine(argv_field, cmdline, dm.platform), f"argv_{argv_field}", **_cond(when)))
    for count_field, cmdline in dm.argc.items():
        items.append(_item(ArgCountFromCommandLine(count_field, cmdline, dm.platform), f"argc_{count_field}",
                           **_cond(when)))
    if names and dm.names:
        for product in (None,) + _products(dm):
            items.append(_item(BasenameField(dict(dm.names), SEPARATORS[product]), f"basename_{product}",
                               rule_conditions=_for_product(product, when)))
    if dm.domain_user:
        items.append(_item(DomainQualifiedUser("User", dm.platform), "domain_user", **_cond(when)))
    mapping = {k: v for k, v in dm.fields.items() if k != v}
    if mapping:
        items.append(_item(FieldMappingTransformation(mapping), "field_mapping", **_cond(when)))
    if check:
        items.append(_item(KnownFields(dm.known_fields(), dm.platform, dm.ecs), "known_fields", **_cond(when)))
    return items


def _products(dm: DataModel) -> tuple:
    """The OS products a table distinguishes (a table accepting any product: its OS scopes)."""
    return dm.products or tuple(p for p in SEPARATORS if p is not None and p in dm.os_scope)


def _scope(dm: DataModel, conditions: dict | None = None, when: tuple = ()) -> list[ProcessingItem]:
    """One condition selecting process starts of the rule's OS (or, where the
    data cannot tell operating systems apart, process starts and a note)."""
    base = dict(dm.scope if conditions is None else conditions)
    items = []
    for product in (None,) + _products(dm):
        scope = {**base, **dm.os_scope.get(product, {})}
        if scope:
            items.append(_item(AddConditionTransformation(scope, name="ruleport_scope"), f"scope_{product}",
                               rule_conditions=_for_product(product, when)))
        if product is not None and product not in dm.os_scope and len(dm.products) > 1:
            items.append(_item(StaticNote(
                "emit/scope-widened",
                f"{dm.platform} has no operating-system field: the {product} product is not enforced", None,
                Affects.of(MORE, not_(eq("host.os.type", product)))),
                f"os_note_{product}", rule_conditions=_for_product(product, when)))
    return items


def _pipeline(name: str, items: list[ProcessingItem]) -> ProcessingPipeline:
    return ProcessingPipeline(name=name, priority=PRIORITY, items=items)


def sigma_record_arrays() -> frozenset[str]:
    """The fields the Sigma column's records hold as arrays, their values one per line."""
    return array_fields() | frozenset(ECS_ARRAYS)


def sigma_records() -> ProcessingPipeline:
    """For the `sigma` column: the Sigma rule over its platform's records (Sigma's taxonomy
    names plus the ECS fields it has no name for, one value per column;
    converters.platforms.sysmon.render_sigma). The records hold an ECS array (process.args,
    event.type, ...) as its values one per line, and a condition on it is read line by line;
    Sigma's User is DOMAIN\\name."""
    title = "the Sigma taxonomy's records"
    # Windows records name the account DOMAIN\\name; a rule naming no product reads Windows records too
    items = [_item(DomainQualifiedUser("User", "Sysmon for Windows (Sigma's taxonomy)"), "domain_user",
                   rule_conditions=[ProductIs("linux"), ProductIs("macos")], rule_condition_linking=any,
                   rule_condition_negation=True)]
    items.append(_item(PlatformConditions(records_resolver(title), title), "records"))
    # Details is Sysmon's rendering of registry data: DWORDs as `DWORD (0x...)`
    items.append(_item(SysmonRegistryData(), "registry_data",
                       rule_conditions=[LogsourceCondition(category="registry_event")]))
    items.append(_item(ArrayAsLines(tuple(sorted(sigma_record_arrays() | set(ELASTIC_ECS.multi_valued)))),
                       "array_lines"))
    return _pipeline("ruleport sigma records", items)


def splunk_sysmon() -> ProcessingPipeline:
    """Sysmon for Windows and Linux in Splunk, one data model per event kind
    (converters.emit.tables_splunk); the scope is the base search, ahead of any rex/eval stage."""
    p = endpoint_pipelines.pipeline("ruleport splunk sysmon", SYSMON_MODELS, "Sysmon in Splunk", SYSMON_LACKS,
                                    endpoint_pipelines.sysmon_state)
    p.items.append(_item(StringsAsRegex(), "regex_strings"))
    return p


def splunk_cim() -> ProcessingPipeline:
    """Splunk CIM data models queried with tstats, one per event kind (converters.emit.tables_splunk)."""
    p = endpoint_pipelines.pipeline("ruleport splunk cim", CIM_MODELS, "Splunk CIM", CIM_LACKS,
                                    endpoint_pipelines.cim_state)
    p.items.append(_item(StringsAsRegex(), "regex_strings"))
    return p


def _cased(scope: dict) -> dict:
    # exact (case-sensitive) keyword matches, as the EQL `==` of Elastic's rules
    def strings(v) -> bool:
        return isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v))
    return {f"{k}|cased" if strings(v) else k: v for k, v in scope.items()}


_DATA_STREAM = re.compile(r"logs-([^*,\s]+)-\*")


def _stream_note(dm: DataModel) -> StaticNote | None:
    """The query reads the model's data stream only (the Kibana rule's index, ES|QL's FROM): events
    of another data stream (Sysmon, Windows event logs, FIM, auditd... as the original rule's
    indexes may hold them) are never read, and their documents have no `.caseless` multi-fields.
    Where an event lives is what converters.platforms.elastic.index_of says: its
    data_stream.type/dataset, else its event.dataset."""
    m = _DATA_STREAM.fullmatch(dm.index)
    if m is None:
        return None
    dataset = m.group(1)
    ds, named = "data_stream.dataset", all_(exists("data_stream.dataset"), not_(eq("data_stream.dataset", "")))
    elsewhere = any_(
        all_(named, not_(eq(ds, dataset))),
        all_(named, exists("data_stream.type"), not_(eq("data_stream.type", ["logs", ""]))),
        all_(not_(named), exists("event.dataset"), not_(eq("event.dataset", ["", dataset]))))
    return StaticNote("emit/scope-narrowed",
                      f"the query reads {dm.platform} only: events of other data streams "
                      f"(data_stream.dataset or event.dataset other than {dataset}) are never read",
                      None, Affects.of(LESS, elsewhere))


def _elastic_items(dm: DataModel, *, caseless: bool, with_category: bool, when: tuple) -> list[ProcessingItem]:
    # first: the rule's indexes, and the .caseless multi-fields all of them have (transforms.RuleIndexes)
    items = [_item(RuleIndexes(dm.index), "index", **_cond(when))]
    items += _model_items(dm, names=True, check=True, when=when)
    if caseless:
        items.append(_item(CaselessMultiField(), "caseless", **_cond(when)))
    scope = _cased({k: v for k, v in dm.scope.items() if with_category or k != "event.category"})
    os_scope = {p: _cased(c) for p, c in dm.os_scope.items()}
    items += _scope(replace(dm, os_scope=os_scope), scope, when)
    if dm.category is None:
        items.append(_item(StaticNote(
            "emit/data-assumed",
            f"the rule names no logsource category: its ECS field names are kept and the query assumes "
            f"{dm.platform} (index {dm.index} unless the logsource definition names the indexes)"),
            "data_note", **_cond(when)))
    else:
        stream = _stream_note(dm)
        if stream is not None:  # only a rule naming no index reads the model's data stream alone
            items.append(_item(stream, "stream_note", rule_conditions=[*_fresh(when), NamesNoIndexes()]))
    return items + [
        _item(SetStateTransformation("array_fields", dm.multi_valued), "array_fields", **_cond(when)),
        _item(SetStateTransformation("scope_fields", ("event.category", "event.type")), "scope_fields", **_cond(when)),
        _item(SetStateTransformation("text_fields", dm.text_fields()), "text_fields", **_cond(when)),
    ]


def _fields_named(rule) -> set[str]:
    named: set[str] = set()

    def walk(item) -> None:
        for sub in getattr(item, "detection_items", ()):
            walk(sub)
        if getattr(item, "field", None):
            named.add(item.field)
    for detection in rule.detection.detections.values():
        walk(detection)
    return named


def elastic_model(rule, models: tuple[DataModel, ...] = ELASTIC_MODELS) -> DataModel | None:
    """The Elastic data model of a rule: the first of its logsource category whose `selects`
    (if it has any) the rule names, wherever (a field an integration alone records). Decided
    once per rule and remembered on it, as the endpoint pipelines remember theirs
    (transforms.remember_model: pySigma asks every item's condition of every rule, and the items
    rewrite the rule's fields); a join-key probe reads its base rule's model."""
    if not isinstance(rule, SigmaRule):
        return None
    if models is not ELASTIC_MODELS:
        return _choose(rule, models)
    base = probe_of(rule)
    if base is not None:
        return elastic_model(base)
    chosen = remembered_model(rule)
    if chosen is None:
        chosen = _choose(rule, models)
        remember_model(rule, chosen)
    return chosen


def _choose(rule, models: tuple[DataModel, ...]) -> DataModel | None:
    named = None
    for dm in models:
        product = rule.logsource.product
        if dm.category != rule.logsource.category or (product is not None and dm.products
                                                      and product not in dm.products):
            continue
        if dm.selects:
            named = _fields_named(rule) if named is None else named
            if not any(n == s or (s.endswith(".") and n.startswith(s)) for n in named for s in dm.selects):
                continue
        return dm
    return None


@dataclass
class ElasticModelIs(RuleProcessingCondition):
    """The rule's Elastic data model is `model` (elastic_model), and with `product` its logsource
    product is that one (one condition where an item needs both: pySigma evaluates every
    condition of every item for every rule)."""

    model: DataModel
    product: object = ...   # the logsource product (None: it names none), or ... for any

    def match(self, rule) -> bool:
        return elastic_model(rule) is self.model and (self.product is ... or rule.logsource.product == self.product)


def elastic_defend(*, caseless: bool = True, with_category: bool = True) -> ProcessingPipeline:
    """Elastic Defend ECS fields. `caseless`: route case-insensitive matches to
    `.caseless` multi-fields (query languages without a case-insensitive
    operator). `with_category`: add event.category (EQL says it with `process where`).

    One set of items per Elastic data model (datamodels.ELASTIC_MODELS),
    each applied only to rules of its logsource category; a rule of any other
    category is refused first. Process starts keep their historical items."""
    accepted: dict = {}
    for dm in ELASTIC_MODELS:
        accepted[dm.category] = tuple(dict.fromkeys(accepted.get(dm.category, ()) + dm.products))
    # Defend's data first: the integrations' models only take rules naming their own fields
    data = "; ".join(dm.platform for dm in sorted(ELASTIC_MODELS, key=lambda m: m.facts is not None))
    items = [_item(RequireAnyLogsource(accepted, data), "logsource")]
    for dm in ELASTIC_MODELS:
        items += _elastic_items(dm, caseless=caseless, with_category=with_category,
                                when=(ElasticModelIs(dm),))
    return _pipeline("ruleport elastic defend", items)


def defender_xdr() -> ProcessingPipeline:
    """Defender XDR advanced hunting tables, one per event kind (converters.emit.tables_microsoft)."""
    return endpoint_pipelines.pipeline("ruleport defender xdr", DEFENDER_MODELS, "Defender XDR", DEFENDER_LACKS,
                                       endpoint_pipelines.kusto_state)


def sentinel_asim() -> ProcessingPipeline:
    """Sentinel ASIM parsers, one per event kind, and the tables Sentinel has where ASIM has no
    schema (converters.emit.tables_microsoft)."""
    return endpoint_pipelines.pipeline("ruleport sentinel asim", ASIM_MODELS, "Sentinel ASIM", {},
                                       endpoint_pipelines.kusto_state)


def elastic_defend_eql() -> ProcessingPipeline:
    """Elastic Defend for EQL: case-insensitive operators need no .caseless field, and the
    category is said with `<category> where`."""
    return elastic_defend(caseless=False, with_category=False)
