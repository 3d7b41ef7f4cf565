# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
THREADS ?= 8
CONNECTION_LIMIT ?= 500
CHANNEL_TIMEOUT ?= 15
CLEANUP_INTERVAL ?= 2
WAITRESS_ARGS ?=
# pytest-xdist workers for `make test` (one per core). Each test file runs whole on one worker, with its own live
# server; no test finds a patient another file made.
TEST_WORKERS ?= auto

.PHONY: install run test test-later lint check-rules bench screenshots clean translations-extract translations-update \
	translations-compile

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install when the dependency list changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

# Check the rules first so a broken edit stops here with a clear list of problems, then serve with waitress
# (a production WSGI server: one process, threads, which suits SQLite and in-memory rate limits). The server is told
# where it listens, so links in emails default to http://HOST:PORT (screening/listen.py has the precedence).
# A connection that sends nothing for CHANNEL_TIMEOUT seconds is closed at waitress's next check, every
# CLEANUP_INTERVAL seconds (waitress's default, 30, doubled the wait). waitress has no bound on the time a client may
# take to send its headers: in front of an exposed server, a proxy sets one (docs/operations.md).
run: install
	$(BIN)/screening init
	$(BIN)/screening rules check
	SCREENING_LISTEN=$(HOST):$(PORT) $(BIN)/waitress-serve --listen=$(HOST):$(PORT) --threads=$(THREADS) \
		--connection-limit=$(CONNECTION_LIMIT) --channel-timeout=$(CHANNEL_TIMEOUT) \
		--cleanup-interval=$(CLEANUP_INTERVAL) $(WAITRESS_ARGS) --call screening:create_app

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

# The suite (without the browser tests) with every Python clock 400 days on, in the tests and in every command and
# server they start (tools/clock_shift/sitecustomize.py; monotonic clocks are left alone): a test that depends on
# today's date fails here.
test-later: install
	CLOCK_SHIFT_DAYS=400 PYTHONPATH=$(CURDIR)/tools/clock_shift $(BIN)/python -m pytest -q -p no:cacheprovider --ignore=tests/browser

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check-rules: install
	$(BIN)/screening rules check

bench: install
	$(BIN)/python bench/bench_rules.py
	$(BIN)/python bench/journey.py

# A PNG of every page of the patient and clinician journeys, desktop and phone, in screenshots/ (needs chromium).
screenshots: install
	$(BIN)/python tests/browser/screenshots.py --out screenshots

# The patient side's words in other languages (docs/patient-journey.md, "Languages"). The compiled catalogues (.mo) are
# committed beside their .po files, so `make run` and `make test` need no step of their own: after editing a .po,
# run translations-compile and commit both. A new language: translations-extract, then
# `$(BIN)/pybabel init -i screening/translations/messages.pot -d screening/translations -l <code>`.
TRANSLATIONS := screening/translations

translations-extract: install
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k _l -k N_ --no-location --sort-output --width 120 --project screening \
		-o $(TRANSLATIONS)/messages.pot .

translations-update: translations-extract
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-fuzzy-matching --width 120

translations-compile: install
	$(BIN)/pybabel compile -d $(TRANSLATIONS) --statistics

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
