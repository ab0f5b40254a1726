"""Processing pipelines for the Splunk, CIM, Defender XDR and Sentinel targets, built from their models.

One pipeline per target holds one set of items per data model
(converters.emit.tables_*), each applied only to the rules that model takes
(`TakesRule`: the logsource category and product, and for DNS the fields the
rule names). A rule no model takes is refused first, with the reason.

The items of a model, in order: resolve every condition against the table
(PlatformConditions: kept, rewritten, or folded with a note); argv and
argument counts from the command line; `Image|endswith '\\name'` to a name
column; DOMAIN\\name users; registry roots and Sysmon's rendering of
registry data; field names; every field known to the table; what the table
never records (notes); and the query's scope, handed to the backend in the
pipeline state (the table and its pre-filter, the Splunk base search, the
CIM data model), so that each backend puts it first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, partial
from typing import Callable

from converters.emit.actions import described, unrecorded
from converters.emit.argv import ArgCountFromCommandLine, ArgvFromCommandLine, DomainQualifiedUser
from converters.emit.backend_splunk import base_search
from converters.emit.errors import EmitError
from converters.emit.platform_conditions import PlatformConditions
from converters.emit.strings import render, wildcard_text
from converters.emit.endpoint_items import resolve_item
from converters.emit.tables import EndpointModel
from converters.emit.transforms import (
    BasenameField,
    KnownFields,
    StaticNote,
    probe_of,
    record_note,
    remember_model,
    remembered_model,
)
from converters.notes import EITHER, LESS, MORE, Affects, any_, eq, exists, not_, wildcard
from converters.platforms.activity import OS_DISPLAY, OS_TYPES, REGISTRY_ROOTS
from sigma.conditions import ConditionIdentifier, ConditionNOT, ConditionSelector
from sigma.processing.conditions.base import RuleProcessingCondition
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import FieldMappingTransformation, SetStateTransformation
from sigma.processing.transformations.base import PreprocessingTransformation, ValueTransformation
from sigma.rule import SigmaRule
from sigma.types import (
    SigmaCasedString,
    SigmaRegularExpression,
    SigmaRegularExpressionFlag,
    SigmaString,
)

PRIORITY = 20
SEPARATORS = {"windows": ("\\",), "linux": ("/",), "macos": ("/",), None: ("\\", "/")}


def _item(transformation, ident: str, **kw) -> ProcessingItem:
    return ProcessingItem(transformation=transformation, identifier=f"ruleport_{ident}", **kw)


def _names_fields(rule: SigmaRule) -> set[str]:
    found: set[str] = set()

    def walk(det):
        for item in getattr(det, "detection_items", ()):
            if hasattr(item, "detection_items"):
                walk(item)
            elif item.field:
                found.add(item.field)

    for det in rule.detection.detections.values():
        walk(det)
    return found


def _positive_fields(rule: SigmaRule) -> set[str]:
    """The fields of the detections the condition uses outside any `not` (an exclusion on a
    field does not make the rule about the data that field belongs to)."""
    positive: set[str] = set()

    def walk(node, sign: bool):
        if isinstance(node, ConditionSelector):
            for name in node.resolve_referenced_detections(rule.detection):
                walk(name, sign)
            return
        if isinstance(node, str):
            node = ConditionIdentifier([node])
        if isinstance(node, ConditionIdentifier):
            if sign and node.identifier in rule.detection.detections:
                positive.update(_fields_of(rule.detection.detections[node.identifier]))
            return
        if isinstance(node, ConditionNOT):
            walk(node.args[0], not sign)
            return
        for arg in getattr(node, "args", ()):
            walk(arg, sign)

    try:
        for cond in rule.detection.parsed_condition:
            walk(cond.parse(postprocess=False), True)
    except Exception:  # a condition pySigma cannot parse is reported by the backend, not here
        return _names_fields(rule)
    return positive


def _fields_of(det) -> set[str]:
    found: set[str] = set()
    for item in getattr(det, "detection_items", ()):
        if hasattr(item, "detection_items"):
            found |= _fields_of(item)
        elif item.field:
            found.add(item.field)
    return found


def _positive_values(rule: SigmaRule, field_name: str, positive: set[str] | None = None) -> set[str]:
    """The plain values the rule's detections outside any `not` ask `field_name` for (lower case);
    `positive`: _positive_fields(rule), when the caller has it."""
    if field_name not in (_positive_fields(rule) if positive is None else positive):
        return set()
    found: set[str] = set()
    stack = list(rule.detection.detections.values())
    while stack:
        node = stack.pop()
        if hasattr(node, "detection_items"):
            stack.extend(node.detection_items)
        elif node.field == field_name:
            found |= {str(v.to_plain()).lower() for v in node.value if isinstance(v, SigmaString)
                      and not v.contains_special()}
    return found


#: the fields that make a category-less rule one on Windows event log records (event IDs, EventData)
WINLOG_FIELDS = ("event.code", "winlog.*")


def _named(select: str, named: set[str]) -> bool:
    """`select` is one of the fields named (`prefix.*`: a field under prefix)."""
    if select.endswith(".*"):
        return any(n.startswith(select[:-1]) for n in named)
    return select in named


def _asks_values(model: EndpointModel, rule: SigmaRule, positive: set[str]) -> bool:
    """The rule asks (outside any `not`) for one of the values `model.selects_values` lists."""
    for field_name, values in model.selects_values:
        listed = values() if callable(values) else values
        if _positive_values(rule, field_name, positive) & {v.lower() for v in listed}:
            return True
    return False


def takes(model: EndpointModel, rule, positive: Callable[[], set[str]] | None = None) -> bool:
    """Whether `model` is the one for this rule (logsource, and for DNS the fields it names; for a
    rule with no Sigma category, the ECS event.category it asks for). `positive`: the rule's
    _positive_fields, computed once for all the models a caller tries (it parses the condition)."""
    if not isinstance(rule, SigmaRule):
        return False
    ls = rule.logsource
    if ls.category != model.category or ls.product not in model.tables:
        return False
    positive = positive or (lambda: _positive_fields(rule))
    if model.selects_category and \
            not _positive_values(rule, "event.category", positive()) & set(model.selects_category):
        return False
    if model.selects or model.avoids:
        named = positive()
        if model.selects and not any(_named(s, named) for s in model.selects) \
                and not _asks_values(model, rule, named):
            return False
        if model.avoids and named & set(model.avoids):
            return False
    return True


_CHOSEN = "ruleport_model"  # pipeline state: the model chosen for the rule (decided once, before any rewrite)


@dataclass
class TakesRule(RuleProcessingCondition):
    """The rule's chosen data model is `model` (and, with `product`, its logsource names that
    product). One condition rather than a list: pySigma evaluates every condition of every item
    for every rule, and a target's pipeline has a hundred or more items of this kind."""

    model: EndpointModel
    product: object = ...   # the logsource product (None: it names none), or ... for any

    def match(self, rule) -> bool:
        return self._pipeline.state.get(_CHOSEN) is self.model and (
            self.product is ... or (isinstance(rule, SigmaRule) and rule.logsource.product == self.product))


