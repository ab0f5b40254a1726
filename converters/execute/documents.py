"""Event shapes shared by the Elastic-platform executors.

The Elastic executors (EQL, KQL, ES|QL) see an event the way Elasticsearch's
doc values see an indexed document: a flat mapping from the dotted field path
to the list of its values. An array is several values of one field, a missing
field (or a JSON null, or an empty array) has no entry at all, since
Elasticsearch indexes nothing for it.
"""

from __future__ import annotations

from typing import Any, Mapping


def flatten_ecs(obj: Mapping[str, Any]) -> dict[str, list]:
    """Flatten a nested ECS JSON object (or an already flat one) to path -> values.

    Nested objects are joined with dots; a list keeps its scalar members as the
    field's values, and objects inside a list spread their fields (as
    Elasticsearch does for an `object` array). None and empty lists vanish.
    """
    out: dict[str, list] = {}
    _walk(obj, "", out)
    return out


def _walk(value: Any, path: str, out: dict[str, list]) -> None:
    if isinstance(value, Mapping):
        for key, sub in value.items():
            _walk(sub, f"{path}.{key}" if path else str(key), out)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _walk(item, path, out)
    elif value is not None:
        if not path:
            raise ValueError("an event must be a JSON object")
        out.setdefault(path, []).append(value)


def as_doc_values(event: Mapping[str, Any]) -> dict[str, list]:
    """The doc-values view of `event`, cheap when it already is one."""
    for value in event.values():
        if not isinstance(value, list) or (value and isinstance(value[0], (dict, list))):
            return flatten_ecs(event)
        if any(v is None for v in value):
            return flatten_ecs(event)
    return {k: v for k, v in event.items() if v}
