"""Elastic backends (Lucene, EQL, ES|QL) over Elastic Defend events.

The data models (process, file, network, registry, library, DNS events, and
category-less ECS rules) are the pipeline's business (pipelines.elastic_defend);
here only the EQL event category and the ES|QL index depend on them.

Case rules (docstring of record; tests pin them):

* Lucene: keyword fields match exactly and case-sensitively. A
  case-insensitive match uses the `.caseless` multi-field with the value
  lower-cased (pipeline CaselessMultiField) when every index the rule reads
  has one (transforms.RuleIndexes: the Defend index templates); otherwise it
  becomes a whole-term regex with a two-letter class per letter
  (`/[oO][pP]en.../`), exact. `?` is Lucene's one-character wildcard.
  The stock LuceneBackend raises on |cased; here |cased is the plain form.
  What the query_string parser (Lucene's classic parser, which
  Elasticsearch extends) would read otherwise is written so that it
  cannot: the whitespace it splits on (newline, tab, CR, U+3000) is
  escaped like a space; a plain value beginning with `<` or `>` is quoted,
  since query_string reads an unquoted `>x` as the range `> x` even when
  escaped (its parser unescapes the term first); a regex ending in a
  literal backslash (`\\\\`) has it written `[\\\\]`, since the regexp
  token `/ ([^/] | \\/)* /` would read its last `\\` and the closing `/` as
  an escaped slash and run past the term's end. A regex whose automaton needs a path longer than 1000
  states (`.{2000,}`, the length test of `length(f) >= 2000`) is refused:
  Lucene's RegexpQuery rejects it ("input automaton is too large",
  Operations.isFinite's recursion limit), in Elasticsearch as here.
* EQL: `:` and `like~` are case-insensitive, `==` and `like`
  case-sensitive; `?` is one character. The query names its event
  category (`process where`) instead of `any where`.
* ES|QL: `==` and `LIKE` are case-sensitive (`*`, `?` wildcards); a
  case-insensitive match uses `.caseless` (every index of the rule has it)
  or `TO_LOWER(field)`. FROM reads the original rule's indexes (the
  logsource definition), else the data model's, with a note. A LIKE
  pattern escapes `*`, `?` and `\\` with `\\`, and the string literal
  escapes every `\\` again (`*\\\\\\\\node.exe` matches a literal backslash).
  ES|QL comparisons on a multi-valued field yield null, so an array field
  (process.args) is joined with MV_CONCAT (newline separator) and matched
  with RLIKE: "any element" as one regex over the joined elements. NOT is
  written `NOT COALESCE(x, false)`: ES|QL's NOT of null (a missing field) is
  null, Sigma's is true.
"""

from __future__ import annotations

import re
from typing import ClassVar

from converters.emit.backend_base import CombinedPipelineOnce, RegexWhenAsked
from converters.emit.correlation.base import CorrelationBackend
from converters.emit.correlation.eql import EqlCorrelation
from converters.emit.correlation.esql import EsqlCorrelation, index_note, names_its_indexes
from converters.emit.errors import EmitError
from converters.emit.strings import letters, render, sigma_regex_to_lucene, to_lucene_regex, wildcard_text
from converters.emit.text_match import analyzer_of, phrase, refuse_eql
from converters.emit.transforms import record_note
from converters.notes import EITHER, Affects, contains
from sigma.backends.elasticsearch import EqlBackend, ESQLBackend, LuceneBackend
from sigma.conditions import ConditionAND, ConditionNOT, ConditionOR
from sigma.conversion.deferred import DeferredQueryExpression
from sigma.modifiers import SigmaRegularExpressionFlag
from sigma.types import SigmaCasedString, SigmaString

# Sigma logsource category -> EQL event category (Defend writes DNS lookups as network events)
EQL_CATEGORIES = {
    "process_creation": "process", "file_event": "file", "network_connection": "network",
    "registry_event": "registry", "image_load": "library", "dns_query": "network",
}


