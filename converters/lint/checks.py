"""The registry of per-rule checks: each a declared unit (name, the codes it reports, a function).

The runner calls every check in this order on each rule that is not
deprecated (deprecated rules get the schema only). A check receives a
`RuleContext`, which parses the rule's query once for the checks that need
its tree. A check that fails with an exception becomes one
`ruleport/internal` finding naming the check; the other checks still run.
Adding a check is adding its codes to codes.py and a `Check` here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from converters.lint.checks_attack import check_attack
from converters.lint.checks_meta import DEFAULT_LICENSE, check_meta
from converters.lint.checks_query import (
    check_ecs_fields,
    check_os_tags,
    check_threat_query,
    parse_rule_query,
)
from converters.lint.codes import finding
from converters.load import RuleFile


@dataclass
class RuleContext:
    """One rule under check, with what several checks share (the parsed query)."""

    rule_file: RuleFile
    license: str = DEFAULT_LICENSE
    _parsed: tuple | None = field(default=None, repr=False)

    def _parse(self) -> tuple:
        if self._parsed is None:
            self._parsed = parse_rule_query(self.rule_file)
        return self._parsed

    @property
    def query_tree(self) -> Any:
        """The query's AST (EQL or KQL), or None when it does not parse or is not parsed."""
        return self._parse()[1]

    @property
    def query_findings(self) -> list:
        return self._parse()[2]


@dataclass(frozen=True)
class Check:
    name: str
    codes: tuple[str, ...]          # every code this check may report (checked against codes.py by a test)
    run: Callable[[RuleContext], list]


def _ecs_fields(ctx: RuleContext) -> list:
    return [] if ctx.query_tree is None else check_ecs_fields(ctx.rule_file, ctx.query_tree)


CHECKS: tuple[Check, ...] = (
    Check("attack", ("attack/unknown-tactic", "attack/unknown-technique", "attack/name-mismatch",
                     "attack/reference-mismatch", "attack/subtechnique-parent", "attack/technique-tactic",
                     "attack/revoked", "attack/deprecated", "attack/duplicate-tactic",
                     "attack/duplicate-technique"),
          lambda ctx: check_attack(ctx.rule_file)),
    Check("conventions", ("meta/severity-risk-score", "meta/license", "meta/dates-order",
                          "meta/investigation-guide", "meta/filename-tactic", "tags/tactic-unmapped"),
          lambda ctx: check_meta(ctx.rule_file, ctx.license)),
    Check("query-syntax", ("query/eql-syntax", "query/kql-syntax", "query/not-checked"),
          lambda ctx: list(ctx.query_findings)),
    Check("ecs-fields", ("ecs/unknown-field",), _ecs_fields),
    Check("os-tags", ("tags/os-query",), lambda ctx: check_os_tags(ctx.rule_file, ctx.query_tree)),
    Check("threat-query", ("query/kql-syntax",), lambda ctx: check_threat_query(ctx.rule_file)),
)


def run_checks(rule_file: RuleFile, license_text: str = DEFAULT_LICENSE,
               checks: tuple[Check, ...] | None = None) -> list:
    """Every check's findings on one rule, in registry order; a crashing check is one finding."""
    ctx = RuleContext(rule_file, license_text)
    out: list = []
    for check in CHECKS if checks is None else checks:
        try:
            out += check.run(ctx)
        except Exception as exc:  # a bug in one check must not hide the others' findings
            out.append(finding(rule_file.path, None, "ruleport/internal",
                               f"internal error in the {check.name} check ({type(exc).__name__}: {exc}); "
                               "the other checks still ran"))
    return out
