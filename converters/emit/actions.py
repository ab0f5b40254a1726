"""ECS event.type / event.action conditions as a platform's action field (ActionType, EventCode, ...).

A platform table names the action of each event it records with a decision
list over ECS values (converters.platforms.facts.Actions, read by the
platform models to render the same events). A rule's `event.action: X`
becomes `<action field> in P`, where P is every value the table gives an
event satisfying the condition. Whether that is exact is decided by
enumerating the finite space the decision list looks at: every combination
of one value per ECS field it reads (the values it lists, the rule's values,
and "any other value"). Where the rewritten condition and the original
disagree on such a combination, the note's `affects` names exactly those
combinations; a platform that records no action field makes the condition
TRUE or FALSE over the events it records.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from itertools import combinations, product

from converters.notes import all_, any_, eq, exists, not_
from converters.platforms.facts import EXISTS, Actions

OTHER = None  # "a value the decision list does not name" (or no value at all)
#: ECS array fields: an event may hold several of their values (the decision list's first step
#: that names one of them decides)
ARRAYS = ("event.type", "event.category")


@dataclass(frozen=True)
class ActionCondition:
    """What `field in values` becomes on a table: the action values to ask for (`values`;
    None when the table has no action field: then `constant` says TRUE or FALSE), and the
    ECS events the rewrite can misjudge among those the table records (`differs`, or None)."""

    values: tuple[str, ...] | None
    constant: bool | None
    differs: dict | None


def _domain(actions: Actions, field: str, wanted: list[str]) -> dict[str, list]:
    fields = list(actions.ecs_fields)
    if field not in fields:
        fields.append(field)
    domain = {}
    for f in fields:
        listed = list(actions.ecs_values(f))
        if f == field:
            listed += [w for w in wanted if w not in listed]
        domain[f] = listed + [OTHER]
    return domain


def _combinations(domain: dict[str, list]):
    """Every event the decision list can tell apart: one value (or OTHER) per field, and for an
    ECS array field (ARRAYS) any set of the listed values (the empty set: none of them)."""
    names = list(domain)
    choices = []
    for n in names:
        if n in ARRAYS:
            listed = [v for v in domain[n] if v is not OTHER]
            choices.append([frozenset(c) for r in range(len(listed) + 1) for c in combinations(listed, r)])
        else:
            choices.append(domain[n])
    for combo in product(*choices):
        yield dict(zip(names, combo))


def _as_event(x: dict) -> dict[str, list[str]]:
    return {f: (sorted(v) if isinstance(v, frozenset) else [v] if v is not OTHER else []) for f, v in x.items()}


def _only(v, w: str, fold) -> bool:
    """The event's value of the field is `w` alone (of those the decision list tells apart)."""
    if isinstance(v, frozenset):
        return len(v) == 1 and fold(next(iter(v))) == w
    return v is not OTHER and fold(v) == w


def _holds(v, want: set, fold) -> bool:
    if isinstance(v, frozenset):
        return any(fold(s) in want for s in v)
    return v is not OTHER and fold(v) in want


def _is(f: str, vals: list) -> dict:
    """F holds one of `vals` (EXISTS: any value)."""
    return exists(f) if EXISTS in vals else eq(f, vals)


def _where(x: dict, domain: dict[str, list]) -> dict:
    parts = []
    for f, v in x.items():
        listed = [d for d in domain[f] if d is not OTHER]
        if isinstance(v, frozenset):   # exactly these of the listed values (others may be there)
            parts += [_is(f, [one]) for one in sorted(v)]
            rest = [d for d in listed if d not in v]
            if rest:
                parts.append(not_(_is(f, rest)))
        elif v is OTHER:
            if listed:
                parts.append(not_(_is(f, listed)))
        else:
            parts.append(_is(f, [v]))
    return all_(*parts) if parts else {"not": {"exists": "@ruleport.never"}}


