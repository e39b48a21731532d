# The two commands:  `make run` (service on SQLite with demo data)  and  `make test` (whole suite).
# Both set up everything they need and are safe to repeat.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Fonts and Pango for the PDFs: Noto Sans CJK, Noto Sans (Latin, Greek, Cyrillic) and Noto Sans/Naskh Arabic, and for
# the rare ideographs HanaMinB (CJK Extensions B-F) and BabelStone Han (Extension G); see certificates/fonts.py.
DEBIAN_RUN := ca-certificates fonts-noto-cjk fonts-noto-core fonts-hanazono fonts-babelstone-han libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
# Chromium for the browser tests (driven by Playwright through executable_path; no browser download); curl for
# the commands of docs/deploy.md, which a test runs; NSS tools so pdfsig can be told to trust the bank's PDF root.
DEBIAN_TEST := postgresql poppler-utils chromium curl libnss3-tools

.PHONY: run test lint bench setup clean

run: setup
	$(BIN)/creditbank serve --host 127.0.0.1 --port 5000

test: setup
	./scripts/ensure-debian-packages.sh $(DEBIAN_TEST)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	CREDITBANK_TEST_DATABASES=sqlite,postgresql $(BIN)/pytest; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; exit $$status

bench: setup
	./scripts/ensure-debian-packages.sh $(DEBIAN_TEST)
	$(BIN)/python benchmarks/ledger.py
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/import.py && $(BIN)/python benchmarks/import.py --database postgresql
	$(BIN)/python benchmarks/credits.py
	$(BIN)/python benchmarks/certificates.py
	$(BIN)/python benchmarks/verify_abuse.py
	$(BIN)/python benchmarks/backup.py
	$(BIN)/python benchmarks/scale.py
	$(BIN)/python benchmarks/exchange.py

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy

setup: $(STAMP)

# The Makefile too: it names the Debian packages, so a new font package reaches machines set up before it.
$(STAMP): Makefile pyproject.toml constraints.txt package.json package-lock.json
	./scripts/ensure-debian-packages.sh $(DEBIAN_RUN)
	./scripts/ensure-node.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	npm ci --no-audit --no-fund --loglevel=error
	node scripts/export-contexts.cjs
	$(BIN)/python -m certificates.fonts prepare
	touch $(STAMP)

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache .hypothesis
