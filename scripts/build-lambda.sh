#!/usr/bin/env bash
# Packages the AI-ops Lambda (handler aiops.aws_lambda.handler) as infra/build/aiops-lambda.zip:
# the locked runtime dependencies for Lambda's Python 3.11 on x86_64 (manylinux wheels only),
# the project's packages, and docs/runbooks (the summaries quote them).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
uv="$root/.tools/uv/bin/uv"
[ -x "$uv" ] || scripts/bootstrap.sh
out="$root/infra/build"
stage="$out/lambda"
rm -rf "$stage" && mkdir -p "$stage"
"$uv" export --frozen --no-dev --no-hashes --no-emit-project -o "$out/requirements.txt" >/dev/null
"$uv" pip install --quiet --target "$stage" --python-version 3.11 --python-platform x86_64-manylinux2014 \
  --only-binary :all: -r "$out/requirements.txt"
cp -r app/aiops app/genai_service "$stage"/
[ -d app/lab_telemetry ] && cp -r app/lab_telemetry "$stage"/
cp -r docs/runbooks "$stage/runbooks"
find "$stage" -name __pycache__ -type d -prune -exec rm -rf {} +
rm -f "$out/aiops-lambda.zip"
(cd "$stage" && python3 -m zipfile -c "$out/aiops-lambda.zip" .)
echo "build-lambda: $out/aiops-lambda.zip"