def _lucene_regex(value) -> str:
    """The Lucene regex for a Sigma regex value (converters.emit.regex: same matches).

    The `i` flag is written as classes of each letter's cases on every
    Elastic target: EQL's `regex~` would fold ASCII letters only, and no
    range, so it would not keep Sigma's meaning.
    """
    flags = set(value.flags)
    if SigmaRegularExpressionFlag.MULTILINE in flags:
        raise EmitError("the regex m flag has no Lucene equivalent", code="emit/regex-unsupported")
    return sigma_regex_to_lucene(str(value.regexp), case_insensitive=SigmaRegularExpressionFlag.IGNORECASE in flags,
                                 dotall=SigmaRegularExpressionFlag.DOTALL in flags)


#: the classic query parser's whitespace (its _WHITESPACE token), escaped in a term like a space
_PARSER_WHITESPACE = "\n\r\t\u3000"
#: Lucene's Operations.isFinite recurses once per state on a path and stops past this depth
_AUTOMATON_PATH_LIMIT = 1000


def _regexp_term(regex: str) -> str:
    """A Lucene regex as a query_string regexp term `/.../` (module docstring): every `/` escaped
    (an escaped one kept), and a final escaped backslash written `[\\\\]`."""
    out = []
    i = 0
    while i < len(regex):
        c = regex[i]
        if c == "\\" and i + 1 < len(regex):
            out.append(regex[i:i + 2])
            i += 2
            continue
        out.append("\\/" if c == "/" else c)
        i += 1
    if out and out[-1] == "\\\\":
        out[-1] = "[\\\\]"
    return "/" + "".join(out) + "/"


def _path_bound(regex: str) -> int:
    """An upper bound of the states on a path of the automaton of a Lucene regex as ruleport writes
    them (escapes, classes, groups, `|`, `* + ? {n} {n,} {n,m}`): a sequence adds, `|` takes the
    longest branch, a repetition multiplies by its largest count (an unbounded one by its least + 1)."""
    pos = 0

    def alternatives() -> int:
        nonlocal pos
        best = sequence()
        while pos < len(regex) and regex[pos] == "|":
            pos += 1
            best = max(best, sequence())
        return best

    def sequence() -> int:
        nonlocal pos
        total = 0
        while pos < len(regex) and regex[pos] not in "|)":
            total += repeated(atom())
        return total

    def atom() -> int:
        nonlocal pos
        c = regex[pos]
        if c == "(":
            pos += 1
            inner = alternatives()
            pos += 1  # ")"
            return inner
        if c == "[":
            end = pos + 1
            while end < len(regex) and regex[end] != "]":
                end += 2 if regex[end] == "\\" else 1
            pos = end + 1
            return 1
        pos += 2 if c == "\\" else 1
        return 1

    def repeated(size: int) -> int:
        nonlocal pos
        while pos < len(regex):
            c = regex[pos]
            if c in "*+?":
                pos += 1
                size *= 2 if c == "+" else 1
            elif c == "{" and (m := re.compile(r"\{(\d+)(,(\d*))?\}").match(regex, pos)):
                pos = m.end()
                lo = int(m.group(1))
                hi = lo if m.group(2) is None else (int(m.group(3)) if m.group(3) else lo + 1)
                size *= max(hi, 1)
            else:
                break
        return size

    return alternatives()


def _checked_regex(regex: str) -> str:
    if _path_bound(regex) > _AUTOMATON_PATH_LIMIT:
        raise EmitError(f"the Lucene regex /{regex[:80]}{'...' if len(regex) > 80 else ''}/ needs an automaton path "
                        f"of more than {_AUTOMATON_PATH_LIMIT} states, which Lucene's RegexpQuery rejects "
                        "(input automaton is too large)", code="emit/regex-unsupported")
    return regex


def _all_exact(cond) -> bool:
    """An OR of values can become one `field:(a OR b)` only when every value
    is matched natively (case-sensitive, or without letters)."""
    return all(
        isinstance(arg.value, SigmaCasedString) or (isinstance(arg.value, SigmaString) and letters(arg.value) == 0)
        for arg in cond.args
    )


