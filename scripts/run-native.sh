#!/usr/bin/env bash
# Runs the service natively (no Docker) with its own server (genai_service.serve: uvicorn with
# the header limits the image has), with .env's settings. Telemetry goes to
# OTEL_EXPORTER_OTLP_ENDPOINT when it is set; otherwise no exporter is configured, so nothing
# retries against a collector that is not there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
host=${1:-127.0.0.1}
port=${2:-8000}

# .env (LAB_DOTENV, default the repo's) supplies what `make up` generated, so the native service
# and `make chaos`/`make demo` agree on ADMIN_TOKEN and LAB_API_KEY. The environment wins: a
# variable already set, even to "", is left alone; empty values in .env are skipped.
dotenv=${LAB_DOTENV:-$root/.env}
if [ -f "$dotenv" ]; then
  loaded=()
  while IFS= read -r line || [ -n "$line" ]; do
    line=${line#"${line%%[![:space:]]*}"}
    case $line in '' | '#'*) continue ;; esac
    line=${line#export }
    key=${line%%=*}
    value=${line#*=}
    [[ $line == *=* && $key =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
    if [[ ${#value} -ge 2 && ( $value == \"*\" || $value == \'*\' ) ]]; then
      value=${value:1:${#value}-2}
    fi
    [ -n "$value" ] && [ "$value" != __generate__ ] || continue
    [ -z "${!key+set}" ] || continue
    export "$key=$value"
    loaded+=("$key")
  done <"$dotenv"
  echo "run: read ${#loaded[@]} settings from $dotenv (the environment wins over it)"
fi
export OTEL_SERVICE_NAME=${OTEL_SERVICE_NAME:-genai-service}
if [ -z "${OTEL_EXPORTER_OTLP_ENDPOINT:-}" ]; then
  export OTEL_TRACES_EXPORTER=${OTEL_TRACES_EXPORTER:-none}
  export OTEL_METRICS_EXPORTER=${OTEL_METRICS_EXPORTER:-none}
  export OTEL_LOGS_EXPORTER=${OTEL_LOGS_EXPORTER:-none}
  echo "run: OTEL_EXPORTER_OTLP_ENDPOINT is not set; telemetry is not exported (logs go to stdout)"
fi
echo "run: serving on http://$host:$port (docs at /docs)"
exec "$root/.venv/bin/python" -m genai_service.serve --host "$host" --port "$port"
