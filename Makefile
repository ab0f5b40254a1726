# ruleport: the README's two commands are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SEED   := rules/windows/execution_nodejs_susp_patterns.toml

.PHONY: install run test test-core bench sigma clean

install: $(VENV)/.installed

# Reinstall when the dependency pins change.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

run: install
	$(BIN)/ruleport validate $(SEED)
	$(BIN)/ruleport convert $(SEED)
	$(BIN)/ruleport test $(SEED) --events tests/fixtures/windows/execution_nodejs_susp_patterns.jsonl \
		--expect tests/fixtures/windows/execution_nodejs_susp_patterns.expect.json --allow-skip

test: install
	$(BIN)/pytest -q

# The suite without the corpus tests (no ../shared needed).
test-core: install
	$(BIN)/pytest -q -m 'not corpus'

# Regenerate the committed Sigma rules from rules/.
sigma: install
	$(BIN)/ruleport convert rules --target sigma --out .

bench: install
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
