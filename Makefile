# Two entry points for a fresh clone: `make run` and `make test`.
#
# The virtualenv is built with python3.11 when it is on PATH, else python3; Relate needs
# Python 3.11 exactly (pyproject.toml), so any other version stops here with a clear message.
# Override with `make PYTHON=/path/to/python3.11 …`.
ifeq ($(origin PYTHON),undefined)
PYTHON := $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
endif
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

# $(call need_py311,INTERPRETER,WHAT TO DO ABOUT IT): exit 1 unless INTERPRETER is Python 3.11.
define need_py311
@if [ -z "$(1)" ]; then \
	echo "error: no python3.11 or python3 on PATH; install Python 3.11 or pass PYTHON=/path/to/python3.11" >&2; \
	exit 1; \
fi; \
if ! "$(1)" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then \
	echo "error: Relate needs Python 3.11, but $(1) is $$("$(1)" --version 2>/dev/null || echo 'not runnable'); $(2)" >&2; \
	exit 1; \
fi
endef

# $(call quietly,COMMAND): run COMMAND with its output in $(INSTALL_LOG); show the log's end
# only when it fails, so an install prints one line per step instead of pages of pip output.
INSTALL_LOG := $(VENV)/install.log
define quietly
if ! $(1) >>$(INSTALL_LOG) 2>&1; then \
	echo "error: this step failed; the end of $(INSTALL_LOG):" >&2; \
	tail -n 30 $(INSTALL_LOG) >&2; \
	exit 1; \
fi
endef

.PHONY: run test install assets clients-test migrate seed tokens schema clean audit

$(STAMP): pyproject.toml requirements.lock
	$(call need_py311,$(PYTHON),install Python 3.11 or pass PYTHON=/path/to/python3.11)
	@echo "install: [1/3] virtualenv $(VENV)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(call need_py311,$(BIN)/python,remove $(VENV) (make clean) and run make again)
	@mkdir -p $(VENV)
	@echo "install: [2/3] pip (log: $(INSTALL_LOG))"
	@$(call quietly,$(BIN)/python -m pip install --upgrade pip)
	@echo "install: [3/3] Relate and its locked dependencies, about a minute on a first run"
	@$(call quietly,$(BIN)/python -m pip install -c requirements.lock -e '.[test]')
	@touch $(STAMP)
	@echo "install: done"

install: $(STAMP) assets

# GraphiQL's files, pinned and hash-checked, fetched from the npm registry (quick once
# installed). Without npm or network it warns, and GraphiQL falls back to a CDN.
assets: $(STAMP)
	$(BIN)/python scripts/fetch_graphiql_assets.py

# The TypeScript client helper (clients/js): install from the lock file, build, test
# against a real server started by the tests.
clients-test: install
	cd clients/js && npm ci --no-audit --no-fund && npm run build && RELATE_PYTHON=$(abspath $(BIN)/python) npm test

# Safe to run again: migrations and the demo seed are idempotent; each run prints fresh tokens.
run: tokens
	@echo "Try: curl -s http://$(HOST):$(PORT)/graphql -H 'Authorization: Bearer <token>'" \
	      "-H 'Content-Type: application/json' -d '{\"query\": \"{ viewer { user { fullName } roles } }\"}'"
	$(BIN)/relate serve --host $(HOST) --port $(PORT)

migrate: install
	$(BIN)/relate migrate

seed: migrate
	$(BIN)/relate seed --demo

tokens: seed
	$(BIN)/relate demo-tokens --base-url http://$(HOST):$(PORT)

# On every core (pytest-xdist; each worker has its own SQLite files and PostgreSQL schema).
# `--dist load` hands tests out in collection order, round-robin, so the slow tests that
# tests/conftest.py puts first start at once on different workers. TEST_WORKERS=0 runs in
# one process, e.g. to use a debugger.
TEST_WORKERS ?= auto
test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist load $(PYTEST_ARGS)

# Known vulnerabilities in requirements.lock (pip-audit in .venv-audit; see .ci/audit.py).
audit:
	$(call need_py311,$(PYTHON),install Python 3.11 or pass PYTHON=/path/to/python3.11)
	$(PYTHON) .ci/audit.py

schema: install
	$(BIN)/relate export-schema > schema.graphql.tmp && mv schema.graphql.tmp schema.graphql

clean:
	rm -rf $(VENV) .venv-audit relate.db relate.db-wal relate.db-shm var server/static/graphiql \
	       clients/js/node_modules clients/js/dist clients/js/build-test
