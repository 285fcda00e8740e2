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
# prometheus-client's files (README "Metrics"): each run writes in its own directory here, emptied as it
# starts; /metrics adds up every run's directory, so the web's scrape includes the worker's HostUp calls.
METRICS_DIR ?= $(CURDIR)/.run/metrics

.PHONY: run test lint serve worker screenshots db clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

db:
	bin/ensure-postgres

run: $(VENV)/.installed db
	bin/run-dev

# ruff is pinned in requirements-dev.txt; `ruff format .` fixes what the second check finds.
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Tests run with production-like settings (DEBUG off), against the simulator on a free port.
# The browser tests drive Debian's Chromium (never `playwright install`: there is no internet).
# The single sign-on tests' identity provider: node-oidc-provider, run with Node.js (tests/sso/provider/).
# It needs Node.js 20.18+ (URL.parse): Debian 12's own nodejs is 18, on which it crashes at start.
OIDC_TEST_PROVIDER := tests/sso/provider
$(OIDC_TEST_PROVIDER)/node_modules/.installed: $(OIDC_TEST_PROVIDER)/package-lock.json
	command -v npm >/dev/null || (apt-get update && apt-get install -y nodejs npm)
	@node -e 'process.exit(typeof URL.parse === "function" ? 0 : 1)' || { \
		echo "The SSO tests' provider needs Node.js 20.18 or newer; this machine has $$(node --version)." >&2; exit 1; }
	npm ci --prefix $(OIDC_TEST_PROVIDER) --no-audit --no-fund --loglevel=error
	touch $@

test: $(VENV)/.installed db $(OIDC_TEST_PROVIDER)/node_modules/.installed
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)
	DEBUG=False SECRET_KEY=test-only-secret HOSTUP_API_URL=http://127.0.0.1:9 HOSTUP_API_TOKEN=unset \
		$(PY) -m pytest

# Production: gunicorn, DEBUG off, everything else from the environment (README: "Production").
WEB_WORKERS ?= 2
# Exported: the settings derive HOSTUP_MAX_WAITING from it.
export WEB_THREADS ?= 4
BIND ?= 127.0.0.1:8000
serve: $(VENV)/.installed db
	DEBUG=False $(PY) manage.py ensure_database
	DEBUG=False $(PY) manage.py migrate --no-input -v 0
	DEBUG=False $(PY) manage.py collectstatic --no-input -v 0
	rm -rf $(METRICS_DIR)/web && mkdir -p $(METRICS_DIR)/web
	DEBUG=False PROMETHEUS_MULTIPROC_DIR=$(METRICS_DIR)/web \
		$(VENV)/bin/gunicorn hostup_dash.wsgi --workers $(WEB_WORKERS) --threads $(WEB_THREADS) \
		--bind $(BIND) --no-control-socket --access-logfile - --forwarded-allow-ips "$${FORWARDED_ALLOW_IPS:-127.0.0.1}"

# Production background work: run one or more anywhere that reaches the same PostgreSQL (README: "Production").
WORKER_CONCURRENCY ?= 4
worker: $(VENV)/.installed db
	DEBUG=False $(PY) manage.py migrate --no-input -v 0
	rm -rf $(METRICS_DIR)/worker && mkdir -p $(METRICS_DIR)/worker
	DEBUG=False PROMETHEUS_MULTIPROC_DIR=$(METRICS_DIR)/worker \
		$(PY) manage.py procrastinate worker --concurrency $(WORKER_CONCURRENCY)

# docs/screenshots/*.png, taken by the browser-test setup (live server + simulator + Postgres).
screenshots: $(VENV)/.installed db
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)
	DEBUG=False SECRET_KEY=test-only-secret HOSTUP_API_URL=http://127.0.0.1:9 HOSTUP_API_TOKEN=unset \
		$(PY) -m pytest tests/browser -m screenshots -q

clean:
	rm -rf $(VENV) .pytest_cache
