"""Three-valued logic (true, false, null) as SQL-like engines evaluate it.

ES|QL's WHERE and Splunk's `where`/`eval` both treat a comparison with a
missing value as null: null AND false is false, null OR true is true, and
anything else with null stays null (a row passes only on true).
"""

from __future__ import annotations


def and_of(parts):
    """Compile a three-valued AND of row predicates; stops at the first false."""
    def run(row):
        result = True
        for p in parts:
            v = p(row)
            if v is False:
                return False
            if v is None:
                result = None
        return result
    return run


def or_of(parts):
    """Compile a three-valued OR of row predicates; stops at the first true."""
    def run(row):
        result = False
        for p in parts:
            v = p(row)
            if v is True:
                return True
            if v is None:
                result = None
        return result
    return run


def or_values(values):
    """Three-valued OR of values already computed."""
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False
