#!/usr/bin/env bash
# Starts the lab and returns only when every service is healthy (or, for those that cannot
# have a healthcheck, running / completed), then prints where everything is.
# On timeout it names each service that is not ready, with its last log lines, and exits 1.
#
#   scripts/up.sh            # the local lab (make up)
#   AWS=1 scripts/up.sh      # with the AWS overlay, docker-compose.aws.yml (make up AWS=1)
#   PUBLISH="prometheus loki" scripts/up.sh   # also publish those backends' ports (make up
#                            # PUBLISH=...; or PUBLISH=... in .env): <name>/publish.yml each
#   UP_TIMEOUT=300 scripts/up.sh
set -euo pipefail
cd "$(dirname "$0")/.."

timeout_s="${UP_TIMEOUT:-240}"
compose=(docker compose --env-file versions.env --env-file .env -f docker-compose.yml)
if [ "${AWS:-0}" = 1 ]; then
  compose+=(-f docker-compose.aws.yml)
fi

say() { printf 'up: %s\n' "$*"; }

# Each phase says when it starts and how long it took; the summary lists them all.
phase_name=""
phase_start=0
phase_times=()
phase() {
  phase_end
  phase_name=$1
  phase_start=$SECONDS
  say "[$phase_name] $2"
}
phase_end() {
  if [ -n "$phase_name" ]; then
    local took=$((SECONDS - phase_start))
    say "[$phase_name] done in ${took}s"
    phase_times+=("$phase_name ${took}s")
    phase_name=""
  fi
}

# A value from .env (last assignment wins, as in compose), or a default.
env_value() {
  local v
  v=$(grep -E "^$1=" .env 2>/dev/null | tail -n 1 | cut -d= -f2- || true)
  printf '%s' "${v:-$2}"
}

