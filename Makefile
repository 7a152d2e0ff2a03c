# The two commands of the README: `make demo` and `make test`. Both create .venv on first use.
# The first Python of 3.11 or newer on PATH (3.11, 3.12 and 3.13 are supported); `make PYTHON=...` picks one.
PYTHONS := python3.13 python3.12 python3.11 python3
PYTHON ?= $(firstword $(foreach p,$(PYTHONS),$(shell $(p) -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && echo $(p))))
VENV := .venv
BIN := $(VENV)/bin
LINT_PATHS := src tests $(wildcard benchmarks) $(wildcard tools)

.PHONY: demo demo-offices test bench browser-check lint typecheck unit clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "caio-tui needs Python 3.11 or newer (none of $(PYTHONS) on PATH is)"; exit 1; }
	@echo "creating $(VENV) with $(PYTHON), then installing caio-tui into it (a minute or two the first time)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(BIN)/caio-tui: pyproject.toml | $(BIN)/python
	@echo "installing caio-tui and its dependencies (textual, pydantic, sqlite-utils, ...)"
	$(BIN)/pip install --quiet -e .
	@touch $@

# One install of the app with its dev tools, not the app and then the app again (a fresh clone's `make
# test`: one editable build and one resolution fewer, 16.7 -> 14.8 s of CPU).
$(VENV)/.dev: pyproject.toml | $(BIN)/python
	@echo "installing caio-tui with its dev tools (pytest, ruff, mypy, import-linter, ...)"
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@ $(BIN)/caio-tui

demo: $(BIN)/caio-tui
	$(BIN)/caio-tui demo

# Two offices and the CAIO end to end (tools/demo_offices.py), in .demo-offices/; opens the CAIO's app.
demo-offices: $(BIN)/caio-tui
	$(BIN)/python tools/demo_offices.py

lint: $(VENV)/.dev
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/lint-imports --no-logo

typecheck: $(VENV)/.dev
	$(BIN)/mypy src

# Bytecode is written (to __pycache__/, which git ignores) even where the environment says not to
# (PYTHONDONTWRITEBYTECODE): otherwise each of the test processes, and every program a test starts,
# compiles the app and rewrites the tests' asserts from source again (5 s of CPU a worker, 1 s a program).
unit: $(VENV)/.dev
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest

test: lint typecheck unit

bench: $(VENV)/.dev
	$(BIN)/python benchmarks/run.py

# `caio-tui serve` driven once in headless Chromium (Debian: apt install chromium); not part of `make test`.
browser-check: $(BIN)/caio-tui
	$(BIN)/python tools/browser_check.py

clean:
	rm -rf $(VENV) build dist .mypy_cache .pytest_cache .ruff_cache .import_linter_cache
