"""Translation over Elastic's whole rule repository: every rule either becomes
valid Sigma or is refused with a clear, coded reason; nothing crashes."""

import collections
import json

import pytest
import yaml
from sigma.collection import SigmaCollection

from converters.errors import TranslationError
from converters.load import load_rule
from converters.translate import translate_rule

pytestmark = pytest.mark.corpus

# Why a corpus rule may be refused (all are real limits of single-event Sigma).
EXPECTED_REFUSALS = {
    "translate/new-terms",              # new_terms rules: no Sigma equivalent
    "translate/until", "translate/missing-events",  # sequences Sigma correlations cannot state
    "translate/unsupported-expression", # e.g. length(process.args) > 3, field arithmetic
    "translate/unsupported-function",
    "translate/unsupported-language",   # esql, lucene
    "translate/no-query",               # machine-learning rules
    "translate/pipes",
}


@pytest.fixture(scope="module")
def corpus_results(corpus_dir):
    results = {}
    for path in sorted(corpus_dir.rglob("*.toml")):
        rule = load_rule(path, str(path.relative_to(corpus_dir)))
        try:
            results[rule.path] = translate_rule(rule)
        except TranslationError as exc:
            results[rule.path] = exc
    return results


def test_every_rule_translates_or_is_refused_with_a_known_code(corpus_results):
    codes = collections.Counter(r.code for r in corpus_results.values() if isinstance(r, TranslationError))
    assert set(codes) <= EXPECTED_REFUSALS, codes
    translated = [p for p, r in corpus_results.items() if not isinstance(r, TranslationError)]
    # 835 EQL single-event rules, 509 kuery rules (new_terms rules are refused) and 241 correlation
    # rules (210 EQL sequences/samples, 31 thresholds) translate today; fewer means a regression
    assert len(translated) >= 835 + 509 + 241
    assert sum(1 for r in corpus_results.values() if getattr(r, "correlation", None)) >= 241
    for path, r in corpus_results.items():
        if isinstance(r, TranslationError):
            assert r.message and "\n" not in r.message, path


def test_every_translation_parses_in_pysigma(corpus_results):
    bad = {}
    for path, r in corpus_results.items():
        if isinstance(r, TranslationError):
            continue
        collection = SigmaCollection.from_yaml(r.sigma_yaml, collect_errors=True)
        errors = collection.errors + [e for rule in collection.rules for e in rule.errors]
        if errors:
            bad[path] = [str(e) for e in errors[:2]]
    assert bad == {}


def test_every_translation_documents_are_what_its_yaml_loads_to(corpus_results):
    """emit builds pySigma rules from Translation.documents instead of parsing the text: the two
    must be the same data (values and their types: 1, True and "1" differ), or the emitted query
    would not be the committed Sigma rule's."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    checked, bad = 0, []

    def typed(x):
        if isinstance(x, dict):
            return {k: typed(v) for k, v in x.items()}
        if isinstance(x, list):
            return [typed(v) for v in x]
        return (type(x).__name__, x)

    for path, r in corpus_results.items():
        if isinstance(r, TranslationError) or r.documents is None:
            continue
        checked += 1
        if typed(list(yaml.load_all(r.sigma_yaml, Loader=loader))) != typed(list(r.documents)):
            bad.append(path)
    assert checked > 1000 and bad == []


def test_every_translation_matches_the_sigma_schema(corpus_results, sigma_spec_dir):
    import jsonschema

    def validator(name):
        schema = json.loads((sigma_spec_dir / name).read_text())
        return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())

    rules, correlations = validator("sigma-detection-rule-schema.json"), validator("sigma-correlation-rules-schema.json")
    bad = {}
    for path, r in corpus_results.items():
        if isinstance(r, TranslationError):
            continue
        for doc in yaml.safe_load_all(r.sigma_yaml):  # a correlation: its base rules, then itself
            errors = list((correlations if "correlation" in doc else rules).iter_errors(doc))
            if errors:
                bad[path] = [e.message for e in errors[:2]]
    assert bad == {}


def test_attack_tags_pass_pysigma_with_the_project_attack_table(corpus_results, tmp_path_factory):
    """Every translated rule's ATT&CK tags are valid for pySigma, fed the project's own
    pinned ATT&CK table (never the network); the only exceptions are the rules that map a
    revoked technique, which `ruleport validate` reports as attack/revoked."""
    from sigma.validators.core.tags import ATTACKTagValidator

    from converters.lint.attack import attack_table
    from converters.translate.pysigma_data import use_local_data

    table = attack_table()
    use_local_data(tmp_path_factory.mktemp("attack"),
                   {tid: t.shortname for tid, t in table.tactics.items()},
                   {tid: (t.name, list(t.tactics)) for tid, t in table.techniques.items() if not t.status})
    revoked = {tid.lower() for tid, t in table.techniques.items() if t.status == "revoked"}
    validator = ATTACKTagValidator()
    bad = {}
    for path, r in corpus_results.items():
        if isinstance(r, TranslationError):
            continue
        rule = SigmaCollection.from_yaml(r.sigma_yaml).rules[-1]  # a correlation's tags are on the last rule
        issues = [str(i.tag) for i in validator.validate(rule)]
        if issues:
            bad[path] = issues
    assert bad, "expected the revoked-technique rules to be caught"
    assert all(tag.removeprefix("attack.") in revoked for tags in bad.values() for tag in tags), bad
