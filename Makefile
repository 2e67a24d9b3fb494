# Two commands for a fresh machine: `make run` (demo study) and `make test`.
# Both create .venv from the pinned dependencies; nothing else is downloaded.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test lint ui bench clean

$(INSTALLED): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

run: $(INSTALLED)  ## set up, then run the built-in demo study end to end
	$(BIN)/agglo run

test: $(INSTALLED)  ## set up, then lint, check the Dagster definitions, run every test
	$(BIN)/ruff check .
	VIRTUAL_ENV=$(CURDIR)/$(VENV) $(BIN)/dg check defs
	$(BIN)/pytest

lint: $(INSTALLED)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

ui: $(INSTALLED)  ## the Dagster UI on the instance that `make run` records into
	mkdir -p .dagster_home && ln -sf ../dagster.yaml .dagster_home/dagster.yaml
	DAGSTER_HOME=$(CURDIR)/.dagster_home $(BIN)/dagster dev -m pipelines.definitions

bench: $(INSTALLED)  ## benchmarks on demand (results in benchmarks/results/); needs ../shared/data
	$(BIN)/python benchmarks/bench_lisa.py
	$(BIN)/python benchmarks/bench_registry_10m.py
	$(BIN)/python benchmarks/bench_geocode.py
	$(BIN)/python benchmarks/bench_demo_run.py

clean:
	rm -rf $(VENV) .dagster_home demo_data published
