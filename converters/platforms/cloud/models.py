"""What the targets that read cloud audit data need beside their endpoint models.

`with_cloud(render_fn, platform)` wraps an endpoint model's render function:
an event of a cloud product (its dataset's first part is one of
facts.CLOUD_PRODUCTS) is rendered by the cloud facts
(converters.platforms.cloud.render), every other event by the endpoint model
(converters.platforms.models builds its Splunk, CIM, Defender and Sentinel
models with it). `kusto_schema(platform)` gives the cloud tables' columns to the Kusto executors.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Mapping

from typing import Callable

from converters.platforms.activity import get
from converters.platforms.cloud import render
from converters.platforms.cloud.facts import CLOUD_PRODUCTS, sources


def is_cloud_event(event: Mapping[str, Any]) -> bool:
    for key in ("data_stream.dataset", "event.dataset"):
        value = get(event, key)
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if isinstance(value, str) and value.partition(".")[0] in CLOUD_PRODUCTS:
            return True
    return False


Render = Callable[[Mapping[str, Any]], "dict | None"]


def with_cloud(render_fn: Render, platform: str) -> Render:
    """`render_fn` for endpoint events, the cloud facts of `platform` for cloud audit events."""

    def render_event(event: Mapping[str, Any]) -> dict | None:
        if is_cloud_event(event):
            return render.render(platform, event)
        return render_fn(event)

    render_event.__name__ = f"{getattr(render_fn, '__name__', 'render')}_with_cloud"
    return render_event


@lru_cache(maxsize=None)
def kusto_schema(platform: str) -> dict[str, dict[str, str]]:
    """The cloud tables of a Kusto platform: table -> column -> Kusto type (as
    converters.platforms.facts.kusto_schema gives the endpoint tables)."""
    out: dict[str, dict[str, str]] = {}
    for src in sources().values():
        p = src.platforms.get(platform)
        if p is None or p.layout != "table":
            continue
        columns = out.setdefault(p.table, {})
        if platform in render.TIME_COLUMNS:
            columns.setdefault(render.TIME_COLUMNS[platform], "datetime")
        for c in p.columns.values():
            columns.setdefault(c.name, c.type)
        for name, ctype in p.other_columns.items():
            columns.setdefault(name, ctype)
        for also in p.also:
            out.setdefault(also.table, {})
            for name, ctype in columns.items():
                if name not in also.lacks:
                    out[also.table].setdefault(name, also.types.get(name, ctype))
    return out