# Opt-in host ports (README "URLs and ports"): the backends' APIs take unauthenticated writes,
# so docker-compose.yml does not publish them; each name adds its <name>/publish.yml.
publish=${PUBLISH:-$(env_value PUBLISH '')}
publish=${publish//,/ }
publish=${publish//[\"\']/} # PUBLISH="prometheus loki" in .env keeps its quotes
published_extra=()
for name in $publish; do
  if ! [[ "$name" =~ ^[a-z]+$ ]] || [ ! -f "$name/publish.yml" ]; then
    say "PUBLISH names '$name', which has no $name/publish.yml; one of: $(printf '%s ' */publish.yml | sed 's|/publish.yml||g')"
    exit 1
  fi
  compose+=(-f "$name/publish.yml")
  published_extra+=("$name")
done

# Oldest versions the lab runs on: healthcheck start_interval needs Engine 25 (API 1.44), and
# Compose passes it to the engine from 2.24.0 (docker/compose pkg/compose/convert.go); older
# ones refuse to create any container. `pull --policy` is from Compose 2.22.
MIN_ENGINE=25.0.0
MIN_COMPOSE=2.24.0

# "28.5.1", "v2.40.3-desktop.1", "20.10.24+dfsg1" -> "28 5 1" (missing parts are 0).
version_parts() {
  local v="${1#v}"
  v="${v%%[-+]*}"
  IFS=. read -r a b c <<<"$v"
  printf '%d %d %d' "${a:-0}" "${b:-0}" "${c:-0}" 2>/dev/null
}

# True if version $1 >= version $2.
version_at_least() {
  local a1 a2 a3 b1 b2 b3
  read -r a1 a2 a3 <<<"$(version_parts "$1")"
  read -r b1 b2 b3 <<<"$(version_parts "$2")"
  [ "$a1" -gt "$b1" ] && return 0
  [ "$a1" -lt "$b1" ] && return 1
  [ "$a2" -gt "$b2" ] && return 0
  [ "$a2" -lt "$b2" ] && return 1
  [ "$a3" -ge "$b3" ]
}

# check_at_least TOOL VERSION MINIMUM HOW-READ WHY HINT...: says what is wrong when VERSION is
# unreadable or older than MINIMUM, one line per HINT after the first.
check_at_least() {
  local tool="$1" version="$2" minimum="$3" how="$4" why="$5"
  shift 5
  if [ -z "$version" ] || ! [[ "$version" =~ ^v?[0-9] ]]; then
    say "cannot read the $tool version ('$how'); the lab needs ${tool#Docker } $minimum or newer"
    return 1
  fi
  version_at_least "$version" "$minimum" && return 0
  say "$tool $version is too old: the lab needs ${tool#Docker } $minimum or newer${why}."
  local hint
  for hint in "$@"; do
    say "  $hint"
  done
  return 1
}

check_versions() {
  local ok=0
  check_at_least "Docker Engine" "$(docker version --format '{{.Server.Version}}' 2>/dev/null || true)" \
    "$MIN_ENGINE" "docker version" " (healthcheck start_interval)" \
    "Upgrade Docker Desktop, or on Linux install docker-ce 25+ from Docker's apt/dnf repository" \
    "(distribution packages such as Debian 12's docker.io 20.10 are too old)." || ok=1
  check_at_least "Docker Compose" "$(docker compose version --short 2>/dev/null || true)" \
    "$MIN_COMPOSE" "docker compose version" "" \
    "Upgrade Docker Desktop, or on Linux the docker-compose-plugin package (Docker's repository)." || ok=1
  return "$ok"
}

check_versions || exit 1

# The service image is rebuilt on every start (fast: the layers are cached), but a rebuild
# needs the network to check the base image; offline, the image built last time is used.
# Build and pull show compose's own progress (a first run pulls about 2 GB), so the health
# timeout below measures start-up, not downloads.
app_image=$(env_value APP_IMAGE genai-lab-app:local)
phase build "building the service image ($app_image)"
if ! "${compose[@]}" build; then
  if docker image inspect "$app_image" >/dev/null 2>&1; then
    say "could not rebuild it (offline?); starting the $app_image built before (the build's output is above)"
  else
    say "FAILED: building $app_image (the first build needs the network for its base image)"
    exit 1
  fi
fi
# Only images that are not here yet are pulled, so a second `make up` needs no registry.
# `make pull` updates them on purpose.
phase pull "pulling images that are missing (first run: about 2 GB, a few minutes; later runs need no network)"
if ! "${compose[@]}" pull --ignore-buildable --policy missing; then
  say "FAILED: pulling the missing images above; connect to the network once (or 'docker load' them)"
  exit 1
fi
phase start "starting the containers"
# Every image is present now; nothing is pulled or built while starting.
"${compose[@]}" up -d --remove-orphans --no-build --pull never
phase healthy "waiting for each service to turn healthy (up to ${timeout_s}s)"

# Services that have no healthcheck, and what "ready" means for them (see docker-compose.yml).
no_healthcheck_ok() {
  case "$1:$2" in
    xray-daemon:running) return 0 ;;
    # One-shot jobs (the bucket, aiops's Grafana token): exit code checked separately.
    minio-init:exited | grafana-token:exited) return 0 ;;
    *) return 1 ;;
  esac
}

