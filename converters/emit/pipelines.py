"""The project's processing pipelines, one factory per platform.

Pipelines are data: ordered ProcessingItems built from the platform's
declared table (converters.emit.datamodels). pySigma transformations are
bound to one pipeline, so every call builds a fresh one.

Order matters and is the same everywhere: refuse a foreign log source,
drop conditions on fields the platform lacks, approximate argv from the
command line, map `Image|endswith '\\name'` to a name field, map field
names, check every field is known, then add the platform's scope.
"""

from __future__ import annotations

from dataclasses import replace

from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import (
    AddConditionTransformation,
    FieldMappingTransformation,
    SetStateTransformation,
)

from converters.emit.argv import ArgCountFromCommandLine, ArgvFromCommandLine, DomainQualifiedUser
from converters.emit.datamodels import (
    DEFENDER_XDR,
    ELASTIC_DEFEND,
    SENTINEL_ASIM,
    SPLUNK_CIM,
    SPLUNK_SYSMON,
    DataModel,
)
from converters.emit.transforms import (
    BasenameField,
    CaselessMultiField,
    KnownFields,
    ProductIs,
    RequireLogsource,
    StaticNote,
    StringsAsRegex,
    UnavailableFields,
)

ELASTIC_INDEX = "logs-endpoint.events.process-*"
PRIORITY = 20  # after nothing: ruleport pipelines are used on their own


def _item(transformation, ident: str, **kw) -> ProcessingItem:
    return ProcessingItem(transformation=transformation, identifier=f"ruleport_{ident}", **kw)


# path separators by logsource product; a rule naming no product may hold either
SEPARATORS = {"windows": ("\\",), "linux": ("/",), "macos": ("/",), None: ("\\", "/")}


def _for_product(product: str | None) -> list:
    return [ProductIs(product)]


def _mapping_items(dm: DataModel, *, names: bool = True, check: bool = True) -> list[ProcessingItem]:
    items = [_item(RequireLogsource("process_creation", dm.products, dm.platform), "logsource")]
    if dm.unavailable or dm.implied:
        items.append(_item(UnavailableFields(dm.unavailable, dm.platform, dict(dm.implied)), "unavailable_fields"))
    for argv_field, cmdline in dm.argv.items():
        items.append(_item(ArgvFromCommandLine(argv_field, cmdline, dm.platform), f"argv_{argv_field}"))
    for count_field, cmdline in dm.argc.items():
        items.append(_item(ArgCountFromCommandLine(count_field, cmdline, dm.platform), f"argc_{count_field}"))
    if names and dm.names:
        for product in (None,) + dm.products:
            items.append(_item(BasenameField(dict(dm.names), SEPARATORS[product]), f"basename_{product}",
                               rule_conditions=_for_product(product)))
    if dm.domain_user:
        items.append(_item(DomainQualifiedUser("User", dm.platform), "domain_user"))
    mapping = {k: v for k, v in dm.fields.items() if k != v}
    if mapping:
        items.append(_item(FieldMappingTransformation(mapping), "field_mapping"))
    if check:
        items.append(_item(KnownFields(dm.known_fields(), dm.platform), "known_fields"))
    return items


def _scope(dm: DataModel, conditions: dict | None = None) -> list[ProcessingItem]:
    """One condition selecting process starts of the rule's OS (or, where the
    data cannot tell operating systems apart, process starts and a note)."""
    base = dict(dm.scope if conditions is None else conditions)
    items = []
    for product in (None,) + dm.products:
        scope = {**base, **dm.os_scope.get(product, {})}
        if scope:
            items.append(_item(AddConditionTransformation(scope, name="ruleport_scope"), f"scope_{product}",
                               rule_conditions=_for_product(product)))
        if product is not None and product not in dm.os_scope and len(dm.products) > 1:
            items.append(_item(StaticNote(
                "emit/scope-widened",
                f"{dm.platform} has no operating-system field: the {product} product is not enforced", None),
                f"os_note_{product}", rule_conditions=_for_product(product)))
    return items


def _pipeline(name: str, items: list[ProcessingItem]) -> ProcessingPipeline:
    return ProcessingPipeline(name=name, priority=PRIORITY, items=items)


def sysmon_approximations() -> ProcessingPipeline:
    """Sysmon field names with the argv and signer approximations only.

    For engines that evaluate Sigma over Sysmon events named with the Sigma
    taxonomy (the `sigma` executor over SQLite): no scoping, no regex rewrites.
    """
    dm = SPLUNK_SYSMON
    return _pipeline("ruleport sysmon approximations", _mapping_items(dm, names=False))


def splunk_sysmon() -> ProcessingPipeline:
    dm = SPLUNK_SYSMON
    return _pipeline("ruleport splunk sysmon", _mapping_items(dm, names=False) + [
        _item(StringsAsRegex(), "regex_strings"),
        # the scope is the base search, ahead of any rex/eval stage (see backend_splunk)
        _item(SetStateTransformation("base_search", _spl_terms(dm.scope)), "scope"),
    ])


def _spl_terms(scope: dict) -> str:
    return " ".join(f'{k}="{v}"' if isinstance(v, str) else f"{k}={v}" for k, v in scope.items())


def splunk_cim() -> ProcessingPipeline:
    dm = SPLUNK_CIM
    return _pipeline("ruleport splunk cim", _mapping_items(dm) + _scope(dm, {}) + [
        _item(StringsAsRegex(), "regex_strings"),
        _item(SetStateTransformation("data_model_set", "Endpoint.Processes"), "data_model"),
        _item(SetStateTransformation("fields", sorted(set(dm.fields.values()) | set(dm.names.values()))),
              "data_model_fields"),
    ])


def elastic_defend(*, caseless: bool = True, with_category: bool = True) -> ProcessingPipeline:
    """Elastic Defend ECS fields. `caseless`: route case-insensitive matches to
    `.caseless` multi-fields (query languages without a case-insensitive
    operator). `with_category`: add event.category (EQL says it with `process where`)."""
    dm = ELASTIC_DEFEND
    items = _mapping_items(dm)
    if caseless:
        items.append(_item(CaselessMultiField(dm.caseless), "caseless"))
    # exact (case-sensitive) keyword matches, as the EQL `==` of Elastic's rules
    scope = {f"{k}|cased": v for k, v in dm.scope.items() if with_category or k != "event.category"}
    os_scope = {p: {f"{k}|cased": v for k, v in c.items()} for p, c in dm.os_scope.items()}
    items += _scope(replace(dm, os_scope=os_scope), scope) + [
        _item(SetStateTransformation("index", ELASTIC_INDEX), "index"),
        _item(SetStateTransformation("array_fields", dm.arrays), "array_fields"),
        _item(SetStateTransformation("scope_fields", ("event.category", "event.type")), "scope_fields"),
    ]
    return _pipeline("ruleport elastic defend", items)


def defender_xdr() -> ProcessingPipeline:
    dm = DEFENDER_XDR
    return _pipeline("ruleport defender xdr", _mapping_items(dm) + _scope(dm) + [
        _item(SetStateTransformation("query_table", "DeviceProcessEvents"), "table"),
    ])


def sentinel_asim() -> ProcessingPipeline:
    dm = SENTINEL_ASIM
    return _pipeline("ruleport sentinel asim", _mapping_items(dm) + _scope(dm) + [
        _item(SetStateTransformation("query_table", "imProcessCreate"), "table"),
    ])


# name -> factory, as `ruleport targets` lists them
PIPELINES = {
    "ruleport.splunk_sysmon": splunk_sysmon,
    "ruleport.splunk_cim": splunk_cim,
    "ruleport.elastic_defend": elastic_defend,
    "ruleport.elastic_defend_eql": lambda: elastic_defend(caseless=False, with_category=False),
    "ruleport.defender_xdr": defender_xdr,
    "ruleport.sentinel_asim": sentinel_asim,
    "ruleport.sysmon_approximations": sysmon_approximations,
}
