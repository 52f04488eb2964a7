# Two entry points for a fresh machine:
#   make demo   set up .venv and compare the options of the bundled example
#   make test   set up .venv with dev tools and run lint, types and the test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
EXAMPLE ?= examples/chat-assistant-70b.yaml

.PHONY: demo test lint typecheck pytest clean browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/llmtco breakdown $(EXAMPLE)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

# Debian's chromium drives the browser tests (no browser download); installed when we are root.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium) >/dev/null && echo "installed chromium"; } || echo "chromium not installed: browser tests will be skipped"

# scripts/run-tests.sh starts a loopback PostgreSQL (installing Debian's package when root) for the web tests
pytest: $(VENV)/.installed-dev browser
	scripts/run-tests.sh $(BIN)/pytest -q

test: lint typecheck pytest

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
