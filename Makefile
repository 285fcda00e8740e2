# The two commands: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

# Development defaults; the real environment (or .env) wins.
export DEBUG ?= True
export HOSTUP_API_URL ?= http://127.0.0.1:8765
export HOSTUP_API_TOKEN ?= sim-full-token
export DEMO_PASSWORD ?=

.PHONY: run test db clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

db:
	bin/ensure-postgres

run: $(VENV)/.installed db
	bin/run-dev

# Tests run with production-like settings (DEBUG off), against the simulator on a free port.
test: $(VENV)/.installed db
	DEBUG=False SECRET_KEY=test-only-secret HOSTUP_API_URL=http://127.0.0.1:9 HOSTUP_API_TOKEN=unset \
		$(PY) -m pytest

clean:
	rm -rf $(VENV) .pytest_cache
