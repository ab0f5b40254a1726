"""Run a Sigma rule in real SQLite, through pySigma's sqlite backend.

The `sigma` target's output is the Sigma rule itself (YAML). This executor
converts it with pysigma-backend-sqlite, subclassed where the stock backend
loses Sigma's meaning, and runs the SQL in an in-memory sqlite3 database
holding the Sigma platform's records (flat dicts under Sigma's taxonomy names,
Image, CommandLine, TargetFilename, ..., plus the ECS fields the taxonomy has
no name for; converters.platforms.sysmon.render_sigma).

The rule's logsource selects the records: a record naming its Sigma
logsource in `sigma.category` / `sigma.product` is read only by rules of that
category (when the rule names one) and of that product (when the rule names
windows, linux or macos); a record naming none is read by every rule. In a
correlation each base rule reads its own logsource's records (a view per
logsource), as each search of a SIEM's correlation has its own scope: a
network connection is no process creation, even where both name the same Image.

A processing pipeline may be applied first (the `sigma` target record hands
this executor converters.emit.pipelines.sigma_records, so that this adapter
does not depend on the emit stage): a record holds an ECS array (process.args,
event.type) as its values one per line, so a condition on it becomes a
regex over the lines; `X.caseless` is X compared ignoring case; Sysmon's
registry Details rendering; notes like the emit stage's approximations.

Semantics (what we test):

- Sigma's default is case-insensitive. The stock backend emits `f='v'` for a
  plain value, which SQLite compares case-sensitively; here plain equality
  carries `COLLATE NOCASE` (the backend's own `collate_nocase` option).
  Wildcard, startswith/endswith/contains values use `LIKE ... ESCAPE '\\'`,
  case-insensitive too. Both fold ASCII letters only: SQLite's NOCASE and
  LIKE leave other letters as they are ('É' does not match 'é').
- Sigma `*` is LIKE `%` and `?` is LIKE `_`; literal `%`, `_` and backslashes
  are escaped with `\\` under `ESCAPE '\\'`.
- `|cased` never uses LIKE: it is `GLOB`, which is case-sensitive; a literal
  `*`, `?` or `[` is written `[*]`, `[?]`, `[[]`, and a backslash stands for
  itself (GLOB has no escape character).
- `|re` is `REGEXP`, which SQLite leaves to the application: it is Python's
  `re.search` (unanchored), `|i` as an `(?i)` prefix. A NULL value never
  matches.
- A field an event lacks is NULL: conditions on it are false, and the
  backend folds NULL to false under `not` (`NOT COALESCE(x, 0)`), so
  `selection and not filter` matches an event without the filter's field.
- Values keep their Python types: integers are SQLite integers (`ProcessId: 5`
  matches 5); booleans are 1 / 0. A column that holds only numbers has
  NUMERIC affinity, so a quoted `'5'` also matches 5 (as a quoted number
  matches a numeric field in Elasticsearch and Splunk). Numeric comparisons
  (`|gt`, `|lt`, ...) follow SQLite's ordering, where every text sorts after
  every number: events must carry numbers as numbers.
- Keyword (field-less) detections are unsupported by the backend:
  ExecutionError, as is any other conversion or SQL error, or a rule the
  pipeline refuses.
"""

from __future__ import annotations

import re
import sqlite3
from functools import lru_cache
from typing import Any, Callable, NamedTuple, Sequence

from converters.engine.executor import Event, ExecutionError, Executor
from converters.errors import RuleportError
from converters.notes import PIPELINE_NOTES_KEY

TABLE = "logs"
#: the record keys naming the Sigma logsource a record belongs to (converters.platforms.sysmon)
CATEGORY, PRODUCT = "sigma.category", "sigma.product"
_OS_PRODUCTS = ("windows", "linux", "macos")


def _logsources(sigma_yaml: str) -> list[tuple[str | None, str | None]]:
    """(category, product) of each rule in the document (a correlation's rules each have theirs)."""
    import yaml

    try:
        docs = list(yaml.safe_load_all(sigma_yaml))
    except yaml.YAMLError as exc:
        raise ExecutionError(f"cannot read the Sigma rule: {exc}") from None
    found = []
    for doc in docs:
        ls = doc.get("logsource") if isinstance(doc, dict) else None
        if isinstance(ls, dict):
            found.append((ls.get("category"), ls.get("product")))
    return found or [(None, None)]


def _reads(source: tuple[str | None, str | None], event: Event) -> bool:
    """Whether a rule of logsource `source` (category, product) reads the record `event`."""
    category, product = source
    return ((category is None or event.get(CATEGORY, category) == category)
            and (product not in _OS_PRODUCTS or event.get(PRODUCT, product) == product))


