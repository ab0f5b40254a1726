"""SPL commands that work across events: multisearch, sort, streamstats, stats, bin.

Semantics followed (Splunk Search Reference):

multisearch [ search ... ] [ search ... ] ...   /   append [ <search> ]
  Runs each subsearch (a pipeline of streaming commands starting with a
  search) over the events and returns all their results together; an event
  two subsearches keep is returned twice, once by each. It must be the first
  command. `append` adds one subsearch's results (which may start with a
  generating command such as tstats) after the current results.
sort [N] [+|-]field ...
  Orders the results (ascending by default, `-` descending; numbers as
  numbers, missing values first); stable. `sort 0` keeps every result.
streamstats [current=t|f] [time_window=<span>] [window=N] agg... [by f ...]
  Adds to each result the statistics of the results before it (in the
  current order) of the same by-group, itself included unless current=f;
  with time_window, only those at most that span before it (by `_time`;
  the results must be in time order). A result lacking a by field gets no
  statistics. Aggregations: count, count(f), dc(f), sum(f), min(f), max(f),
  earliest(f), latest(f), each `as name` or named like `max(f)`.
stats agg... [by f ...]
  One result per by-group (results lacking a by field are dropped), with the
  same aggregations.
bin [field] span=<span>
  Rounds the field (default `_time`) down to a multiple of the span.

The events behind a result: every result carries the set of event indexes
it stands for (an event, its own index). An aggregation that reads several
results (count, dc, sum, values) adds all the results it reads; one that
picks a result (min, max, earliest, latest) adds the result it picked. A
correlation's alerts are the surviving results' sets.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from converters.engine.executor import ExecutionError, provenance

_SPAN = re.compile(r"^(\d+(?:\.\d+)?)(s|sec|secs|second|seconds|m|min|mins|minute|minutes|h|hr|hrs|hour|hours|"
                   r"d|day|days|mon)?$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "mon": 2592000}


def span_seconds(text: str) -> float:
    m = _SPAN.match(text.strip())
    if not m:
        raise ExecutionError(f"SPL: cannot read the time span {text!r}")
    unit = (m.group(2) or "s")
    key = "mon" if unit == "mon" else unit[0]
    return float(m.group(1)) * _UNIT[key]


def _time(record: dict) -> float | None:
    v = record.get("_time")
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _value(record: dict, field: str) -> list:
    v = record.get(field)
    if v is None:
        return []
    return [x for x in v if x is not None] if isinstance(v, (list, tuple)) else [v]


def _num(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _order_key(v: Any):
    n = _num(v)
    return (0, n, "") if n is not None else (1, 0.0, str(v))


# --- multisearch -----------------------------------------------------------------------------

def split_subsearches(text: str) -> list[str]:
    """The bodies of the top-level `[ ... ]` groups of `text`."""
    out, depth, quote, start = [], 0, None, 0
    for i, c in enumerate(text):
        if quote:
            if c == "\\" and quote == '"':
                continue
            if c == quote and (i == 0 or text[i - 1] != "\\"):
                quote = None
        elif c == '"':
            quote = c
        elif c == "[":
            if depth == 0:
                start = i + 1
            depth += 1
        elif c == "]":
            depth -= 1
            if depth == 0:
                out.append(text[start:i].strip())
            elif depth < 0:
                raise ExecutionError("SPL: unbalanced ] in multisearch")
        elif depth == 0 and not c.isspace():
            raise ExecutionError(f"SPL multisearch: expected [ subsearch ], found {text[i:i + 20]!r}")
    if depth:
        raise ExecutionError("SPL: unclosed [ in multisearch")
    return out


def multisearch(rest: str, compile_pipeline: Callable[[str], tuple]):
    bodies = split_subsearches(rest)
    if len(bodies) < 2:
        raise ExecutionError("SPL multisearch needs at least two subsearches")
    pipelines = []
    for body in bodies:
        if not body.startswith("search ") and not body == "search":
            raise ExecutionError("a multisearch subsearch must start with `search`")
        pipelines.append(compile_pipeline(body[len("search"):].strip() or "*"))

    def run(rows):
        out = []
        for stages in pipelines:
            part = list(rows)
            for stage in stages:
                part = stage(part)
            out.extend(part)
        return out

    return run


def append(rest: str, compile_pipeline: Callable[[str], tuple]):
    bodies = split_subsearches(rest)
    if len(bodies) != 1:
        raise ExecutionError("SPL append takes one [ subsearch ]")
    body = bodies[0]
    stages = compile_pipeline(body[len("search"):].strip() or "*" if body.startswith("search") else body)

    def run(rows, source):
        part = source
        for stage in stages:
            part = stage(part, source) if getattr(stage, "reads_source", False) else stage(part)
        return list(rows) + list(part)

    run.reads_source = True
    return run


def tstats_buckets(cond: Callable[[dict], bool], by: list[str], span: float, fillnull: str | None):
    """tstats count ... by _time span=S f ...: one row per bucket of S seconds and by-values."""
    def run(rows):
        groups: dict[tuple, list] = {}
        for i, r in rows:
            if not cond(r):
                continue
            t = _time(r)
            if t is None:
                continue
            values = []
            for f in by:
                v = r.get(f)
                if v is None:
                    if fillnull is None:
                        break
                    v = fillnull
                values.append(v if not isinstance(v, list) else tuple(v))
            else:
                groups.setdefault(((t // span) * span, *values), []).append(provenance(i))
        out = []
        for key, members in groups.items():
            record = {"_time": key[0], "count": len(members), **dict(zip(by, key[1:]))}
            out.append((frozenset().union(*members), record))
        return out

    return run


# --- sort ------------------------------------------------------------------------------------------

def sort(rest: str):
    words = rest.replace(",", " ").split()
    if words and words[0].isdigit():
        words = words[1:]
    keys = []
    pending = None  # a lone `-` or `+` applies to the next field
    for w in words:
        if w in ("-", "+"):
            pending = w == "-"
            continue
        desc = w.startswith("-") if pending is None else pending
        pending = None
        keys.append((w.lstrip("+-"), desc))
    if not keys:
        raise ExecutionError("SPL sort: no field to sort by")

    def run(rows):
        out = list(rows)
        for name, desc in reversed(keys):  # stable: least significant key first
            present = [(i, r) for i, r in out if _value(r, name)]
            missing = [(i, r) for i, r in out if not _value(r, name)]
            present.sort(key=lambda ir: _order_key(_value(ir[1], name)[0]), reverse=desc)
            out = missing + present if not desc else present + missing
        return out

    return run


# --- aggregations ---------------------------------------------------------------------------------

_AGG = re.compile(r"(?P<fn>count|dc|distinct_count|sum|min|max|earliest|latest|values)"
                  r"(?:\((?P<field>[^)]*)\))?(?:\s+as\s+(?P<name>[\w.]+))?", re.IGNORECASE)


def _parse_aggregations(text: str) -> tuple[list[tuple[str, str | None, str]], list[str]]:
    m = re.search(r"\s+by\s+", text, re.IGNORECASE)
    body, by = (text[:m.start()], text[m.end():]) if m else (text, "")
    aggs = []
    pos = 0
    body = body.strip()
    while pos < len(body):
        while pos < len(body) and body[pos] in " ,":
            pos += 1
        if pos >= len(body):
            break
        m = _AGG.match(body, pos)
        if not m:
            raise ExecutionError(f"SPL: unsupported aggregation near {body[pos:pos + 30]!r}")
        fn = m.group("fn").lower()
        fn = "dc" if fn == "distinct_count" else fn
        field = (m.group("field") or "").strip().strip("'\"") or None
        if fn != "count" and field is None:
            raise ExecutionError(f"SPL: {fn} needs a field")
        name = m.group("name") or (f"{fn}({field})" if field else "count")
        aggs.append((fn, field, name))
        pos = m.end()
    if not aggs:
        raise ExecutionError("SPL: no aggregation given")
    group = [f for f in re.split(r"[\s,]+", by.strip()) if f]
    return aggs, group


def _aggregate(fn: str, field: str | None, rows: list[tuple[frozenset, dict]]) -> tuple[Any, frozenset]:
    """(value, the events it stands for) of one aggregation over rows."""
    if fn == "count":
        used = rows if field is None else [(p, r) for p, r in rows if _value(r, field)]
        return len(used), frozenset().union(*[p for p, _ in used]) if used else frozenset()
    values = [(p, v, r) for p, r in rows for v in _value(r, field)]
    if not values:
        return None, frozenset()
    if fn in ("dc", "values", "sum"):
        events = frozenset().union(*[p for p, _, _ in values])
        if fn == "dc":
            return len({str(v) for _, v, _ in values}), events
        if fn == "values":
            return sorted({str(v) for _, v, _ in values}), events
        nums = [_num(v) for _, v, _ in values]
        return (sum(n for n in nums if n is not None) if any(n is not None for n in nums) else None), events
    if fn in ("min", "max"):
        pick = (min if fn == "min" else max)(values, key=lambda pvr: _order_key(pvr[1]))
        return pick[1], pick[0]
    timed = [(t, p, v) for p, v, r in values if (t := _time(r)) is not None]
    if not timed:
        return None, frozenset()
    pick = (min if fn == "earliest" else max)(timed, key=lambda tpv: tpv[0])
    return pick[2], pick[1]


def _options(text: str, names: tuple[str, ...]) -> tuple[dict[str, str], str]:
    opts = {}
    while True:
        m = re.match(r"\s*(" + "|".join(names) + r")\s*=\s*(\S+)", text)
        if not m:
            return opts, text
        opts[m.group(1)] = m.group(2)
        text = text[m.end():]


def streamstats(rest: str):
    opts, rest = _options(rest, ("current", "time_window", "window", "global", "reset_on_change"))
    aggs, group = _parse_aggregations(rest)
    current = opts.get("current", "t").lower() not in ("f", "false", "0")
    span = span_seconds(opts["time_window"]) if "time_window" in opts else None
    window = int(opts["window"]) if "window" in opts else 0

    def run(rows):
        seen: dict[tuple, list[tuple[frozenset, dict]]] = {}
        out = []
        for i, r in rows:
            key = tuple(tuple(_value(r, f)) for f in group)
            if any(not k for k in key):
                out.append((i, r))
                continue
            history = seen.setdefault(key, [])
            mine = provenance(i)
            t = _time(r)
            if span is not None:
                if t is None:
                    raise ExecutionError("streamstats time_window: a result without _time")
                history[:] = [(p, h) for p, h in history if _time(h) is not None and t - _time(h) <= span]
            frame = history + ([(mine, r)] if current else [])
            if window:
                frame = frame[-window:]
            record = dict(r)
            events = mine
            for fn, field, name in aggs:
                value, used = _aggregate(fn, field, frame)
                if value is None:
                    record.pop(name, None)
                else:
                    record[name] = value
                    events = events | used
            history.append((mine, r))
            out.append((events, record))
        return out

    return run


def stats(rest: str):
    aggs, group = _parse_aggregations(rest)

    def run(rows):
        groups: dict[tuple, list[tuple[frozenset, dict]]] = {}
        for i, r in rows:
            key = tuple(tuple(_value(r, f)) for f in group)
            if any(not k for k in key):
                continue
            groups.setdefault(key, []).append((provenance(i), r))
        out = []
        for key, members in groups.items():
            record = {f: (list(k) if len(k) > 1 else k[0]) for f, k in zip(group, key)}
            events = frozenset().union(*[p for p, _ in members])
            for fn, field, name in aggs:
                value, _ = _aggregate(fn, field, members)
                if value is not None:
                    record[name] = value
            out.append((events, record))
        return out

    return run


def bin_command(rest: str):
    opts, remaining = {}, []
    for word in rest.split():
        if "=" in word:
            k, v = word.split("=", 1)
            opts[k] = v
        else:
            remaining.append(word)
    if "span" not in opts:
        raise ExecutionError("SPL bin: only span= is supported")
    field = remaining[0] if remaining else "_time"
    size = span_seconds(opts["span"])

    def run(rows):
        out = []
        for i, r in rows:
            n = _num(r.get(field))
            if n is not None:
                r = dict(r)
                r[field] = (n // size) * size
            out.append((i, r))
        return out

    return run
