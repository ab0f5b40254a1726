"""KQL parser: the grammar as Kibana reads it (precedence, value lists,
quoting, escapes, exists, ranges, nested queries) and its syntax errors."""

from __future__ import annotations

import pytest

from converters.errors import RuleportError
from converters.kql import (
    WILDCARD,
    And,
    FieldExists,
    FieldMatch,
    FreeText,
    KqlSyntaxError,
    MatchAll,
    Nested,
    Not,
    Or,
    Range,
    Value,
    fields_of,
    iter_nodes,
    parse_kql,
    to_kql,
)


def lit(text: str) -> Value:
    return Value((text,), quoted=False)


def phrase(text: str) -> Value:
    return Value((text,) if text else (), quoted=True)


def m(field: str, text: str) -> FieldMatch:
    return FieldMatch(field, lit(text))


# --- precedence and boolean keywords -------------------------------------

def test_and_binds_tighter_than_or():
    assert parse_kql("a:1 or b:2 and c:3") == Or((m("a", "1"), And((m("b", "2"), m("c", "3")))))
    assert parse_kql("a:1 and b:2 or c:3") == Or((And((m("a", "1"), m("b", "2"))), m("c", "3")))


def test_chains_are_n_ary_and_parentheses_group():
    assert parse_kql("a:1 or b:2 or c:3") == Or((m("a", "1"), m("b", "2"), m("c", "3")))
    assert parse_kql("(a:1 or b:2) and c:3") == And((Or((m("a", "1"), m("b", "2"))), m("c", "3")))
    assert parse_kql("a:1 or (b:2 or c:3)") == Or((m("a", "1"), Or((m("b", "2"), m("c", "3")))))


def test_not_applies_to_one_term():
    assert parse_kql("not a:1 and b:2") == And((Not(m("a", "1")), m("b", "2")))
    assert parse_kql("not (a:1 or b:2)") == Not(Or((m("a", "1"), m("b", "2"))))


@pytest.mark.parametrize("text", [
    "a:1 OR b:2 AnD not c:3",
    "a:1 or b:2 and NOT c:3",
    "a:1\n  Or\tb:2\n AND\n nOt c:3",
])
def test_keywords_ignore_case_and_accept_any_whitespace(text):
    assert parse_kql(text) == Or((m("a", "1"), And((m("b", "2"), Not(m("c", "3"))))))


def test_words_that_start_with_keywords_are_values():
    assert parse_kql("process.name:notepad.exe") == m("process.name", "notepad.exe")
    assert parse_kql("a:oracle and b:android") == And((m("a", "oracle"), m("b", "android")))
    assert parse_kql("notes:x") == m("notes", "x")


# --- value lists -----------------------------------------------------------

def test_value_list_expands_to_field_matches():
    assert parse_kql("event.code:(1 or 2 or 3)") == Or((m("event.code", "1"), m("event.code", "2"), m("event.code", "3")))


def test_value_list_precedence_not_and_nesting():
    got = parse_kql('f:(a or b and not "c" or (d and e*))')
    assert got == Or((
        m("f", "a"),
        And((m("f", "b"), Not(FieldMatch("f", phrase("c"))))),
        And((m("f", "d"), FieldMatch("f", Value(("e", WILDCARD))))),
    ))


def test_value_list_of_one_and_lone_wildcard_in_list():
    assert parse_kql("f:( x )") == m("f", "x")
    got = parse_kql("http.request.method:(* and not (GET or HEAD))")
    assert got == And((
        FieldExists("http.request.method"),
        Not(Or((m("http.request.method", "GET"), m("http.request.method", "HEAD")))),
    ))


# --- quoting, wildcards, escapes -------------------------------------------

def test_quoted_star_is_literal_unquoted_star_is_wildcard():
    quoted = parse_kql('f:"a*b"').value
    unquoted = parse_kql("f:a*b").value
    assert quoted == Value(("a*b",), quoted=True) and not quoted.has_wildcard
    assert unquoted == Value(("a", WILDCARD, "b")) and unquoted.has_wildcard
    assert quoted.literal == "a*b" and unquoted.literal is None


def test_escaped_star_stays_apart_from_wildcard():
    v = parse_kql(r"f:a\**").value
    assert v.parts == ("a*", WILDCARD)
    assert v.pattern(wildcard="%", escape=lambda s: s.replace("*", "\\*")) == "a\\*%"


