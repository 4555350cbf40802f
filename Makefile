# Every target installs what it needs first, so a fresh clone needs only `make dev` or `make test`.
SHELL := /bin/bash
# The functions run on Lambda's python3.13, so the tests run on the same version (pyenv carries it here).
# The first candidate that really runs: a pyenv shim can exist for a version it does not select.
PYTHON ?= $(or $(shell for candidate in python3.13 $(HOME)/.pyenv/versions/3.13*/bin/python3.13; do \
	"$$candidate" -c '' >/dev/null 2>&1 && { command -v "$$candidate"; break; }; done),python3.13)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install lock system-deps dev test test-fast lint format bench synth openapi openapi-check smoke clean

# Every package is checked against the lock's hashes: a changed or substituted file stops the install.
$(STAMP): requirements-dev.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

# Re-pins both locks from pyproject.toml, with hashes and without any URL: the runtime lock for the
# functions (python3.13 on Lambda's arm64), the dev lock for this machine. Run it after changing a dependency.
LOCK_OPTIONS := --quiet --generate-hashes --python-version 3.13 --custom-compile-command "make lock"
lock: install
	$(BIN)/uv pip compile pyproject.toml $(LOCK_OPTIONS) --python-platform aarch64-manylinux2014 \
		-o requirements.lock
	$(BIN)/uv pip compile pyproject.toml $(LOCK_OPTIONS) --extra dev -o requirements-dev.lock

# The browser tests drive Debian's Chromium; Playwright's own browser download is not used.
system-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium nodejs >/dev/null; \
	fi

# By default every job runs once at start, so the portal shows real runs at once.
DEV_ARGS ?= --fire-now
# A demo scenario (late, failing or all: README "Demo scenarios"), e.g. `make dev SCENARIO=all`.
SCENARIO ?=

dev: install
	$(BIN)/python -m local $(DEV_ARGS) $(if $(SCENARIO),--scenario $(SCENARIO))

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: install system-deps lint openapi-check
	$(BIN)/pytest

test-fast: install
	$(BIN)/pytest tests/unit tests/integration -q

# Signs in, reads status, runs a job and follows it to SUCCEEDED, against the API the AUTOMATION_*
# variables name (a deployed stack's outputs, or what `make dev` prints).
SMOKE_JOB ?= follow-ups

smoke: install
	$(BIN)/automation smoke --job $(SMOKE_JOB)

bench: install
	$(BIN)/python -m bench

# Offline and quick: the code asset leaves the dependencies out (a deploy through `cdk` bundles them).
synth: install
	CDK_CONTEXT_JSON='{"bundleDependencies": "false"}' $(BIN)/python -m infra.app

openapi: install
	$(BIN)/python -m functions.api.openapi > docs/openapi.json

openapi-check: install
	@$(BIN)/python -m functions.api.openapi | diff -u docs/openapi.json - \
		|| (echo "docs/openapi.json is out of date: run 'make openapi'" >&2; exit 1)

clean:
	rm -rf $(VENV) cdk.out build .pytest_cache .mypy_cache .ruff_cache
