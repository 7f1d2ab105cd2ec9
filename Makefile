# GenAI Observability Lab. `make help` lists the targets.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
TOOLS_BIN := $(CURDIR)/.tools/bin
# CI (CI=true) turns a missing real tool into a failure instead of a skip.
REQUIRE_TOOLS ?= $(if $(filter true 1,$(CI)),1,0)
export REQUIRE_TOOLS
export PATH := $(TOOLS_BIN):$(PATH)

COMPOSE := docker compose --env-file versions.env --env-file .env
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# ---------------------------------------------------------------- the lab (Docker)
.PHONY: docker-check
docker-check:
	@command -v docker >/dev/null 2>&1 || { echo "make: Docker is not installed. Install Docker Desktop (macOS) or Docker Engine with the Compose v2 plugin (Linux)." >&2; exit 1; }
	@docker compose version >/dev/null 2>&1 || { echo "make: 'docker compose' (Compose v2) is missing. Install the Docker Compose v2 plugin." >&2; exit 1; }
	@docker info >/dev/null 2>&1 || { echo "make: no Docker engine answers. Start Docker Desktop or the docker service, then retry." >&2; exit 1; }

.env: .env.example
	@scripts/make-env.sh

.PHONY: up
up: docker-check .env ## Start the lab, wait until every service is healthy, print the URLs
	@scripts/up.sh

.PHONY: down
down: docker-check ## Stop the lab (keeps data volumes)
	$(COMPOSE) down

.PHONY: ps
ps: docker-check ## Show the lab's containers and their health
	$(COMPOSE) ps

.PHONY: logs
logs: docker-check ## Follow the logs of every service (SERVICE=name for one)
	$(COMPOSE) logs -f --tail=100 $(SERVICE)

.PHONY: clean
clean: docker-check ## Stop the lab and delete its volumes (asks first; FORCE=1 skips the question)
	@if [ "$(FORCE)" != 1 ]; then read -r -p "Delete all lab data volumes? [y/N] " a; [ "$$a" = y ] || [ "$$a" = Y ] || { echo aborted; exit 1; }; fi
	$(COMPOSE) down --volumes --remove-orphans

# ---------------------------------------------------------------- native (no Docker)
$(VENV)/.synced: pyproject.toml uv.lock scripts/bootstrap.sh
	@scripts/bootstrap.sh
	@touch $@

.PHONY: venv
venv: $(VENV)/.synced ## Create .venv with the locked Python dependencies

.PHONY: tools
tools: ## Fetch real prometheus, promtool, alertmanager, amtool, docker compose into .tools/
	@scripts/tools.sh

.PHONY: run
run: venv ## Run the service natively on 127.0.0.1:8000 (telemetry to OTEL_EXPORTER_OTLP_ENDPOINT if set)
	@scripts/run-native.sh $(HOST) $(PORT)

.PHONY: lint
lint: venv ## ruff check and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

.PHONY: fmt
fmt: venv ## Format and fix what ruff can
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

.PHONY: test
test: venv tools lint ## Install what the tests need, then run ruff and every test but benchmarks
	AWS_EC2_METADATA_DISABLED=true $(VENV)/bin/pytest -m "not bench" $(PYTEST_ARGS)

.PHONY: test-stack
test-stack: venv ## Run only the compose-stack tests (needs Docker)
	$(VENV)/bin/pytest -m stack $(PYTEST_ARGS)

.PHONY: bench
bench: venv ## Run the benchmarks (bench/) and print ratios measured side by side
	$(VENV)/bin/python -m bench
