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

# AWS=1 adds the AWS overlay (docker-compose.aws.yml: AMP, X-Ray, Loki on S3).
AWS ?= 0
export AWS
COMPOSE := docker compose --env-file versions.env --env-file .env -f docker-compose.yml $(if $(filter 1,$(AWS)),-f docker-compose.aws.yml)
# PUBLISH="prometheus loki" also publishes those backends' ports on 127.0.0.1 (scripts/up.sh adds
# <name>/publish.yml; README "URLs and ports" says what each one exposes). Default: none.
PUBLISH ?=
export PUBLISH
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
up: docker-check .env ## Start the lab (AWS=1: AWS overlay; PUBLISH=prometheus: opt-in backend ports), wait until healthy, print the URLs
	@scripts/up.sh

.PHONY: pull
pull: docker-check .env ## Update the images: pull every pinned image again and rebuild the service on a fresh base (`make up` pulls only missing ones)
	$(COMPOSE) pull --ignore-buildable
	$(COMPOSE) build --pull

.PHONY: down
down: docker-check ## Stop the lab (keeps data volumes)
	$(COMPOSE) down --remove-orphans

.PHONY: ps
ps: docker-check ## Show the lab's containers and their health
	$(COMPOSE) ps --all

.PHONY: logs
logs: docker-check ## Follow the logs of every service (SERVICE=name for one)
	$(COMPOSE) logs -f --tail=100 $(SERVICE)

.PHONY: open
open: ## Open Grafana in the browser (log in as admin, GRAFANA_ADMIN_PASSWORD from .env)
	@port=$$(grep -E '^GRAFANA_PORT=' .env 2>/dev/null | tail -n 1 | cut -d= -f2); \
	url="http://127.0.0.1:$${port:-3000}"; \
	echo "Grafana: log in as admin with GRAFANA_ADMIN_PASSWORD from .env"; \
	if command -v open >/dev/null 2>&1; then open "$$url"; \
	elif command -v xdg-open >/dev/null 2>&1; then xdg-open "$$url" >/dev/null 2>&1; \
	else echo "Open $$url in your browser"; fi

.PHONY: clean
clean: docker-check ## Stop the lab and delete its volumes (asks first; FORCE=1 skips the question)
	@if [ "$(FORCE)" != 1 ]; then read -r -p "Delete all lab data volumes? [y/N] " a; [ "$$a" = y ] || [ "$$a" = Y ] || { echo aborted; exit 1; }; fi
	$(COMPOSE) down --volumes --remove-orphans

.PHONY: reset
reset: docker-check .env ## Delete the lab's data and start it afresh (asks first; FORCE=1 skips the question)
	@$(MAKE) --no-print-directory clean
	@scripts/up.sh

# ---------------------------------------------------------------- native (no Docker)
$(VENV)/.synced: pyproject.toml uv.lock scripts/bootstrap.sh
	@scripts/bootstrap.sh
	@touch $@

.PHONY: venv
venv: $(VENV)/.synced ## Create .venv with the locked Python dependencies

.PHONY: tools
tools: ## Fetch real prometheus, promtool, alertmanager, amtool, blackbox_exporter, docker compose into .tools/
	@scripts/tools.sh

.PHONY: run
run: venv ## Run the service natively on 127.0.0.1:8000 (telemetry to OTEL_EXPORTER_OTLP_ENDPOINT if set)
	@scripts/run-native.sh $(HOST) $(PORT)

.PHONY: lint
lint: venv ## ruff check, format check and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

