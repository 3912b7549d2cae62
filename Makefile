# The two commands a fresh machine needs: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test bench lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

## Embedded default: SQLite, the sandbox platforms, jobs in-process, on http://127.0.0.1:5000
run: $(VENV)/.installed
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi shopsync serve

## Whole test suite on real PostgreSQL and Redis (started if down), plus the SQLite checks
test: $(VENV)/.installed-test
	bash scripts/services.sh
	bash scripts/browser.sh
	$(BIN)/pytest -n 2 -p no:cacheprovider

bench: $(VENV)/.installed-test
	bash scripts/services.sh
	$(BIN)/python -m bench

## Production lock: every dependency pinned with its hashes (run after changing pyproject.toml's dependencies)
lock: | $(BIN)/python
	$(BIN)/pip install --quiet "uv>=0.5,<1"
	printf 'setuptools>=68\n' | $(BIN)/uv pip compile pyproject.toml - --universal --python-version 3.11 \
		--generate-hashes --quiet --custom-compile-command "make lock" -o requirements.lock

clean:
	rm -rf $(VENV) instance
