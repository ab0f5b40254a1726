"""Event synthesis for single-event queries (the machinery behind converters/prove/synthesize.py).

    formula     the query as atoms (leaves judged by the rule's own evaluator), NNF, DNF or a cover
    patterns    wildcard patterns and Lucene regexes: samples that match, single edits that miss
    values      one field: values satisfying its atoms, near misses of one atom, plausible defaults
    argv        a process's arguments and command line, each from the other, per OS
    entities    whole events, internally consistent (process, file, registry, user, host)
    ecs         ECS facts: field types, array fields, allowed values (generated tables)
    generate    per rule: positives per branch, near misses per leaf, variants, other scopes
"""
