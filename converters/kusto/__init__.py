"""Kusto (Microsoft's KQL) as a language: the subset ruleport emits, with Microsoft's case rules.

Bottom to top:

    lexer        tokens: string literals, names, keywords, numbers, timespans
    values       what a value is to the string operators and conversions (tostring,
                 parse_json, has terms, RE2 regexes, IP ranges)
    parser       the single-row query `T | where ... | extend ...` compiled to stages
    scalar       the correlation queries' scalar expressions
    tabular      the correlation queries' tabular operators (summarize, scan, ...)
    executor     the Defender XDR and Sentinel ASIM executors (and the semantics they follow)
"""
