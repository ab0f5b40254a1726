"""Sigma correlation rules, per query language: pySigma correlation methods written as class attributes
(templates) and the few methods the templates need, mixed into ruleport's backends.

    base     what all share: join keys mapped per referenced rule, notes, the pySigma entry point
    eql      EQL sequence / sample
"""
