# Two commands matter on a fresh machine: `make demo` and `make test`.
# Each creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The official Kratos config schema, used for defaults and offline validation.
# Point it elsewhere with `make demo KRATOS_SCHEMA=/path/to/config.schema.json`.
# Without it, reconciler falls back to the Kratos defaults it documents itself.
KRATOS_SCHEMA ?= $(wildcard $(abspath ../shared/ory/kratos-v26.2.0/embedx/config.schema.json))
ifneq ($(KRATOS_SCHEMA),)
export RECONCILER_KRATOS_SCHEMA ?= $(KRATOS_SCHEMA)
endif

.PHONY: install demo test lint typecheck check bench schemas clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	@./scripts/demo.sh $(BIN)/reconciler

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff format --check reconciler tests bench
	$(BIN)/ruff check reconciler tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

bench: $(STAMP)
	$(BIN)/python -m bench

# Regenerate the editor schema for environment files after changing reconciler/models.py.
schemas: $(STAMP)
	$(BIN)/python -m reconciler.editor_schema .

clean:
	rm -rf $(VENV) .demo .pytest_cache .mypy_cache .ruff_cache
