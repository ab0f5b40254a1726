"""ES|QL (FROM ... | WHERE ...) over Elastic events, with ES|QL's semantics.

Events are in the doc-values view (converters.engine.documents). A field
with no value is null; with one value it is that value; with several it is
a multi-value. What we follow (Elastic's ES|QL reference):

- Commands: `FROM <index patterns> [METADATA ...]`: a document is read when
  its index (the data stream name in the event's `_index`, which the Elastic
  platform model sets) matches one of the comma-separated patterns (`*` is
  any run of characters; a pattern may be quoted; `-pattern` excludes what
  it matches from the patterns before it; a `cluster:` prefix is ignored).
  A document without `_index` has no known index and is read by every FROM.
  `_index` is a column only when METADATA names it. Then any of `WHERE
  <expr>`, `MV_EXPAND <field>` (one row per value), `KEEP`/`DROP` (which also
  hide fields from later commands), `LIMIT n` with n large enough to keep
  every row (a smaller limit would keep an unspecified subset, so it raises),
  and `EVAL`/`STATS ... BY` (converters/esql/stats.py, which says which events
  stand behind each row: `alerts()`). An event matches when at least one of
  its rows survives. Other commands raise.
- Keywords and function names ignore case; field names do not. Backquoted
  names (`` `process.name` ``, with ``` `` ``` for a backquote) are fields.
  Strings: "..." with escapes \\t \\n \\r \\" \\\\ only (any other backslash
  is a syntax error), or raw \"\"\"...\"\"\".
- NULL: a comparison, LIKE, RLIKE, IN or function with a null operand is null;
  AND/OR/NOT are three-valued; WHERE keeps rows whose condition is true. So
  `f != "x"` and `NOT f == "x"` are NOT true for events without f.
  `IS NULL`/`IS NOT NULL` test for no value.
- Multi-values: "unless otherwise documented functions will return null when
  applied to a multivalued field" (ES|QL multivalued fields page); the same
  holds for comparisons, LIKE, RLIKE and IN (Elasticsearch emits a warning
  and the row does not match). So `process.args == "-r"` is null for an
  event whose process.args holds several values. Multi-value aware: IS
  [NOT] NULL, COALESCE, MV_COUNT, MV_FIRST, MV_LAST, MV_MIN, MV_MAX,
  MV_CONCAT, MV_DEDUPE, MV_CONTAINS, and TO_LOWER/TO_UPPER (applied to each
  value), and MV_EXPAND. Multi-values come as ES|QL reads them from doc
  values: sorted (strings by UTF-8 bytes), keyword values deduplicated, so
  `["a", "a"]` is the single value "a" and MV_FIRST gives the smallest.
- `==`, `!=`, `<`... compare strings case-sensitively, numbers numerically;
  `=~` is case-insensitive equality, which folds ASCII letters only (and
  `=~ ""` matches nothing), as Elasticsearch's case-insensitive automaton does. Values of different kinds compare by
  their text (ES|QL would reject the query; we stay lenient).
- `LIKE`: whole value, case-sensitive, `*` any run, `?` one character, a
  backslash makes the next character literal; a pattern with no unescaped
  wildcard is an equality (`LIKE ""` matches ""). `RLIKE`: Lucene 9's RegExp
  over the whole value. Both are the Lucene queries of converters.engine.leaves. Both accept a list of
  patterns (true if any matches). No normalizer is applied to patterns: a
  `.caseless` field holds lower-cased values, so upper case in a pattern
  never matches it.
- Functions: STARTS_WITH ENDS_WITH TO_LOWER TO_UPPER LENGTH SUBSTRING
  (1-based start) CONCAT TRIM COALESCE TO_STRING CIDR_MATCH LOCATE, the MV_
  functions above, and for correlations CASE (the value of the first true
  condition), MV_APPEND, MV_SORT, MV_SLICE (0-based, end inclusive),
  TO_LONG (a date as epoch milliseconds) and DATE_TRUNC(<n unit>, date)
  (rounded down to a multiple of the span since the epoch). Others raise
  ExecutionError.
"""

from __future__ import annotations

import fnmatch
import re
from functools import lru_cache
from typing import Callable, Sequence

from converters.engine.documents import doc_values_reader, gc_paused
from converters.engine.executor import Event, ExecutionError, RowsExecutor
from converters.esql import stats as cross
from converters.esql.expressions import compile_condition, parse_field_list

INDEX = "_index"


class EsqlExecutor(RowsExecutor):
    """ES|QL FROM/WHERE pipelines (see the module docstring)."""

    name = "esql"
    engine = "ruleport ES|QL evaluator (Elasticsearch ES|QL semantics)"

    def _rows(self, query: str, events: Sequence[Event]) -> list:
        source, stages, fields = compile_esql(query)
        read = doc_values_reader(fields + (INDEX,))
        with gc_paused():
            rows = []
            for i, e in enumerate(events):
                row = _row(read(e))
                index = row.get(INDEX) if source.metadata_index else row.pop(INDEX, None)
                if index is None or source.reads(index):
                    rows.append((i, row))
            for stage in stages:
                rows = stage(rows)
            return rows