.PHONY: fmt
fmt: venv ## Format and fix what ruff can
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Most real-process tests wait (for a process to start, an alert's `for:`, a Locust run), so
# more workers than cores pays; TEST_WORKERS=0 runs them one after another in one process.
# PYTHONDONTWRITEBYTECODE is emptied so the hundreds of Python processes a run starts reuse the
# compiled project code and pytest's rewritten test modules (__pycache__/, git-ignored).
TEST_WORKERS ?= 4
.PHONY: test
test: venv tools lint ## Install what the tests need, then run ruff and every test but benchmarks
	AWS_EC2_METADATA_DISABLED=true PYTHONDONTWRITEBYTECODE= $(VENV)/bin/pytest -m "not bench" -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

.PHONY: test-stack
test-stack: venv ## Run only the compose-stack tests (needs Docker; `make test` skips them unless STACK=1)
	STACK=1 AWS_EC2_METADATA_DISABLED=true $(VENV)/bin/pytest -m stack $(PYTEST_ARGS)

.PHONY: bench
bench: venv ## Run the benchmarks (bench/) and print ratios measured side by side
	$(VENV)/bin/python -m bench

# ---------------------------------------------------------------- load, chaos, demo
# These talk to the running lab over HTTP (Locust's web API, the service's /admin/faults), so
# they also work against a native `make run` service or a native Locust: set GENAI_SERVICE_URL
# or LOCUST_URL. The admin token comes from ADMIN_TOKEN or .env.
SCENARIOS_CLI = LAB_DOTENV=$(CURDIR)/.env $(PY) -m scenarios
USERS ?= 10
SPAWN_RATE ?= 2
SPIKE_USERS ?= 60
SPIKE_HOLD ?= 90
TIME_SCALE ?= 1

.PHONY: load
load: venv ## Set the running Locust to USERS users (default 10, SPAWN_RATE=2)
	@$(SCENARIOS_CLI) load --users $(USERS) --spawn-rate $(SPAWN_RATE)

.PHONY: spike
spike: venv ## Spike Locust to SPIKE_USERS (60) for SPIKE_HOLD s (90), then back to the users before
	@$(SCENARIOS_CLI) spike --users $(SPIKE_USERS) --hold-s $(SPIKE_HOLD)

.PHONY: chaos
chaos: venv ## Inject SCENARIO=name (no SCENARIO: list them); SEED=n runs a seeded sequence (DRY_RUN=1 prints it)
	@if [ -n "$(SEED)" ]; then \
	  $(SCENARIOS_CLI) schedule --seed $(SEED) --time-scale $(TIME_SCALE) $(if $(filter 1 true,$(DRY_RUN)),,--run); \
	elif [ -n "$(SCENARIO)" ]; then \
	  $(SCENARIOS_CLI) chaos $(SCENARIO); \
	else \
	  echo "usage: make chaos SCENARIO=<name>   or   make chaos SEED=<n> [DRY_RUN=1]"; $(SCENARIOS_CLI) list; \
	fi

.PHONY: chaos-off
chaos-off: venv ## Clear every injected fault (the recovery scenario)
	@$(SCENARIOS_CLI) chaos-off

.PHONY: demo
# A preflight checks every service and both secrets first and stops within seconds if one is
# missing (PREFLIGHT=only: just the check; PREFLIGHT=0 skips it).
demo: venv ## The 10-minute stakeholder demo on the running lab (DRY_RUN=1 prints the timeline; TIME_SCALE=0.1 rehearses)
	@$(SCENARIOS_CLI) demo --time-scale $(TIME_SCALE) $(if $(filter 1 true,$(DRY_RUN)),--dry-run) $(if $(filter only,$(PREFLIGHT)),--preflight-only) $(if $(filter 0 false,$(PREFLIGHT)),--skip-preflight) $(if $(filter 1 true,$(STRICT)),--strict)

# ---------------------------------------------------------------- aiops (alert -> incident summaries)
AIOPS_PORT ?= 8001
AIOPS_INCIDENTS_DIR ?= $(CURDIR)/.aiops/incidents

.PHONY: run-aiops
# Its backends' defaults are native ones on their usual ports; against the compose lab, start it
# with `make up PUBLISH="prometheus loki tempo"` first (the lab publishes none of them by default).
run-aiops: venv ## Run aiops natively on 127.0.0.1:8001 (reads PROMETHEUS_URL, LOKI_URL, TEMPO_URL; records in .aiops/)
	@if [ -z "$${OTEL_EXPORTER_OTLP_ENDPOINT:-}" ]; then \
	  export OTEL_TRACES_EXPORTER=$${OTEL_TRACES_EXPORTER:-none} OTEL_METRICS_EXPORTER=$${OTEL_METRICS_EXPORTER:-none} OTEL_LOGS_EXPORTER=$${OTEL_LOGS_EXPORTER:-none}; fi; \
	export OTEL_SERVICE_NAME=aiops INCIDENTS_DIR=$${INCIDENTS_DIR:-$(AIOPS_INCIDENTS_DIR)} \
	  PROMETHEUS_URL=$${PROMETHEUS_URL:-http://127.0.0.1:9090} LOKI_URL=$${LOKI_URL:-http://127.0.0.1:3100} \
	  TEMPO_URL=$${TEMPO_URL:-http://127.0.0.1:3200} AWS_EC2_METADATA_DISABLED=true; \
	echo "run-aiops: POST Alertmanager webhooks to http://$(HOST):$(AIOPS_PORT)/alerts with Bearer $$AIOPS_WEBHOOK_TOKEN; incidents in $$INCIDENTS_DIR"; \
	exec $(VENV)/bin/uvicorn aiops.main:create_app --factory --host $(HOST) --port $(AIOPS_PORT)

.PHONY: aiops-fixtures
aiops-fixtures: venv tools ## Re-record the aiops fixtures from the real Alertmanager and Prometheus (about 16 minutes)
	$(PY) -m tools.am_capture tests/fixtures/aiops/alertmanager
	$(PY) -m tools.prom_record tests/fixtures/aiops/prometheus/recorded.json
	$(PY) -m tools.anomaly_record tests/fixtures/aiops/prometheus/anomaly.json

# ---------------------------------------------------------------- dashboards, rules, alerts as code
.PHONY: dashboards
dashboards: venv ## Regenerate grafana/dashboards/*.json, prometheus/rules/slo.yml and the AMP Alertmanager definition (grafana/dashgen)
	$(PY) -m dashgen

.PHONY: rules-test
rules-test: venv tools ## promtool check/test the alert and recording rules, amtool check the Alertmanager config
	promtool check rules prometheus/rules/*.yml
	cd prometheus/tests && promtool test rules *.yml
	amtool check-config alertmanager/alertmanager.yml

.PHONY: bench-telemetry
bench-telemetry: venv ## Telemetry overhead: throughput with telemetry on vs OTEL_SDK_DISABLED, as a ratio
	$(VENV)/bin/python -m bench telemetry_overhead

.PHONY: bench-throughput
bench-throughput: venv ## Chat-completion requests/s per core (server pinned with taskset, load from wrk)
	$(VENV)/bin/python -m bench throughput

# ---------------------------------------------------------------- Phase 2 on AWS (infra/, docs/aws/)
.PHONY: infra-check
infra-check: venv tools ## Check infra/ and the workflows offline: HCL names, compose drift, IAM, checkov, actionlint, zizmor, fmt
	AWS_EC2_METADATA_DISABLED=true $(VENV)/bin/pytest tests/infra $(PYTEST_ARGS)

.PHONY: lambda
lambda: venv ## Build the AI-ops Lambda package for Terraform (scripts/build-lambda.sh)
	@scripts/build-lambda.sh

PLATFORMS ?= linux/amd64,linux/arm64
.PHONY: image
image: docker-check ## Build the service image (app/Dockerfile); MULTIARCH=1 builds $(PLATFORMS) with buildx
	@. ./versions.env; if [ "$(MULTIARCH)" = 1 ]; then \
	  docker buildx build --platform $(PLATFORMS) --build-arg PYTHON_IMAGE="$$PYTHON_IMAGE" -f app/Dockerfile -t genai-lab-app:local .; \
	else \
	  docker build --build-arg PYTHON_IMAGE="$$PYTHON_IMAGE" -f app/Dockerfile -t genai-lab-app:local . && docker image ls genai-lab-app:local; \
	fi