def _chosen(sigma_yaml: str, events: Sequence[Event]) -> list[int]:
    """The records the rule's logsource reads (any of a correlation's rules' logsources)."""
    sources = _logsources(sigma_yaml)
    return [i for i, e in enumerate(events) if any(_reads(source, e) for source in sources)]


def _source_table(source: tuple[str | None, str | None]) -> str:
    """The view holding the records of one logsource (a correlation's base rule reads its own)."""
    return TABLE + "_" + re.sub(r"[^a-z0-9]+", "_", f"{source[0] or 'any'}_{source[1] or 'any'}".lower())
INDEX_COLUMN = "_ruleport_index"
#: the time of a Sigma platform record (Sysmon's UtcTime, "2025-08-21 10:00:00.100", UTC)
TIMESTAMP = "UtcTime"
_NO_COLUMN_RE = re.compile(r"no such column: (.+)$")


def _backend_class():
    """The stock backend, subclassed for Sigma's case rule (built on first use: no import-time work)."""
    from sigma.backends.sqlite import sqliteBackend

    from converters.sqlite.correlation import compiler, rekey

    class SigmaSqliteBackend(sqliteBackend):
        """sqliteBackend whose plain equality is case-insensitive, as Sigma's default is; correlations
        keyed per referenced rule (converters/sqlite/correlation.py)."""

        key_field = None  # (pipeline, base rule, field) -> the field on this platform
        array_fields: frozenset[str] = frozenset()  # fields the records hold as arrays, one value per line

        def __init__(self, processing_pipeline=None, collect_errors=False, **options):
            options.setdefault("collate_nocase", True)
            options.setdefault("table", TABLE)
            options.setdefault("event_id_field", INDEX_COLUMN)
            options.setdefault("timestamp_field", TIMESTAMP)
            super().__init__(processing_pipeline, collect_errors, **options)
            self.correlation_plans: dict[str, dict] = {}

        def convert_correlation_rule(self, rule, output_format=None, method=None, callback=None):
            if not hasattr(self, "last_processing_pipeline"):
                self.init_processing_pipeline(output_format)
            if self.key_field is not None:
                rekey(rule, self.key_field, self.last_processing_pipeline)
            _read_own_logsource(rule)
            query, plan = compiler(self.array_fields)(self, rule).compile()
            # kept for the executor: the query's CTEs run as the plan's indexed temporary tables
            self.correlation_plans[query] = plan
            rule.set_conversion_result([query])
            return [query]

    return SigmaSqliteBackend


def _read_own_logsource(rule) -> None:
    """Each base rule of a correlation reads the view of its own logsource's records, as a SIEM applies
    each search's own logsource (the backend takes the table from the rule's processing state)."""
    from sigma.correlations import SigmaCorrelationRule

    for ref in rule.referenced_rules:
        base = ref.rule
        if isinstance(base, SigmaCorrelationRule):
            _read_own_logsource(base)
            continue
        source = (base.logsource.category, base.logsource.product)
        for state in base.get_conversion_states():
            state.processing_state["table"] = _source_table(source)


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def _regexp(pattern: str | None, value: Any) -> int | None:
    """SQLite's `value REGEXP pattern` calls regexp(pattern, value)."""
    if pattern is None or value is None:
        return None
    try:
        return 1 if _compiled(pattern).search(str(value)) else 0
    except re.error as exc:
        raise ValueError(f"invalid regex {pattern!r}: {exc}") from None


def _is_correlation(sigma_yaml: str) -> bool:
    return "\ncorrelation:" in sigma_yaml or sigma_yaml.startswith("correlation:")


def _sql_value(field: str, value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float)):
        return int(value) if isinstance(value, bool) else value
    raise ExecutionError(f"field {field!r}: a {type(value).__name__} value has no Sysmon form (events must be flat)")


def _numbers_only(events: Sequence[Event], field: str) -> bool:
    found = [e.get(field) for e in events if e.get(field) is not None]
    return bool(found) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in found)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class _Conversion(NamedTuple):
    queries: list[str]
    notes: list
    #: a correlation query -> the backend's plan of it (its stages, run one temporary table at a time)
    plans: dict[str, dict]


