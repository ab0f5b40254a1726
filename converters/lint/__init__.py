"""Validation of Elastic TOML rules: JSON Schema, then checks beyond it.

    schema          schemas/elastic-rule.schema.json through jsonschema (fast path: fastjsonschema)
    checks_attack   ATT&CK mapping against the pinned table (attack.py)
    checks_meta     Elastic's conventions: severity bands, tags, dates, license, file names
    checks_query    the query parses; ECS fields (ecs.py); OS tags agree with the query
    config          suppressions, per rule (comment) or per repository (pyproject.toml)
    codes           every finding code with its severity and hint
    runner          runs it all over files, in parallel, plus repository-wide checks
"""
