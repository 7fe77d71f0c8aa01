# QA Coach: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app run
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test lint translations bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall whenever the dependency list changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

run: export QA_CONFIG ?= development
run: $(VENV)/.installed
	$(BIN)/pybabel -q compile -d qa_app/translations
	$(FLASK) db upgrade
	$(FLASK) scorecards sync
	$(FLASK) seed-demo --if-empty
	@echo "QA Coach on http://$(HOST):$(PORT)/login (with its job worker)"
	@# The job worker runs beside the web server; whichever way the server stops (Ctrl-C,
	@# a signal to make), the shell's EXIT trap stops the worker too.
	$(FLASK) jobs worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT)

# One pytest worker per core (pytest-xdist); TEST_WORKERS=0 runs in this process.
TEST_WORKERS ?= auto

test: $(VENV)/.installed-test
	$(BIN)/pybabel -q compile -d qa_app/translations
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m mypy

# Small benchmarks on SQLite (and PostgreSQL with BENCH_DATABASE_URL); figures go to
# bench/out/ and bench/RESULTS.md. Full sizes: bench/README.md.
$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $(VENV)/.installed $@

bench: $(VENV)/.installed-bench
	$(BIN)/pybabel -q compile -d qa_app/translations
	$(BIN)/python -m bench.small

# Refresh the message catalogues after changing user-visible strings: extract (Babel's own
# keywords, pgettext and npgettext among them, plus the lazy ones below), update every
# language (obsolete entries dropped, no fuzzy guesses: a new msgid stays untranslated until
# someone translates it) and compile. tests/test_i18n.py extracts with the same keywords.
BABEL_KEYWORDS := -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2

translations: $(VENV)/.installed
	$(BIN)/pybabel -q extract -F babel.cfg $(BABEL_KEYWORDS) --no-location --sort-output \
		-o qa_app/translations/messages.pot .
	$(BIN)/pybabel -q update --ignore-obsolete --no-fuzzy-matching \
		-i qa_app/translations/messages.pot -d qa_app/translations
	$(BIN)/pybabel -q compile -d qa_app/translations

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