class Source:
    """The FROM command: which indexes it reads."""

    def __init__(self, patterns: list[str], metadata: list[str]):
        if not patterns or not all(patterns):
            raise ExecutionError("ES|QL FROM needs index patterns")
        if not [p for p in patterns if not p.startswith("-")]:
            raise ExecutionError(f"ES|QL FROM {', '.join(patterns)!r} names no index")
        self.patterns = patterns
        self.metadata_index = INDEX in metadata

    def reads(self, index) -> bool:
        names = index if isinstance(index, list) else [index]
        return any(self._reads(str(name)) for name in names)

    def _reads(self, name: str) -> bool:
        read = False
        for pattern in self.patterns:
            exclude = pattern.startswith("-")
            local = pattern[1:] if exclude else pattern
            local = local.split(":", 1)[1] if ":" in local else local
            if fnmatch.fnmatchcase(name, local.replace("[", "[[]")):
                read = not exclude
        return read


def _row(doc: dict) -> dict:
    """ES|QL's view of a document: null, one value, or a list of several."""
    return {k: (v[0] if len(v) == 1 else _doc_values(v)) for k, v in doc.items() if v}


def _doc_values(values: list):
    """Multi-values as ES|QL loads them from doc values: sorted; keyword values also deduplicated."""
    if all(isinstance(v, str) for v in values):
        unique = sorted(set(values))  # code-point order is UTF-8 byte order
        return unique if len(unique) > 1 else unique[0]
    try:
        return sorted(values)
    except TypeError:
        return list(values)


def split_commands(text: str) -> list[str]:
    """Split on `|` outside strings, raw strings, backquotes and comments."""
    parts, buf, i, n = [], [], 0, len(text)
    while i < n:
        if text.startswith('"""', i):
            end = text.find('"""', i + 3)
            if end < 0:
                raise ExecutionError("ES|QL: unclosed triple-quoted string")
            buf.append(text[i:end + 3])
            i = end + 3
            continue
        c = text[i]
        if c in '"`':
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if (c == '"' and text[j] == "\\") else 1
            if j >= n:
                raise ExecutionError(f"ES|QL: unclosed {c}")
            buf.append(text[i:j + 1])
            i = j + 1
            continue
        if text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise ExecutionError("ES|QL: unclosed comment")
            i = end + 2
            continue
        if c == "|":
            parts.append("".join(buf).strip())
            buf = []
        else:
            buf.append(c)
        i += 1
    parts.append("".join(buf).strip())
    if any(not p for p in parts):
        raise ExecutionError("ES|QL: empty command between pipes")
    return parts


@lru_cache(maxsize=256)
def compile_esql(text: str) -> tuple:
    """(Source, stages, fields read) of an ES|QL query."""
    commands = split_commands(text)
    head = commands[0]
    m = re.match(r"(?is)from\s+(.+?)(?:\s+metadata\s+(.+))?$", head)
    if not m:
        raise ExecutionError(f"ES|QL must start with FROM, got {head[:40]!r}")
    patterns = [p.strip().strip('"').strip() for p in m.group(1).split(",")]
    metadata = [p.strip() for p in (m.group(2) or "").split(",") if p.strip()]
    source = Source(patterns, metadata)
    fields: list[str] = []
    stages = tuple(_command(c, fields) for c in commands[1:])
    return source, stages, tuple(fields)


def _command(text: str, fields: list[str]) -> Callable[[list], list]:
    m = re.match(r"(?s)(\w+)\s*(.*)$", text)
    if not m:
        raise ExecutionError(f"ES|QL: cannot read command {text[:40]!r}")
    name, rest = m.group(1).lower(), m.group(2)
    if name == "where":
        cond, read = compile_condition(rest)
        fields.extend(read)
        return lambda rows: [(i, r) for i, r in rows if cond(r) is True]
    if name == "eval":
        return cross.eval_command(rest, fields)
    if name == "stats":
        return cross.stats_command(rest, fields)
    if name == "mv_expand":
        (field,) = parse_field_list(rest, single=True)
        fields.append(field)
        return lambda rows: [(i, x) for i, r in rows for x in _expand(r, field)]
    if name in ("keep", "drop"):
        names = parse_field_list(rest)
        keep = name == "keep"

        def project(rows):
            return [(i, {k: v for k, v in r.items() if any(fnmatch.fnmatchcase(k, p) for p in names) == keep})
                    for i, r in rows]
        return project
    if name == "limit":
        if not rest.strip().isdigit():
            raise ExecutionError(f"ES|QL LIMIT needs a number, got {rest!r}")
        limit = int(rest)

        def cap(rows):
            if len(rows) > limit:
                raise ExecutionError(f"ES|QL LIMIT {limit} would keep an unspecified subset of the rows")
            return rows
        return cap
    raise ExecutionError(f"ES|QL command {name.upper()} is not supported by the executor")


def _expand(row: dict, field: str) -> list[dict]:
    value = row.get(field)
    if not isinstance(value, list):
        return [row]
    return [{**row, field: v} for v in value]

