#!/usr/bin/env bash
# Runs the service natively (no Docker) with its own server (genai_service.serve: uvicorn with
# the header limits the image has). Telemetry goes to
# OTEL_EXPORTER_OTLP_ENDPOINT when it is set; otherwise no exporter is configured, so nothing
# retries against a collector that is not there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
host=${1:-127.0.0.1}
port=${2:-8000}
export OTEL_SERVICE_NAME=${OTEL_SERVICE_NAME:-genai-service}
if [ -z "${OTEL_EXPORTER_OTLP_ENDPOINT:-}" ]; then
  export OTEL_TRACES_EXPORTER=${OTEL_TRACES_EXPORTER:-none}
  export OTEL_METRICS_EXPORTER=${OTEL_METRICS_EXPORTER:-none}
  export OTEL_LOGS_EXPORTER=${OTEL_LOGS_EXPORTER:-none}
  echo "run: OTEL_EXPORTER_OTLP_ENDPOINT is not set; telemetry is not exported (logs go to stdout)"
fi
echo "run: serving on http://$host:$port (docs at /docs)"
exec "$root/.venv/bin/python" -m genai_service.serve --host "$host" --port "$port"
