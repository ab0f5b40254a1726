"""Cloud and SaaS audit rules in the Splunk, CIM, Defender XDR and Sentinel pipelines.

A rule whose logsource product is a cloud product (aws, azure, gcp, o365, okta,
kubernetes, github, google_workspace: the first part of the Elastic dataset the
translator took it from) is a cloud rule. On each of these targets a cloud
rule goes through `CloudRules`, never through the endpoint data models:

1. the source: the declared source of the rule's product and service
   (converters/data/cloud); none, or none on this platform: refused with
   `emit/logsource-unsupported`, naming the source and why the platform has
   no model of it;
2. every detection item rewritten to the platform's fields
   (converters.emit.cloud.CloudModel, converters.emit.formulas), its notes
   recorded;
3. the scope set for the backend: Splunk's base search (the sourcetype), the
   Kusto table.

A target lists `cloud_audit(platform)` before its endpoint pipeline, wrapped
in `skip_cloud` so that the endpoint items never see a cloud rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from converters.emit.cloud import CloudModel
from converters.emit.errors import EmitError
from converters.emit.formulas import rewrite
from converters.emit.endpoint_pipelines import TakesRule
from converters.emit.transforms import StringsAsRegex, record_note
from converters.notes import LESS, Affects
from converters.platforms.cloud.facts import CLOUD_PRODUCTS, by_logsource, sources
from sigma.processing.conditions.base import RuleProcessingCondition
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations.base import PreprocessingTransformation
from sigma.rule import SigmaRule

PRIORITY = 20
PLATFORM_TITLES = {"splunk": "Splunk", "cim": "Splunk CIM", "sentinel": "Microsoft Sentinel",
                   "defender": "Defender XDR"}


def is_cloud_rule(rule) -> bool:
    return isinstance(rule, SigmaRule) and rule.logsource.product in CLOUD_PRODUCTS


@dataclass
class IsCloud(RuleProcessingCondition):
    """The rule reads cloud or SaaS audit data (`cloud`: True), or it does not (`cloud`: False)."""

    cloud: bool = True

    def match(self, rule) -> bool:
        return is_cloud_rule(rule) == self.cloud


@dataclass
class CloudRules(PreprocessingTransformation):
    """A cloud rule on one platform (see the module docstring)."""

    platform: str

    def apply(self, rule) -> None:
        super().apply(rule)
        ls = rule.logsource
        where = PLATFORM_TITLES.get(self.platform, self.platform)
        source = by_logsource(ls.product, ls.service)
        if source is None:
            raise EmitError(f"logsource {ls.product}/{ls.service}: ruleport declares no model of that audit source "
                            f"(converters/data/cloud has {len(sources())} sources)", code="emit/logsource-unsupported")
        platform = source.platforms.get(self.platform)
        if platform is None:
            why = source.refusals.get(self.platform, "no data model is declared for it")
            raise EmitError(f"{source.title} on {where}: {why}", code="emit/logsource-unsupported")
        model = CloudModel(source, platform, platform.title)
        scope = model.scope()
        try:
            rewrite(rule, model.resolve, f"{source.title} on {platform.title}", scope, model.everything())
        except EmitError as exc:
            folded = sorted({n[2] for n in model.notes if n[0] in ("emit/field-unavailable", "emit/condition-implied")})
            if exc.code == "emit/field-unavailable" and (folded or platform.scope):
                why = [f"{', '.join(folded)}: not recorded there, or fixed by its scope"] if folded else []
                why += list(platform.notes)
                raise EmitError(f"{exc.message} ({'; '.join(why)})", code=exc.code) from None
            raise
        for code, message, field_name, affects in model.notes:
            record_note(self._pipeline, code, message, field_name, affects)
        if platform.layout == "json":
            self._pipeline.state["base_search"] = " ".join(f'{k}="{v}"' for k, v in platform.select.items())
            return
        self._pipeline.state["query_table"] = platform.table
        if not platform.also:
            return
        # the tables holding the source together: the backend reads their union, without a table
        # that lacks a column the rule reads (its records are then not searched: noted)
        read = _columns_read(rule)
        tables = [platform.table]
        for also in platform.also:
            missing = sorted(read & set(also.lacks))
            if not missing:
                tables.append(also.table)
                continue
            record_note(self._pipeline, "emit/scope-narrowed",
                        f"{also.table} has no {', '.join(missing)} column: the rule reads {platform.table} only, "
                        f"and the {source.title} records {also.table} holds are not searched", None,
                        Affects.of(LESS, also.holds))
        if len(tables) > 1:
            self._pipeline.state["query_union"] = tables


def _columns_read(rule: SigmaRule) -> set[str]:
    """The Kusto columns the rewritten rule reads (a column, or the column under parse_json/tostring)."""
    found: set[str] = set()

    def walk(det):
        for item in getattr(det, "detection_items", ()):
            if hasattr(item, "detection_items"):
                walk(item)
            elif item.field:
                m = _COLUMN.match(item.field)
                if m:
                    found.add(m.group(1))

    for det in rule.detection.detections.values():
        walk(det)
    return found


_COLUMN = re.compile(r"^(?:\w+\((?:parse_json\()?)?(\w+)")


def _item(transformation, ident: str, cloud: bool = True) -> ProcessingItem:
    return ProcessingItem(transformation=transformation, identifier=f"ruleport_cloud_{ident}",
                          rule_conditions=[IsCloud(cloud)])


def cloud_items(platform: str) -> list[ProcessingItem]:
    items = [_item(CloudRules(platform), "rules")]
    if platform in ("splunk", "cim"):
        # Splunk search compares case-insensitively and knows only `*`: cased and `?` values as regexes
        items.append(_item(StringsAsRegex(cased_plain=False), "regex_strings"))
    return items


def endpoint_only(pipeline: ProcessingPipeline) -> ProcessingPipeline:
    """The same pipeline with every item skipping cloud rules."""
    for it in pipeline.items:
        if (it.rule_condition_expression is not None or it.rule_condition_linking not in (None, all)
                or it.rule_condition_negation):
            raise ValueError(f"{it.identifier}: cannot add a rule condition to this item")
        if any(isinstance(c, TakesRule) for c in it.rule_conditions):
            continue   # a data model is chosen only for an endpoint rule: the condition implies it
        it.rule_conditions = list(it.rule_conditions) + [IsCloud(False)]
    return pipeline


def cloud_audit(platform: str) -> Callable[[], ProcessingPipeline]:
    """A pipeline factory: the cloud audit items for `platform` (a target lists it before its
    endpoint pipeline, which `skip_cloud` keeps off cloud rules)."""

    def factory() -> ProcessingPipeline:
        return ProcessingPipeline(name=f"ruleport cloud audit on {platform}", priority=PRIORITY,
                                  items=cloud_items(platform))

    factory.__name__ = factory.__qualname__ = f"cloud_audit_{platform}"
    return factory


def skip_cloud(endpoint: Callable[[], ProcessingPipeline]) -> Callable[[], ProcessingPipeline]:
    """The endpoint pipeline factory `endpoint`, its items skipping cloud rules (same name)."""

    def factory() -> ProcessingPipeline:
        return endpoint_only(endpoint())

    factory.__name__ = factory.__qualname__ = endpoint.__name__
    return factory
