#!/usr/bin/env bash
# Builds the four images the ECS tasks run, from the bases pinned in versions.env, tagged
# $IMAGE_TAG, for $REGISTRY/genai-lab-$LAB_ENVIRONMENT/<name> (the ECR repositories
# infra/terraform/ecr.tf creates). --push pushes them. Used by .github/workflows/deploy.yml.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
: "${REGISTRY:?REGISTRY (the ECR registry host) is required}"
: "${IMAGE_TAG:?IMAGE_TAG is required}"
: "${LAB_ENVIRONMENT:?LAB_ENVIRONMENT is required}"
set -a
# shellcheck source=/dev/null
. ./versions.env
set +a
prefix="$REGISTRY/genai-lab-$LAB_ENVIRONMENT"
# name | Dockerfile | build args
builds=(
  "app|app/Dockerfile|PYTHON_IMAGE=$PYTHON_IMAGE"
  "adot|infra/images/adot.Dockerfile|ADOT_IMAGE=$ADOT_IMAGE"
  "loki|infra/images/loki.Dockerfile|LOKI_IMAGE=$LOKI_IMAGE"
  "grafana|infra/images/grafana.Dockerfile|GRAFANA_IMAGE=$GRAFANA_IMAGE XRAY_PLUGIN_VERSION=$GRAFANA_XRAY_PLUGIN_VERSION"
)
for b in "${builds[@]}"; do
  IFS='|' read -r name dockerfile args <<<"$b"
  build_args=()
  for a in $args; do build_args+=(--build-arg "$a"); done
  docker build --platform linux/amd64 "${build_args[@]}" -f "$dockerfile" -t "$prefix/$name:$IMAGE_TAG" .
  if [ "${1:-}" = --push ]; then docker push "$prefix/$name:$IMAGE_TAG"; fi
done
