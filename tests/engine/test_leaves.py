"""Elasticsearch's leaf queries (converters.engine.leaves, lucene_regexp) against their documented
rules, and a fixed generated sample against the real Lucene (the full run is `make bench`)."""

from __future__ import annotations

import pytest

from benchmarks.bench_leaves import compare, compare_sigma_regexes, generate, sigma_regex_cases
from converters.engine.leaves import (
    PatternError, ascii_lower, eql_wildcard, lucene_lower, normalize_wildcard, regexp_test, term_test, wildcard_test,
)


def test_fixed_sample_agrees_with_real_lucene(lucene):
    cases = generate(seed=7, patterns=900, values_per_pattern=8)
    result = compare(cases, lucene)
    tally = result["tally"]
    assert tally["pairs"] > 6500 and tally["matches"] > 1500 and tally["non-matches"] > 1500
    assert result["disagreements"] == [], result["disagreements"][:5]
    assert tally["agree"] == tally["pairs"]
    assert tally["portable regexp agree"] == tally["portable regexp pairs"] > 2000


def test_sigma_regexes_emitted_for_lucene_keep_their_meaning(lucene):
    result = compare_sigma_regexes(sigma_regex_cases(seed=9, patterns=400, values_per_pattern=8), lucene)
    assert result["disagreements"] == [], result["disagreements"][:5]
    assert result["tally"]["pairs"] > 3000 and result["tally"]["refused"] == 0


@pytest.mark.parametrize("pattern, ci, value, expected", [
    # class shorthands are Lucene 9's, ASCII only
    ("a\\d", False, "a7", True), ("a\\d", False, "ad", False), ("\\w+", False, "é", False),
    ("\\s", False, "\x0b", False), ("\\s", False, "\r", True), ("[\\d_]+", False, "1_2", True),
    ("\\D", False, "ab", False),
    # case_insensitive folds single ASCII characters only
    ("[a-c]x", True, "Ax", False), ("[abc]x", True, "Ax", True), ("[^a]x", True, "Ax", False),
    ("[^a-c]", True, "A", True), ("é", True, "É", False), ("k", True, "\u212a", False),
    ('"ab"', True, "AB", True), ("\\W", True, "a", False),
    # anchors and lazy-looking repeats are Lucene's literal / stacked operators
    ("^a$", False, "^a$", True), ("^a$", False, "a", False), ("a{2,}?", False, "", True),
    ("a+?", False, "", True), ("(|a)", False, "|a", True), ("*a", False, "*a", True),
    # the empty language: a lone empty string under case_insensitive, and its repeats
    ("", True, "", False), ("", False, "", True), ("a()b", True, "ab", True), ('(a|"")', True, "", False),
    ("#*", False, "", False), ("#?", False, "", True), ("@", False, "anything", True),
])
def test_regexp_rules(pattern, ci, value, expected):
    assert regexp_test(pattern, case_insensitive=ci)(value) is expected


@pytest.mark.parametrize("pattern", ["\\n", "a(", "[z-a]", "a{2,1}", "a|", "[]", "a&b", "~a", "<1-5>", "a\\"])
def test_regexp_rejects_what_lucene_rejects_or_we_do_not_model(pattern):
    with pytest.raises(PatternError):
        regexp_test(pattern)


def test_wildcard_and_term_fold_ascii_only_and_not_escapes():
    assert wildcard_test("*NODE*", case_insensitive=True)("c:\\node.exe")
    assert not wildcard_test("*É*", case_insensitive=True)("é")
    assert wildcard_test("\\Ab*", case_insensitive=True)("ABC")
    assert not wildcard_test("\\Ab*", case_insensitive=True)("abc")  # an escaped letter is not folded
    assert wildcard_test("a\\*?", case_insensitive=False)("a*x") and not wildcard_test("a\\*?")("abx")
    assert wildcard_test("a\\")("a\\")  # a trailing backslash is literal
    assert not wildcard_test("")("") and not wildcard_test("", case_insensitive=True)("")
    assert term_test("")("") and not term_test("", case_insensitive=True)("")
    assert term_test("Kernel", case_insensitive=True)("KERNEL")
    assert not term_test("kernel", case_insensitive=True)("\u212aernel")


def test_eql_patterns_keep_backslashes_literal():
    assert eql_wildcard("C:\\*\\x?") == "C:\\\\*\\\\x?"
    assert wildcard_test(eql_wildcard("C:\\*"), case_insensitive=True)("c:\\Windows")


def test_normalizer_lowercases_the_query_as_elasticsearch_does():
    assert normalize_wildcard("F?o\\B BA*") == "f?o\\B ba*"
    assert wildcard_test("*NODE*", normalizer=True)("C:\\Node.exe")
    assert regexp_test("A\\D", normalizer=True)("a7")  # the pattern lower-cased whole: \D became \d
    assert not regexp_test("A\\D", normalizer=True)("ab")
    assert term_test("İ", normalizer=True)("i")  # Lucene's per-code-point lower case
    assert lucene_lower("ΑΣ") == "ασ" and ascii_lower("ÉA") == "Éa"


def test_wildcards_match_as_the_regex_of_their_pattern_without_backtracking():
    """Values are matched piece by piece between the `*`s (leftmost), as the regex `.*a.*b` would
    match them, but in time linear in the pieces: a long value that almost matches a pattern with
    many `*` (a Windows volume GUID path, each `?` widened to `*`) is answered at once."""
    import random
    import re

    from converters.engine.leaves import wildcard_source

    rng = random.Random(7)
    for _ in range(3000):
        pattern = "".join(rng.choice(["*", "?", "a", "b", "A", "\\*", "-"]) for _ in range(rng.randint(1, 7)))
        value = "".join(rng.choice("aAb-*") for _ in range(rng.randint(0, 8)))
        for ci in (False, True):
            expected = re.fullmatch(wildcard_source(pattern, case_insensitive=ci), value, re.DOTALL) is not None
            assert wildcard_test(pattern, case_insensitive=ci)(value) is expected, (pattern, value, ci)
    guid = "\\\\\\\\?\\\\Volume{*-*-*-*-*}\\\\Windows\\\\w3wp.exe"
    assert wildcard_test(guid)("\\\\?\\Volume{" + "-" * 20000) is False
    assert wildcard_test(guid)("\\\\?\\Volume{a-b-c-d-e}\\Windows\\w3wp.exe") is True
