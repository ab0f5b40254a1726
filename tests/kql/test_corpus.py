"""Every kuery rule of the Elastic corpus parses with our KQL parser."""

from __future__ import annotations

import tomllib

import pytest

from converters.kql import KqlSyntaxError, fields_of, parse_kql, to_kql

pytestmark = pytest.mark.corpus

# Rules whose query Kibana itself rejects, with the reason. None so far:
# all corpus kuery queries are valid KQL.
KNOWN_INVALID: dict[str, str] = {}


def _kuery_rules(corpus_dir):
    out = []
    for sub in ("rules", "rules_building_block"):
        for path in sorted((corpus_dir / sub).rglob("*.toml")):
            rule = tomllib.loads(path.read_text(encoding="utf-8")).get("rule", {})
            if rule.get("language") == "kuery":
                out.append((path.relative_to(corpus_dir).as_posix(), rule.get("query")))
    return out


def test_every_kuery_query_parses(corpus_dir):
    rules = _kuery_rules(corpus_dir)
    assert len(rules) > 700, "the corpus should hold several hundred kuery rules"
    failures = {}
    fieldless = []
    for name, query in rules:
        try:
            node = parse_kql(query)
        except KqlSyntaxError as exc:
            failures[name] = str(exc)
            continue
        if not fields_of(node):
            fieldless.append(name)
        # Writing the tree back must give text that reads as the same tree.
        assert parse_kql(to_kql(node)) == node, name
    assert {k: v for k, v in failures.items() if k not in KNOWN_INVALID} == {}
    assert sorted(set(KNOWN_INVALID) - set(failures)) == [], "a pinned invalid rule parses now: unpin it"
    # Detection rules filter on fields; a query with none would mean a misparse.
    assert fieldless == []
