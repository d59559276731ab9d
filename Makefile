# Two entry points for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test install lint clean

$(BIN)/commwatch: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(BIN)/commwatch

demo: install
	$(BIN)/commwatch db upgrade
	$(BIN)/commwatch run --once
	$(BIN)/commwatch status
	@echo "Review UI: $(BIN)/commwatch users add you@example.com --role admin, then $(BIN)/commwatch serve"

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy commwatch ingest nlp monitor notifier review

clean:
	rm -rf var/ test-artifacts/