deadline=$((SECONDS + timeout_s))
while :; do
  pending=()
  failed=()
  # One line per container: service, state, health, exit code. "|", not a tab: read merges
  # runs of whitespace separators, which would shift the fields when health is empty.
  while IFS='|' read -r service state health exit_code; do
    [ -n "$service" ] || continue
    if [ "$health" = healthy ]; then continue; fi
    if [ -z "$health" ] && no_healthcheck_ok "$service" "$state"; then
      if [ "$state" = exited ] && [ "$exit_code" != 0 ]; then
        failed+=("$service (exited with $exit_code)")
      fi
      continue
    fi
    if [ "$state" = exited ] || [ "$state" = dead ]; then
      failed+=("$service (exited with $exit_code)")
    else
      pending+=("$service (${health:-$state})")
    fi
  done < <("${compose[@]}" ps --all --format '{{.Service}}|{{.State}}|{{.Health}}|{{.ExitCode}}')

  if [ ${#failed[@]} -eq 0 ] && [ ${#pending[@]} -eq 0 ]; then
    break
  fi
  # Progress while waiting: when the list of services still starting changes, or every 10 s.
  waiting="${pending[*]+"${pending[*]}"}"
  if [ "$waiting" != "${last_waiting:-}" ] || [ $((SECONDS - ${last_said:-0})) -ge 10 ]; then
    say "[healthy] $((SECONDS - phase_start))s: waiting for ${#pending[@]}: ${waiting:-none}"
    last_waiting=$waiting
    last_said=$SECONDS
  fi
  if [ ${#failed[@]} -gt 0 ] || [ "$SECONDS" -ge "$deadline" ]; then
    if [ ${#failed[@]} -gt 0 ]; then
      say "FAILED: ${failed[*]}"
    fi
    if [ ${#pending[@]} -gt 0 ]; then
      say "NOT HEALTHY after ${timeout_s}s: ${pending[*]}"
    fi
    # ${a[@]+"${a[@]}"}: an empty array under `set -u` in macOS's bash 3.2.
    for entry in ${failed[@]+"${failed[@]}"} ${pending[@]+"${pending[@]}"}; do
      name="${entry%% *}"
      printf '\n---- last log lines of %s ----\n' "$name"
      "${compose[@]}" logs --no-color --tail 25 "$name" 2>&1 || true
    done
    printf '\n'
    say "see 'make ps' and 'make logs SERVICE=<name>'; 'make down' stops what did start"
    exit 1
  fi
  sleep 2
done

phase_end
say "ready in ${SECONDS}s (${phase_times[*]})"

bind=$(env_value BIND_ADDRESS 127.0.0.1)
url() { printf 'http://%s:%s' "$bind" "$(env_value "$1" "$2")"; }
# The backends PUBLISH opted in to (otherwise they are reached through Grafana).
published_lines() {
  local name
  for name in ${published_extra[@]+"${published_extra[@]}"}; do
    case "$name" in
      prometheus) echo "  Prometheus       $(url PROMETHEUS_PORT 9090)   (PUBLISH: its remote-write receiver is open too)" ;;
      alertmanager) echo "  Alertmanager     $(url ALERTMANAGER_PORT 9093)   (PUBLISH: its API takes alerts and silences)" ;;
      loki) echo "  Loki API         $(url LOKI_PORT 3100)   (PUBLISH: it takes pushes)" ;;
      tempo) echo "  Tempo API        $(url TEMPO_PORT 3200)   (PUBLISH)" ;;
      minio) echo "  MinIO S3 API     $(url MINIO_API_PORT 9000)   (PUBLISH)" ;;
      blackbox) echo "  Blackbox probes  $(url BLACKBOX_EXPORTER_PORT 9115)   (PUBLISH: probes any URL from inside the network)" ;;
    esac
  done
}
# GRAFANA_ANONYMOUS (docker-compose.yml, GF_AUTH_ANONYMOUS_ENABLED): the values Grafana's ini
# library (go-ini parseBool) reads as true.
grafana_access="log in as admin, password: GRAFANA_ADMIN_PASSWORD in .env"
case "${GRAFANA_ANONYMOUS:-$(env_value GRAFANA_ANONYMOUS false)}" in
  1 | t | T | true | TRUE | True | y | yes | YES | Yes | on | ON | On)
    grafana_access="GRAFANA_ANONYMOUS: no login needed, and anything local reaches Loki's /ingester/shutdown through it; admin password: GRAFANA_ADMIN_PASSWORD in .env" ;;
esac
cat <<EOF

The lab is up: every service is healthy.

  Grafana          $(url GRAFANA_PORT 3000)   ($grafana_access)
                   PromQL, LogQL, TraceQL: Explore (log in); alerts and silences: Alerting
  GenAI service    $(url GENAI_SERVICE_PORT 8000)   (Bearer LAB_API_KEY from .env; /docs for the API)
  Locust           $(url LOCUST_PORT 8089)   (a gentle load is already running)
  AI-ops           $(url AIOPS_PORT 8001)   (incident pages; runbooks at /runbooks)
  MinIO console    $(url MINIO_CONSOLE_PORT 9001)   (MINIO_ROOT_USER / MINIO_ROOT_PASSWORD in .env)
  OTLP for your own apps: grpc $(url ADOT_GRPC_PORT 4317), http $(url ADOT_HTTP_PORT 4318)
$(published_lines)

API key for the service (LAB_API_KEY in .env):
  $(env_value LAB_API_KEY '')
Try it:
  curl -s $(url GENAI_SERVICE_PORT 8000)/v1/chat/completions -H "Authorization: Bearer \$LAB_API_KEY" \\
    -H 'Content-Type: application/json' -d '{"model":"claude-haiku-4-5","messages":[{"role":"user","content":"Hello"}]}'
  (after: set -a; . ./.env; set +a)

Credentials live in .env (generated on the first 'make up', never committed).
Stop with 'make down' (keeps data) or 'make clean' (deletes it).
EOF
