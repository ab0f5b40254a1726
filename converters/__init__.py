"""ruleport: detection rules as code.

The package is laid out as the pipeline it runs, bottom layer first:

    errors      findings and the exceptions every stage raises
    load        TOML rule files to rule objects (with line numbers)
    eql         EQL parse tree to ruleport's own AST (language layer)
    lint        schema validation and checks beyond the schema
    translate   Elastic rule (EQL, KQL) to a Sigma rule, with notes
    emit        Sigma rule to SIEM queries through pySigma backends
    execute     run emitted queries over fixture events
    report      findings and results as text, JSON, SARIF, annotations
    cli         the `ruleport` command

A layer imports only from layers above it in this list, never from cli.
"""

__version__ = "0.1.0"