@dataclass
class RequireModel(PreprocessingTransformation):
    """Choose the data model for the rule, or refuse it saying what the platform lacks."""

    models: tuple
    platform: str
    lacks: dict

    def apply(self, rule) -> None:
        super().apply(rule)
        base = probe_of(rule)
        if base is not None and remembered_model(base) in self.models:
            chosen = remembered_model(base)   # a join-key probe: its base rule's model
        else:
            positive = cache(lambda: _positive_fields(rule))
            chosen = next((m for m in self.models if takes(m, rule, positive)), None)
        self._pipeline.state[_CHOSEN] = chosen
        if isinstance(rule, SigmaRule) and base is None:
            remember_model(rule, chosen)
        if chosen is not None:
            return
        ls = rule.logsource
        why = self.lacks.get(ls.category) or self.lacks.get(ls.product)
        if why is None and ls.category is None:   # a rule on ECS categories: what the platform lacks of them
            why = next((self.lacks[f"{c}/{ls.product}"] for c in sorted(_positive_values(rule, "event.category"))
                        if f"{c}/{ls.product}" in self.lacks), None)
        if why is None and ls.category is None and f"winlog/{ls.product}" in self.lacks \
                and any(_named(s, _positive_fields(rule)) for s in WINLOG_FIELDS):
            why = self.lacks[f"winlog/{ls.product}"]   # a rule on Windows event log records
        if why is None and ls.category is None:
            asks = sorted({f"event.category {c}" for m in self.models if m.category is None and ls.product in m.tables
                           for c in m.selects_category}
                          | {s for m in self.models if m.category is None and ls.product in m.tables for s in m.selects})
            if asks:
                why = (f"a rule with no Sigma category is read on its {ls.product} data only where it names "
                       f"{', '.join(asks)}")
        if why is None:
            same = [m for m in self.models if m.category == ls.category]
            products = sorted({p for m in same for p in m.products})
            why = (f"its data models for {ls.category} hold {', '.join(products)} events only" if same
                   else "no data model of it holds that logsource")
        raise EmitError(f"logsource {ls.category}/{ls.product} is not covered on {self.platform}: {why}",
                        code="emit/logsource-unsupported")