class ElasticLuceneBackend(CombinedPipelineOnce, CorrelationBackend, LuceneBackend, RegexWhenAsked):
    correlation_refusal: ClassVar[str] = (
        "a Lucene query string matches single documents: it has no aggregation, sequence or time window, so "
        "a correlation has no Lucene form (EQL and ES|QL run it on Elastic data)")
    name: ClassVar[str] = "ruleport Lucene (Elastic Defend keyword semantics)"
    # the classic query parser's special characters in a field name are escaped with `\` (the stock
    # backend escapes only spaces and `*`): Kubernetes' authorization_k8s_io/decision annotation
    field_escape_pattern: ClassVar = re.compile(r'[\s*/+\-!():^\[\]"{}~?\\&|<>=]')
    add_escaped: ClassVar[str] = LuceneBackend.add_escaped + _PARSER_WHITESPACE

    def decide_convert_condition_as_in_expression(self, cond, state) -> bool:
        return super().decide_convert_condition_as_in_expression(cond, state) and _all_exact(cond) \
            and not any(analyzer_of(getattr(a, "field", None), state) for a in cond.args)

    @staticmethod
    def _keyword_only(cond, state, what: str) -> None:
        """A |cased value or a regex on an analysed text field has no query_string form (text_match)."""
        analyzer = analyzer_of(cond.field, state)
        if analyzer:
            raise EmitError(f"{cond.field} is an analysed text field ({analyzer} analyzer): query_string matches its "
                            f"lower-cased words, and {what} has no form there", code="emit/text-field")

    def _phrase(self, cond, state) -> str | None:
        """A |contains value on an analysed text field, as a query_string phrase (text_match)."""
        analyzer = analyzer_of(cond.field, state)
        if analyzer is None:
            return None
        text = phrase(self.last_processing_pipeline, cond.field, analyzer, cond.value, "query_string")
        quoted = '"' + "".join("\\" + c if c in '"\\' else c for c in text) + '"'
        return f"{self.escape_and_quote_field(cond.field)}:{quoted}"

    def convert_value_str(self, s: SigmaString, state) -> str:
        plain = "" if s.contains_special() else str(s)
        if len(plain) > 1 and plain[0] in "<>":
            # query_string reads an unquoted `>x` as a range, escaped or not; a phrase is a term
            return self.str_quote + "".join("\\" + c if c in '"\\' else c for c in plain) + self.str_quote
        return super().convert_value_str(s, state)

    def convert_condition_field_eq_val_str(self, cond, state):
        text_phrase = self._phrase(cond, state)
        if text_phrase is not None:
            return text_phrase
        value = cond.value
        if letters(value) == 0:
            return super().convert_condition_field_eq_val_str(cond, state)
        regex = _checked_regex(to_lucene_regex(value, case_insensitive=True))
        return f"{self.escape_and_quote_field(cond.field)}:{_regexp_term(regex)}"

    def convert_condition_field_eq_val_str_case_sensitive(self, cond, state):
        self._keyword_only(cond, state, "a |cased value")
        # |cased is Lucene's own behaviour on keyword fields: the plain form
        return LuceneBackend.convert_condition_field_eq_val_str(self, cond, state)

    def convert_condition_field_eq_val_re(self, cond, state):
        self._keyword_only(cond, state, "a regex over its value")
        regex = _checked_regex(_lucene_regex(cond.value))
        return f"{self.escape_and_quote_field(cond.field)}:{_regexp_term(regex)}"


def _eql_string(text: str) -> str:
    """An EQL double-quoted string literal."""
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + text.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t") + '"'


def _literal_wildcard_chars(value: SigmaString) -> bool:
    return any(isinstance(p, str) and ("*" in p or "?" in p) for p in value.s)