def _any_of(xs: list[dict], domain: dict[str, list]) -> dict | None:
    """The condition "one of these combinations", combinations that differ in one field merged."""
    if not xs:
        return None
    groups: dict[tuple, list] = {}
    merged_field = None
    for f in domain:
        if f in ARRAYS:
            continue   # merged only on one-valued fields
        keyed: dict[tuple, list] = {}
        for x in xs:
            keyed.setdefault(tuple((g, x[g]) for g in domain if g != f), []).append(x[f])
        if len(keyed) < len(xs) and (merged_field is None or len(keyed) < len(groups)):
            groups, merged_field = keyed, f
    parts = []
    if merged_field is None:
        parts = [_where(x, domain) for x in xs]
    else:
        for rest, vals in groups.items():
            x = dict(rest)
            named = [v for v in vals if v is not OTHER]
            cond = [_where({g: v}, domain) for g, v in x.items()]
            alts = []
            if named:
                alts.append(_is(merged_field, named))
            if OTHER in vals:
                alts.append(_where({merged_field: OTHER}, domain))
            parts.append(all_(*cond, any_(*alts)) if cond else any_(*alts))
    return any_(*parts)


def resolve(actions: Actions, field: str, wanted: list[str], *, case_insensitive: bool = False) -> ActionCondition:
    """See _resolve: the decision list's enumeration is the same for the same question, so it is kept."""
    return _resolve(actions, field, tuple(wanted), case_insensitive)


@functools.lru_cache(maxsize=4096)
def _resolve(actions: Actions, field: str, wanted: tuple[str, ...], case_insensitive: bool) -> ActionCondition:
    """`field` (an ECS field the decision list may read) in `wanted`, on a table with these actions.

    The values asked for: for a wanted value the decision list names, the values of the steps
    naming it (the platform's own reading of it; none when a step says such events are not
    recorded); for one it does not name, every value an event holding it is recorded as."""
    fold = (lambda s: s.lower()) if case_insensitive else (lambda s: s)
    want = {fold(w) for w in wanted}
    domain = _domain(actions, field, list(wanted))
    rendered = []
    for x in _combinations(domain):
        recorded, value = actions.value(_as_event(x))
        if recorded:
            rendered.append((x, value, _holds(x[field], want, fold)))
    if actions.field is None:
        constant = any(h for _, _, h in rendered)
        diff = [x for x, _, h in rendered if h != constant]
        return ActionCondition(None, constant, _any_of(diff, domain))
    named = {fold(v) for r in actions.rules for f, vs in r.when if f == field for v in vs}
    asked_set = set()
    for w in want:
        if w in named:  # the platform's own reading of the value
            asked_set |= {r.value for r in actions.rules if r.recorded for f, vs in r.when
                          if f == field and w in {fold(v) for v in vs}}
        else:           # a value it does not name: whatever an event holding it is recorded as
            asked_set |= {v for x, v, _ in rendered if _only(x[field], w, fold)}
    asked = tuple(sorted(asked_set))
    diff = [x for x, v, h in rendered if h != (v in asked)]
    return ActionCondition(asked, None, _any_of(diff, domain))


def unrecorded(actions: Actions | None) -> dict | None:
    """The ECS events of the table's kind that its decision list gives no action (never recorded)."""
    if actions is None:
        return None
    domain = {f: list(actions.ecs_values(f)) + [OTHER] for f in actions.ecs_fields}
    missed = [x for x in _combinations(domain) if not actions.value(_as_event(x))[0]]
    return _any_of(missed, domain)


def described(actions: Actions) -> str:
    """What a table records: `ActionType FileCreated, FileDeleted, ...`, or the ECS events it holds."""
    if actions.field is not None:
        values = ", ".join(dict.fromkeys(str(r.value) for r in actions.rules if r.value is not None))
        return f"{actions.field} {values}"
    def kind(r) -> str:
        return " and ".join(f"{f} {'/'.join(vs)}" for f, vs in r.when)

    # a decision list reads in order: the steps before the first recorded one say what is left out
    # (a fork, an exit), the recorded steps what is kept
    kept = [kind(r) for r in actions.rules if r.when and r.recorded]
    left_out = [kind(r) for r in actions.rules if r.when and not r.recorded]
    text = "events with " + " or ".join(kept) if kept else "every event of its kind"
    return text + (" (not those with " + " or ".join(left_out) + ")" if left_out else "")
