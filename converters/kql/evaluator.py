"""Kibana KQL over Elastic events, with Kibana's and Elasticsearch's semantics.

The query is parsed by ruleport's KQL parser (converters.kql, which follows
Kibana's grammar: `and` binds tighter than `or`, keywords in any case,
`field:(a or b)` lists, quoted phrases, `*` wildcards only in unquoted
values, escapes `\\\\ \\( \\) \\: \\< \\> \\" \\* \\{ \\}`, `\\or`-style
keyword escapes, and no `?` wildcard). Events are in the doc-values view
(converters.engine.documents). Matching follows what Kibana's query becomes
in Elasticsearch. Most fields are `keyword` fields (or ECS `wildcard`
fields such as `process.command_line`, which match the same way):

- `field:value` (quoted or not, no wildcard) is an exact, case-SENSITIVE
  comparison of the whole value (a match or match_phrase query on a keyword
  field). A number or boolean in the event compares by its text, and a
  numeric query value also matches a number of equal value.
- An unquoted value with `*` is a wildcard over the whole value (any run,
  also empty), case-sensitive. Inside quotes `*` is a literal star.
- Fields named `*.caseless` are keyword fields with ECS's `lowercase`
  normalizer: Elasticsearch lower-cases the query's values and patterns for
  them, so matching there ignores case (the indexed values are lower case).
- An array field matches when any value does.
- `field:*` is true when the field has any value (also an empty string).
- `field > x` (also <, <=, >=) compares numbers numerically when both are
  numbers, else text lexicographically; a missing field is false (text
  fields too: a range on an analysed field is out of scope).
- `not` is must_not: `not field:x` is TRUE for events without the field.
- A value with no field searches every field of the event (default_field
  `*`), each field by its own kind (keyword or text, below).
- ECS `ip` fields (every `*.ip`, and dns.resolved_ip) compare as addresses:
  a value is an address or a CIDR block (`"10.0.0.0/8"`, a term query on an
  ip field matches the block); a wildcard there raises ExecutionError, as
  Elasticsearch rejects wildcard queries on ip fields.
- Nested queries (`field:{ ... }`) and wildcards in field names raise
  ExecutionError.

Text fields (TEXT_FIELDS and every `*.text` multi-field) are analysed. What
Kibana sends for `field:value` is fixed by kbn-es-query's
`kuery/functions/is.ts` (elastic/kibana, `toElasticsearchQuery`): a quoted
value becomes `match_phrase`, an unquoted value without a wildcard becomes
`match` with no options (so Elasticsearch's default operator OR), and an
unquoted value with a wildcard becomes `query_string` with `fields: [field]`
and the value escaped by `wildcard.toQueryStringQuery` (every query_string
special character backslash-escaped, `*` kept; whitespace NOT escaped; no
`analyze_wildcard`, so Elasticsearch's default false). Hence, with the
field's analyzer turning a text into a list of tokens:

- quoted (match_phrase): the query's tokens appear consecutively, in order,
  in one value's tokens.
- unquoted, no wildcard (match, operator OR): ANY query token is one of the
  value's tokens.
- zero query tokens (`""`, `message:-`): matches nothing (zero_terms_query
  `none`, the default of both queries).
- unquoted with `*` (query_string): the text is split at whitespace into
  clauses joined by OR (default_operator). A clause with `*` is a wildcard
  query on ONE token: not analysed (analyze_wildcard false), only
  normalised by the analyzer (lower-cased), and it matches when some single
  token of the value fits the whole pattern, so `*foo-bar*` never matches a
  standard-analysed field (its tokens hold no `-`); elastic/detection-rules
  PR #1530 shows the same token dependence. A clause without `*` is
  analysed and any of its tokens matches (Lucene's QueryBuilder without
  autoGeneratePhraseQueries, occur = default_operator OR).
- A `*.text` multi-field is indexed from its parent's value: an event
  without its own `x.text` is searched through `x`.

Analyzers (ANALYZERS):

- `standard` (Elasticsearch's default; no stop words): Unicode word
  segmentation (UAX #29) then lower-casing code point by code point
  (Lucene's LowerCaseFilter). Approximation, see
  `standard_tokens`: runs of letters, digits, `_` and combining marks; `.`,
  `'` (and U+2019/U+2018) join two letters and two digits, `:` and U+00B7
  join two letters only, `,` and `;` join two digits only (WB6/7, WB11/12;
  so `a.b`, `don't`, `1.5`, `1,000` and `c:d` are one token, `a.1` and
  `x,y` two); every Han ideograph or Hiragana character is its own token;
  a run of `_` alone is no token; tokens longer than 255 characters are
  split (max_token_length). Not modelled: Thai/Lao dictionary breaking,
  emoji tokens, Hebrew quote rules, Katakana joining rules. The tests hold
  both analyzers to the real Lucene (the lucene column's 9.12.2) on sample texts.
- `powershell_script_analyzer` (Elastic's windows integration,
  `data_stream/powershell_operational/manifest.yml`): a `pattern` analyzer
  splitting on Java's `[\\W&&[^-]]+` (ASCII non-word characters except `-`)
  and lower-casing, so tokens are runs of `[A-Za-z0-9_-]`: `New-Object`
  and `-FilePath` stay whole tokens.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from functools import lru_cache
from typing import Any, Callable, Sequence

from converters.engine.documents import as_doc_values, doc_values_reader, gc_paused
from converters.engine.executor import Event, ExecutionError, Executor
from converters.engine.leaves import lucene_lower, term_test, wildcard_test
from converters.kql import ast, parse_kql
from converters.kql.parser import KqlSyntaxError

Doc = dict
Pred = Callable[[Doc], bool]

#: Text fields and their analyzer (every other field is keyword-like, except
#: the `*.text` multi-fields, see `analyzer_of`). Where each fact comes from:
#: - message, error.message: ECS field reference (e.g.
#:   elastic.co/guide/en/ecs/current/ecs-error.html), type `match_only_text`:
#:   "supports the same queries as text", always the standard analyzer
#:   (Elasticsearch mapping reference, match-only-text).
#: - powershell.file.script_block_text: Elastic's windows integration,
#:   data_stream/powershell_operational/fields/fields.yml, `type: text` with
#:   `analyzer: powershell_script_analyzer` (defined in its manifest.yml;
#:   winlogbeat's template has the same pattern analyzer).
#: - powershell.command.value, powershell.command.invocation_details.value:
#:   same fields.yml, `type: text`, default (standard) analyzer.
#: Not text: process.command_line and error.stack_trace are ECS `wildcard`
#: (keyword-like: exact and case-sensitive; their `.text` multi-fields are
#: text), winlog.event_data.* are keyword (the `winlog.event_data` dynamic
#: template of winlogbeat's and the windows integration's index templates),
#: file.path / process.executable are keyword.
TEXT_FIELDS: dict[str, str] = {
    "message": "standard",
    "error.message": "standard",
    "powershell.file.script_block_text": "powershell_script_analyzer",
    "powershell.command.value": "standard",
    "powershell.command.invocation_details.value": "standard",
}

#: ECS's `.text` multi-fields (process.command_line.text, file.path.text,
#: user_agent.original.text, ...) are `match_only_text` with the standard
#: analyzer, indexed from the parent field's value.
TEXT_SUFFIX = ".text"


def analyzer_of(field: str) -> str | None:
    """The analyzer of a text field, None for a keyword-like field."""
    if field in TEXT_FIELDS:
        return TEXT_FIELDS[field]
    if field.endswith(TEXT_SUFFIX) and len(field) > len(TEXT_SUFFIX):
        return "standard"
    return None


class KibanaKqlExecutor(Executor):
    """KQL as Kibana runs it against keyword and text fields (see the module docstring)."""

    name = "kibana-kql"
    engine = "ruleport KQL evaluator (Kibana + Elasticsearch keyword and text-field semantics)"

    def run(self, query: str, events: Sequence[Event]) -> list[int]:
        test, fields = compile_kql(query)
        read = as_doc_values if fields is None else doc_values_reader(fields)
        with gc_paused():
            return [i for i, e in enumerate(events) if test(read(e))]


@lru_cache(maxsize=256)
def compile_kql(text: str) -> tuple[Pred, tuple[str, ...] | None]:
    """The query as a `doc -> bool` test, and the fields it reads (None: every field, for free text)."""
    try:
        tree = parse_kql(text)
    except KqlSyntaxError as exc:
        raise ExecutionError(f"KQL does not parse: {exc}") from None
    test = _compile(tree)
    if any(isinstance(n, ast.FreeText) for n in ast.iter_nodes(tree)):
        return test, None
    return test, tuple(dict.fromkeys(s for f in ast.fields_of(tree) for s in _sources(f)))


def compile_node(node: ast.Query) -> Pred:
    """Any query node as a `doc -> bool` test (doc: the doc-values view, field -> values).

    Event synthesis checks each leaf and each branch of a rule with it.
    """
    return _compile(node)


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _as_float(s: str) -> float | None:
    try:
        return float(s)
    except ValueError:
        return None


def _check_field(field: str) -> str:
    if "*" in field:
        raise ExecutionError(f"KQL wildcard field names ({field}) are not supported")
    return field


# --- analyzers (see the module docstring) -------------------------------------

_MID_LETTER = frozenset(":\u00b7\u0387\u05f4\u2027\ufe13\ufe55\uff1a")
_MID_NUM = frozenset(",;\u037e\u0589\u060c\u060d\u066c\u07f8\u2044\ufe10\ufe14\ufe50\ufe54\uff0c\uff1b")
_MID_NUM_LET = frozenset(".'\u2018\u2019\u2024\ufe52\uff07\uff0e")
_WORD = frozenset("LNE")
_MAX_TOKEN = 255  # the standard tokenizer's max_token_length


@lru_cache(maxsize=4096)
def _kind(ch: str) -> str:
    """UAX #29 word-break class, reduced: L letter, N digit, E `_`-like joiner,
    I ideograph (a token alone), M MidLetter, D MidNum, B MidNumLet, O other."""
    o = ord(ch)
    if 0x3400 <= o <= 0x4DBF or 0x4E00 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF \
            or 0x20000 <= o <= 0x3FFFF or 0x3040 <= o <= 0x309F:
        return "I"
    if ch.isdecimal():
        return "N"
    if ch.isalpha() or unicodedata.category(ch).startswith("M"):
        return "L"  # combining marks stay with their word (WB4)
    if ch in _MID_NUM_LET:
        return "B"
    if ch in _MID_LETTER:
        return "M"
    if ch in _MID_NUM:
        return "D"
    if unicodedata.category(ch) == "Pc":  # `_` and other connectors: ExtendNumLet (WB13a/b)
        return "E"
    return "O"


@lru_cache(maxsize=8192)
def standard_tokens(text: str) -> tuple[str, ...]:
    """Elasticsearch's `standard` analyzer, approximated (module docstring)."""
    kinds = [_kind(c) for c in text]
    n, i, out = len(text), 0, []
    while i < n:
        k = kinds[i]
        if k == "I":
            out.append(text[i].lower())
            i += 1
            continue
        if k not in _WORD:
            i += 1
            continue
        j = i + 1
        while j < n:
            k = kinds[j]
            if k in _WORD:
                j += 1
            elif j + 1 < n and (
                    (kinds[j - 1] == kinds[j + 1] == "L" and k in "MB")  # WB6/7: a.b  don't  c:d
                    or (kinds[j - 1] == kinds[j + 1] == "N" and k in "DB")):  # WB11/12: 1.5  1,000
                j += 2
            else:
                break
        word = text[i:j]
        if any(kinds[x] != "E" for x in range(i, j)):  # a run of `_` alone is no token
            out.extend(lower_case(word[x:x + _MAX_TOKEN]) for x in range(0, len(word), _MAX_TOKEN))
        i = j
    return tuple(out)


