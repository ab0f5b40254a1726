"""Load: Elastic TOML rule files to rule objects that remember the line of every key,
what a rule says about itself (meta), and the repository's deployment settings."""

from converters.load.meta import EqlFields, RuleMeta, eql_fields, rule_meta
from converters.load.rules import RuleFile, index_lines, iter_rule_paths, load_rule, parse_toml

__all__ = ["EqlFields", "RuleFile", "eql_fields", "RuleMeta", "index_lines", "iter_rule_paths", "load_rule", "parse_toml", "rule_meta"]