class ElasticEqlBackend(CombinedPipelineOnce, EqlCorrelation, EqlBackend, RegexWhenAsked):
    """EQL strings, written here rather than by the stock backend, which
    compared |cased lists with `like~` (ignoring case), |cased patterns with
    `==` (no wildcards), numbers with `:` (strings only) and escaped a literal
    `*` as `\\*` (not an EQL string escape).

    Elastic's EQL wildcard patterns have no escape (a backslash is a path
    character), so a value holding a literal `*` or `?` is matched with `==`
    when it is |cased and has no wildcard, else with a whole-value regex.
    """

    name: ClassVar[str] = "ruleport EQL (Elastic Defend)"
    # a field name that is not an EQL identifier path (Kubernetes' authorization_k8s_io/decision
    # annotation, a key with a dash or a space, a part that begins with a digit: Azure's
    # target_resources.0.display_name) is escaped with backticks, else `/` divides
    field_quote_pattern: ClassVar = re.compile(r"^\d.*|.*\.\d.*|.*[^\w@.].*")
    field_exists_expression: ClassVar[str] = "{field} != null"
    field_not_exists_expression: ClassVar[str] = "{field} == null"
    or_in_operator: ClassVar[str] = ":"
    event_categories: ClassVar[dict[str, str]] = EQL_CATEGORIES  # correlations: each step's category

    def decide_convert_condition_as_in_expression(self, cond, state) -> bool:
        # `f : ("a", "")` would ask a case-insensitive term "" (matches nothing): such lists stay `or`s
        for arg in cond.args:
            self._exact_only(getattr(arg, "field", None), state)
        return super().decide_convert_condition_as_in_expression(cond, state) and all(
            type(arg.value) is SigmaString and not _literal_wildcard_chars(arg.value) and letters(arg.value) > 0
            for arg in cond.args)

    def convert_value_str(self, s: SigmaString, state) -> str:
        return _eql_string(render(s, any_run="*", any_char="?", literal=str))

    def _render(self, cond, case_insensitive: bool) -> str:
        field, value = self.escape_and_quote_field(cond.field), cond.value
        if letters(value) == 0:
            # nothing to fold: a plain comparison. Elasticsearch's case-insensitive term "" (`f : ""`)
            # matches nothing, while `f == ""` finds the empty string (converters/eql/evaluator.py)
            case_insensitive = False
        if _literal_wildcard_chars(value):
            if not case_insensitive and not value.contains_special():
                return f"{field} == {self.convert_value_str(value, None)}"
            regex = to_lucene_regex(value, case_insensitive=False)
            return f"{field} {'regex~' if case_insensitive else 'regex'} {_eql_string(regex)}"
        if case_insensitive:
            return f"{field}:{self.convert_value_str(value, None)}"
        op = "like" if value.contains_special() else "=="
        return f"{field} {op} {self.convert_value_str(value, None)}"

    @staticmethod
    def _exact_only(field, state) -> None:
        analyzer = analyzer_of(field, state)
        if analyzer:
            raise refuse_eql(field, analyzer)

    def convert_condition_field_eq_val_str(self, cond, state):
        self._exact_only(cond.field, state)
        return self._render(cond, True)

    def convert_condition_field_eq_val_str_case_sensitive(self, cond, state):
        self._exact_only(cond.field, state)
        return self._render(cond, False)

    def convert_condition_field_eq_val_num(self, cond, state):
        return f"{self.escape_and_quote_field(cond.field)} == {cond.value}"

    def convert_condition_field_eq_val_bool(self, cond, state):
        return f"{self.escape_and_quote_field(cond.field)} == {'true' if cond.value.boolean else 'false'}"

    def convert_condition_field_eq_val_re(self, cond, state):
        # EQL regexes are Lucene's dialect (whole value); the `i` flag is spelled out (see _lucene_regex)
        self._exact_only(cond.field, state)
        return f"{self.escape_and_quote_field(cond.field)} regex {_eql_string(_lucene_regex(cond.value))}"

    def finalize_query_default(self, rule, query, index, state) -> str:
        category = EQL_CATEGORIES.get(rule.logsource.category, "any")
        return f"{category} where {query}"


def _esql_string(text: str) -> str:
    """An ES|QL double-quoted string literal."""
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + text.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t") + '"'