def _run_plan(con: sqlite3.Connection, plan: dict, columns: set[str]) -> list:
    """The `event_ids` of each alert of a correlation, run stage by stage by the backend's own runtime.

    The one-statement form (WITH stage1 AS (...), ...) means the same, but SQLite flattens
    the nested stages of a long temporal_ordered chain into one statement whose preparation
    alone takes gigabytes and seconds (a 26-step chain: 2 GB, 25 s); the plan's indexed
    temporary tables take milliseconds."""
    from sigma.backends.sqlite.runtime import execute_plan

    # the fields the rule names and no record has: NULL columns of the records' table (the
    # logsources' views read it whole), where the runtime would try to add them to the views
    present = {row[1].lower() for row in con.execute(f"PRAGMA table_info({TABLE})")}
    for field in sorted({f for fields in plan.get("required_fields", {}).values() for f in fields}):
        if field.lower() not in present and field.lower() != "rowid":
            con.execute(f"ALTER TABLE {TABLE} ADD COLUMN {_quote(field)}")
            present.add(field.lower())
            columns.add(field.lower())
    for _ in range(64):  # each retry adds one column the rule names and no event has
        try:
            rows, _diagnostics = execute_plan(con, plan, include_events=False)
            return [row["event_ids"] for row in rows]
        except sqlite3.OperationalError as exc:
            m = _NO_COLUMN_RE.search(str(exc))
            if not m or m.group(1).lower() in columns:
                raise ExecutionError(f"SQLite rejected the query: {exc}") from None
            con.execute(f"ALTER TABLE {TABLE} ADD COLUMN {_quote(m.group(1))}")
            columns.add(m.group(1).lower())
        except (sqlite3.Error, ValueError, RuntimeError) as exc:
            raise ExecutionError(f"SQLite failed: {exc}") from None
    raise ExecutionError("the query names too many fields the events lack")


