r"""Evaluate the Kusto (KQL) subset that pySigma's Kusto backend emits.

No Kusto engine runs offline, so this module parses and evaluates the query
itself, following Microsoft's documented semantics; the query text is also
checked by Microsoft's own parser in tests (tools/kusto-parser) and the
evaluation is cross-checked against duckdb-kql (tests/kusto/test_executor.py).

Events are one platform's rows: a flat dict of column -> scalar, for the
table named by the executor (DeviceProcessEvents for Defender XDR,
imProcessCreate for Sentinel ASIM).

Query shape: `Table | where <expr> [| where <expr> ...]`, where the table
must be the platform's (else ExecutionError). Any other tabular operator is
unsupported (ExecutionError). `//` comments are ignored.

Expressions: `or` binds loosest, then `and`; `not(expr)` is a function;
parentheses group. A predicate is `column <op> <literal>` or one of
`isempty(c)`, `isnotempty(c)`, `isnull(c)`, `isnotnull(c)`. Columns are plain
identifiers or bracketed `['name']` / `["name"]`.

Literals: "..." and '...' with backslash escapes (\\ \" \' \t \n \r and
\uXXXX), verbatim @"..." / @'...' where a backslash is itself and a doubled
quote is a quote, ```multi-line``` literals (no escapes), h"..." (hidden)
literals, adjacent literals concatenated; integers, reals, true/false.

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
  schema is an error (Kusto rejects unknown columns).
"""

from __future__ import annotations

import re
from typing import Any, Callable, Sequence

from converters.engine.executor import Event, ExecutionError, Executor
from converters.kusto.lexer import Token, _read_string

Predicate = Callable[[Event], bool]

# Documented columns of each table (Microsoft's schema reference pages), so
# that a misspelt column is an error even when no fixture event carries it.
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "DeviceProcessEvents": tuple("""
        Timestamp DeviceId DeviceName ActionType FileName FolderPath SHA1 SHA256 MD5 FileSize
        ProcessVersionInfoCompanyName ProcessVersionInfoProductName ProcessVersionInfoProductVersion
        ProcessVersionInfoInternalFileName ProcessVersionInfoOriginalFileName ProcessVersionInfoFileDescription
        ProcessId ProcessCommandLine ProcessIntegrityLevel ProcessTokenElevation ProcessCreationTime
        AccountDomain AccountName AccountSid AccountUpn AccountObjectId LogonId
        InitiatingProcessAccountDomain InitiatingProcessAccountName InitiatingProcessAccountSid
        InitiatingProcessAccountUpn InitiatingProcessAccountObjectId InitiatingProcessLogonId
        InitiatingProcessIntegrityLevel InitiatingProcessTokenElevation InitiatingProcessSHA1
        InitiatingProcessSHA256 InitiatingProcessMD5 InitiatingProcessFileName InitiatingProcessFileSize
        InitiatingProcessVersionInfoCompanyName InitiatingProcessVersionInfoProductName
        InitiatingProcessVersionInfoProductVersion InitiatingProcessVersionInfoInternalFileName
        InitiatingProcessVersionInfoOriginalFileName InitiatingProcessVersionInfoFileDescription
        InitiatingProcessId InitiatingProcessCommandLine InitiatingProcessCreationTime
        InitiatingProcessFolderPath InitiatingProcessParentId InitiatingProcessParentFileName
        InitiatingProcessParentCreationTime InitiatingProcessSignerType InitiatingProcessSignatureStatus
        ReportId AppGuardContainerId AdditionalFields CreatedProcessSessionId IsProcessRemoteSession
        ProcessRemoteSessionDeviceName ProcessRemoteSessionIP InitiatingProcessSessionId
        IsInitiatingProcessRemoteSession InitiatingProcessRemoteSessionDeviceName
        InitiatingProcessRemoteSessionIP
    """.split()),
    "imProcessCreate": tuple("""
        TimeGenerated EventCount EventStartTime EventEndTime EventType EventSubType EventResult
        EventResultDetails EventOriginalType EventOriginalUid EventProduct EventProductVersion EventVendor
        EventSchema EventSchemaVersion EventSeverity Dvc DvcHostname DvcDomain DvcDomainType DvcFQDN DvcOs
        DvcOsVersion DvcIpAddr DvcId DvcAction Type
        ActorUsername ActorUsernameType ActorUserId ActorUserIdType ActorUserType ActorOriginalUserType
        ActorSessionId ActorScope
        ActingProcessName ActingProcessId ActingProcessCommandLine ActingProcessGuid ActingProcessCreationTime
        ActingProcessFileCompany ActingProcessFileDescription ActingProcessFileProduct ActingProcessFileVersion
        ActingProcessFileOriginalName ActingProcessFileInternalName ActingProcessFileSize ActingProcessIsHidden
        ActingProcessInjectedAddress ActingProcessMD5 ActingProcessSHA1 ActingProcessSHA256 ActingProcessSHA512
        ActingProcessIMPHASH ActingProcessIntegrityLevel ActingProcessTokenElevation
        ParentProcessName ParentProcessId ParentProcessGuid ParentProcessCreationTime
        TargetUsername TargetUsernameType TargetUserId TargetUserIdType TargetUserType TargetOriginalUserType
        TargetUserSessionId TargetProcessName TargetProcessId TargetProcessCommandLine
        TargetProcessCurrentDirectory TargetProcessGuid TargetProcessCreationTime TargetProcessFileCompany
        TargetProcessFileDescription TargetProcessFileProduct TargetProcessFileVersion
        TargetProcessFileOriginalName TargetProcessFileInternalName TargetProcessFileSize TargetProcessIsHidden
        TargetProcessInjectedAddress TargetProcessMD5 TargetProcessSHA1 TargetProcessSHA256 TargetProcessSHA512
        TargetProcessIMPHASH TargetProcessIntegrityLevel TargetProcessTokenElevation TargetProcessStatusCode
        Hash HashType User Process CommandLine Dvc
    """.split()),
}

