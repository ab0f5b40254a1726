"""Sigma correlation rules in real SQLite, through pysigma-backend-sqlite's correlation compiler.

The backend compiles a correlation (and its base rules' predicates) into one
SQL query over the events table, with Sigma's correlation semantics as that
backend implements them (its module sigma/backends/sqlite/correlation.py):

- a window per event of a referenced rule: [t - timespan, t] for event_count,
  value_count, temporal and temporal_ordered (time from the timestamp field,
  read with SQLite's julianday: ISO 8601 text, no zone is UTC);
- group-by values compared after lower-casing text (the backend's reading of
  Sigma's case-insensitive default; noted, since EQL, Splunk, ES|QL and Kusto
  group by exact values); events whose group value is null are skipped;
- event_count: events in the window; value_count: distinct values (ignoring
  case) in the window; temporal: every referenced rule has an event in the
  window; temporal_ordered: their earliest events in the window are in rule
  order, each strictly after the previous;
- each alert lists its evidence, the events of its window (for
  temporal_ordered, the chain's events): the events behind the alert.

One change (`compiler`): a value_count over a field the records hold as an
array, one value per line (process.args), counts the distinct values of its
elements, not of whole arrays, as Elasticsearch's cardinality aggregation
counts every value of a multi-valued field ("Cardinality aggregation",
https://www.elastic.co/guide/en/elasticsearch/reference/current/search-aggregations-metrics-cardinality-aggregation.html;
Splunk's dc() likewise counts each value of a multivalue field).

ruleport's pipelines map fields per log source, so the correlation rule is
not given to the pipeline as a whole: each group-by field becomes, for each
referenced rule, the field the pipeline gives it on that rule (`key_field`,
handed in by the target record), written as an alias.
"""

from __future__ import annotations

import json
import re
from typing import Callable

from converters.engine.executor import ExecutionError
from converters.notes import LESS, MORE, Affects, Note, group_fold_case


def rekey(rule, key_field: Callable, pipeline) -> None:
    """Rewrite `rule`'s group-by as aliases naming each referenced rule's own field (through `pipeline`)."""
    from sigma.correlations import SigmaCorrelationFieldAlias, SigmaCorrelationFieldAliases

    aliases = {a.alias: a for a in rule.aliases}
    new: list = []
    group_by = []
    for n, group in enumerate(rule.group_by or []):
        mapping = {}
        for ref in rule.referenced_rules:
            field = group
            if group in aliases:
                field = next(f for r, f in aliases[group].mapping.items()
                             if r.reference in (ref.reference, ref.rule.name, str(ref.rule.id)))
            mapping[ref] = key_field(pipeline, ref.rule, field)
        name = f"ruleport_group_{n}"
        new.append(SigmaCorrelationFieldAlias(name, mapping))
        group_by.append(name)
    rule.aliases = SigmaCorrelationFieldAliases({a.alias: a for a in new})
    rule.group_by = group_by
    fieldref = getattr(rule.condition, "fieldref", None)
    if isinstance(fieldref, str):
        # the counted field, when all referenced rules map it alike
        mapped = {key_field(pipeline, ref.rule, fieldref) for ref in rule.referenced_rules}
        if len(mapped) != 1:
            raise ExecutionError(f"the counted field {fieldref} maps to several fields: {sorted(mapped)}")
        rule.condition.fieldref = mapped.pop()


#: the SQL function splitting a record's array (its values one per line) into a JSON array
LINES_FUNCTION = "ruleport_lines"
_EVENTS_RE = re.compile(r"SELECT DISTINCT eid, ts(?P<groups>(?:, g\d+)*), v FROM (?P<matches>\w+)")


def lines_json(value) -> str | None:
    """LINES_FUNCTION: the values of an array record field ("a\\nb") as a JSON array."""
    return None if value is None else json.dumps(str(value).split("\n"))


def compiler(array_fields: frozenset[str]):
    """pysigma-backend-sqlite's CorrelationCompiler, whose value_count counts the values of array fields."""
    from sigma.backends.sqlite.correlation import CorrelationCompiler

    class ArrayAwareCompiler(CorrelationCompiler):
        def compile_node(self, rule):
            stem = None if id(rule) in self.nodes else f"{self.prefix}_n{len(self.nodes)}_events"
            result = super().compile_node(rule)
            counted = getattr(rule.condition, "fieldref", None)
            if stem and rule.type.name.lower() == "value_count" and counted in array_fields:
                stage = next((s for s in self.stages if s.name == stem), None)
                m = _EVENTS_RE.fullmatch(stage.select) if stage is not None else None
                if m is None:  # the staged plan of pysigma-backend-sqlite 2.0.0 is what this rewrite reads
                    raise ExecutionError(f"unexpected value_count stage from pysigma-backend-sqlite (2.0.0 expected): "
                                         f"{stage.select if stage is not None else stem}")
                groups = "".join(f", m.{g.strip()}" for g in m["groups"].split(",") if g.strip())
                stage.select = (f"SELECT DISTINCT m.eid, m.ts{groups}, l.value AS v FROM {m['matches']} m "
                                f"LEFT JOIN json_each({LINES_FUNCTION}(m.v)) l")
            return result

    return ArrayAwareCompiler


def alert_events(rows) -> list[tuple[int, ...]]:
    """The event indexes of each alert row (`event_ids` holds "<table>:<index>" strings)."""
    out = []
    for row in rows:
        ids = json.loads(row) if isinstance(row, str) else row
        group = tuple(sorted(int(str(i).split(":", 1)[1]) for i in ids))
        if group and group not in out:
            out.append(group)
    return out


def case_notes(sigma_yaml: str, ecs_field: Callable[[str | None, str], str]) -> list[Note]:
    """What the backend's case folding changes for this correlation, on the ECS fields its keys stand for."""
    import yaml

    docs = [d for d in yaml.safe_load_all(sigma_yaml) if isinstance(d, dict)]
    categories = {d.get("name"): (d.get("logsource") or {}).get("category") for d in docs if "logsource" in d}
    notes = []
    for doc in docs:
        corr = doc.get("correlation")
        if not isinstance(corr, dict):
            continue
        aliases = corr.get("aliases") or {}
        keys: list[str] = []
        for group in corr.get("group-by") or []:
            fields = aliases.get(group, {name: group for name in categories})
            keys += [ecs_field(categories.get(rule), field) for rule, field in fields.items()]
        if keys:
            notes.append(Note("sigma/group-by-case", "pysigma-backend-sqlite compares group-by values ignoring "
                              "case (the original compares them exactly): events whose join keys differ only in "
                              "case can make one alert", None, None,
                              Affects.of(MORE, group_fold_case(sorted(set(keys))))))
        counted = (corr.get("condition") or {}).get("field")
        if corr.get("type") == "value_count" and isinstance(counted, str):
            fields = sorted({ecs_field(category, counted) for category in categories.values()})
            notes.append(Note("sigma/distinct-case", "pysigma-backend-sqlite counts distinct values ignoring case: "
                              "values that differ only in case count once", None, None,
                              Affects.of(LESS, group_fold_case(fields))))
    return notes
