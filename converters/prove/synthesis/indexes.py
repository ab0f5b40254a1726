"""Synthesized events live in an index the rule reads.

A rule reads the indexes its `index` list names (Elastic index patterns: `*`
is any run of characters, `-pattern` excludes). The Elastic platform model
places an event by its data stream fields, its event.dataset or its kind
(converters.platforms.elastic.index_of); when that index is not one the rule
reads (a `zeek.ftp` event for a rule reading `filebeat-*`, any event of an
`endgame-*` or `apm-*-transaction*` rule), the original rule would never see
the event in Elasticsearch, and its verdict on it says nothing. Such an event
names the index it lives in with `_index`, as a search hit does: the first
index pattern of the rule, made concrete (`*` after `-` or `.` is `default`,
elsewhere nothing: `logs-endpoint.alerts-*` -> `logs-endpoint.alerts-default`,
`apm-*-transaction*` -> `apm-default-transaction`). Events the rule already
reads, and every event of a rule without an index list (a data view), are
left as they are.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from converters.engine.executor import ExecutionError
from converters.esql.executor import Source
from converters.platforms.activity import Activity
from converters.platforms.elastic import INDEX, index_of


def rule_indexes(rule: Mapping[str, Any]) -> list[str]:
    """The rule's index patterns (strings only; a `cluster:` prefix kept)."""
    return [i.strip() for i in rule.get("index") or [] if isinstance(i, str) and i.strip()]


def concrete(pattern: str) -> str:
    """An index name the pattern matches."""
    local = pattern.split(":", 1)[1] if ":" in pattern else pattern
    return re.sub(r"(?<=[-.])\*|^\*", "default", local).replace("*", "")


def placed(events: list[dict], rule: Mapping[str, Any]) -> list[dict]:
    """`events` with `_index` set on each one that would live outside the rule's indexes."""
    patterns = rule_indexes(rule)
    included = [p for p in patterns if not p.startswith("-")]
    if not included:
        return events
    try:
        source = Source(patterns, [])
    except ExecutionError:  # a pattern list that names no index: the events stay as they are
        return events
    home = next((concrete(p) for p in included if source.reads(concrete(p))), None)
    if home is None:
        return events
    out = []
    for event in events:
        if INDEX in event or source.reads(index_of(event, Activity(event).kind)):
            out.append(event)
        else:
            out.append({**event, INDEX: home})
    return out
