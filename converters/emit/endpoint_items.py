"""What an endpoint model makes of each detection item of a rule on its table.

The target's pipeline (converters.emit.endpoint_pipelines) applies one
`EndpointModel` (converters.emit.tables) per rule; `resolve_item` is what the
model makes of each detection item (converters.emit.platform_conditions):

- a field the table has (`fields`, `names`, argv/argc): kept;
- event.type / event.action / network.direction: the table's action field
  (converters.emit.actions), or a constant where the table has none;
- event.category and the dataset fields: true where they name data of the
  table's kind (noted where they could name other data), else false;
- host.os.type: the table's OS field where it has one, else a constant;
- an `equivalents` entry (converters.emit.equivalents): that rewrite, noted
  with the events it affects;
- anything else: not recorded (false), the rule folded around it.

Every item also gets the notes on the process's account and on arrays kept as
one value (converters.emit.record_notes).
"""

from __future__ import annotations

from converters.emit.actions import resolve as resolve_action
from converters.emit.equivalents import Refuse
from converters.emit.errors import EmitError
from converters.emit.item_values import CASELESS, caseless, is_cased, other_than, plain_values, with_values
from converters.emit.platform_conditions import Constant, Rewrite
from converters.emit.record_notes import account_note, one_value_note
from converters.emit.tables import EndpointModel
from converters.emit.transforms import probe_of
from converters.notes import EITHER, Affects, eq
from converters.translate.fieldmap import lookup
from sigma.conditions import ConditionAND, ConditionOR
from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaRule
from sigma.types import SigmaExists, SigmaNull, SigmaString


#: ECS fields that name where an event came from: true on a table when they name data of its kind
DATASET_FIELDS = ("event.dataset", "data_stream.dataset", "event.module", "event.provider", "event.kind",
                  "event.outcome", "agent.type")
#: the dataset values that name endpoint data of each kind (Elastic Defend's, and Sysmon's via Elastic)
KIND_DATASETS = {
    "process": ("endpoint.events.process", "windows.sysmon_operational", "endpoint", "microsoft-windows-sysmon",
                "auditd_manager.auditd", "auditd"),
    "file": ("endpoint.events.file", "windows.sysmon_operational", "endpoint", "microsoft-windows-sysmon",
             "fim.event", "file_integrity", "auditd_manager.auditd", "auditd"),
    "registry": ("endpoint.events.registry", "windows.sysmon_operational", "endpoint", "microsoft-windows-sysmon"),
    "network": ("endpoint.events.network", "windows.sysmon_operational", "endpoint", "microsoft-windows-sysmon"),
    "dns": ("endpoint.events.network", "windows.sysmon_operational", "endpoint", "microsoft-windows-sysmon"),
    "library": ("endpoint.events.library", "windows.sysmon_operational", "endpoint", "microsoft-windows-sysmon"),
    "driver": ("windows.sysmon_operational", "microsoft-windows-sysmon"),
    "authentication": ("system.auth", "system.security", "windows.forwarded", "microsoft-windows-security-auditing"),
    "winlog": ("system.security", "windows.forwarded"),
}
#: values of event.kind / event.outcome / agent.type every recorded event has
COMMON_VALUES = {"event.kind": ("event",), "event.outcome": ("success",), "agent.type": ("endpoint",)}
#: ECS event.category values of each kind
KIND_CATEGORIES = {"process": ("process",), "file": ("file",), "registry": ("registry",),
                   "network": ("network",), "dns": ("network", "dns"), "library": ("library",),
                   "driver": ("driver",), "authentication": ("authentication",)}
ACTION_FIELDS = ("event.type", "event.action", "network.direction")


def resolve_item(model: EndpointModel, item: SigmaDetectionItem, rule: SigmaRule):
    """What `item` becomes on the model's table (see the module docstring)."""
    if item.field and item.field.endswith(CASELESS):
        item = caseless(item)
        result = _resolve(model, item, rule)
        if result is None:
            result = Rewrite(item)
    else:
        result = _resolve(model, item, rule)
    ecs = model.ecs(item.field) if item.field else None
    notes = [n for n in (one_value_note(ecs, model.title, item), account_note(ecs, model.title, item)) if n]
    if not notes or isinstance(result, Constant):
        return result
    if result is None:
        return Rewrite(item, notes)
    result.notes.extend(notes)
    return result


