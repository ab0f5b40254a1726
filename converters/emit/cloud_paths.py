"""How a raw path of a cloud source's records is named on each platform layout.

A cloud data model (converters.emit.cloud) reads a raw path of the source's
records (``a.b.c``) through the platform field that holds it: on a JSON layout
(Splunk's JSON extraction) the path's extraction name, array members as
``key{}.sub`` (`splunk_name`); on a table (Kusto) the column, or a value inside
the column's object as ``tostring(parse_json(Column).path)`` (`kusto_expr`;
``toreal`` for numeric comparisons). The Kusto backend writes such a field
name as the expression it is (`KUSTO_FUNCTIONS`,
converters.emit.backend_kusto).
"""

from __future__ import annotations

import re

from converters.platforms.cloud.facts import ROOT, Column, Source, key

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: the functions kusto_expr wraps a path in: a field name starting with one is an expression
KUSTO_FUNCTIONS = ("tostring(", "toreal(")


def splunk_name(raw: str, source: Source) -> str:
    """Splunk's JSON extraction name of a raw path: array members as key{}.sub (an array
    position, which Splunk does not keep apart, reads every member)."""
    parts = raw.split(".")
    out: list[str] = []
    for i, part in enumerate(parts):
        if part.isdigit() and out:
            if not out[-1].endswith("{}"):
                out[-1] += "{}"
            continue
        out.append(key(part))
        if ".".join(parts[:i + 1]) in source.arrays and not (i + 1 < len(parts) and parts[i + 1].isdigit()):
            out[-1] += "{}"
    return ".".join(out)


def kusto_expr(col: Column, rest: str, wrap: str | None) -> str:
    """The Kusto expression reading path `rest` inside column `col` (none: the column itself),
    converted by `wrap` (tostring, toreal; None: as it is, or tostring inside an object)."""
    if col.raw == ROOT:
        return f"{wrap or 'tostring'}({col.name}" + _kusto_path(rest) + ")" if rest else col.name
    if not rest:
        return f"{wrap}({col.name})" if wrap else col.name
    return f"{wrap or 'tostring'}(parse_json({col.name}){_kusto_path(rest)})"


def _kusto_path(rest: str) -> str:
    path = ""
    for part in map(key, rest.split(".")):
        if part.isdigit():
            path += f"[{part}]"
            continue
        path += f".{part}" if _IDENT.match(part) else '["' + part.replace("\\", "\\\\").replace('"', '\\"') + '"]'
    return path

