# One target per common task. Everything runs from the project's own .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Test files run in parallel (pytest-xdist); each test has a sandbox of its own.
TEST_WORKERS ?= 2

.PHONY: install up test chaos lint bench docs release-contracts screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)           ## create .venv and install the project with its dev tools

up: $(STAMP)                ## start NATS, PostgreSQL (embedded if none runs) and the services
	$(BIN)/eduplan up

test: $(STAMP)              ## unit, integration and end-to-end tests on real NATS and PostgreSQL
	$(BIN)/pytest -m "not chaos" -n $(TEST_WORKERS) --dist loadfile

chaos: $(STAMP)             ## faults on servers of its own; prints what each copy holds after each
	$(BIN)/pytest tests/chaos -q -p no:randomly

lint: $(STAMP)              ## ruff, formatting, mypy, layers, and no released contract broken
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m contracts.check

bench: $(STAMP)             ## figures beside the raw limits and the peer library; bench/results/
	$(BIN)/python -m pip install -q -e ".[dev,bench]"
	$(BIN)/python -m bench

docs: $(STAMP)              ## regenerate JSON Schemas, AsyncAPI and the contract changelog
	$(BIN)/python -m contracts.generate

release-contracts: $(STAMP) ## record new and compatibly changed schemas as released, then docs
	$(BIN)/python -m contracts.check --release
	$(BIN)/python -m contracts.generate

screenshots: $(STAMP)      ## the dashboard's main pages as PNG under docs/screenshots (headless Chromium)
	mkdir -p docs/screenshots
	EDUPLAN_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/pytest -q -p no:randomly tests/e2e/test_dashboard_chinese.py

clean:
	rm -rf $(VENV) .eduplan .pytest_cache .mypy_cache .ruff_cache
