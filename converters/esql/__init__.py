"""ES|QL as a language: the subset ruleport emits, evaluated with ES|QL's semantics.

    expressions  WHERE expressions (three-valued; multi-values are null in comparisons)
    executor     FROM ... | WHERE ... | ... over Elastic documents
"""
