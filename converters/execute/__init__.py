"""Run emitted queries over fixture events.

One executor per query language, all behind `Executor` (base.py). An
executor receives only the text `convert` emitted for its target and the
events as that target's platform records them (platforms.py); it never
sees the Sigma rule or the translator's AST.
"""
