"""Event times, as every correlation evaluator reads them.

Correlations order events and measure spans, so each executor needs one
number per event: seconds since the Unix epoch (UTC, a float). Events carry
it as an ISO 8601 string (ECS `@timestamp`, Kusto `Timestamp` and
`TimeGenerated`, Sysmon's `UtcTime` "2025-08-21 10:00:00.100"), or as a
number of seconds (Splunk's `_time`). A string without a zone is UTC, as
Sysmon's UtcTime and Elasticsearch's `date` type without a zone are.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any


def epoch_seconds(value: Any) -> float | None:
    """Seconds since the epoch for a timestamp value, or None when it is not one."""
    if isinstance(value, (list, tuple)):
        value = value[0] if len(value) == 1 else None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


def iso_utc(seconds: float) -> str:
    """An epoch time as ECS writes @timestamp: `2025-01-01T00:00:00.000Z`."""
    moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
