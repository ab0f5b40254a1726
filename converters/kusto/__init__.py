"""Kusto (Microsoft's KQL) as a language: the subset ruleport emits, with Microsoft's case rules.

    executor     tokenizer, `T | where ...` parser and evaluator; the Defender XDR and
                 Sentinel ASIM executors
"""
