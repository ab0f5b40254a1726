"""What synthesis needs to know about ECS: field types, array fields, allowed values.

Facts come from two generated tables (scripts/gen_ecs_table.py, from the npm
package @elastic/ecs): converters/data/ecs_fields.json (field -> ECS type)
and converters/data/ecs_shapes.json (fields normalized to arrays, the allowed
values of event.category/type/kind/outcome, the expected values of
host.os.type). Elastic Defend's own array fields beyond ECS come from the
translation's list (converters/translate/fieldmap.py ARRAY_FIELDS).
"""

from __future__ import annotations

import functools
import ipaddress
import json
from pathlib import Path
from typing import Any

from converters.lint.ecs import ecs_table
from converters.translate.fieldmap import array_fields as _array_fields

SHAPES = Path(__file__).resolve().parent.parent.parent / "data" / "ecs_shapes.json"

NUMERIC_TYPES = {"long", "integer", "short", "byte", "unsigned_long"}
FLOAT_TYPES = {"float", "double", "scaled_float", "half_float"}

#: host.os.type values synthesis builds events for (ECS expects also unix, ios, android)
OS_TYPES = ("windows", "linux", "macos")
OS_FAMILY = {"windows": "windows", "linux": "debian", "macos": "macos"}
OS_NAME = {"windows": "Windows", "linux": "Ubuntu", "macos": "macOS"}
OS_PLATFORM = {"windows": "windows", "linux": "ubuntu", "macos": "darwin"}


@functools.cache
def shapes() -> dict:
    with open(SHAPES, encoding="utf-8") as fh:
        return json.load(fh)


def array_fields() -> frozenset[str]:
    return _array_fields()


def is_array(field: str) -> bool:
    return field in array_fields()


def ecs_type(field: str) -> str | None:
    return ecs_table().type_of(field)


def is_ip(field: str) -> bool:
    return ecs_type(field) == "ip" or field.endswith(".ip") or field == "dns.resolved_ip"


def allowed_values(field: str) -> list[str]:
    """ECS's allowed values of event.category, event.type, ... (empty for other fields)."""
    allowed = shapes()["allowed_values"].get(field)
    if allowed:
        return list(allowed)
    return list(shapes()["expected_values"].get(field, ()))


def expected_types(category: str) -> list[str]:
    """The event.type values ECS expects with an event.category value."""
    return list(shapes()["allowed_values"]["event.category"].get(category, ()))


def typed(field: str, value: Any) -> Any:
    """`value` (as a query wrote it) typed as ECS types the field: numbers as numbers, booleans as
    booleans; strings stay strings where the field is a string or unknown."""
    kind = ecs_type(field)
    if isinstance(value, str):
        if kind in NUMERIC_TYPES:
            try:
                return int(value)
            except ValueError:
                return value
        if kind in FLOAT_TYPES:
            try:
                return float(value)
            except ValueError:
                return value
        if kind == "boolean" and value.lower() in ("true", "false"):
            return value.lower() == "true"
        return value
    if isinstance(value, bool):
        return value if kind in (None, "boolean") else ("true" if value else "false")
    if isinstance(value, (int, float)) and kind in ("keyword", "wildcard", "constant_keyword"):
        return str(value)
    return value


def is_valid_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False
