# Two commands matter on a fresh machine: `make demo` and `make test`.
# Each creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test test-network lint typecheck check bench schemas clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	@./scripts/demo.sh $(BIN)/reconciler

# The fresh-clone demo test needs the package registries and minutes: .ci/run runs it.
# One pytest worker per core, plus one (pytest-xdist): part of the suite waits on its local
# servers' latency, rate limits and signals rather than on a core (measured on 2 cores:
# 55 s with two workers, 45-47 s with three, about the same CPU time).
WORKERS := $(shell $(PYTHON) -c 'import os; print((os.cpu_count() or 1) + 1)')
test: $(STAMP)
	$(BIN)/python -m pytest -q -n $(WORKERS) -m 'not network'

test-network: $(STAMP)
	$(BIN)/python -m pytest -q -m network

lint: $(STAMP)
	$(BIN)/ruff format --check reconciler tests bench scripts
	$(BIN)/ruff check reconciler tests bench scripts
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

bench: $(STAMP)
	$(BIN)/python -m bench

# Regenerate the JSON Schemas after changing reconciler/loading/models.py (the editor schema for
# environment files) or reconciler/plan/planfile_model.py (the saved plan's).
schemas: $(STAMP)
	$(BIN)/python -m reconciler.loading.editor_schema .
	$(BIN)/python -m reconciler.plan.planfile_model .

clean:
	rm -rf $(VENV) .demo .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
