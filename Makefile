# The two set-up commands: `make run` (portal with demo data) and `make test` (the whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# pip-tools lives in its own venv, installed from its own lock (requirements-tools.txt).
TOOLS := .venv-tools
# Lock files: exact pins, each with the sha256 of every file PyPI has for it, pip and setuptools
# included, and no machine's own index or find-links lines.
PIP_COMPILE = $(TOOLS)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links $(LOCK_ARGS)

.PHONY: run test lint typecheck gates lock lock-tools clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Installs only from the lock files, in pip's hash-checking mode (a file whose hash is not in the
# lock is refused). The lock pins pip itself, so the first install also brings the venv's pip.
# --no-deps: the lock already holds every dependency, pinned. Without it, the pip a fresh venv
# starts with (23.2 on Python 3.11) asks the index again for a dependency named with extras
# (pip-audit's `CacheControl[filecache]>=0.13.0`) and refuses the newer release it finds there as
# unpinned; `pip check` then proves nothing the lock should hold is missing.
$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --require-hashes --no-deps -r requirements.txt
	$(BIN)/python -m pip check
	touch $@

# requirements-dev.txt holds requirements.txt's pins exactly, plus the test and lint tools.
$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --require-hashes --no-deps -r requirements-dev.txt
	$(BIN)/python -m pip check
	touch $@ $(VENV)/.runtime-installed

# Migrates, loads the demo data, then runs portal + worker + beat (PORT=8000 by default).
run: $(VENV)/.runtime-installed
	./scripts/run_local.sh

test: $(VENV)/.dev-installed
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy .

# Security gates (CI runs them after the tests): check --deploy, bandit, pip-audit.
gates: $(VENV)/.dev-installed
	bash scripts/security_gates.sh

$(TOOLS)/.installed: requirements-tools.txt
	$(PYTHON) -m venv --clear $(TOOLS)
	$(TOOLS)/bin/python -c 'import sys; sys.exit(None if sys.version_info[:2] == (3, 11) else \
		"the lock files are resolved for Python 3.11: make lock PYTHON=/path/to/python3.11")'
	$(TOOLS)/bin/python -m pip install --require-hashes --no-deps -r requirements-tools.txt
	$(TOOLS)/bin/python -m pip check
	touch $@

# Refreshes both lock files from requirements.in and requirements-dev.in (runtime first: the dev
# lock is held to its pins). Keeps every pin that still fits its range and follows what the .in
# files added or dropped; LOCK_ARGS=--upgrade moves every pin to the newest release in range,
# LOCK_ARGS="--upgrade-package django" just one package.
lock: $(TOOLS)/.installed
	CUSTOM_COMPILE_COMMAND="make lock" $(PIP_COMPILE) --output-file=requirements.txt requirements.in
	CUSTOM_COMPILE_COMMAND="make lock" $(PIP_COMPILE) --output-file=requirements-dev.txt requirements-dev.in

# Refreshes the lock tool's own lock (requirements-tools.in → requirements-tools.txt).
lock-tools: $(TOOLS)/.installed
	CUSTOM_COMPILE_COMMAND="make lock-tools" $(PIP_COMPILE) --output-file=requirements-tools.txt requirements-tools.in

clean:
	rm -rf $(VENV) $(TOOLS) .local db.sqlite3 staticfiles
