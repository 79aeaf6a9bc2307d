# The two commands: `make run` (the local stack) and `make test` (the whole suite).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench package clean

$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) is required" >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==24.3.1
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)
	AWS_ACCOUNT_ID_ENDPOINT_MODE=disabled $(BIN)/python -m chalicelib.devstack

test: $(STAMP)
	$(BIN)/ruff check .
	bash scripts/ensure-chromium.sh
	AWS_ACCOUNT_ID_ENDPOINT_MODE=disabled $(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	AWS_ACCOUNT_ID_ENDPOINT_MODE=disabled $(BIN)/python -m bench.aggregation

package: $(STAMP)
	AWS_DEFAULT_REGION=us-east-1 $(BIN)/chalice package --stage dev build/package

clean:
	rm -rf $(VENV) build .pytest_cache .loopdesk