@dataclass
class RegistryRoots(ValueTransformation):
    """Registry paths with an abbreviated or kernel root (HKLM\\, \\REGISTRY\\MACHINE\\) spelled
    with the full root name, as Defender and ASIM record them; noted for the events whose
    path uses another spelling of a root the rule names."""

    field_name: str
    platform: str

    def apply_value(self, field: str | None, val):
        if field != self.field_name or type(val) not in (SigmaString, SigmaCasedString):
            return None
        parts = list(val.s)
        if not parts or not isinstance(parts[0], str):
            return None
        head = parts[0]
        for full, forms in REGISTRY_ROOTS:
            for form in forms:
                if head.upper().startswith(form.upper() + "\\") or head.upper() == form.upper():
                    spellings = [f.replace("\\", "\\\\") + "\\\\*" for f in forms]
                    record_note(self._pipeline, "emit/field-approximated",
                                f"{self.platform} spells registry root keys out ({full}): the rule's "
                                f"{form} paths match every spelling of that root", "registry.path",
                                Affects.of(EITHER, wildcard("registry.path", spellings, case_insensitive=True)))
                    out = SigmaString("")
                    out.s = [full + head[len(form):]] + parts[1:]
                    out._merge_strs()
                    return SigmaCasedString.from_sigma_string(out) if isinstance(val, SigmaCasedString) else out
        return None


@dataclass
class UsedFields(PreprocessingTransformation):
    """Record in the pipeline state the fields the rule reads after mapping (`fields_used`):
    tstats must group by every field the later stages test."""

    def apply(self, rule) -> None:
        super().apply(rule)
        if isinstance(rule, SigmaRule):
            self._pipeline.state["fields_used"] = sorted(_names_fields(rule))


_NUMBER = re.compile(r"^(?:0x[0-9a-fA-F]+|[0-9]+)$")


@dataclass
class SysmonRegistryData(ValueTransformation):
    """Sysmon's Details renders DWORD data as `DWORD (0x00000001)`: a number a rule compares with
    registry.data.strings also matches that rendering. QWORD and binary data Sysmon renders
    otherwise (noted)."""

    def apply_value(self, field: str | None, val):
        if field != "Details" or type(val) is not SigmaString or val.contains_special():
            return None
        text = val.to_plain()
        if not _NUMBER.match(text):
            return None
        record_note(self._pipeline, "emit/field-approximated",
                    "Sysmon's Details holds registry data as Sysmon renders it: numbers are also matched "
                    "as DWORD (0x...); QWORD and binary data are rendered otherwise", "registry.data.strings",
                    Affects.of(EITHER, eq("registry.data.type", ["REG_QWORD", "REG_BINARY", "REG_MULTI_SZ"],
                                          case_insensitive=True)))
        return [val, SigmaString(f"DWORD (0x{int(text, 0):08x})")]

    def apply_detection_item(self, detection_item):
        super().apply_detection_item(detection_item)
        seen, kept = set(), []   # "1" and "0x00000001" both render DWORD (0x00000001): once
        for v in detection_item.value:
            key = (type(v), str(v))
            if key not in seen:
                seen.add(key)
                kept.append(v)
        detection_item.value = kept


# --- notes on what a table never records --------------------------------------

def _coverage_items(model: EndpointModel) -> list[ProcessingItem]:
    items = []
    for product in (None,) + model.products:
        tables = model.facts_tables(product)
        if product is not None and product not in model.tables:
            continue
        cond = [TakesRule(model, product)]
        held = sorted({o for t in tables for o in t.os})
        missing_os = [o for o in OS_TYPES if o not in held]
        if product is None and missing_os:
            items.append(_item(StaticNote(
                "emit/scope-narrowed", f"{model.title} holds {', '.join(held)} events only: "
                f"{', '.join(missing_os)} events are never received", "host.os.type",
                Affects.of(LESS, not_(eq("host.os.type", held)))), f"os_{model.category}_{product}",
                rule_conditions=cond))
        if product is not None and model.os_field is None and not model.os_values and len(held) > 1:
            others = [o for o in held if o != product]
            where = any_(eq("host.os.type", others), not_(exists("host.os.type"))) if set(held) >= set(OS_TYPES) \
                else eq("host.os.type", others)
            items.append(_item(StaticNote(
                "emit/scope-widened", f"{model.title} has no operating-system field: the {product} product "
                "is not enforced", "host.os.type", Affects.of(MORE, where)), f"oswide_{model.category}_{product}",
                rule_conditions=cond))
    for i, entry in enumerate(model.scope):
        code, message, field_name, affects = entry() if callable(entry) else entry
        items.append(_item(StaticNote(code, message, field_name, affects), f"scope_{i}_{model.title}",
                           rule_conditions=[TakesRule(model)]))
    table = model.facts_tables()[0]
    # process_creation too: a start that is a fork (Linux) is no process creation for Sysmon or Defender
    gap = unrecorded(table.actions)
    if gap is not None:
        items.append(_item(StaticNote(
            "emit/not-recorded", f"{model.title} records only {described(table.actions)}: other {table.kind} "
            "events are never received", "event.type", Affects.of(LESS, gap)),
            f"gap_{model.category}", rule_conditions=[TakesRule(model)]))
    if "dns.question.name" in model.avoids:
        items.append(_item(StaticNote(
            "emit/not-recorded", f"{model.title} holds connections, not DNS lookups: lookup events "
            "(dns.question.name) are never received", "dns.question.name",
            Affects.of(LESS, exists("dns.question.name"))), f"dns_{model.category}", rule_conditions=[TakesRule(model)]))
    return items


# --- one model's items --------------------------------------------------------------

