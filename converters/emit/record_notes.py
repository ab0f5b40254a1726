"""Notes on how every platform records two kinds of ECS value, whatever its field names.

- the account of a process: a platform records the account that ran it, which
  ECS gives as process.user.* where the event has it, else user.*
  (`account_note`);
- an ECS array a platform keeps one value of (`one_value_note`).

The endpoint models (converters.emit.endpoint_items) add these notes to every
item they read; `records_resolver` adds them on records that keep the ECS
field names (the `sigma` column's records, converters.emit.pipelines).
"""

from __future__ import annotations

from converters.emit.item_values import CASELESS, caseless, element_regexes, holds_item
from converters.emit.platform_conditions import Rewrite
from converters.notes import EITHER, Affects, all_, any_, exists, not_, regex
from converters.translate.fieldmap import ecs_of
from sigma.rule import SigmaDetectionItem, SigmaRule


#: user.* -> process.user.*: a platform records the account that ran the process, which ECS
#: gives as process.user.* (the effective user) where the event has it
ACCOUNT = {"user.id": "process.user.id", "user.name": "process.user.name", "user.domain": "process.user.domain"}


def account_note(ecs: str | None, title: str, item: SigmaDetectionItem):
    """A platform's account of the process is process.user.<x> where the event has it, else
    user.<x> (converters.platforms.activity.Activity.account): the events where that value and
    the rule's field disagree on the item's condition."""
    if ecs in ACCOUNT:
        user, process_user = ecs, ACCOUNT[ecs]
    elif ecs in ACCOUNT.values():
        process_user = ecs
        user = next(k for k, v in ACCOUNT.items() if v == ecs)
    else:
        return None
    found = element_regexes(item)
    if found is None:   # null / exists: the platform has a value where either field has one
        other = process_user if ecs == user else user
        where = all_(not_(exists(ecs)), exists(other))
    else:
        hold = holds_item(found)
        if ecs == user:
            where = any_(all_(hold(process_user), not_(hold(user))),
                         all_(exists(process_user), not_(hold(process_user)), hold(user)))
        else:
            where = all_(not_(exists(process_user)), hold(user))
    return ("emit/field-approximated",
            f"{ecs} is read as the process's account on {title} (process.user.* where the event has it, "
            "else user.*)", ecs, Affects.of(EITHER, where))


#: ECS array fields every platform here records as one value (the first: a REG_MULTI_SZ's strings
#: are one RegistryValueData / Details / registry_value_data)
ONE_VALUE = ("registry.data.strings",)


def one_value_note(ecs: str | None, title: str, item: SigmaDetectionItem):
    """Of an array the platform keeps one value: an event whose values disagree on the item's
    condition (one holds, another not) may get another verdict."""
    if ecs not in ONE_VALUE:
        return None
    found = element_regexes(item)
    if found is None:
        return None
    regexes, insensitive = found
    union = "|".join(f"(?:{r})" for r in regexes)
    where = all_(regex(ecs, [f"^(?:{union})\\Z"], case_insensitive=insensitive),
                 regex(ecs, [f"^(?!(?:{union})\\Z)"], case_insensitive=insensitive))
    return ("emit/field-approximated",
            f"{ecs} is an array; {title} records one value of it (the first of several)",
            ecs, Affects.of(EITHER, where))


def records_resolver(title: str):
    """A PlatformConditions resolver for records that keep the ECS fields (the Sigma column):
    `X.caseless` is X compared case-insensitively, and the arrays `title` records one value of
    are noted."""
    def resolve(item: SigmaDetectionItem, rule: SigmaRule):
        category = rule.logsource.category
        if item.field and item.field.endswith(CASELESS):
            return Rewrite(caseless(item, item.field[: -len(CASELESS)]))
        if item.field == "User":   # the taxonomy's User is the process's account
            note = account_note(ecs_of(category or "process_creation", "User"), title, item)
        else:
            note = one_value_note(ecs_of(category, item.field) if item.field else None, title, item)
        return Rewrite(item, [note]) if note else None
    return resolve
