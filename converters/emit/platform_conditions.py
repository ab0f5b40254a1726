"""Conditions read against one platform table: kept, rewritten, or folded to a constant.

`PlatformConditions` looks at every detection item of a rule before field
mapping and asks the target's data model (converters.emit.endpoint_items)
what the item becomes on the platform's table:

- kept: the field is one the platform has (after mapping);
- rewritten: the platform states it another way (event.type/event.action as
  the table's ActionType or EventCode, file.extension as the end of the file
  name, user.domain as the prefix of DOMAIN\\name, ...); the rewrite records
  a note whose `affects` is the exact set of events it can change;
- constant: the platform does not record the field (FALSE), or its scope
  implies it (TRUE). The rule is constant-folded: an OR branch that needs an
  absent field disappears (matches less), a negated condition on one always
  holds (matches more: an exclusion dropped), and a rule that folds to a
  constant cannot be emitted (`emit/field-unavailable`, naming the fields
  and the platform).

The note of a constant says on which events the item's truth differs from
the constant (`differs`, a condition of converters.notes) and whether the
item holds there; the direction follows from where the item sits (under an
even or odd number of NOTs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from converters.emit.errors import EmitError
from converters.emit.folding import fold, prune, serialize
from converters.emit.transforms import record_note
from converters.notes import EITHER, LESS, MORE, Affects
from sigma.conditions import ConditionOR
from sigma.processing.transformations.base import PreprocessingTransformation
from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaRule


_DROPPED = {LESS: "emit/branch-dropped", MORE: "emit/condition-widened", EITHER: "emit/field-dropped"}


@dataclass
class Constant:
    """The item is `value` on this platform; `differs` is where the original item is not."""

    value: bool
    code: str | None             # None: emit/branch-dropped or emit/condition-widened, by where it sits
    message: str
    ecs_field: str | None
    differs: dict | None          # events where the item's truth is `not value` (None: nowhere known)


@dataclass
class Rewrite:
    """The item becomes `replacement` (an item or a detection); `note` explains any change."""

    replacement: object
    notes: list = field(default_factory=list)   # (code, message, field, Affects | None)


#: resolve(item, rule) -> None (keep), Constant or Rewrite
Resolver = Callable[[SigmaDetectionItem, SigmaRule], object]


@dataclass
class PlatformConditions(PreprocessingTransformation):
    """Resolve every detection item against a platform table (module docstring)."""

    resolver: Resolver
    platform: str

    def apply(self, rule) -> None:
        super().apply(rule)
        if not isinstance(rule, SigmaRule):
            return
        self._rule = rule
        self._constants: dict[int, Constant] = {}   # id(item) -> its constant, for the notes
        detections = rule.detection.detections
        folded: dict[str, bool] = {}
        touched: dict[str, list[Constant]] = {}
        for name, det in list(detections.items()):
            hits: list[Constant] = []
            value = prune(det, lambda item, hits=hits: self._item(item, hits))
            if hits:
                touched[name] = hits
            if isinstance(value, bool):
                folded[name] = value
        if not touched:
            return
        polarity: dict[str, set[bool]] = {}
        for cond in rule.detection.parsed_condition:
            tree = cond.parse(postprocess=False)
            value = fold(tree, rule.detection, folded, set(touched), polarity)
            if isinstance(value, bool):
                # name the fields that made it so: a positive item folded to the rule's constant,
                # or a negated one folded to the opposite
                fields = sorted({c.ecs_field or "?" for name, hits in touched.items() for c in hits
                                 if (c.value is value and True in polarity.get(name, ()))
                                 or (c.value is not value and False in polarity.get(name, ()))}) \
                    or sorted({c.ecs_field or "?" for hits in touched.values() for c in hits})
                raise EmitError(
                    f"{', '.join(fields)}: not recorded by {self.platform} (or implied by its scope); "
                    f"the condition becomes always {'true' if value else 'false'}",
                    code="emit/field-unavailable")
            cond.condition = serialize(value)
        for name, hits in touched.items():
            signs = polarity.get(name, set())
            for c in hits:
                self._note(c, signs)
        for name in folded:
            del detections[name]

    def _note(self, c: Constant, signs: set[bool]) -> None:
        if not signs or (c.differs is None and c.code == "emit/condition-implied"):
            return
        # where the item holds and the constant is FALSE, a positive item misses events
        item_true_there = not c.value
        directions = {(LESS if item_true_there == positive else MORE) for positive in signs}
        direction = directions.pop() if len(directions) == 1 else EITHER
        affects = Affects.of(direction, c.differs) if c.differs is not None else None
        code = c.code or _DROPPED[direction]
        message = c.message + {LESS: ": the branches that need it were dropped (matches less)",
                               MORE: ": the exclusions on it always hold (matches more)",
                               EITHER: ": dropped (matches more or less)"}[direction] if c.code is None else c.message
        record_note(self._pipeline, code, message, c.ecs_field, affects)

    # --- items ---------------------------------------------------------------

    def _item(self, item: SigmaDetectionItem, hits: list[Constant]):
        result = self.resolver(item, self._rule)
        if result is None:
            return item
        if isinstance(result, Constant):
            hits.append(result)
            return result.value
        if isinstance(result, Rewrite):
            for code, message, fname, affects in result.notes:
                record_note(self._pipeline, code, message, fname, affects)
            replacement = result.replacement
            if isinstance(replacement, bool):
                # a constant whose note the rewrite already recorded; it still folds the rule
                hits.append(Constant(replacement, "emit/condition-implied",
                                     f"{item.field} is {'always' if replacement else 'never'} true on "
                                     f"{self.platform}", item.field, None))
                return replacement
            replacement.parent = item.parent
            return replacement
        raise TypeError(f"resolver returned {result!r}")


def detection_of(items: list, linking=ConditionOR) -> SigmaDetection:
    return SigmaDetection(list(items), item_linking=linking)
