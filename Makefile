# RFS developer commands. `make run` and `make test` build the venv themselves.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXTRAS := all
# seed 001's coverage gate, where every server test runs (CI sets RFS_REQUIRE_SERVICES=1)
COV_GATE := $(if $(RFS_REQUIRE_SERVICES),--cov-fail-under=90,)

.PHONY: install run test bench lint clean

$(STAMP): pyproject.toml setup.py $(wildcard src/rfs/*.c)
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[$(EXTRAS)]' --group dev
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/rfs run examples/etl/pipeline.py

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q --cov=rfs --cov-branch --cov-report=term-missing:skip-covered $(COV_GATE)

bench: $(STAMP)
	$(BIN)/python -m pip install -q --group bench
	$(BIN)/python -m benchmarks

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples
	$(BIN)/mypy
	$(BIN)/mypy --strict tests/typing
	$(BIN)/pyright tests/typing
	$(BIN)/bandit -q -c pyproject.toml -r src/rfs

clean:
	rm -rf $(VENV) .rfs .pytest_cache .mypy_cache
