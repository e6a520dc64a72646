# 社区云柜 · Community Cloud Locker
#   make run    set up (virtualenv, pinned packages, database, demo data) and serve on :5000
#   make test   set up what the tests need and run the whole suite on SQLite and PostgreSQL
#   make bench  load the real flows with wrk under gunicorn (SQLite, PostgreSQL); writes bench/RESULTS.md
#   make profile FLOW=status_page   one flow in-process under pyinstrument: CPU per request, SQL, call tree

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
# Each database's run is spread over this many processes (pytest-xdist): "auto" is one per CPU,
# 0 runs everything in one process.  A worker that runs out of tests takes some from another's queue.
PYTEST_WORKERS ?= auto
PYTEST := $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal
export FLASK_APP := wsgi

.PHONY: run test bench profile test-sqlite test-postgres setup setup-test translations extract-messages clean

run: setup
	@bash scripts/install-test-system-deps.sh --font-only
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo
	@PUBLIC_BASE_URL=$${PUBLIC_BASE_URL:-http://$(HOST):$(PORT)} $(BIN)/flask terminal-enrolment HQ-K1 | sed 's/^/  /'
	@PUBLIC_BASE_URL=$${PUBLIC_BASE_URL:-http://$(HOST):$(PORT)} $(BIN)/flask terminal-enrolment HQ-L1 | sed 's/^/  /'
	@echo
	@echo "  Kiosk (phone mode): http://$(HOST):$(PORT)/kiosk/"
	@echo "  Landing page:       http://$(HOST):$(PORT)/"
	@echo "  Back office:        http://$(HOST):$(PORT)/staff/"
	@echo "  Texts to residents and volunteers (their codes too) are printed below, within 10 s."
	@echo
	PUBLIC_BASE_URL=$${PUBLIC_BASE_URL:-http://$(HOST):$(PORT)} $(BIN)/flask worker & worker=$$!; \
	  $(BIN)/gunicorn --workers 2 --threads 4 --bind $(HOST):$(PORT) wsgi:app & web=$$!; \
	  trap 'kill $$worker $$web 2>/dev/null' EXIT INT TERM HUP; wait $$web

test: setup-test
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

# BENCH_ARGS e.g. "--tickets 20000 --seconds 5" or "--no-postgres"; see bench/run.py.
bench: setup
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" -eq 0 ] && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } || { echo "install wrk" >&2; exit 1; }
	BENCH_POSTGRES_URL=$(TEST_POSTGRES_URL) $(BIN)/python -m bench.run $(BENCH_ARGS)

# FLOW: one of bench/run.py's ENDPOINTS; PROFILE_ARGS e.g. "--backend sqlite --requests 2000".
FLOW ?= status_page
profile: $(VENV)/.dev-installed translations
	BENCH_POSTGRES_URL=$(TEST_POSTGRES_URL) $(BIN)/python -m bench.profile $(FLOW) $(PROFILE_ARGS)

test-sqlite:
	@echo "== test suite on SQLite =="
	$(PYTEST) $(PYTEST_ARGS)
	@echo "== web tests on SQLite, reference data kept for a minute as deployed =="
	TEST_CACHE_SECONDS=60 $(PYTEST) tests/web $(PYTEST_ARGS)

test-postgres:
	@echo "== test suite on PostgreSQL ($(TEST_POSTGRES_URL)) =="
	TEST_DATABASE_URL=$(TEST_POSTGRES_URL) $(PYTEST) $(PYTEST_ARGS)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.app-installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.app-installed $@

setup: $(VENV)/.app-installed translations

setup-test: $(VENV)/.dev-installed translations
	@bash scripts/install-test-system-deps.sh

translations:
	@$(BIN)/pybabel compile --statistics -d kiosk_app/translations 2>&1 | grep -v '^compiling' || true

# After changing user-facing text: make extract-messages, translate the new entries in
# kiosk_app/translations/zh_Hans_CN/LC_MESSAGES/messages.po, then make translations.
extract-messages:
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
	  --project "Community Cloud Locker" -o kiosk_app/translations/messages.pot .
	$(BIN)/pybabel update -i kiosk_app/translations/messages.pot -d kiosk_app/translations \
	  --ignore-obsolete --width 100

clean:
	rm -rf $(VENV) instance test-artifacts .pytest_cache