lower_case = lucene_lower  # Lucene's LowerCaseFilter (converters.engine.leaves)


_PS_TOKEN = re.compile(r"[A-Za-z0-9_-]+")  # the complement of Java's [\W&&[^-]] (ASCII \W)


@lru_cache(maxsize=8192)
def powershell_tokens(text: str) -> tuple[str, ...]:
    """The windows integration's powershell_script_analyzer: pattern split, lower-cased."""
    return tuple(t.lower() for t in _PS_TOKEN.findall(text))  # ASCII tokens


ANALYZERS: dict[str, Callable[[str], tuple[str, ...]]] = {
    "standard": standard_tokens,
    "powershell_script_analyzer": powershell_tokens,
}


def _has_run(tokens: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    first = phrase[0]
    if first not in tokens:  # also the whole answer for a one-token phrase
        return False
    return size == 1 or any(tokens[i] == first and tokens[i:i + size] == phrase for i in range(len(tokens) - size + 1))


_QS_SPACE = re.compile(r"[ \t\n\r\u3000]+")  # what Lucene's classic query parser splits terms at


def _query_string_clauses(value: ast.Value) -> list[list[ast.Part]]:
    """The whitespace-separated terms query_string sees in Kibana's escaped value."""
    clauses: list[list[ast.Part]] = [[]]
    for part in value.parts:
        if isinstance(part, ast.Wildcard):
            clauses[-1].append(part)
            continue
        pieces = _QS_SPACE.split(part)
        for n, piece in enumerate(pieces):
            if n:
                clauses.append([])
            if piece:
                clauses[-1].append(piece)
    return [c for c in clauses if c]


def _text_value_test(value: ast.Value, analyzer: str) -> Callable[[Any], bool]:
    """One value of a text field against `value` (match_phrase, match or query_string)."""
    tokens_of = ANALYZERS[analyzer]
    if value.has_wildcard:
        words: set[str] = set()
        patterns = []
        for clause in _query_string_clauses(value):
            if any(isinstance(p, ast.Wildcard) for p in clause):
                source = "".join(".*" if isinstance(p, ast.Wildcard) else re.escape(lower_case(p)) for p in clause)
                patterns.append(re.compile(source, re.DOTALL))
            else:
                words.update(tokens_of("".join(clause)))  # type: ignore[arg-type]

        def query_string(v: Any) -> bool:
            tokens = tokens_of(_text(v))
            return (not words.isdisjoint(tokens)
                    or any(rx.fullmatch(t) is not None for rx in patterns for t in tokens))

        return query_string
    query = tokens_of(value.literal or "")
    if not query:
        return lambda v: False
    if value.quoted:
        return lambda v: _has_run(tokens_of(_text(v)), query)
    wanted = frozenset(query)
    return lambda v: not wanted.isdisjoint(tokens_of(_text(v)))


def _sources(field: str) -> tuple[str, ...]:
    """Where a field's values come from: a `.text` multi-field also from its parent."""
    if field.endswith(TEXT_SUFFIX) and field not in TEXT_FIELDS and len(field) > len(TEXT_SUFFIX):
        return (field, field[: -len(TEXT_SUFFIX)])
    return (field,)


def _values_of(sources: tuple[str, ...]) -> Callable[[Doc], list]:
    if len(sources) == 1:
        field, empty = sources[0], []
        return lambda d: d.get(field, empty)
    own, parent = sources
    return lambda d: d.get(own) or d.get(parent) or []


# --- keyword fields -------------------------------------------------------------

def _lucene_wildcard(value: ast.Value) -> str:
    """The value as Lucene wildcard text: what Kibana sends in its query_string (every special
    character of a literal part escaped, `*` kept)."""
    return "".join("*" if isinstance(p, ast.Wildcard) else re.sub(r"([*?\\])", r"\\\1", p) for p in value.parts)


def _value_test(value: ast.Value, normalizer: bool) -> Callable[[Any], bool]:
    """A keyword field: a term query, or a wildcard query for an unquoted value with `*`; a field
    with a lowercase normalizer (`.caseless`) lower-cases values and query alike (engine.leaves)."""
    if value.has_wildcard:
        wild = wildcard_test(_lucene_wildcard(value), normalizer=normalizer)
        return lambda v: wild(_text(v))
    literal = value.literal or ""
    term = term_test(literal, normalizer=normalizer)
    number = None if value.quoted else _as_float(literal)

    def equal(v: Any) -> bool:
        if number is not None and _is_num(v):
            return v == number
        return term(_text(v))

    return equal


def is_ip_field(field: str) -> bool:
    return field.endswith(".ip") or field == "dns.resolved_ip"


def _ip_value_test(field: str, value: ast.Value) -> Callable[[Any], bool]:
    if value.has_wildcard:
        raise ExecutionError(f"{field} is an ip field: Elasticsearch rejects wildcard queries on it")
    literal = value.literal or ""
    try:
        network = ipaddress.ip_network(literal, strict=False)
    except ValueError:
        raise ExecutionError(f"{literal!r} is not an IP address or CIDR block ({field} is an ip field)") from None

    def within(v: Any) -> bool:
        try:
            return ipaddress.ip_address(_text(v)) in network
        except ValueError:
            return False

    return within


def _field_value_test(field: str, value: ast.Value) -> Callable[[Any], bool]:
    if is_ip_field(field):
        return _ip_value_test(field, value)
    analyzer = analyzer_of(field)
    if analyzer is not None:
        return _text_value_test(value, analyzer)
    return _value_test(value, normalizer=field.endswith(".caseless"))


def _free_text(value: ast.Value) -> Pred:
    """Every field of the event, a text field analysed, any other one as before (exact)."""
    keyword = _value_test(value, normalizer=False)
    text_tests: dict[str, Callable[[Any], bool]] = {}

    def test(d: Doc) -> bool:
        for field, values in d.items():
            analyzer = analyzer_of(field)
            if analyzer is None:
                one = keyword
            else:
                one = text_tests.get(field)
                if one is None:
                    one = text_tests[field] = _text_value_test(value, analyzer)
            if any(one(v) for v in values):
                return True
        return False

    return test


def _compile(node) -> Pred:
    if isinstance(node, ast.MatchAll):
        return lambda d: True
    if isinstance(node, ast.And):
        parts = [_compile(t) for t in node.terms]
        return lambda d: all(p(d) for p in parts)
    if isinstance(node, ast.Or):
        parts = [_compile(t) for t in node.terms]
        return lambda d: any(p(d) for p in parts)
    if isinstance(node, ast.Not):
        inner = _compile(node.term)
        return lambda d: not inner(d)
    if isinstance(node, ast.FieldExists):
        values = _values_of(_sources(_check_field(node.field)))
        return lambda d: bool(values(d))
    if isinstance(node, ast.FieldMatch):
        field = _check_field(node.field)
        test = _field_value_test(field, node.value)
        values = _values_of(_sources(field))
        return lambda d: any(test(v) for v in values(d))
    if isinstance(node, ast.Range):
        return _range(node)
    if isinstance(node, ast.FreeText):
        return _free_text(node.value)
    if isinstance(node, ast.Nested):
        raise ExecutionError(f"KQL nested queries ({node.field}:{{...}}) are not supported")
    raise ExecutionError(f"KQL construct {type(node).__name__} is not supported")


_ORDER = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def _range(node: ast.Range) -> Pred:
    field = _check_field(node.field)
    if node.value.has_wildcard:
        raise ExecutionError(f"KQL range on {field} with a wildcard value")
    bound = node.value.literal or ""
    num = _as_float(bound)
    cmp = _ORDER[node.op]

    def test(d: Doc) -> bool:
        for v in d.get(field, ()):
            if _is_num(v) and num is not None:
                if cmp(v, num):
                    return True
            elif cmp(_text(v), bound):
                return True
        return False

    return test
