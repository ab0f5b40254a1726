"""Load: Elastic TOML rule files to rule objects that remember the line of every key."""

from converters.load.rules import RuleFile, index_lines, iter_rule_paths, load_rule, parse_toml

__all__ = ["RuleFile", "index_lines", "iter_rule_paths", "load_rule", "parse_toml"]
