# The two commands a newcomer needs: `make demo` and `make test`. Both bootstrap .venv by themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
DEMO_ENV := DEBUG=true
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test venv migrate lint bench messages mutate mutate-sql clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

migrate: venv
	$(DEMO_ENV) $(PY) manage.py migrate --noinput

demo: migrate
	$(DEMO_ENV) $(PY) manage.py seed_demo
	@echo ""
	@echo "  citycode demo city is starting on http://$(HOST):$(PORT)/"
	@echo "    My codes (citizen):  http://$(HOST):$(PORT)/            log in as alice or bob, password citycode-demo"
	@echo "    Ride a bus:          http://$(HOST):$(PORT)/transit/ride-code/  (alice) and /transit/reader/ (dispatcher)"
	@echo "    Hospital:            http://$(HOST):$(PORT)/medical/  (alice books and pays; doctor checks in at /medical/desk/)"
	@echo "    Health code:         http://$(HOST):$(PORT)/health/   Licences: /licences/   Public catalogue: /catalogue/"
	@echo "    Staff log-ins:       bureau, bureau2, officer, officer2, doctor, cashier, dispatcher, police-clerk,"
	@echo "                         librarian, culture  (password citycode-demo; README lists who does what)"
	@echo "    API docs:            http://$(HOST):$(PORT)/api/docs/"
	@echo "    Health:              http://$(HOST):$(PORT)/healthz"
	@echo ""
	$(DEMO_ENV) $(PY) manage.py runserver $(HOST):$(PORT)

test: venv
	DEBUG=true $(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(PY) -m ruff check .
	DEBUG=true $(PY) manage.py makemigrations --check --dry-run
	DEBUG=true $(PY) -m mypy

# codes.py runs anywhere; the others measure PostgreSQL (and scan_load starts gunicorn and needs wrk and Redis).
BENCH_PG ?= postgres://postgres@127.0.0.1:5432
bench: venv
	DEBUG=true $(PY) benchmarks/codes.py
	DEBUG=true DATABASE_URL=$(BENCH_PG)/citycode_bench $(PY) benchmarks/consent_disclose.py
	DATABASE_URL=$(BENCH_PG)/citycode_bench_scan $(PY) benchmarks/scan_load.py
	DEBUG=true SETTLE_DATABASE_URL=$(BENCH_PG)/cc_transit_settle_bench $(PY) benchmarks/transit.py
	DATABASE_URL=$(BENCH_PG)/citycode_bench_medical $(PY) benchmarks/medical_rush.py
	DATABASE_URL=$(BENCH_PG)/citycode_bench_pay $(PY) benchmarks/medical_payments.py
	DATABASE_URL=$(BENCH_PG)/citycode_bench_health $(PY) benchmarks/health_recolour.py
	DEBUG=true $(PY) benchmarks/licences.py

# Mutation testing (see README "Mutation testing"): mutmut per target, then the hand-written SQL mutants.
# MUTATE_TARGETS: any of gate consents tokens idnumbers medical insurance (default: all); MUTATE_WORKERS: mutmut processes.
MUTATE_TARGETS ?=
MUTATE_WORKERS ?= 2
mutate: venv
	DEBUG=true $(PY) tools/mutation/mutate.py --workers $(MUTATE_WORKERS) $(MUTATE_TARGETS)

# Only the SQL mutants of the consent gate (what CI runs on PostgreSQL; SQLite unless DATABASE_URL is set).
mutate-sql: venv
	DEBUG=true $(PY) tools/mutation/run_sql_mutants.py

messages: venv
	DEBUG=true $(PY) manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=staticfiles
	DEBUG=true $(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .mutation .hypothesis
