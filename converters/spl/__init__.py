"""Splunk SPL as a language: the subset ruleport emits, evaluated as Splunk does.

    lexer        the pipeline split, search tokens and quoted strings
    expressions  `eval` / `where` expressions (three-valued, per the Search Reference)
    executor     search, regex, rex, eval, where, tstats over flat events
"""
