r"""Evaluate the Kusto (KQL) subset that pySigma's Kusto backend emits.

No Kusto engine runs offline, so this module parses and evaluates the query
itself, following Microsoft's documented semantics; the query text is also
checked by Microsoft's own parser in tests (tools/kusto-parser) and the
evaluation is cross-checked against duckdb-kql (tests/kusto/test_executor.py).

Events are one platform's rows: a flat dict of column -> value (a dict for
a `dynamic` column). A row says which table holds it in `$table` (a row
without it belongs to every table). The executor is given the platform's
schema, table -> column -> Kusto type (the target record hands it the
platform facts, converters/data/platforms/); a query's table must be one of
them (else ExecutionError) and it reads the rows of that table only.

Query shape: `Table [()] | where <expr> | extend Name = <value>, ... | where ...`
in any order after the table, or `union (<query>), (<query>), ...` of such
queries (the rows of every operand; each operand reads its own table, so a
column typed differently in two tables keeps each table's type). Any other tabular operator is unsupported
(ExecutionError). `//` comments are ignored.

`ipv4_is_in_range(col, "10.0.0.0/8")`, `ipv4_is_in_any_range(col, r1, ...)`
and their ipv6_ forms: true when the column holds an address of that
version inside the range; anything else (not an address, the other
version) is null (Microsoft's reference: "null if conversion of either IPv4
string wasn't successful"). A range of the wrong version is an error.
`coalesce(p, ..., false)` of predicates is the first that is not null.
Logic is three-valued where a null can arise: `not(null)` is null, null
and false is false, null or true is true; `where` keeps rows that are true.

`extend` values: literals, columns, `Column.key` / `Column["key"]` (a key of
a dynamic column), `tostring(v)` (null and missing as ""), `strcat(v, ...)`
(nulls as ""), `iff(<predicate>, a, b)` / `iif`, `isempty(v)` inside a
predicate. An extended column is a string column from then on.

Operands of a predicate: a column, or a value inside a dynamic column or a
JSON string column: `tostring(parse_json(Column).key["other key"][0])`
(`toreal(...)` / `todouble(...)` for a number). After Microsoft's
scalar-function pages: parse_json parses a string (a string that is not JSON
stays that string) and leaves a dynamic value as it is; `.key` / `["key"]`
read a property and `[n]` an array element, null when absent; tostring gives
"" for null, true/false for booleans, the number's text (a real without a
fraction as an integer: 5.0 is "5"), and compact JSON for objects and arrays
(in `extend` and in correlations alike: converters/kusto/values.py); toreal gives null for what is not a number.

Expressions: `or` binds loosest, then `and`; `not(expr)` is a function;
parentheses group. A predicate is `column <op> <literal>` or one of
`isempty(c)`, `isnotempty(c)`, `isnull(c)`, `isnotnull(c)`. Columns are plain
identifiers or bracketed `['name']` / `["name"]`.

Literals: strings in all of Kusto's forms (adjacent ones spliced), integers,
reals, true/false; how they are written: converters/kusto/lexer.py.

Case rules, after Microsoft's "String operators" page
(https://learn.microsoft.com/azure/data-explorer/kusto/query/datatypes-string-operators):
`==`, `!=`, `in`, `!in`, `has_cs`, `contains_cs`, `startswith_cs`,
`endswith_cs`, `hasprefix_cs`, `hassuffix_cs` (and their `!` forms) are
case-sensitive; `=~`, `!~`, `in~`, `!in~`, `has`, `contains`, `startswith`,
`endswith`, `hasprefix`, `hassuffix`, `has_any`, `has_all` are not
(case folded here with Python's str.lower()).

- `has` looks for the right side as a whole term: where it starts with a
  letter or digit, the character before it in the value must not be one;
  likewise after its end (terms are maximal runs of letters and digits).
  `hasprefix` / `hassuffix` require the term boundary on one side only.
- `matches regex` is an unanchored search with RE2 syntax, run by Python's
  `re`; constructs RE2 lacks (lookaround, backreferences) raise
  ExecutionError, as Kusto would reject them. It is case-sensitive unless
  the pattern says `(?i)`.
- A column absent from an event, or None, is Kusto's empty value: an empty
  string for string operators (`FolderPath endswith "x"` is false,
  `FolderPath !contains "x"` is true, `isempty()` is true); numeric
  comparisons with it are false.
- Strings are never null in Kusto (https://learn.microsoft.com/kusto/query/
  scalar-data-types/null-values): `isnull(c)` is always false and
  `isnotnull(c)` always true for a string column, even when it is empty;
  for the documented non-string columns (numbers, dates, booleans) a missing
  value is null.
- `<`, `<=`, `>`, `>=` compare numbers; `==` between a number column and a
  number literal compares numerically.
- A column that no event has and that is not in the table's documented
  schema, nor extended, is an error (Kusto rejects unknown columns).
"""

from __future__ import annotations

from typing import Callable, Sequence

from converters.engine.executor import Event, ExecutionError, Executor
from converters.kusto.lexer import tokenize
from converters.kusto.parser import Parser
from converters.kusto.tabular import TabularQuery

#: a compiled stage of a single-row query: (event index, row) pairs in, the pairs it keeps out
Stage = Callable[[list], list]


class KustoExecutor(Executor):
    """The KQL subset pySigma emits, over one platform's tables (semantics: module docstring)."""

    engine = "ruleport Kusto evaluator (Microsoft-documented semantics)"

    def __init__(self, schema: dict[str, dict[str, str]], name: str):
        """`schema`: table -> column -> Kusto type, as the platform documents its tables."""
        if not schema:
            raise ValueError("a Kusto executor needs the platform's tables")
        self.schema = schema
        self.name = name
        #: the table of a row that names none (`$table`): the schema's first (the process table)
        self.table = next(iter(schema))

    def compile(self, query: str, events: Sequence[Event] = ()) -> list[tuple[str, list[Stage]]]:
        """Each table the query reads (one, or the operands of a union) with its compiled stages."""
        extra: set[str] = set()
        for event in events:
            extra.update(k for k in event.keys() if k != TABLE_KEY)
        return [(table, self._stages(stages))
                for table, stages in Parser(query, self.schema, extra, self.name).query()]

    @staticmethod
    def _stages(stages) -> list[Stage]:
        compiled: list[Stage] = []
        for kind, step in stages:
            if kind == "where":
                compiled.append(lambda rows, p=step: [(i, r) for i, r in rows if p(r) is True])
            else:
                def extend(rows, assignments=step):
                    out = []
                    for i, r in rows:
                        r = dict(r)
                        for name, fn in assignments:
                            r[name] = fn(r)
                        out.append((i, r))
                    return out
                compiled.append(extend)
        return compiled

    def run(self, query: str, events: Sequence[Event]) -> list[int]:
        if _is_tabular(query):
            return sorted({i for group in self.alerts(query, events) for i in group})
        found: set[int] = set()
        for table, stages in self.compile(query, events):
            rows = [(i, e) for i, e in enumerate(events) if e.get(TABLE_KEY, table) == table]
            for stage in stages:
                rows = stage(rows)
            found.update(i for i, _ in rows)
        return sorted(found)

    def predicate(self, query: str, events: Sequence[Event] = ()) -> Callable[[Event], bool]:
        """A single-table query (`T | where ... | extend ...`) as a test of one row of T."""
        read = self.reader(query, events)
        return lambda row: read(row) is not None

    def reader(self, query: str, events: Sequence[Event] = ()) -> Callable[[Event], Event | None]:
        """A single-table query as a function of one row of T: the row as its stages leave it (with
        the columns it extends), or None when they filter it out."""
        compiled = self.compile(query, events)
        if len(compiled) != 1:
            raise ExecutionError(f"{self.name}: a test of one row reads one table, not a union: {query[:60]}")
        [(table, stages)] = compiled

        def read(row: Event) -> Event | None:
            if row.get(TABLE_KEY, table) != table:
                return None
            rows = [(0, row)]
            for stage in stages:
                rows = stage(rows)
            return rows[0][1] if rows else None
        return read

    def alerts(self, query: str, events: Sequence[Event]) -> list[tuple[int, ...]]:
        """The rows a query across rows returns, each as the events it stands for (converters/kusto/tabular.py);
        a single-row query's matches are alerts of one event each."""
        if not _is_tabular(query):
            return [(i,) for i in self.run(query, events)]

        def read(table: str, text: str):
            return self.reader(f"{table}\n| where {text}", events)

        found: list[tuple[int, ...]] = []
        rows = [(frozenset((i,)), e) for i, e in enumerate(events)]
        for p, _ in TabularQuery(query, read, self.table).run(rows):
            group = tuple(sorted(p))
            if group not in found:
                found.append(group)
        return found


def _is_tabular(query: str) -> bool:
    """A query with operators other than `where` (a correlation), which converters.kusto.tabular runs."""
    # a union of single-table queries (a source held by several tables) is one too: only an
    # operator after it at the top level (a correlation's summarize or scan) makes it tabular
    toks = tokenize(query)
    depth = 0
    for n, tok in enumerate(toks):
        if tok.kind == "op" and tok.value in "([":
            depth += 1
        elif tok.kind == "op" and tok.value in ")]":
            depth -= 1
        elif tok.kind == "op" and tok.value == "|" and depth == 0 and toks[n + 1].value not in ("where", "extend"):
            return True   # `where` and `extend` are the single-table queries compile() runs
    return False


#: the key of a row naming its table (converters.platforms.microsoft sets it)
TABLE_KEY = "$table"