def model_items(model: EndpointModel, *, scope: bool = True) -> list[ProcessingItem]:
    def when():  # a pySigma rule condition is bound to one item: each gets its own
        return {"rule_conditions": [TakesRule(model)]}

    items = [_item(PlatformConditions(partial(resolve_item, model), model.title), f"conditions_{model.category}",
                   **when())]
    for argv_field, cmdline in model.argv.items():
        items.append(_item(ArgvFromCommandLine(argv_field, cmdline, model.title), f"argv_{argv_field}", **when()))
    for count_field, cmdline in model.argc.items():
        items.append(_item(ArgCountFromCommandLine(count_field, cmdline, model.title), f"argc_{count_field}",
                           **when()))
    if model.names:
        for product in (None,) + model.products:
            items.append(_item(BasenameField(dict(model.names), SEPARATORS[product]), f"basename_{product}",
                               rule_conditions=[TakesRule(model, product)]))
    if model.domain_user:
        for user_field in model.user_fields:
            items.append(_item(DomainQualifiedUser(user_field, model.title), f"domain_user_{user_field}", **when()))
    for field_name in model.registry_paths:
        sigma = [k for k, v in model.fields.items() if v == field_name]
        for s in sigma:
            items.append(_item(RegistryRoots(s, model.title), f"registry_roots_{s}", **when()))
    if model.platform == "sysmon" and "Details" in model.fields:
        items.append(_item(SysmonRegistryData(), "registry_data", **when()))
    if model.platform == "sysmon" and "CurrentDirectory" in model.fields:
        for product in (None, "windows"):
            items.append(_item(SysmonCurrentDirectory(model.title), f"current_directory_{product}",
                               rule_conditions=[TakesRule(model, product)]))
    mapping = {k: v for k, v in model.fields.items() if k != v}
    if mapping:
        items.append(_item(FieldMappingTransformation(mapping), "field_mapping", **when()))
    items.append(_item(KnownFields(model.known_fields(), model.title), "known_fields", **when()))
    items.append(_item(UsedFields(), "used_fields", **when()))
    if scope:
        items += _coverage_items(model)
    return items


def pipeline(name: str, models: tuple, platform: str, lacks: dict, state) -> ProcessingPipeline:
    """`state(model, product)` gives the pipeline-state entries the backend reads for a rule."""
    items = [_item(RequireModel(models, platform, lacks), "logsource")]
    for model in models:
        items += model_items(model)
        for product in (None,) + model.products:
            for key, value in state(model, product).items():
                items.append(_item(SetStateTransformation(key, value), f"state_{key}_{model.category}_{product}",
                                   rule_conditions=[TakesRule(model, product)]))
    return ProcessingPipeline(name=name, priority=PRIORITY, items=items)


# --- the scope of each platform, as its backend wants it --------------------------

def _kusto_literal(value) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def kusto_state(model: EndpointModel, product: str | None) -> dict:
    """Table, pre-filter (the table's own columns: ActionType/EventType, DvcOs), extend columns and the
    columns holding a process GUID (which a correlation compares as the GUID alone: converters.emit.correlation.kusto)."""
    table = model.facts_tables(product)[0]
    select = dict(table.select)
    name = select.pop("table")
    extend = select.pop("extend", {})
    terms = []
    if table.actions is not None and table.actions.field in ("ActionType", "EventType") \
            and table.actions.field not in select:
        select[table.actions.field] = sorted({r.value for r in table.actions.rules if r.value})
    for col, values in select.items():
        values = values if isinstance(values, list) else [values]
        terms.append(f"{col} == {_kusto_literal(values[0])}" if len(values) == 1
                     else f"{col} in ({', '.join(_kusto_literal(v) for v in values)})")
    if model.os_field and product is not None:
        terms.append(f"{model.os_field} =~ {_kusto_literal(OS_DISPLAY[product])}")
    return {"query_table": name, "query_prefilter": " and ".join(terms),
            "query_extend": [f"{k} = {v}" for k, v in extend.items()], "query_guids": sorted(table.guids)}


def sysmon_state(model: EndpointModel, product: str | None) -> dict:
    """The base search (source and EventCode of each table the rule's product reads), and the
    tables' selectors, which deployment settings recompose (converters.emit.backend_splunk.base_search)."""
    selects = [dict(t.select) for t in model.facts_tables(product)]
    return {"base_search": base_search(selects), "base_search_selects": selects}


