"""Splunk .conf files by Splunk's rules: stanzas, `key = value`, comment lines, backslash continuation."""

import pytest

from converters.package import conf


def test_a_multiline_value_round_trips():
    value = 'source="x" EventCode=1\n| rex field=Image "(?<m>^a\\\\b$)"\n| search m=*'
    text = conf.render([("rule one", [("search", value), ("description", "d")], ["a comment"])])
    assert text.splitlines()[:3] == ["# a comment", "[rule one]", 'search = source="x" EventCode=1\\']
    assert conf.parse(text) == {"rule one": {"search": value, "description": "d"}}


def test_continued_lines_are_taken_as_they_are():
    """A continued line starting with # or [ is value, not a comment or a stanza."""
    text = "[s]\nk = a\\\n# not a comment\\\n[not a stanza]\nother = 1\n"
    assert conf.parse(text) == {"s": {"k": "a\n# not a comment\n[not a stanza]", "other": "1"}}


def test_comments_blank_lines_and_the_default_stanza():
    text = "top = 1\n# comment\n\n[s]\n  k =  v  \n"
    assert conf.parse(text) == {"default": {"top": "1"}, "s": {"k": "v"}}


def test_a_line_ending_in_a_backslash_cannot_be_written():
    with pytest.raises(conf.ConfError, match="backslash"):
        conf.value_lines("a\\\nb")
    with pytest.raises(conf.ConfError):
        conf.render([("s", [("k", "ends with \\")], [])])


def test_stanza_names_lose_their_brackets():
    text = conf.render([("[Deprecated] rule]", [("k", "v")], [])])
    assert conf.parse(text) == {"(Deprecated) rule)": {"k": "v"}}


def test_a_line_that_is_neither_is_an_error():
    with pytest.raises(conf.ConfError, match="line 2"):
        conf.parse("[s]\nno equals sign here\n")