class ElasticEsqlBackend(CombinedPipelineOnce, EsqlCorrelation, ESQLBackend, RegexWhenAsked):
    name: ClassVar[str] = "ruleport ES|QL (Elastic Defend)"
    # ES|QL's syntax reference: an identifier is quoted with backticks when it does not start with a
    # letter, `_` or `@`, or holds another character than a letter, digit or `_`; a dotted name is
    # such identifiers joined by dots, so a name with a part like `0` (Azure's
    # target_resources.0.modified_properties) is quoted whole (`` `a.0.b` ``, as `1.field` in the docs)
    field_quote_pattern: ClassVar = re.compile(r"^(?:[A-Za-z][A-Za-z0-9_]*|[_@][A-Za-z0-9_]+)"
                                               r"(?:\.(?:[A-Za-z][A-Za-z0-9_]*|[_@][A-Za-z0-9_]+))*$")
    precedence = (ConditionNOT, ConditionAND, ConditionOR)
    parenthesize = True  # explicit grouping: the reader need not know precedence
    convert_or_as_in: ClassVar[bool] = False  # IN takes no patterns; each value is its own comparison

    def _render(self, field: str, value: SigmaString, case_insensitive: bool, state) -> str:
        arrays = state.processing_state.get("array_fields", ())
        if case_insensitive and letters(value) == 0:
            case_insensitive = False
        if case_insensitive:
            value = value.lower()
        name = self.escape_and_quote_field(field)
        if field in arrays:
            joined = f'MV_CONCAT({name}, "\\n")'
            subject = f"TO_LOWER({joined})" if case_insensitive else joined
            body = to_lucene_regex(value, case_insensitive=False, any_char="[^\n]")
            regex = "(.*\n)?" + body + "(\n.*)?"
            if field not in state.processing_state.get("scope_fields", ()):
                self._note(field)  # scope values (event.type...) never hold a newline
            return f"{subject} RLIKE {_esql_string(regex)}"
        subject = f"TO_LOWER({name})" if case_insensitive else name
        if value.contains_special():
            return f"{subject} LIKE {_esql_string(wildcard_text(value))}"
        return f"{subject} == {_esql_string(''.join(p for p in value.s if isinstance(p, str)))}"

    def _note(self, field: str) -> None:
        record_note(self.last_processing_pipeline, "emit/array-joined",
                    f"{field} is multi-valued: matched as one regex over its elements joined by newlines "
                    "(exact unless an element itself contains a newline)", field,
                    Affects.of(EITHER, contains(field, "\n")))

    def convert_condition_field_eq_val_str(self, cond, state):
        return self._render(cond.field, cond.value, True, state)

    def convert_condition_field_eq_val_re(self, cond, state):
        regex = _lucene_regex(cond.value)
        name = self.escape_and_quote_field(cond.field)
        if cond.field in state.processing_state.get("array_fields", ()):
            self._note(cond.field)
            joined = "(.*" + chr(10) + ")?(" + regex + ")(" + chr(10) + ".*)?"
            return f'MV_CONCAT({name}, "\\n") RLIKE {_esql_string(joined)}'
        return f"{name} RLIKE {_esql_string(regex)}"

    def convert_condition_field_eq_val_str_case_sensitive(self, cond, state):
        return self._render(cond.field, cond.value, False, state)

    def convert_condition_not(self, cond, state):
        """ES|QL logic is three-valued: a comparison on a missing field is null
        and NOT null is null, so `NOT f == "x"` would drop events without f.
        Sigma's (and Elastic's EQL/Lucene) NOT is true there: COALESCE makes
        the negated part two-valued first."""
        expr = self.convert_condition(cond.args[0], state)
        if isinstance(expr, DeferredQueryExpression):
            return expr.negate()
        return f"NOT COALESCE({expr}, false)"

    def finalize_query_default(self, rule, query, index, state) -> str:
        indexes = state.processing_state["index"]
        if not names_its_indexes(rule, indexes):
            index_note(lambda code, message, affects: record_note(
                self.last_processing_pipeline, code, message, None, affects), indexes)
        return f"FROM {indexes}\n| WHERE {query}"