def test_unquoted_escapes_of_special_characters():
    v = parse_kql(r"f:C\:\\Windows\\\(x\)\<\>\"\{\}").value
    assert v == lit('C:\\Windows\\(x)<>"{}')


def test_unquoted_escapes_of_whitespace_unicode_and_keywords():
    assert parse_kql(r"f:a\tb\u0041").value == lit("a\tbA")
    assert parse_kql(r"f:cats \and dogs \OR mice").value == lit("cats and dogs OR mice")
    # Kibana tries `\n` before the keyword escape: `\not` is a newline and "ot".
    assert parse_kql(r"f:a \not b").value == lit("a \not b")
    assert parse_kql(r"f:a \NOT b").value == lit("a NOT b")


def test_quoted_escapes_and_kept_backslashes():
    assert parse_kql(r'f:"say \"hi\" \\ done"').value == phrase('say "hi" \\ done')
    assert parse_kql(r'f:"C:\Windows\System32"').value == phrase("C:\\Windows\\System32")
    # In quotes \t, \r, \n and \uXXXX are still escapes, as in Kibana.
    assert parse_kql(r'f:"C:\temp\u0041"').value == phrase("C:\temp" + "A")
    assert parse_kql('f:""').value == Value((), quoted=True)


def test_unquoted_value_keeps_inner_spaces_and_trims_ends():
    assert parse_kql("machine.os:win xp*  ") == FieldMatch("machine.os", Value(("win xp", WILDCARD)))
    assert parse_kql("f: a b and g:c") == And((m("f", "a b"), m("g", "c")))


def test_trim_happens_after_escapes():
    # Kibana trims the whole unquoted value once escapes are read.
    assert parse_kql("f:a \\n") == m("f", "a")
    assert parse_kql("f:a\\t*") == FieldMatch("f", Value(("a\t", WILDCARD)))


def test_keyword_without_following_space_is_part_of_the_value():
    assert parse_kql("f:a or") == m("f", "a or")


def test_unquoted_special_words_stay_text():
    assert parse_kql("f:true").value == lit("true")
    assert parse_kql('f:"true"').value == phrase("true")


# --- exists, match-all, free text -------------------------------------------

def test_exists_only_for_unquoted_lone_wildcard():
    assert parse_kql("user.name:*") == FieldExists("user.name")
    assert parse_kql("user.name : * ") == FieldExists("user.name")
    assert parse_kql('user.name:"*"') == FieldMatch("user.name", phrase("*"))
    assert parse_kql("user.name:**") == FieldMatch("user.name", Value((WILDCARD, WILDCARD)))


@pytest.mark.parametrize("text", ["", "   \n", "*", "*:*", " * "])
def test_match_all(text):
    assert parse_kql(text) == MatchAll()


def test_free_text_without_field():
    assert parse_kql('"quick brown fox"') == FreeText(phrase("quick brown fox"))
    assert parse_kql("error* and a:b") == And((FreeText(Value(("error", WILDCARD))), m("a", "b")))


def test_unquoted_null_field_means_no_field():
    assert parse_kql("null:x") == FreeText(lit("x"))
    assert parse_kql("null:*") == MatchAll()
    assert parse_kql('"null":x') == m("null", "x")


