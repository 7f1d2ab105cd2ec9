#!/usr/bin/env bash
# Starts the lab and waits until every service with a healthcheck is healthy.
set -euo pipefail
cd "$(dirname "$0")/.."
compose=(docker compose --env-file versions.env --env-file .env)
"${compose[@]}" up -d --wait --wait-timeout "${UP_TIMEOUT:-180}"
