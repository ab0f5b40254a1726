"""Prove: run the original rule and every target over the same fixture events.

    fixtures    JSONL events and their expect sidecars, read and checked (FILE:N errors)
    matrix      the proof of one rule: each target's executor over its platform's records
"""
