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

# three processes (pytest-xdist; the suite waits on subprocesses and sockets as much as it computes, so three keep
# two cores busy), each with its own databases, PostgreSQL server, sandboxes and ports; a file's tests
# stay together so module fixtures are built once. Files go out in collection order, the longest first
# (tests/conftest.py LONGEST_FILES), not xdist's most-tests-first. `make test XDIST=` runs in one process.
XDIST ?= -n 3 --dist loadfile --no-loadscope-reorder

# Bytecode caches on even where the environment turns them off (PYTHONDONTWRITEBYTECODE, as in some containers):
# the suite starts many Ledgerlink processes (and two pytest workers), each would compile our modules again.
test: lint
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -q --durations=25 $(XDIST) $(PYTEST_ARGS)

# Benchmarks against the local QBO sandbox (not part of `make test`); figures land in bench/RESULTS.md.
# Every benchmark exits non-zero on a miss; the others still run, and `make bench` fails at the end naming the misses.
# bench/RESULTS.md is started afresh, so it holds only this run's figures (each benchmark writes its own section).
BENCH_RUNS := \
	"bench.trickle" \
	"bench.scale_out" \
	"bench.memory" \
	"bench.incremental_cost" \
	"bench.bulk_export" \
	"bench.bulk_export --batch-item-metering --bills 1000 --time-scale 4 --no-baseline" \
	"bench.bulk_export --storm 0.25 --bills 3000 --time-scale 60" \
	"bench.ack_latency"

bench: install
	@started=$$(date +%s); missed=""; rm -f bench/RESULTS.md.times; \
	printf '# Benchmarks\n\nFigures of the latest `make bench` run only (started %s UTC), one section per benchmark.\n' \
		"$$(date -u '+%Y-%m-%d %H:%M')" > bench/RESULTS.md; \
	for run in $(BENCH_RUNS); do \
		echo "== python -m $$run"; t0=$$(date +%s); \
		$(BIN)/python -m $$run --results bench/RESULTS.md || missed="$$missed [$$run]"; \
		echo "- \`python -m $$run\`: $$(( $$(date +%s) - t0 )) s" >> bench/RESULTS.md.times; \
	done; \
	{ printf '\n## time\n\nTotal: **%s s**.\n' "$$(( $$(date +%s) - started ))"; cat bench/RESULTS.md.times; \
	  echo "- missed: $${missed:- none}"; } >> bench/RESULTS.md; rm -f bench/RESULTS.md.times; \
	if [ -n "$$missed" ]; then echo "missed:$$missed"; exit 1; fi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