class SigmaSqliteExecutor(Executor):
    """A Sigma rule, converted by pySigma's sqlite backend, run in SQLite (semantics: module docstring)."""

    name = "sigma"

    def __init__(self, pipeline: Callable[[], Any] | None = None, key_field: Callable | None = None,
                 ecs_field: Callable[[str | None, str], str] | None = None,
                 array_fields: frozenset[str] = frozenset()):
        #: a factory of the pySigma processing pipeline applied before conversion (None: none)
        self.pipeline = pipeline
        #: correlations: (pipeline, base rule, field) -> the field the pipeline gives it on that rule
        self.key_field = key_field
        #: correlations: (logsource category, Sigma field) -> the ECS field it stands for (notes name ECS fields)
        self.ecs_field = ecs_field
        #: correlations: the fields the records hold as arrays, one value per line (a value_count counts values)
        self.array_fields = array_fields

    @property
    def engine(self) -> str:  # type: ignore[override]
        return f"pysigma-backend-sqlite in SQLite {sqlite3.sqlite_version}"

    def to_sql(self, sigma_yaml: str) -> list[str]:
        """The SQL queries the (fixed) sqlite backend makes of the rule."""
        return self._convert(sigma_yaml).queries

    def adaptation_notes(self, query: str) -> list:
        """The notes the platform pipeline recorded (argv approximated, signer branch dropped...), and for a
        correlation the backend's case-insensitive grouping and distinct counts."""
        from converters.sqlite.correlation import case_notes

        try:
            notes = self._convert(query).notes
        except ExecutionError:
            return []
        if _is_correlation(query) and self.ecs_field is not None:
            notes = notes + [n for n in case_notes(query, self.ecs_field) if n not in notes]
        return notes

    def _convert(self, sigma_yaml: str) -> _Conversion:
        # the proof asks for the notes and then the alerts of one rule: convert it once
        last = getattr(self, "_last", None)
        if last is not None and last[0] == sigma_yaml:
            return last[1]
        conversion = self._convert_anew(sigma_yaml)
        self._last = (sigma_yaml, conversion)
        return conversion

    def _convert_anew(self, sigma_yaml: str) -> _Conversion:
        from sigma.collection import SigmaCollection
        from sigma.exceptions import SigmaError

        pipeline = self.pipeline() if self.pipeline else None
        try:
            collection = SigmaCollection.from_yaml(sigma_yaml)
            backend = _backend_class()(pipeline)
            backend.key_field = self.key_field
            backend.array_fields = self.array_fields
            queries = backend.convert(collection)
        except RuleportError as exc:  # the pipeline refuses what the records cannot hold
            raise ExecutionError(f"the approximation pipeline refuses the rule: {exc.message}") from None
        except (SigmaError, NotImplementedError) as exc:
            raise ExecutionError(f"the sqlite backend cannot convert the rule: {exc}") from None
        except Exception as exc:  # YAML errors and the like, reported, never a traceback
            raise ExecutionError(f"cannot read the Sigma rule: {type(exc).__name__}: {exc}") from None
        if not queries:
            raise ExecutionError("the sqlite backend produced no query for the rule")
        notes = list(backend.last_processing_pipeline.state.get(PIPELINE_NOTES_KEY, [])) if pipeline else []
        return _Conversion([q for q in queries if isinstance(q, str)], notes, backend.correlation_plans)

    def run(self, query: str, events: Sequence[Event]) -> list[int]:
        if _is_correlation(query):
            return sorted({i for group in self.alerts(query, events) for i in group})
        chosen = _chosen(query, events)
        hits = self.run_sql(self.to_sql(query), [events[i] for i in chosen])
        return [chosen[i] for i in hits]

    def alerts(self, query: str, events: Sequence[Event]) -> list[tuple[int, ...]]:
        """A correlation rule's alerts: the evidence events of each (converters/sqlite/correlation.py)."""
        from converters.sqlite.correlation import LINES_FUNCTION, alert_events, lines_json

        if not _is_correlation(query):
            return [(i,) for i in self.run(query, events)]
        chosen = _chosen(query, events)   # the records its rules' logsources read
        con = sqlite3.connect(":memory:")
        try:
            con.create_function("regexp", 2, _regexp, deterministic=True)
            con.create_function(LINES_FUNCTION, 1, lines_json, deterministic=True)
            records = [events[i] for i in chosen]
            columns = self._load(con, records)
            for source in set(_logsources(query)):
                read = ", ".join(str(i) for i, e in enumerate(records) if _reads(source, e))
                con.execute(f"CREATE TEMP VIEW {_source_table(source)} AS SELECT * FROM {TABLE} "
                            f"WHERE {INDEX_COLUMN} IN ({read})")
            conversion = self._convert(query)
            rows = []
            for sql in conversion.queries:
                plan = conversion.plans.get(sql)
                if plan is None:
                    rows += self._select(con, sql, columns, "event_ids")
                else:
                    rows += _run_plan(con, plan, columns)
            return [tuple(chosen[i] for i in group) for group in alert_events(rows)]
        finally:
            con.close()

    def run_sql(self, queries: Sequence[str], events: Sequence[Event]) -> list[int]:
        con = sqlite3.connect(":memory:")
        try:
            con.create_function("regexp", 2, _regexp, deterministic=True)
            columns = self._load(con, events)
            hits: set[int] = set()
            for sql in queries:
                hits.update(self._select(con, sql, columns))
            return sorted(hits)
        finally:
            con.close()

    @staticmethod
    def _load(con: sqlite3.Connection, events: Sequence[Event]) -> set[str]:
        names: dict[str, str] = {}  # lower-case -> as given: SQLite column names ignore case
        for event in events:
            for field in event:
                other = names.setdefault(field.lower(), field)
                if other != field:
                    raise ExecutionError(f"fields {other!r} and {field!r} differ only in case; SQLite cannot hold both")
        if INDEX_COLUMN in names:
            raise ExecutionError(f"events may not carry a field named {INDEX_COLUMN}")
        fields = sorted(names.values())
        # no declared type: values keep their own (text stays text, integers stay integers); a
        # column holding only numbers is NUMERIC, so that a quoted '2' compares equal to 2
        numeric = {f for f in fields if _numbers_only(events, f)}
        columns = [INDEX_COLUMN] + [_quote(f) + (" NUMERIC" if f in numeric else "") for f in fields]
        con.execute(f"CREATE TABLE {TABLE} ({', '.join(columns)})")
        if events:
            marks = ", ".join("?" for _ in range(len(fields) + 1))
            rows = ([i] + [_sql_value(f, e.get(f)) for f in fields] for i, e in enumerate(events))
            con.executemany(f"INSERT INTO {TABLE} VALUES ({marks})", rows)
        return {f.lower() for f in fields}

    @staticmethod
    def _select(con: sqlite3.Connection, sql: str, columns: set[str], column: str = INDEX_COLUMN) -> list:
        wrapped = f"SELECT {column} FROM ({sql})"
        for _ in range(64):  # each retry adds one column the rule names and no event has
            try:
                return [row[0] for row in con.execute(wrapped)]
            except sqlite3.OperationalError as exc:
                m = _NO_COLUMN_RE.search(str(exc))
                if not m or m.group(1).lower() in columns:
                    raise ExecutionError(f"SQLite rejected the query: {exc}\n{sql}") from None
                missing = m.group(1)
                con.execute(f"ALTER TABLE {TABLE} ADD COLUMN {_quote(missing)}")
                columns.add(missing.lower())
            except sqlite3.Error as exc:
                raise ExecutionError(f"SQLite failed: {exc}\n{sql}") from None
        raise ExecutionError("the query names too many fields the events lack")
