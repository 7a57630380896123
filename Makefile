# The front door: `make run` brings ARIA up on embedded defaults, `make test` checks everything.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "ARIA needs Python 3.11 or newer (set PYTHON=...)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

run: install
	@$(BIN)/aria serve --prepare

lint: install
	@$(BIN)/ruff check src tests bench
	@$(BIN)/ruff format --check --quiet src tests bench
	@$(BIN)/lint-imports --no-cache

# The browser tests run in their own pytest process: Playwright's sync API drives an event
# loop on the main thread, which would break the async tests that follow it in one process.
test: lint
	@$(BIN)/pytest --ignore=tests/e2e
	@$(BIN)/pytest tests/e2e

# The webhook benchmark drives the server with wrk (a C load generator, Debian package `wrk`).
bench: install
	@command -v wrk >/dev/null || apt-get install -y wrk >/dev/null 2>&1 || \
		echo "could not install wrk: the webhook benchmark will be skipped"
	@$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .import_linter_cache