def _resolve(model: EndpointModel, item: SigmaDetectionItem, rule: SigmaRule):
    f = item.field
    if f is None:
        return None  # keyword search: KnownFields refuses it
    if probe_of(rule) is not None:
        key = _join_key(model, item)
        if key is not None:
            return key
    if f in model.missing_as and item.value and all(
            isinstance(v, SigmaNull) or (isinstance(v, SigmaExists) and not v.exists) for v in item.value):
        # `F: null` (`F|exists: false`) is the platform's placeholder too
        return Rewrite(SigmaDetection([item, with_values(item, f, [SigmaString(model.missing_as[f])])],
                                      item_linking=ConditionOR))
    if f in model.missing_as and len(item.value) == 1 and isinstance(item.value[0], SigmaExists):
        # `F|exists: true`: present, and not the placeholder (a value Sysmon writes for "none")
        return Rewrite(SigmaDetection([item, with_values(item, f, [other_than(model.missing_as[f])])],
                                      item_linking=ConditionAND))
    if f in model.fields or f in model.names or f in model.argv or f in model.argc:
        return None
    path = _path_of_name(model, f)
    if path is not None and item.value and all(isinstance(v, (SigmaExists, SigmaNull)) for v in item.value):
        # a name is the last component of its path: on a table that records the path, the name
        # exists exactly when the path does (the translation keeps `process.name != null` as is)
        return Rewrite(with_values(item, path, item.value))
    if f in model.equivalents:
        res = model.equivalents[f].resolve(item, model, rule)
        return res if res is not None else model.unrecorded(item, "only plain values of it have an equivalent")
    if f in ACTION_FIELDS or (f == "event.outcome" and f in _action_fields(model, rule)):
        return _action(model, item, rule)   # a logon's outcome is the platform's result field
    if f == "event.category":
        return model.implied(item, KIND_CATEGORIES[model.kind], "the data of the table's kind")
    if f == "host.os.type":
        return _os(model, item, rule)
    if f in DATASET_FIELDS:
        allowed = COMMON_VALUES.get(f) or KIND_DATASETS.get(model.kind, ())
        return model.implied(item, allowed, "where the platform's events come from")
    return model.unrecorded(item)


def _join_key(model: EndpointModel, item: SigmaDetectionItem):
    """A join key (the item of a join-key probe, converters.emit.correlation.base): the platform's own
    id of the entity groups the same events (its values are not ECS's); a column naming the entity
    groups them approximately, with its notes; a field the model refuses is refused as a key with its
    reason."""
    f = item.field
    if f in model.identities:
        return Rewrite(with_values(item, model.identity_field(f), list(item.value)))
    if f in model.approximate_identities:
        named = model.approximate_identities[f]
        return Rewrite(with_values(item, named.column, list(item.value)), list(named.notes))
    refusal = model.equivalents.get(f)
    if isinstance(refusal, Refuse):
        raise EmitError(f"{f} is not recorded by {model.title}: {refusal.why}", code="emit/join-key-unavailable")
    return None


def _action_fields(model: EndpointModel, rule: SigmaRule) -> tuple[str, ...]:
    actions = model.facts_tables(rule.logsource.product)[0].actions
    return actions.ecs_fields if actions is not None else ()


def _path_of_name(model: EndpointModel, ecs_field: str) -> str | None:
    """The Sigma path field whose last component `ecs_field` is (process.name: Image), when the table has it."""
    mapping = lookup(model.category, ecs_field)
    if mapping is None or not mapping.basename_of:
        return None
    return mapping.sigma if mapping.sigma in model.fields or mapping.sigma in model.names else None


def _action(model, item, rule):
    values = plain_values(item)
    tables = model.facts_tables(rule.logsource.product)
    actions = tables[0].actions
    if values is None or actions is None or (item.value_linking.__name__ == "ConditionAND" and len(values) > 1):
        return model.unrecorded(item, "only plain values of it can be read against the platform's actions")
    ci = not is_cased(item)
    res = resolve_action(actions, item.field, values, case_insensitive=ci)
    desc = f"{item.field} {'/'.join(values)}"
    if actions.field is None or res.values is None:
        return Constant(bool(res.constant), "emit/condition-implied",
                        f"{desc}: {model.title} records only {tables[0].kind} events of its own kind; "
                        f"the condition is {'implied' if res.constant else 'never true'} there",
                        item.field, res.differs)
    notes = []
    if res.differs is not None:
        notes.append(("emit/action-mapped",
                      f"{desc} is read as {actions.field} {' or '.join(res.values) or '(none)'} on {model.title}",
                      item.field, Affects.of(EITHER, res.differs)))
    if not res.values:
        return Rewrite(False, notes)
    return Rewrite(with_values(item, actions.field, [SigmaString(v) for v in res.values]), notes)


def _os(model, item, rule):
    values = plain_values(item)
    if values is None:
        return model.unrecorded(item)
    if model.os_field:
        return Rewrite(with_values(item, model.os_field, [SigmaString(v) for v in values]))
    if model.os_values:
        mapped = [model.os_values[v.lower()] for v in values if v.lower() in model.os_values]
        if not mapped:
            return Constant(False, "emit/condition-implied", f"host.os.type {'/'.join(values)}: {model.title} "
                            "holds no event of that OS", item.field, eq(item.field, values, case_insensitive=True))
        fields_ = {f for f, _ in mapped}
        if len(fields_) == 1:
            return Rewrite(with_values(item, fields_.pop(), [SigmaString(v) for _, v in mapped]))
    oses = {o for t in model.facts_tables(rule.logsource.product) for o in t.os}
    return model.implied(item, tuple(oses), "the platform has no operating-system field")
