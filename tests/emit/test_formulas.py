"""The formula rewrite the cloud data models use (converters.emit.formulas): a Sigma condition as
and/or/not over single detection items, each item replaced by what the platform makes of it,
constants folded, written back as one detection per item."""

from __future__ import annotations

import pytest

from converters.emit.errors import EmitError
from converters.emit.formulas import And, Atom, Not, Or, and_, not_, or_, rewrite, simplify
from sigma.collection import SigmaCollection
from sigma.rule import SigmaDetectionItem
from sigma.types import SigmaCasedString, SigmaString

RULE = """
title: t
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    eventSource: iam.amazonaws.com
    eventName: [AttachUserPolicy, AttachRolePolicy]
  unrecorded:
    event.dataset: aws.cloudtrail
  filter:
    userName: bot
  condition: sel and unrecorded and not filter
"""


def _rule():
    return SigmaCollection.from_yaml(RULE).rules[0]


def _item(field, *values, cased=True):
    cls = SigmaCasedString if cased else SigmaString
    return SigmaDetectionItem(field, [], [cls(v) for v in values])


def test_constructors_fold_constants_and_flatten():
    a, b = Atom(_item("a", "1")), Atom(_item("b", "2"))
    assert and_(a, True) is a and and_(a, False) is False and and_() is True
    assert or_(a, False) is a and or_(a, True) is True and or_() is False
    assert and_(and_(a, b), a) == And((a, b, a))
    assert or_(or_(a, b), a) == Or((a, b, a))
    assert not_(not_(a)) is a and not_(True) is False and isinstance(not_(a), Not)


def test_simplify_folds_exact_tests_a_conjunction_decides():
    action = Atom(_item("eventName", "AttachUserPolicy"))
    cases = Atom(_item("eventName", "AttachUserPolicy", "AttachRolePolicy"))
    other = Atom(_item("eventName", "ConsoleLogin"))
    x = Atom(_item("x", "1"))
    # under eventName = AttachUserPolicy, a derivation's case for ConsoleLogin cannot hold
    assert simplify(and_(action, or_(and_(other, x), x))) == And((action, x))
    assert simplify(and_(action, not_(other))) is action
    assert simplify(and_(action, cases)) is action         # implied by the narrower test
    assert simplify(and_(action, other)) is False
    # caseless values and wildcards are not exact: left as they are
    loose = Atom(_item("eventName", "consolelogin", cased=False))
    assert simplify(and_(action, loose)) == And((action, loose))


def test_rewrite_replaces_each_item_and_keeps_the_condition():
    rule = _rule()
    seen = []

    def resolve(item, positive):
        seen.append((item.field, positive))
        if item.field == "event.dataset":
            return True  # the platform's scope selects the dataset
        return Atom(item)

    rewrite(rule, resolve, "test")
    assert ("userName", False) in seen and ("eventName", True) in seen   # polarity under not
    names = list(rule.detection.detections)
    assert names == ["ruleport_1", "ruleport_2", "ruleport_3"]
    assert rule.detection.condition == ["(ruleport_1 and ruleport_2 and not (ruleport_3))"]
    fields = [d.detection_items[0].field for d in rule.detection.detections.values()]
    assert fields == ["eventSource", "eventName", "userName"]


def test_rewrite_refuses_a_condition_that_becomes_constant():
    def resolve(item, positive):
        return False if item.field == "eventSource" else Atom(item)

    with pytest.raises(EmitError) as err:
        rewrite(_rule(), resolve, "AWS CloudTrail on X")
    assert err.value.code == "emit/field-unavailable" and "always false" in err.value.message


def test_rewrite_ands_the_scope_into_every_condition():
    scope = Atom(_item("Workload", "Exchange"))
    rule = _rule()
    rewrite(rule, lambda item, positive: Atom(item), "test", scope)
    assert rule.detection.condition[0].endswith("and ruleport_5)")
