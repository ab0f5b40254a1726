"""Cloud audit events as each platform records them.

A fixture event is the ECS document Elastic's integration makes of one vendor
record. Rendering goes back to a vendor record and forward to the platform:

1. the source: the event's data_stream.dataset, else event.dataset, naming a
   declared source exactly (converters/data/cloud); other events are not
   cloud audit records of any declared source (None);
2. the raw record: each ECS field the integration copies from a raw path puts
   its value back at that path (the first declared field wins a path; values
   mapped by the pipeline are mapped back; a field that only keeps IP
   addresses never writes; a Java Map.toString text is parsed back when no
   object field gave the object). Derived, enrichment and parsed ECS fields are
   not part of the record: the platform computes nothing from them;
3. the platform's record, from the platform facts of the source:
   - ``json`` layout (Splunk's JSON field extraction): every leaf of the raw
     record is a field named by its path, the members of an array named
     ``key{}.sub`` and holding all their values (a multi-value field); values are
     text as Splunk extracts them (true/false, numbers as written); plus
     ``sourcetype`` and ``_raw`` (the record as JSON text);
   - ``table`` layout (Kusto tables): each column holds its raw path's value in
     the column's type: a JSON-text column the sub-object as compact JSON, a
     dynamic column the object itself, an ``enum`` column the platform's name
     for the raw value; a missing string is "" (Kusto strings are never null),
     other missing values are absent; ``$table`` names the table.

Every record also has its time, the event's ``@timestamp`` (Elastic's integrations
take it from the record's own time, as the platforms do): Splunk's ``_time``
(seconds since the epoch, a default field of every event:
https://docs.splunk.com/Documentation/Splunk/latest/Knowledge/Usedefaultfields),
Log Analytics' ``TimeGenerated`` (a standard column of every table:
https://learn.microsoft.com/azure/azure-monitor/logs/log-standard-columns) and
Defender XDR's ``Timestamp`` (a column of every advanced hunting table, e.g.
https://learn.microsoft.com/defender-xdr/advanced-hunting-cloudappevents-table).
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import replace
from typing import Any, Mapping

from converters.engine.timestamps import epoch_seconds
from converters.platforms.activity import get
from converters.platforms.cloud import javamap
from converters.platforms.cloud.facts import DOT, ROOT, Platform, Source, key, source_of_dataset

TABLE_MARKER = "$table"
#: the time column of a Kusto platform's tables (see the module docstring)
TIME_COLUMNS = {"sentinel": "TimeGenerated", "defender": "Timestamp"}
_MISSING = object()


def _nested(event: Mapping[str, Any]) -> dict:
    """The event with dotted keys expanded into objects (fixtures may use either form)."""
    out: dict = {}
    for name, value in event.items():
        node = out
        parts = name.split(".")
        for part in parts[:-1]:
            nxt = node.get(part)
            if not isinstance(nxt, dict):
                nxt = node[part] = {}
            node = nxt
        last = parts[-1]
        if isinstance(value, Mapping):
            existing = node.get(last)
            merged = _nested(value)
            if isinstance(existing, dict):
                _merge(existing, merged)
            else:
                node[last] = merged
        else:
            node[last] = value
    return out


def _merge(into: dict, other: dict) -> None:
    for k, v in other.items():
        if isinstance(v, dict) and isinstance(into.get(k), dict):
            _merge(into[k], v)
        else:
            into[k] = v


def source_of(event: Mapping[str, Any]) -> Source | None:
    """The declared cloud source an ECS event is a record of (see the module docstring)."""
    for name in ("data_stream.dataset", "event.dataset"):
        value = get(event, name)
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if isinstance(value, str):
            src = source_of_dataset(value)
            if src is not None:
                return src
    return None


def _set(record: dict, path: str, value: Any) -> None:
    node = record
    parts = [key(p) for p in path.split(".")]
    for part in parts[:-1]:
        nxt = node.get(part)
        if not isinstance(nxt, dict):
            if nxt is not None:
                return  # a scalar already holds this path: the first writer wins
            nxt = node[part] = {}
        node = nxt
    if parts[-1] not in node:
        node[parts[-1]] = value
    elif isinstance(node[parts[-1]], dict) and isinstance(value, Mapping):
        for k, v in value.items():  # an object meets one written before: merged, the first writer wins
            _set(node[parts[-1]], str(k).replace(".", DOT), v)


def _has(record: dict, path: str) -> bool:
    node: Any = record
    for part in map(key, path.split(".")):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def _is_ip(value: Any) -> bool:
    try:
        ipaddress.ip_address(str(value))
    except ValueError:
        return False
    return True


def _raw_value(f, ecs_value: Any) -> Any:
    """The raw value an ECS value was mapped from (`values`: raw -> ECS, "*": any other raw
    value, which renders as the field's declared `render` value)."""
    if isinstance(ecs_value, list):
        mapped = [_raw_value(f, v) for v in ecs_value]
        return [m for m in mapped if m is not _MISSING] or _MISSING
    if f.values is None:
        return ecs_value
    for raw, mapped in f.values.items():
        if raw != "*" and _same(mapped, ecs_value):
            return raw
    if "*" in f.values and _same(f.values["*"], ecs_value) and f.render is not None:
        return f.render
    if "*" not in f.values:
        return ecs_value  # unmapped raw values pass through unchanged
    return _MISSING  # other raw values give another ECS value, or none ("*": null)


def raw_record(source: Source, event: Mapping[str, Any]) -> dict:
    """A vendor record whose ECS image is `event` (as far as the source's fields say)."""
    nested = _nested(event)
    record: dict = {}
    texts = []
    for name, f in source.fields.items():
        if f.kind == "object":
            # the parts of the object another declared field reads are that field's to write
            value = _without(get(nested, name), [n[len(name) + 1:] for n in source.fields
                                                 if n.startswith(name + ".")])
            if f.keys or f.renames:
                value = _raw_keys(f, value, "")
            if isinstance(value, Mapping) and f.raw[0] == ROOT:
                for k, v in value.items():  # the record's own fields, kept under the ECS object
                    _set(record, k, v)
            elif value is not None:
                _set(record, f.raw[0], value)
        elif f.kind == "keyed":
            value = _without(get(nested, name), [n[len(name) + 1:] for n in source.fields
                                                 if n.startswith(name + ".")])
            if isinstance(value, Mapping):
                _set(record, f.raw[0], _keyed_list(f, value))
        elif f.kind == "raw":
            value = get(nested, name)
            if f.type == "boolean":
                value = _es_boolean(value)
            if value is None or (f.ip and not _all_ips(value)) or (f.only and not _all_match(f.only, value)) \
                    or f.extract:
                continue
            if f.text:
                texts.append((f, value))
                continue
            value = _raw_value(f, value)
            if value is _MISSING:
                continue
            # a coalesced field (the first raw path present) writes its first path
            if not f.raw[0].startswith("@"):
                _set(record, f.raw[0], value)
    for f, value in texts:
        if _has(record, f.raw[0]):
            continue
        parsed = javamap.parse(value) if f.text == "java-map" and isinstance(value, str) else None
        if parsed is not None:
            _set(record, f.raw[0], parsed)
    record = _positions(record)
    for path in source.arrays:
        _as_list(record, [key(p) for p in path.split(".")])
    return record


def _without(value: Any, subpaths: list[str]) -> Any:
    """`value` (an ECS object) without the sub-paths given (dotted, as ECS names them)."""
    if not subpaths or not isinstance(value, Mapping):
        return value
    out = {}
    for k, v in value.items():
        inner = [p[len(k) + 1:] for p in subpaths if p.startswith(k + ".")]
        if k in subpaths:
            continue
        out[k] = _without(v, inner) if inner else v
    return out


def _leaves(value: Any, sub: str, out: dict) -> dict:
    if isinstance(value, Mapping):
        for k, v in value.items():
            _leaves(v, f"{sub}.{k}" if sub else str(k), out)
    else:
        out[sub] = value
    return out


def _raw_keys(f, value: Any, sub: str) -> Any:
    """An ECS object's value with the record's own keys back (f.raw_sub of each sub-path)."""
    if f.keys in ("single", "underscored_dots") and isinstance(value, Mapping):
        # one raw key per leaf: Elasticsearch split the key's dots into objects
        return {key(f.raw_sub(path)): v for path, v in _leaves(value, "", {}).items()}
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            child = f"{sub}.{k}" if sub else str(k)
            out[key(f.raw_sub(child).rsplit(".", 1)[-1])] = _raw_keys(f, v, child)
        return out
    if isinstance(value, list):
        return [_raw_keys(f, v, sub) for v in value]
    return value


def _positions(node: Any) -> Any:
    """Objects keyed by array positions ("0", "1", ...) back to the arrays they index."""
    if isinstance(node, list):
        return [_positions(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: _positions(v) for k, v in node.items()}
    if node and all(isinstance(k, str) and k.isdigit() for k in node):
        size = max(int(k) for k in node) + 1
        return [node.get(str(i), {}) for i in range(size)]
    return node


def _as_list(node: Any, parts: list[str]) -> None:
    """The record holds a list at a declared array path; Elastic's flattened and object fields do
    not keep a one-element list apart from its element, so an object found there is wrapped."""
    if isinstance(node, list):
        for n in node:
            _as_list(n, parts)
        return
    if not isinstance(node, dict) or parts[0] not in node:
        return
    if len(parts) == 1:
        if not isinstance(node[parts[0]], list):
            node[parts[0]] = [node[parts[0]]]
        return
    _as_list(node[parts[0]], parts[1:])


def _keyed_list(f, value: Mapping) -> list:
    """An ECS name -> value object back to the raw list of name/value elements (an element's
    value is the leaf at the sub-path the pipeline renamed it to, or at its own name)."""
    out = []
    if f.value is not None and f.renames:
        value = {sub: v for sub, v in _leaves(value, "", {}).items()}
    for name, v in value.items():
        if f.value is None:
            element = {f.key: name, **(dict(v) if isinstance(v, Mapping) else {})}
        else:
            element = {f.key: f.element_names(name)[0], f.value: v}
        out.append(element)
    return out


def _es_boolean(value: Any) -> Any:
    """What Elasticsearch indexes in a boolean field: true, false, "true", "false" (anything
    else is rejected, so no such event exists)."""
    if isinstance(value, list):
        values = [_es_boolean(v) for v in value]
        return None if any(v is None for v in values) else values
    if isinstance(value, bool):
        return value
    return {"true": True, "false": False}.get(value) if isinstance(value, str) else None


def _all_match(pattern: str, value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    return all(re.search(pattern, str(v)) for v in values)


def _same(mapped: Any, ecs_value: Any) -> bool:
    """An ECS value and a mapped value are the same (a boolean field may hold "false")."""
    if mapped is None or ecs_value is None:
        return mapped is ecs_value
    if isinstance(mapped, bool) or isinstance(ecs_value, bool):
        return str(mapped).lower() == str(ecs_value).lower()
    return str(mapped) == str(ecs_value)


def _all_ips(value: Any) -> bool:
    return all(_is_ip(v) for v in value) if isinstance(value, list) else _is_ip(value)


def holds(cond: dict, event: Mapping[str, Any]) -> bool:
    """A platform scope (exists / eq / all / any / not over ECS fields) on an event."""
    if "exists" in cond:
        v = get(event, cond["exists"])
        return v is not None and v != []
    if "all" in cond:
        return all(holds(c, event) for c in cond["all"])
    if "any" in cond:
        return any(holds(c, event) for c in cond["any"])
    if "not" in cond:
        return not holds(cond["not"], event)
    if "eq" in cond:
        v = get(event, cond["field"])
        values = v if isinstance(v, list) else [v]
        return any(x is not None and str(x) in {str(e) for e in cond["eq"]} for x in values)
    raise ValueError(f"a platform scope is exists/eq/all/any/not, not {cond!r}")


# --- platform records ----------------------------------------------------------

def _splunk_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else str(value)
    return str(value)


def splunk_fields(record: Any, prefix: str = "") -> dict[str, Any]:
    """Splunk's JSON field extraction of `record`: path -> text, or a list of texts."""
    out: dict[str, list] = {}
    _splunk_walk(record, prefix, out)
    return {k: (v[0] if len(v) == 1 else v) for k, v in out.items()}


def _splunk_walk(value: Any, path: str, out: dict[str, list]) -> None:
    if isinstance(value, Mapping):
        for key, sub in value.items():
            _splunk_walk(sub, f"{path}.{key}" if path else str(key), out)
    elif isinstance(value, list):
        for item in value:
            _splunk_walk(item, path + "{}", out)
    elif value is not None and path:
        out.setdefault(path, []).append(_splunk_text(value))


def render_json_layout(platform: Platform, record: dict) -> dict:
    wrapped: Any = {platform.keys.get(k, k): v for k, v in record.items()}
    if platform.prefix:
        for part in reversed([p for p in platform.prefix.split(".") if p]):
            wrapped = {part: wrapped}
    fields = splunk_fields(wrapped)
    fields.update(platform.select)
    fields["_raw"] = json.dumps(wrapped, separators=(",", ":"), ensure_ascii=False)
    return fields


def _path_value(record: dict, path: str) -> Any:
    node: Any = record
    for part in map(key, path.split(".")):
        if isinstance(node, list):
            node = [n.get(part) if isinstance(n, dict) else None for n in node]
            node = [n for n in node if n is not None]
            if not node:
                return None
            continue
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _typed(value: Any, ctype: str, as_json: bool) -> Any:
    if as_json:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False) if not isinstance(value, str) else value
    if ctype == "string":
        if isinstance(value, (dict, list)):
            return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        return _splunk_text(value)
    if ctype == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).lower()
        return True if text == "true" else False if text == "false" else None
    if ctype in ("int", "long"):
        try:
            return int(value)
        except (TypeError, ValueError):
            return None
    if ctype == "real":
        try:
            return float(value)
        except (TypeError, ValueError):
            return None
    return value  # dynamic, datetime: as the record holds it


def render_table(platform: Platform, record: dict, also=None) -> dict:
    """The row of `record` in the platform's table, or in `also` (another of its tables: its
    own column types and constants)."""
    row: dict[str, Any] = {}
    types = also.types if also is not None else {}
    consts = also.consts if also is not None else {}
    for col in platform.columns.values():
        if also is not None and col.name in also.lacks:
            continue
        if col.name in consts or col.const is not None:
            row[col.name] = consts.get(col.name, col.const)
            continue
        if col.name in types:
            col = replace(col, type=types[col.name], json=col.json and types[col.name] == "string")
        value = record if col.raw == ROOT else _path_value(record, col.raw) if col.raw else None
        if value is not None and col.enum is not None:
            value = col.enum.get(_splunk_text(value), _splunk_text(value))
        value = None if value is None else _typed(value, col.type, col.json)
        if value is None:
            if col.type == "string" or col.json:
                row[col.name] = ""
            continue
        row[col.name] = value
    row[TABLE_MARKER] = platform.table if also is None else also.table
    return row


def render(platform_key: str, event: Mapping[str, Any]) -> dict | None:
    """`event` as the platform `platform_key` records it, or None: not a record of a declared
    cloud source, or a source the platform has no model of."""
    source = source_of(event)
    if source is None:
        return None
    platform = source.platforms.get(platform_key)
    if platform is None:
        return None
    if platform.scope is not None and not holds(platform.scope, _nested(event)):
        return None
    record = raw_record(source, event)
    time = get(event, "@timestamp")
    if platform.layout == "json":
        fields = render_json_layout(platform, record)
        if epoch_seconds(time) is not None:
            fields["_time"] = epoch_seconds(time)
        return fields
    also = next((a for a in platform.also if holds(a.holds, _nested(event))), None)
    row = render_table(platform, record, also)
    if time is not None and platform_key in TIME_COLUMNS:
        row.setdefault(TIME_COLUMNS[platform_key], time)
    return row