def cim_state(model: EndpointModel, product: str | None) -> dict:
    table = model.facts_tables(product)[0]
    model_set = table.select.get("datamodel", table.name)
    dataset = model_set.split(".", 1)[1]
    standard = [f"{dataset}.{f}" for f in ("dest", "user", "process_name", "process_path", "process",
                                           "parent_process_name", "file_path", "registry_path", "dest_ip",
                                           "dest_port", "query") if f"{dataset}.{f}" in table.fields]
    # a table that is part of a dataset (Authentication's sshd logins) names its part in `where`
    where = [f'{k}="{v}"' for k, v in table.select.get("where", {}).items()]
    return {"data_model_set": model_set, "fields": standard, "filled": table.filled(), "data_model_where": where}


@dataclass
class ArrayAsLines(ValueTransformation):
    """The Sigma column's records hold an ECS array as its values one per line: a string
    condition on such a field holds when one line matches it, a regex per value over the lines
    (`(?m)^...$`; `*` and `?` stay within a line; ASCII letters folded as SQLite's NOCASE does
    unless |cased); a rule's regex is kept within a line (`within_lines`). Exact for values
    without line breaks: no note."""

    fields: tuple[str, ...] = ()

    def apply_value(self, field: str | None, val):
        if field in self.fields and isinstance(val, SigmaRegularExpression):
            return SigmaRegularExpression(within_lines(str(val.regexp)),
                                          set(val.flags) | {SigmaRegularExpressionFlag.MULTILINE})
        if field not in self.fields or type(val) not in (SigmaString, SigmaCasedString):
            return None
        cased = isinstance(val, SigmaCasedString)
        rx = render(val, any_run="[^\\n]*", any_char="[^\\n]", literal=lambda part: "".join(
            f"[{c.lower()}{c.upper()}]" if not cased and c.isascii() and c.isalpha() else re.escape(c)
            for c in part))
        return SigmaRegularExpression(f"^{rx}$", {SigmaRegularExpressionFlag.MULTILINE})


@dataclass
class SysmonCurrentDirectory(ValueTransformation):
    """Sysmon for Windows writes CurrentDirectory with a trailing backslash (`C:\\Temp\\`): a
    directory the rule names exactly is also matched with one. Noted for the events whose
    working directory is the rule's value with a backslash added (matched by both spellings)."""

    platform: str

    def apply_value(self, field: str | None, val):
        if field != "CurrentDirectory" or type(val) not in (SigmaString, SigmaCasedString):
            return None
        parts = list(val.s)
        if not parts or not isinstance(parts[-1], str) or parts[-1].endswith("\\"):
            return None   # ends with a wildcard or a backslash already
        with_slash = type(val)("")
        with_slash.s = parts[:-1] + [parts[-1] + "\\"]
        record_note(self._pipeline, "emit/field-approximated",
                    f"{self.platform} writes CurrentDirectory with a trailing backslash on Windows: the "
                    "rule's directories are matched with and without one", "process.working_directory",
                    Affects.of(MORE, wildcard("process.working_directory", [wildcard_text(val) + "\\\\"],
                                              case_insensitive=not isinstance(val, SigmaCasedString))))
        return [val, with_slash]


def within_lines(rx: str) -> str:
    """A regex that cannot match across a line break: `.`, negated classes and `\\s \\W \\D \\S`
    exclude `\\n` (with MULTILINE, `^`/`$` are then a line's ends)."""
    out, i = [], 0
    wide = {"s": "[^\\S\\n]", "W": "[^\\w\\n]", "D": "[^\\d\\n]", "S": "[^\\s]"}
    while i < len(rx):
        c = rx[i]
        if c == "\\" and i + 1 < len(rx):
            out.append(wide.get(rx[i + 1], rx[i:i + 2]))
            i += 2
        elif c == "[":
            j = i + 1
            negated = j < len(rx) and rx[j] == "^"
            j += 1 if negated else 0
            if j < len(rx) and rx[j] == "]":
                j += 1   # a leading ] is literal
            while j < len(rx) and rx[j] != "]":
                j += 2 if rx[j] == "\\" else 1
            body = rx[i:j]
            out.append(body + ("\\n" if negated else "") + "]")
            i = j + 1
        elif c == ".":
            out.append("[^\\n]")
            i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)
