"""EQL patterns survive the trip into Sigma strings: wildcards stay wildcards,
backslashes stay backslashes (pySigma reads the value back)."""

import itertools

import pytest
from sigma.types import SigmaString, SpecialChars

from converters.translate import values as V


def as_pysigma(pattern):
    """Our pattern in pySigma's representation: merged literal text and SpecialChars."""
    out = []
    for part in pattern:
        if part is V.STAR:
            out.append(SpecialChars.WILDCARD_MULTI)
        elif part is V.ONE:
            out.append(SpecialChars.WILDCARD_SINGLE)
        elif out and isinstance(out[-1], str):
            out[-1] += part
        else:
            out.append(part)
    return out


def roundtrip(pattern):
    return SigmaString(V.sigma_string(pattern)).s


@pytest.mark.parametrize("eql", [
    "?:\\Users\\*\\AppData\\*\\node.exe",
    "\\Device\\HarddiskVolume?\\\\Users\\*\\AppData\\*\\node.exe",
    "C:\\",                       # trailing backslash
    "\\\\server\\share\\*",       # UNC path: leading double backslash
    "*\\?",                       # backslash then one-character wildcard
    "a\\\\\\b",                   # three backslashes in a row
    "*eval(*",
])
def test_wildcard_patterns_roundtrip(eql):
    pattern = V.wildcard_pattern(eql)
    assert roundtrip(pattern) == as_pysigma(pattern)


def test_seed_harddisk_pattern_keeps_two_real_backslashes():
    pattern = V.wildcard_pattern("\\Device\\HarddiskVolume?\\\\Users\\*")
    text = V.sigma_string(pattern)
    assert text == "\\Device\\HarddiskVolume?\\\\\\Users\\\\*"
    parsed = SigmaString(text).s
    assert parsed[2] == "\\\\Users\\"   # two backslashes before Users, one after
    assert parsed[1] is SpecialChars.WILDCARD_SINGLE


def test_literal_star_and_question_mark_are_escaped():
    pattern = V.literal_pattern("what?*\\")
    assert roundtrip(pattern) == ["what?*\\"]
    assert V.sigma_string(pattern) == "what\\?\\*\\"


def test_every_short_combination_roundtrips():
    alphabet = ["\\", "a", V.STAR, V.ONE, "*", "?"]   # the last two are literal characters
    for n in range(1, 5):
        for combo in itertools.product(alphabet, repeat=n):
            assert roundtrip(combo) == as_pysigma(combo), combo


@pytest.mark.parametrize("eql, modifier, rest", [
    ("*x*", "contains", "x"), ("*x", "endswith", "x"), ("x*", "startswith", "x"),
    ("x", None, "x"), ("*a*b*", "contains", "a*b"), ("*", None, "*"),
])
def test_outer_wildcards_become_modifiers(eql, modifier, rest):
    mod, remaining = V.split_modifier(V.wildcard_pattern(eql))
    assert mod == modifier
    assert V.sigma_string(remaining) == rest


def test_basename_regex_stays_within_the_last_component():
    import re
    rx = re.compile(V.basename_regex(V.wildcard_pattern("node?.exe"), "\\"), re.IGNORECASE)
    assert rx.search("C:\\x\\node1.exe")
    assert not rx.search("C:\\x\\node12.exe")
    assert not rx.search("C:\\node1.exe\\other.exe")
    assert rx.search("node1.exe")
