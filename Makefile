# One target per common task. Everything runs from the project's own .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install up test lint bench docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)           ## create .venv and install the project with its dev tools

up: $(STAMP)                ## start NATS, PostgreSQL (embedded if none runs) and the services
	$(BIN)/eduplan up

test: $(STAMP)              ## unit, integration and end-to-end tests on real NATS and PostgreSQL
	$(BIN)/pytest

lint: $(STAMP)              ## ruff, formatting and mypy, as configured in pyproject.toml
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)             ## throughput beside the raw limits of this machine
	$(BIN)/python bench/run.py

docs: $(STAMP)              ## regenerate the JSON Schemas of the contracts
	$(BIN)/python -m contracts.generate

clean:
	rm -rf $(VENV) .eduplan .pytest_cache .mypy_cache .ruff_cache