# Columns that are not strings (the rest are): only these can be null.
NON_STRING_COLUMNS: dict[str, dict[str, str]] = {
    "DeviceProcessEvents": {
        **dict.fromkeys(("ProcessId", "InitiatingProcessId", "InitiatingProcessParentId", "FileSize",
                         "InitiatingProcessFileSize", "CreatedProcessSessionId", "InitiatingProcessSessionId",
                         "LogonId", "InitiatingProcessLogonId", "ReportId"), "long"),
        **dict.fromkeys(("Timestamp", "ProcessCreationTime", "InitiatingProcessCreationTime",
                         "InitiatingProcessParentCreationTime"), "datetime"),
        **dict.fromkeys(("IsProcessRemoteSession", "IsInitiatingProcessRemoteSession"), "bool"),
        "AdditionalFields": "dynamic",
    },
    "imProcessCreate": {
        **dict.fromkeys(("EventCount", "ActingProcessFileSize", "TargetProcessFileSize"), "long"),
        **dict.fromkeys(("TimeGenerated", "EventStartTime", "EventEndTime", "ActingProcessCreationTime",
                         "ParentProcessCreationTime", "TargetProcessCreationTime"), "datetime"),
        **dict.fromkeys(("ActingProcessIsHidden", "TargetProcessIsHidden"), "bool"),
    },
}

# ---------------------------------------------------------------- tokens


