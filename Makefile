# The two commands a newcomer needs: `make run` and `make test`. Both bootstrap .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WORKFLOW ?= session-lifecycle

.PHONY: setup run test test-fast lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e '.[workspace,postgres,dev]'
	@touch $(STAMP)

run: setup
	@$(BIN)/python scripts/run_workflow.py $(WORKFLOW)

test: setup
	@$(BIN)/python -m pytest -q

test-fast: setup
	@$(BIN)/python -m pytest -q -m 'not slow'

lint: setup
	@$(BIN)/ruff check src tests scripts bench
	@$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache
