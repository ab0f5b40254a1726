"""The one declared table from ECS fields to Sigma's taxonomy.

Each entry says what a Sigma field means in ECS terms. The acting process's
account is `User` in every Sysmon event that records one (process creation,
file, registry, network, DNS, image load: converters/data/platforms/sysmon.json),
so that a join key on user.name is one field across a correlation's steps. Fields not listed
keep their ECS name in the Sigma rule (a custom field, noted), so that no
condition is dropped: the target pipelines map or approximate them.

`basename_of` marks ECS fields that hold the last path component of a
Sigma field (process.name is the basename of Image): a match on the name
becomes a match on the end of the path.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FieldMapping:
    ecs: str
    sigma: str
    basename_of: bool = False   # ECS value is the basename of the Sigma path field
    note: str | None = None     # why the mapping is only near-equivalent, if it is


# Elastic event.category -> Sigma logsource category (with the event.type a
# category implies; a rule that does not constrain event.type this way gets
# a note, since the Sigma category is narrower than the EQL category).
# Each Sigma category here means exactly `event.category == <key>` (plus the
# implied event.type) on Elastic data, as the emit stage's Elastic models
# scope it. "dns" is not mapped: it is no ECS category value, and Sigma's
# dns_query selects DNS lookups, which Elastic data files under "network";
# a query testing event.category "dns" keeps that condition.
CATEGORY_LOGSOURCE: dict[str, tuple[str, tuple[str, ...]]] = {
    "process": ("process_creation", ("start", "process_started")),
    "network": ("network_connection", ()),
    "file": ("file_event", ()),
    "registry": ("registry_event", ()),
    "library": ("image_load", ()),
    "driver": ("driver_load", ()),
}

# host.os.type -> Sigma logsource product
OS_PRODUCT = {"windows": "windows", "linux": "linux", "macos": "macos"}

# path separator of each product, for basename matches
PATH_SEPARATOR = {"windows": "\\", "linux": "/", "macos": "/"}

_PROCESS = [
    FieldMapping("process.executable", "Image"),
    FieldMapping("process.name", "Image", basename_of=True),
    FieldMapping("process.command_line", "CommandLine"),
    FieldMapping("process.pe.original_file_name", "OriginalFileName"),
    FieldMapping("process.pe.company", "Company"),
    FieldMapping("process.pe.description", "Description"),
    FieldMapping("process.pe.product", "Product"),
    FieldMapping("process.pe.file_version", "FileVersion"),
    FieldMapping("process.working_directory", "CurrentDirectory"),
    FieldMapping("process.pid", "ProcessId"),
    FieldMapping("process.entity_id", "ProcessGuid",
                 note="ECS entity_id and Sysmon ProcessGuid identify a process but are not the same value"),
    FieldMapping("process.parent.executable", "ParentImage"),
    FieldMapping("process.parent.name", "ParentImage", basename_of=True),
    FieldMapping("process.parent.command_line", "ParentCommandLine"),
    FieldMapping("process.parent.pid", "ParentProcessId"),
    FieldMapping("process.hash.md5", "md5"),
    FieldMapping("process.hash.sha1", "sha1"),
    FieldMapping("process.hash.sha256", "sha256"),
    FieldMapping("user.name", "User",
                 note="ECS user.name holds the bare name; Sysmon's User is DOMAIN\\name"),
    FieldMapping("process.Ext.token.integrity_level_name", "IntegrityLevel"),
]

_FILE = [
    FieldMapping("file.path", "TargetFilename"),
    FieldMapping("file.name", "TargetFilename", basename_of=True),
    FieldMapping("process.executable", "Image"),
    FieldMapping("process.name", "Image", basename_of=True),
    FieldMapping("user.name", "User"),
]

_NETWORK = [
    FieldMapping("destination.ip", "DestinationIp"),
    FieldMapping("destination.port", "DestinationPort"),
    FieldMapping("destination.domain", "DestinationHostname"),
    FieldMapping("source.ip", "SourceIp"),
    FieldMapping("source.port", "SourcePort"),
    FieldMapping("network.transport", "Protocol"),
    FieldMapping("process.executable", "Image"),
    FieldMapping("process.name", "Image", basename_of=True),
    FieldMapping("user.name", "User"),
]

_REGISTRY = [
    FieldMapping("registry.path", "TargetObject"),
    FieldMapping("registry.data.strings", "Details",
                 note="ECS registry.data.strings is an array of the value's strings; Sysmon Details is one rendered string"),
    FieldMapping("process.executable", "Image"),
    FieldMapping("process.name", "Image", basename_of=True),
    FieldMapping("user.name", "User"),
]

_LIBRARY = [
    FieldMapping("dll.path", "ImageLoaded"),
    FieldMapping("dll.name", "ImageLoaded", basename_of=True),
    FieldMapping("process.executable", "Image"),
    FieldMapping("process.name", "Image", basename_of=True),
    FieldMapping("user.name", "User"),
]

_DNS = [
    FieldMapping("dns.question.name", "QueryName"),
    FieldMapping("process.executable", "Image"),
    FieldMapping("process.name", "Image", basename_of=True),
    FieldMapping("user.name", "User"),
]

FIELD_MAPPINGS: dict[str, dict[str, FieldMapping]] = {
    category: {m.ecs: m for m in table}
    for category, table in {
        "process_creation": _PROCESS,
        "file_event": _FILE,
        "network_connection": _NETWORK,
        "registry_event": _REGISTRY,
        "image_load": _LIBRARY,
        "dns_query": _DNS,
    }.items()
}

# ECS fields that hold arrays: a condition on them holds when any element matches.
ARRAY_FIELDS = frozenset({
    "process.args", "process.parent.args", "event.type", "event.category",
    "registry.data.strings", "dns.resolved_ip", "related.ip", "related.user",
    "threat.indicator.ip", "file.Ext.header_bytes",
})


#: ECS's own list of the fields it normalizes to arrays (generated from @elastic/ecs, as ecs_fields.json)
ECS_SHAPES = Path(__file__).resolve().parent.parent / "data" / "ecs_shapes.json"


@functools.cache
def array_fields() -> frozenset[str]:
    """Every field that can hold an array: ECS's arrays (process.env_vars, host.ip, ...) and ARRAY_FIELDS."""
    with open(ECS_SHAPES, encoding="utf-8") as fh:
        return frozenset(json.load(fh)["arrays"]) | ARRAY_FIELDS


