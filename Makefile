# Slipway: the two commands a new user needs.
#   make demo   set everything up, start Temporal + the worker, run the flight-delay pipeline
#   make test   set everything up and run the whole test suite (what CI runs)
SHELL := /bin/bash
.PHONY: demo test setup deps temporal browser dev-server worker stop bench clean

setup: deps temporal

# npm ci only when the lock file changed since the last install.
deps: node_modules/.install-stamp
node_modules/.install-stamp: package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

temporal:
	@./scripts/temporal-cli.sh >/dev/null

browser:
	@./scripts/browser.sh >/dev/null

dev-server: temporal
	@./scripts/dev-server.sh

worker: deps dev-server
	@./scripts/worker.sh restart

demo: worker
	npm run --silent demo

test: setup browser
	npx tsc --noEmit -p .
	npx vitest run

bench: setup
	npm run bench:pipeline

stop:
	@./scripts/worker.sh stop || true
	@if [ -f data/run/temporal.pid ]; then kill $$(cat data/run/temporal.pid) 2>/dev/null || true; rm -f data/run/temporal.pid; echo "Temporal dev server stopped"; fi

clean: stop
	rm -rf data
