# Pejling: `make run` serves the app with demo data, `make test` runs the whole suite.
# Both create .venv and install the locked dependencies first; a second run reuses everything.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
UV     := $(BIN)/uv
export UV_PYTHON := $(BIN)/python

.PHONY: run test test-sqlite test-postgres lint bench lock audit schema clean install

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(UV): $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv>=0.9"

$(VENV)/.app: $(UV) requirements/app.lock pyproject.toml
	$(UV) pip install --quiet -r requirements/app.lock
	$(UV) pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.test: $(VENV)/.app requirements/test.lock tests/plugins/pejling-example-plugin/pyproject.toml tests/plugins/pejling-smiley-model/pyproject.toml tests/plugins/pejling-sms-channel/pyproject.toml
	$(UV) pip install --quiet -r requirements/test.lock
	$(UV) pip install --quiet --no-deps -e tests/plugins/pejling-example-plugin
	$(UV) pip install --quiet --no-deps -e tests/plugins/pejling-smiley-model
	$(UV) pip install --quiet --no-deps -e tests/plugins/pejling-sms-channel
	touch $@

install: $(VENV)/.app

# Node packages (npm ci from the committed lock) and the GraphiQL bundle served at /graphiql-assets/; each is
# redone only when its inputs change.
NPM_STAMP := frontend/node_modules/.npm-ci
GRAPHIQL  := frontend/build/graphiql/manifest.json

$(NPM_STAMP): frontend/package.json frontend/package-lock.json
	npm ci --prefix frontend --no-audit --no-fund --silent
	touch $@

$(GRAPHIQL): $(NPM_STAMP) $(wildcard frontend/graphiql/*)
	npm run --prefix frontend --silent build:graphiql

# The retailer portal (frontend/portal/, docs/portal.md): types generated from the committed schema, then Vite;
# served at /, /login, /signup and /portal/… from frontend/build/portal/.
PORTAL := frontend/build/portal/index.html
PORTAL_SOURCES := $(shell find frontend/portal -type f -not -path 'frontend/portal/src/gql/*' 2>/dev/null)

$(PORTAL): $(NPM_STAMP) $(PORTAL_SOURCES) graphql/schema.graphql
	npm run --prefix frontend --silent build:portal

run: $(VENV)/.app $(GRAPHIQL) $(PORTAL)
	$(BIN)/pejling migrate
	$(BIN)/pejling demo
	$(BIN)/pejling serve

# wrk, the load generator of the HTTP bench (and of its smoke test): the Debian package, installed when missing.
WRK_INSTALL := command -v wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk; }
# nginx, the TLS-terminating proxy of deploy/nginx/pejling.conf that tests/edge/ runs in front of pejling serve: the
# Debian package, installed when missing (the tests skip without it).
NGINX_INSTALL := command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || \
	{ apt-get update -qq && apt-get install -y -qq nginx; }
# PgBouncer, the transaction pooler of the topology bench (tests/bench/topology_bench.py) and of the credential
# rotation test (tests/test_database_credential_rotation.py), installed when missing.
PGBOUNCER_INSTALL := command -v pgbouncer >/dev/null 2>&1 || test -x /usr/sbin/pgbouncer || \
	{ apt-get update -qq && apt-get install -y -qq pgbouncer; }

test: $(VENV)/.test $(GRAPHIQL) $(PORTAL)
	tests/support/install-browser
	@$(WRK_INSTALL)
	@$(PGBOUNCER_INSTALL)
	@$(NGINX_INSTALL)
	npm run --prefix frontend --silent test:portal
	npm run --prefix frontend --silent typecheck:portal
	$(BIN)/python -m pytest
	@if [ -n "$$PEJLING_TEST_DATABASE_URL" ]; then \
		echo "== PostgreSQL run =="; \
		PEJLING_TEST_BACKEND=postgres $(BIN)/python -m pytest -m "not once"; \
	else echo "PEJLING_TEST_DATABASE_URL not set: PostgreSQL run skipped (CI always sets it)"; fi
	$(MAKE) lint

lint: $(VENV)/.test
	$(BIN)/ruff check core graphql plugins tenants tests
	@# mypy sees the folders under their package names through a link tree (build/typecheck/pejling/*).
	@mkdir -p build/typecheck/pejling
	@for d in core graphql plugins tenants frontend; do ln -sfn ../../../$$d build/typecheck/pejling/$$d; done
	cd build/typecheck && ../../$(BIN)/mypy --config-file ../../pyproject.toml --explicit-package-bases -p pejling

# A throw-away database per run on this PostgreSQL server (trust auth); results in bench/results/.
PEJLING_BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres

bench: $(VENV)/.test
	@$(WRK_INSTALL)
	@$(PGBOUNCER_INSTALL)
	PEJLING_BENCH_DATABASE_URL=$(PEJLING_BENCH_DATABASE_URL) $(BIN)/python -m tests.bench

lock: $(UV)
	$(UV) pip compile --quiet --universal --generate-hashes pyproject.toml -o requirements/app.lock
	$(UV) pip compile --quiet --universal --generate-hashes pyproject.toml --extra test -o requirements/test.lock

# Known vulnerabilities in the locked dependencies (ASVS V15.2.1, docs/security.md "Dependency updates"): pip-audit
# on requirements/app.lock and requirements/test.lock against PyPI's advisories, npm audit on frontend/package-lock.json
# (--omit=dev and the whole tree); reviewed exceptions in requirements/audit-ignore.toml. It asks PyPI and the npm
# registry, so it is not part of `make test` or .ci/run (nothing downloads there): it runs on a schedule and before a
# release (.ci/audit).
audit: $(VENV)/.test
	$(BIN)/python -m tests.support.dependency_audit --pip-audit $(BIN)/pip-audit --npm npm

schema: $(VENV)/.app
	$(BIN)/python -m pejling.graphql.export_schema > graphql/schema.graphql

clean:
	rm -rf $(VENV) build *.egg-info