def lookup(category: str | None, ecs_field: str) -> FieldMapping | None:
    return FIELD_MAPPINGS.get(category or "", {}).get(ecs_field)


def ecs_of(category: str | None, sigma_field: str) -> str:
    """The ECS field a Sigma field of this rule stands for (a custom field is its own ECS name)."""
    for mapping in FIELD_MAPPINGS.get(category or "", {}).values():
        if mapping.sigma == sigma_field and not mapping.basename_of:
            return mapping.ecs
    return sigma_field


# --- ECS field types ----------------------------------------------------------
# KQL values are untyped text; the field's ECS type says whether `2` is a number,
# `true` a boolean, `10.0.0.0/8` an address block. The table is the project's
# ECS field list (converters/data/ecs_fields.json, generated from @elastic/ecs).
ECS_FIELDS = Path(__file__).resolve().parent.parent / "data" / "ecs_fields.json"
NUMERIC_TYPES = frozenset({"long", "integer", "short", "byte", "unsigned_long", "float", "double",
                           "half_float", "scaled_float"})


@functools.cache
def _ecs_types() -> dict[str, str]:
    with open(ECS_FIELDS, encoding="utf-8") as fh:
        return json.load(fh)["fields"]


def ecs_type(ecs_field: str) -> str | None:
    """The field's ECS type (keyword, long, ip, boolean, ...), None for a field ECS does not define."""
    return _ecs_types().get(ecs_field)


def ecs_fields_matching(pattern: str) -> list[str]:
    """The ECS leaf fields a KQL wildcard field name (`file.hash.*`) names, sorted."""
    import re  # noqa: PLC0415 - only wildcard field names need it

    rx = re.compile(".*".join(re.escape(p) for p in pattern.split("*")))
    return sorted(f for f, kind in _ecs_types().items()
                  if kind not in ("object", "nested", "flattened") and rx.fullmatch(f))
