# Slipway: the two commands a new user needs.
#   make demo   set everything up, start Temporal, the model server and the worker, and run the
#               demo: a champion, a canary analysed on replayed flights, a bad canary rolled back
#   make test   set everything up and run the whole test suite (what CI runs)
SHELL := /bin/bash
.PHONY: demo test test-clients test-server setup deps temporal browser promtool curl dev-server model-server worker api stop bench clean

setup: deps temporal

# npm ci only when the lock file changed since the last install; the Python trainers' .venv
# (scripts/python-env.sh) and DuckDB's httpfs extension for remote sources (scripts/duckdb-extensions.sh)
# only when their pinned requirements changed.
deps: node_modules/.install-stamp
	@./scripts/duckdb-extensions.sh >/dev/null
	@./scripts/python-env.sh >/dev/null || echo "warning: no Python environment for trainers/sklearn; the flight-delay pipeline's scikit-learn candidate will fail (run pipeline flight-delay-builtin instead)" >&2
node_modules/.install-stamp: package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

temporal:
	@./scripts/temporal-cli.sh >/dev/null

# Temporal's time-skipping test server (Java, from Maven Central) for the workflow tier (test/workflows).
test-server:
	@./scripts/temporal-test-server.sh >/dev/null

browser:
	@./scripts/browser.sh >/dev/null

# promtool (Debian's prometheus package) checks and unit-tests the alert rules in deploy/prometheus.
promtool:
	@./scripts/promtool.sh >/dev/null

dev-server: temporal
	@./scripts/dev-server.sh

model-server: deps
	@./scripts/model-server.sh restart

worker: deps dev-server model-server
	@./scripts/worker.sh restart

api: deps dev-server model-server
	@./scripts/api.sh restart

demo: worker api
	@run="$$PWD/data/run" && source scripts/serving-env.sh && source scripts/dev-identity.sh && npm run --silent demo
	@echo "Slipway console: http://$${SLIPWAY_API_HOST:-127.0.0.1}:$${SLIPWAY_API_PORT:-8080}/ui (token in data/run/console-token)"

# curl, which the README's quickstart uses and its test (test/docs/quickstart.e2e.test.ts) runs.
curl:
	@./scripts/curl.sh >/dev/null

# Test-only clients someone else wrote: tritonclient for the Open Inference Protocol tests, the
# CloudEvents SDK for the KServe payload-logger test.
test-clients:
	@./scripts/oip-client.sh >/dev/null
	@./scripts/log-client.sh >/dev/null

test: setup test-server browser promtool curl test-clients
	npx tsc --noEmit -p .
	npm run --silent lint
	url="$$(bash scripts/postgres.sh)" && SLIPWAY_TEST_POSTGRES_URL="$$url" npx vitest run

bench: setup
	npm run bench:pipeline

stop:
	@bash scripts/postgres.sh stop >/dev/null 2>&1 || true
	@./scripts/api.sh stop || true
	@./scripts/worker.sh stop || true
	@./scripts/model-server.sh stop || true
	@if [ -f data/run/temporal.pid ]; then kill $$(cat data/run/temporal.pid) 2>/dev/null || true; rm -f data/run/temporal.pid; echo "Temporal dev server stopped"; fi

clean: stop
	rm -rf data
