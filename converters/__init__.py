"""ruleport: detection rules as code.

The package is laid out as the pipeline it runs, bottom layer first:

    errors, files  findings, exceptions, atomic file output; batch: one function over
                   many rules, in this process or forked workers
    load           TOML rule files to rule objects (with line numbers)
    engine         what every evaluator shares: the Executor interface, doc values,
                   wildcard/regex dialects, three-valued logic
    eql, kql,      the query languages, one package each: AST, parser, evaluator
    spl, esql,     (eql and kql are also the languages rules are written in)
    kusto
    lucene, sqlite engine adapters: the real Lucene (JVM helper), Sigma in real SQLite
    platforms      how each SIEM records an ECS event (the platform models)
    lint           schema validation and checks beyond the schema
    translate      Elastic rule (EQL, KQL) to a Sigma rule, with notes
    emit           Sigma rule to SIEM queries through pySigma backends; the target records
    convert        load, translate, emit for one rule (shared by the CLI and the proof)
    prove          the original rule and every target over the same fixture events
    package        the files each platform imports (Kibana ndjson, Splunk app, Sentinel
                   and Defender rules, SigmaHQ folder, ATT&CK Navigator layers)
    report         findings and proof matrices as text, JSON, SARIF, GitHub annotations
    cli            the `ruleport` command

prove and package share a layer (neither imports the other).
A layer imports only from layers above it in this list, never from cli
(tests/test_layers.py holds the package to it).
"""

__version__ = "0.1.0"
