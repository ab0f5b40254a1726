"""ruleport: detection rules as code.

The package is laid out as the pipeline it runs, bottom layer first:

    errors, files  findings, exceptions, atomic file output
    load           TOML rule files to rule objects (with line numbers)
    eql, kql       the query languages: parsers onto ruleport's own ASTs
    lint           schema validation and checks beyond the schema
    translate      Elastic rule (EQL, KQL) to a Sigma rule, with notes
    emit           Sigma rule to SIEM queries through pySigma backends
    convert        load, translate, emit for one rule file (shared by the CLI and the proof)
    execute        run emitted queries over fixture events, per platform
    report         findings as text, JSON, SARIF, GitHub annotations
    cli            the `ruleport` command

A layer imports only from layers above it in this list, never from cli
(tests/test_layers.py holds the package to it).
"""

__version__ = "0.1.0"
