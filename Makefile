# Two commands for a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export PYTHONPATH := $(CURDIR)/backend

.PHONY: run test lint format bench install install-dev install-client frontend frontend-deps test-python test-frontend test-e2e clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# The Python client, installed as a user would: `pip install ./client` into a fresh environment of
# its own. Its tests (client/tests, collected by `make test-python`) import that install and run
# its `deepcell-label` command.
CLIENT_VENV := .venv-client
CLIENT_SOURCES := client/pyproject.toml client/README.md $(shell find client/src -type f -name '*.py' 2>/dev/null)

$(CLIENT_VENV)/.installed: $(CLIENT_SOURCES)
	rm -rf $(CLIENT_VENV)
	$(PYTHON) -m venv $(CLIENT_VENV)
	$(CLIENT_VENV)/bin/python -m pip install --quiet ./client
	touch $@

install-client: $(CLIENT_VENV)/.installed

frontend-deps:
	@if [ -f visualizer/package.json ]; then \
	  cd visualizer && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund; \
	fi

frontend: frontend-deps
	@if [ -f visualizer/package.json ]; then bash scripts/build_frontend.sh; fi

run: install frontend
	bash scripts/serve.sh

lint: install-dev frontend-deps
	$(VENV)/bin/ruff check backend tests bench client application.py
	$(VENV)/bin/ruff format --check backend tests bench client application.py
	$(VENV)/bin/lint-imports --no-cache --no-logo
	$(VENV)/bin/mypy --config-file client/pyproject.toml client/src
	@if [ -f visualizer/package.json ]; then cd visualizer && npm run lint; fi

format: install-dev
	$(VENV)/bin/ruff format backend tests bench client application.py
	$(VENV)/bin/ruff check --fix backend tests bench client application.py

test-python: install-dev install-client
	DEEPCELL_LABEL_CLIENT_VENV=$(CURDIR)/$(CLIENT_VENV) $(PY) -m pytest -q -ra

test-frontend: frontend-deps
	@if [ -f visualizer/package.json ]; then cd visualizer && npm test; fi

CHROMIUM ?= /usr/bin/chromium

test-e2e: install frontend-deps
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$REQUIRE_CHROMIUM" = "1" ]; then echo "FAILED: $(CHROMIUM) is missing and REQUIRE_CHROMIUM=1"; exit 1; fi; \
	  echo "SKIPPED: browser end-to-end tests: $(CHROMIUM) is missing (apt-get install chromium)"; \
	elif [ -f visualizer/package.json ]; then \
	  port=$$($(PY) -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'); \
	  cd visualizer && E2E_PORT=$$port CHROMIUM_PATH=$(CHROMIUM) npm run test:e2e; fi

test: lint test-python test-frontend test-e2e

bench: install-dev
	$(PY) -m bench

clean:
	rm -rf $(VENV) $(CLIENT_VENV) visualizer/node_modules visualizer/dist visualizer/dist-builds