def test_deep_groups_parse_up_to_the_limit_then_fail_cleanly():
    from converters.kql.parser import MAX_DEPTH

    deep = "(" * MAX_DEPTH + "a:b" + ")" * MAX_DEPTH
    assert parse_kql(deep) == m("a", "b")
    with pytest.raises(KqlSyntaxError, match="nest more than"):
        parse_kql("(" + deep + ")")
    with pytest.raises(KqlSyntaxError, match="nest more than"):
        parse_kql("f:" + "(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1))


def test_wildcard_and_quoted_field_names():
    assert parse_kql("process.*:x") == m("process.*", "x")
    assert parse_kql("*:x") == m("*", "x")
    assert parse_kql('"process.name":x') == m("process.name", "x")
    assert fields_of(parse_kql("a.*:1 or b:2")) == ["a.*", "b"]


# --- ranges and nested ----------------------------------------------------------

@pytest.mark.parametrize("op", ["<", "<=", ">", ">="])
def test_ranges(op):
    assert parse_kql(f"bytes {op} 1024") == Range("bytes", op, lit("1024"))
    assert parse_kql(f"bytes{op}1024") == Range("bytes", op, lit("1024"))


def test_range_with_quoted_value_and_in_boolean():
    got = parse_kql('@timestamp >= "2024-01-01" and n < 5')
    assert got == And((Range("@timestamp", ">=", phrase("2024-01-01")), Range("n", "<", lit("5"))))


def test_nested_query():
    got = parse_kql('items:{ name:"banana" and stock > 10 } or x:1')
    assert got == Or((Nested("items", And((FieldMatch("name", phrase("banana")), Range("stock", ">", lit("10"))))), m("x", "1")))
    assert fields_of(got) == ["items.name", "items.stock", "x"]


def test_nested_inside_nested():
    got = parse_kql("a:{ b:{ c:1 } }")
    assert got == Nested("a", Nested("b", m("c", "1")))
    assert [type(n).__name__ for n in iter_nodes(got)] == ["Nested", "Nested", "FieldMatch"]


def test_nodes_are_hashable_and_frozen():
    node = parse_kql("a:1 and b:(2 or 3)")
    assert hash(node) == hash(parse_kql("a:1 and b:(2 or 3)"))
    with pytest.raises(AttributeError):
        node.terms = ()


# --- syntax errors ----------------------------------------------------------------

@pytest.mark.parametrize("text,line,column,words", [
    ("a:(b or c", 1, 10, "expected `)`"),
    ('a:"unterminated', 1, 3, "unterminated quoted string"),
    ("a:b and\n  c:", 2, 5, "expected a value"),
    ("a:1 and\n(b:2 or c:3", 2, 12, "expected `)`"),
    ("a:b:c", 1, 4, "found ':'"),
    ("(a:b) c:d", 1, 7, "join terms with `and` or `or`"),
    ("not(a:b)", 1, 4, "need whitespace"),
    ("a:b or(c:d)", 1, 7, "need whitespace"),
    ("f:cannot be", 1, 6, "quote the value"),
    ("not not a:b", 1, 5, "expected a field name or a value"),
    (r"f:C\Windows", 1, 4, "a backslash escapes only"),
    ("a:{ b:c ", 1, 9, "expected `}`"),
    ("a >", 1, 4, "expected a value after `>`"),
    ("  )", 1, 3, "expected a field name or a value"),
    ('"a*":x', 1, 1, "literal `*` in a field name"),
])
def test_syntax_errors_name_line_and_column(text, line, column, words):
    with pytest.raises(KqlSyntaxError) as info:
        parse_kql(text)
    err = info.value
    assert (err.line, err.column) == (line, column), str(err)
    assert f"line {line}, column {column}" in str(err)
    if words:
        assert words in str(err)
    assert err.code == "query/kql-syntax"
    assert isinstance(err, RuleportError)


def test_non_string_query_is_a_kql_error():
    with pytest.raises(KqlSyntaxError, match="must be a string"):
        parse_kql(None)  # type: ignore[arg-type]


# --- writing the AST back as KQL ------------------------------------------------

@pytest.mark.parametrize("text", [
    "a:1 or b:2 and not c:3",
    "(a:1 or b:2) and c:(x or y and not z*)",
    r'f:C\:\\Windows\\* and g:"quoted \"*\" \\ text" and h:a\*b*',
    "f:ca\\u006eot be and g:(cat \\NOT) and h:x \\or y",
    "f:\\NOT or NOT:1 or xnot>5",
    'null:x and "null":y and "odd field":z and "":e',
    "a.*:x and user.name:* and n >= 10 and items:{ name:b and not stock < 1 }",
    r"f:\t and g:tab\there",
    "*",
    '"free text" or word*',
])
def test_to_kql_round_trips(text):
    node = parse_kql(text)
    assert parse_kql(to_kql(node)) == node


def test_to_kql_keeps_nesting_and_double_not():
    node = Not(Not(And((m("a", "1"), Or((m("b", "2"), m("c", "3")))))))
    text = to_kql(node)
    assert text == "not (not (a:1 and (b:2 or c:3)))"
    assert parse_kql(text) == node


def test_to_kql_escapes_keywords_and_specials_in_values():
    assert to_kql(m("f", "a or b")) == "f:a \\or b"
    assert to_kql(m("f", "not x")) == "f:\\u006eot x"
    assert to_kql(FieldMatch("f", Value(("(1)*",)))) == "f:\\(1\\)\\*"


def test_to_kql_refuses_an_unquoted_value_kibana_would_trim():
    with pytest.raises(ValueError, match="whitespace"):
        to_kql(m("f", " padded"))
