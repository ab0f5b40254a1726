"""Constant folding of a Sigma rule's detections and condition.

Shared by the transformations that find some detection items always true or
always false on a platform (transforms.UnavailableFields,
platform_conditions.PlatformConditions): a detection loses its constant parts,
and the condition is folded around the detections that became constants.
"""

from __future__ import annotations

from typing import Callable

from converters.emit.errors import EmitError
from sigma.conditions import ConditionAND, ConditionIdentifier, ConditionNOT, ConditionOR, ConditionSelector
from sigma.rule import SigmaDetectionItem


def prune(det, leaf: Callable[[SigmaDetectionItem], object]):
    """True, False, or the detection without its constant parts; `leaf(item)` says what one
    detection item becomes (True, False, or what to keep in its place)."""
    if isinstance(det, SigmaDetectionItem):
        return leaf(det)
    is_and = det.item_linking is ConditionAND
    kept = []
    for item in det.detection_items:
        sub = prune(item, leaf)
        if sub is (not is_and):  # OR: True absorbs; AND: False absorbs
            return sub
        if sub is not is_and:
            kept.append(sub)
    if not kept:
        return is_and
    det.detection_items = kept
    return det


def fold(node, detections, constants: dict[str, bool], touched: set[str],
         polarity: dict[str, set[bool]], positive: bool = True):
    """Constant-fold a condition's parse tree: True, False or a tree of identifiers. `polarity`
    gathers, for each identifier in `touched`, the signs it occurs under (True: not negated)."""
    if isinstance(node, ConditionSelector):
        ids = node.resolve_referenced_detections(detections)
        if not ids:
            raise EmitError("selector matches no detection", code="emit/condition")
        node = node.cond_class(list(ids))
    if isinstance(node, str):
        node = ConditionIdentifier([node])
    if isinstance(node, ConditionIdentifier):
        if node.identifier in touched:  # constant, or with some alternatives pruned
            polarity.setdefault(node.identifier, set()).add(positive)
        return constants.get(node.identifier, node)
    if isinstance(node, ConditionNOT):
        inner = fold(node.args[0], detections, constants, touched, polarity, not positive)
        return (not inner) if isinstance(inner, bool) else ConditionNOT([inner])
    if isinstance(node, (ConditionAND, ConditionOR)):
        absorbing = isinstance(node, ConditionOR)  # OR: True absorbs; AND: False absorbs
        args = []
        for arg in node.args:
            v = fold(arg, detections, constants, touched, polarity, positive)
            if v is absorbing:
                return absorbing
            if v is (not absorbing):
                continue
            args.append(v)
        if not args:
            return not absorbing
        return args[0] if len(args) == 1 else type(node)(args)
    raise EmitError(f"unexpected condition element {node!r}", code="emit/condition")


def serialize(node) -> str:
    """A folded tree of identifiers as Sigma condition text."""
    if isinstance(node, ConditionIdentifier):
        return node.identifier
    if isinstance(node, ConditionNOT):
        return f"not ({serialize(node.args[0])})"
    joiner = " and " if isinstance(node, ConditionAND) else " or "
    return "(" + joiner.join(serialize(a) for a in node.args) + ")"
