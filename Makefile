# Two commands on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint install migrate bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

# Re-install whenever pyproject.toml changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	# setuptools' editable install warns about same-named folders on every install (a notice, not a problem;
	# our packages are the folders it means): keep it out of `make run`'s first screen
	PYTHONWARNINGS='ignore:Editable installation' $(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/ledgerlink migrate

run: install
	$(BIN)/ledgerlink run

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m tools.cycles

# two processes (pytest-xdist), each with its own databases, PostgreSQL server, sandboxes and ports; a file's tests
# stay together so module fixtures are built once. `make test XDIST=` runs in one process.
XDIST ?= -n 2 --dist loadfile

test: lint
	$(BIN)/python -m pytest -q $(XDIST) $(PYTEST_ARGS)

# Benchmarks against the local QBO sandbox (not part of `make test`); figures land in bench/RESULTS.md.
bench: install
	$(BIN)/python -m bench.bulk_export --results bench/RESULTS.md
	$(BIN)/python -m bench.bulk_export --storm 0.25 --bills 3000 --time-scale 60 --results bench/RESULTS.md
	$(BIN)/python -m bench.incremental_cost --results bench/RESULTS.md
	$(BIN)/python -m bench.memory --results bench/RESULTS.md
	$(BIN)/python -m bench.ack_latency --results bench/RESULTS.md

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