_WORD_OPS = {
    "contains", "contains_cs", "startswith", "startswith_cs", "endswith", "endswith_cs",
    "has", "has_cs", "hasprefix", "hasprefix_cs", "hassuffix", "hassuffix_cs",
    "has_any", "has_all", "in", "matches", "and", "or", "where", "between",
}
_SYMBOLS = ("==", "!=", "=~", "!~", "<=", ">=", "<", ">", "(", ")", ",", "|", "[", "]")
_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER_RE = re.compile(r"\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        is_string = ch in "\"'" or text.startswith("```", i) or (ch == "@" and text[i + 1:i + 2] in ("\"", "'")) \
            or (ch in "hH" and text[i + 1:i + 2] in ("\"", "'", "@"))
        if is_string:
            value, i2 = _read_string(text, i)
            if tokens and tokens[-1].kind == "string":  # adjacent literals concatenate
                tokens[-1] = Token("string", tokens[-1].value + value, tokens[-1].pos)
            else:
                tokens.append(Token("string", value, i))
            i = i2
            continue
        if ch == "!" and _IDENT_RE.match(text, i + 1):
            m = _IDENT_RE.match(text, i + 1)
            word = m.group(0)
            end = m.end()
            if word == "in" and text[end:end + 1] == "~":
                word, end = "in~", end + 1
            tokens.append(Token("op", "!" + word, i))
            i = end
            continue
        m = _IDENT_RE.match(text, i)
        if m:
            word, end = m.group(0), m.end()
            if word == "in" and text[end:end + 1] == "~":
                tokens.append(Token("op", "in~", i))
                i = end + 1
                continue
            kind = "word" if word in _WORD_OPS else "ident"
            tokens.append(Token(kind, word, i))
            i = end
            continue
        m = _NUMBER_RE.match(text, i)
        if m:
            raw = m.group(0)
            tokens.append(Token("number", float(raw) if any(c in raw for c in ".eE") else int(raw), i))
            i = m.end()
            continue
        for sym in _SYMBOLS:
            if text.startswith(sym, i):
                tokens.append(Token("op", sym, i))
                i += len(sym)
                break
        else:
            raise ExecutionError(f"unexpected character {ch!r} at offset {i}")
    tokens.append(Token("eof", None, n))
    return tokens


# ---------------------------------------------------------------- values


def _text(value: Any) -> str:
    """A column value as Kusto's string operators see it (empty when missing)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def _is_term_char(ch: str) -> bool:
    return ch.isalnum()


def _has_term(value: str, term: str, prefix_only: bool = False, suffix_only: bool = False) -> bool:
    """`has`: `term` occurs in `value` on term boundaries (see module docstring)."""
    if term == "":
        return True
    need_before = _is_term_char(term[0]) and not suffix_only
    need_after = _is_term_char(term[-1]) and not prefix_only
    start = value.find(term)
    while start >= 0:
        end = start + len(term)
        ok_before = not need_before or start == 0 or not _is_term_char(value[start - 1])
        ok_after = not need_after or end == len(value) or not _is_term_char(value[end])
        if ok_before and ok_after:
            return True
        start = value.find(term, start + 1)
    return False


def _re2_unsupported(pattern: str) -> str | None:
    """The first construct of `pattern` that RE2 lacks (lookaround, backreference), or None."""
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            nxt = pattern[i + 1:i + 2]
            if nxt.isdigit() and nxt != "0":
                return f"backreference \\{nxt}"
            i += 2  # an escaped character, whatever it is
            continue
        for opener in ("(?=", "(?!", "(?<=", "(?<!", "(?P="):
            if pattern.startswith(opener, i):
                return f"{opener[:-1] if opener.endswith('=') else opener}... (lookaround or named backreference)"
        i += 1
    return None


def _compile_regex(pattern: str) -> re.Pattern:
    lacking = _re2_unsupported(pattern)
    if lacking:
        raise ExecutionError(f"regex {pattern!r} uses {lacking}, which RE2 (Kusto) rejects")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ExecutionError(f"invalid regex {pattern!r}: {exc}") from None


def _string_op(op: str, rhs: str) -> Callable[[str], bool]:
    """A test on a column's text for a string operator (without its `!`)."""
    cs = op.endswith("_cs") or op in ("==", "!=", "in")
    base = op[:-3] if op.endswith("_cs") else op
    if not cs:
        rhs = rhs.lower()
    if base in ("==", "=~"):
        return (lambda v: v == rhs) if cs else (lambda v: v.lower() == rhs)
    if base == "contains":
        return (lambda v: rhs in v) if cs else (lambda v: rhs in v.lower())
    if base == "startswith":
        return (lambda v: v.startswith(rhs)) if cs else (lambda v: v.lower().startswith(rhs))
    if base == "endswith":
        return (lambda v: v.endswith(rhs)) if cs else (lambda v: v.lower().endswith(rhs))
    if base in ("has", "hasprefix", "hassuffix"):
        pre, suf = base == "hasprefix", base == "hassuffix"
        return (lambda v: _has_term(v, rhs, pre, suf)) if cs else (lambda v: _has_term(v.lower(), rhs, pre, suf))
    raise ExecutionError(f"unsupported string operator {op}")


_NEGATED = {"!=": "==", "!~": "=~"}
_NUMERIC_OPS = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------- parser


class _Parser:
    def __init__(self, text: str, columns: set[str], table: str, platform: str):
        self.table = table
        self.platform = platform
        self.tokens = tokenize(text)
        self.i = 0
        self.columns = columns
        self.used: set[str] = set()

    def peek(self, k: int = 0) -> Token:
        return self.tokens[min(self.i + k, len(self.tokens) - 1)]

    def next(self) -> Token:
        tok = self.tokens[self.i]
        self.i = min(self.i + 1, len(self.tokens) - 1)
        return tok

    def expect(self, kind: str, value: Any = None) -> Token:
        tok = self.next()
        if tok.kind != kind or (value is not None and tok.value != value):
            want = repr(value) if value is not None else kind
            got = repr(tok.value) if tok.value is not None else "end of query"
            raise ExecutionError(f"expected {want} at offset {tok.pos}, found {got}")
        return tok

    def query(self) -> tuple[str, list[Predicate]]:
        table = self.expect("ident").value
        if table != self.table:
            raise ExecutionError(f"the query reads table {table!r}; the {self.platform} platform has {self.table!r}")
        if self.peek().kind == "op" and self.peek().value == "(" and self.peek(1).value == ")":
            self.i += 2  # imProcessCreate() is a function call without arguments
        wheres: list[Predicate] = []
        while self.peek().kind == "op" and self.peek().value == "|":
            self.next()
            op = self.next()
            if op.value != "where":
                raise ExecutionError(f"unsupported tabular operator {op.value!r} at offset {op.pos} (only `where`)")
            wheres.append(self.or_expr())
        tok = self.peek()
        if tok.kind != "eof":
            raise ExecutionError(f"unexpected {tok.value!r} at offset {tok.pos}")
        return table, wheres

    def or_expr(self) -> Predicate:
        parts = [self.and_expr()]
        while self.peek().kind == "word" and self.peek().value == "or":
            self.next()
            parts.append(self.and_expr())
        if len(parts) == 1:
            return parts[0]
        return lambda e, ps=tuple(parts): any(p(e) for p in ps)

    def and_expr(self) -> Predicate:
        parts = [self.unary()]
        while self.peek().kind == "word" and self.peek().value == "and":
            self.next()
            parts.append(self.unary())
        if len(parts) == 1:
            return parts[0]
        return lambda e, ps=tuple(parts): all(p(e) for p in ps)

    def unary(self) -> Predicate:
        tok = self.peek()
        if tok.kind == "op" and tok.value == "(":
            self.next()
            inner = self.or_expr()
            self.expect("op", ")")
            return inner
        if tok.kind == "ident" and self.peek(1).kind == "op" and self.peek(1).value == "(":
            return self.function()
        return self.comparison()

    def function(self) -> Predicate:
        name = self.next().value
        self.expect("op", "(")
        if name == "not":
            inner = self.or_expr()
            self.expect("op", ")")
            return lambda e: not inner(e)
        if name in ("isempty", "isnotempty", "isnull", "isnotnull"):
            col = self.column()
            self.expect("op", ")")
            if name == "isempty":
                return lambda e: _text(e.get(col)) == ""
            if name == "isnotempty":
                return lambda e: _text(e.get(col)) != ""
            if col not in NON_STRING_COLUMNS.get(self.table, {}):
                # a string is never null in Kusto: isnull() is false even for ""
                return (lambda e: False) if name == "isnull" else (lambda e: True)
            if name == "isnull":
                return lambda e: e.get(col) is None
            return lambda e: e.get(col) is not None
        raise ExecutionError(f"unsupported function {name}()")

    def column(self) -> str:
        tok = self.next()
        if tok.kind == "ident":
            name = tok.value
        elif tok.kind == "op" and tok.value == "[":
            name = self.expect("string").value
            self.expect("op", "]")
        elif tok.kind == "string":
            raise ExecutionError(
                f"a string literal stands where a column belongs at offset {tok.pos} (quote columns as ['name'])"
            )
        else:
            raise ExecutionError(f"expected a column at offset {tok.pos}, found {tok.value!r}")
        if name not in self.columns:
            raise ExecutionError(f"unknown column {name!r}")
        self.used.add(name)
        return name

    def literal(self) -> Any:
        tok = self.next()
        if tok.kind in ("string", "number"):
            return tok.value
        if tok.kind == "ident" and tok.value in ("true", "false"):
            return tok.value == "true"
        raise ExecutionError(f"expected a literal at offset {tok.pos}, found {tok.value!r}")

    def literal_list(self) -> list:
        self.expect("op", "(")
        items = [self.literal()]
        while self.peek().kind == "op" and self.peek().value == ",":
            self.next()
            items.append(self.literal())
        self.expect("op", ")")
        return items

    def comparison(self) -> Predicate:
        col = self.column()
        tok = self.next()
        op = tok.value
        if tok.kind not in ("op", "word") or op in ("(", ")", ",", "|", "[", "]", "and", "or", "where"):
            raise ExecutionError(f"expected an operator after {col} at offset {tok.pos}, found {op!r}")
        negate = False
        if op in _NEGATED:
            op, negate = _NEGATED[op], True
        elif isinstance(op, str) and op.startswith("!"):
            op, negate = op[1:], True
        if op == "matches":
            self.expect("ident", "regex")
            rx = _compile_regex(self._string_literal(col, "matches regex"))
            pred = lambda e: rx.search(_text(e.get(col))) is not None  # noqa: E731
        elif op in ("in", "in~"):
            items = self.literal_list()
            if op == "in":
                texts = {x for x in items if isinstance(x, str)}
                numbers = {x for x in items if isinstance(x, (int, float)) and not isinstance(x, bool)}
                pred = lambda e: _text(e.get(col)) in texts or (  # noqa: E731
                    bool(numbers) and _number(e.get(col)) in numbers)
            else:
                lowered = {_text(x).lower() for x in items}
                pred = lambda e: _text(e.get(col)).lower() in lowered  # noqa: E731
        elif op in ("has_any", "has_all"):
            items = [_text(x).lower() for x in self.literal_list()]
            agg = any if op == "has_any" else all
            pred = lambda e: agg(_has_term(_text(e.get(col)).lower(), t) for t in items)  # noqa: E731
        elif op in _NUMERIC_OPS:
            rhs = _number(self.literal())
            if rhs is None:
                raise ExecutionError(f"{col} {op} needs a number")
            cmp = _NUMERIC_OPS[op]
            pred = lambda e: (lambda v: v is not None and cmp(v, rhs))(_number(e.get(col)))  # noqa: E731
        else:
            rhs = self.literal()
            if op == "==" and isinstance(rhs, (int, float)) and not isinstance(rhs, bool):
                pred = lambda e: _number(e.get(col)) == rhs  # noqa: E731
            elif isinstance(rhs, bool):
                pred = lambda e: e.get(col) is rhs or _text(e.get(col)).lower() == str(rhs).lower()  # noqa: E731
            else:
                test = _string_op(op, _text(rhs))
                pred = lambda e: test(_text(e.get(col)))  # noqa: E731
        if negate:
            inner = pred
            return lambda e: not inner(e)
        return pred

    def _string_literal(self, col: str, what: str) -> str:
        tok = self.next()
        if tok.kind != "string":
            raise ExecutionError(f"{col} {what} needs a string literal at offset {tok.pos}")
        return tok.value


# ---------------------------------------------------------------- executor


class KustoExecutor(Executor):
    """The KQL subset pySigma emits, over one table's rows (semantics: module docstring)."""

    engine = "ruleport Kusto evaluator (Microsoft-documented semantics)"

    def __init__(self, table: str, name: str):
        if table not in TABLE_COLUMNS:
            raise ValueError(f"unknown Kusto table {table}")
        self.table = table
        self.name = name

    def compile(self, query: str, events: Sequence[Event] = ()) -> Predicate:
        columns = set(TABLE_COLUMNS[self.table])
        for event in events:
            columns.update(event.keys())
        _, wheres = _Parser(query, columns, self.table, self.name).query()
        if not wheres:
            return lambda e: True
        if len(wheres) == 1:
            return wheres[0]
        return lambda e: all(w(e) for w in wheres)

    def run(self, query: str, events: Sequence[Event]) -> list[int]:
        if _is_tabular(query):
            return sorted({i for group in self.alerts(query, events) for i in group})
        pred = self.compile(query, events)
        return [i for i, event in enumerate(events) if pred(event)]

    def alerts(self, query: str, events: Sequence[Event]) -> list[tuple[int, ...]]:
        """The rows a query across rows returns, each as the events it stands for (converters/kusto/tabular.py);
        a single-row query's matches are alerts of one event each."""
        from converters.kusto.tabular import TabularQuery

        if not _is_tabular(query):
            return [(i,) for i in self.run(query, events)]

        def predicate(table: str, text: str):
            return self.compile(f"{table}\n| where {text}", events)

        found: list[tuple[int, ...]] = []
        for p, _ in TabularQuery(query, predicate, self.table).run([(frozenset((i,)), e) for i, e in enumerate(events)]):
            group = tuple(sorted(p))
            if group not in found:
                found.append(group)
        return found


def _is_tabular(query: str) -> bool:
    """A query with operators other than `where` (a correlation), which converters.kusto.tabular runs."""
    from converters.kusto.scalar import tokens

    toks = tokens(query)
    if toks and toks[0].kind == "ident" and toks[0].value == "union":
        return True
    depth = 0
    for n, tok in enumerate(toks):
        if tok.kind == "op" and tok.value in "([":
            depth += 1
        elif tok.kind == "op" and tok.value in ")]":
            depth -= 1
        elif tok.kind == "op" and tok.value == "|" and depth == 0 and toks[n + 1].value != "where":
            return True
    return False


def defender_executor() -> KustoExecutor:
    return KustoExecutor("DeviceProcessEvents", "kusto-defender")


def sentinel_executor() -> KustoExecutor:
    return KustoExecutor("imProcessCreate", "kusto-sentinel")
