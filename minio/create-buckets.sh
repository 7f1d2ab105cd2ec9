#!/bin/sh
# Runs once in the minio-init container (quay.io/minio/mc image) after MinIO is healthy:
# creates the lab's buckets if they are missing and applies their lifecycle rules
# (minio/lifecycle/<bucket>.json; docs/retention.md), then exits 0 so Loki may start
# (depends_on: condition: service_completed_successfully). Safe to re-run.
# Credentials come from the environment (.env via docker-compose.yml), never from this file.
set -eu

: "${MINIO_ROOT_USER:?}" "${MINIO_ROOT_PASSWORD:?}"
endpoint="${MINIO_ENDPOINT:-http://minio:9000}"
buckets="${MINIO_BUCKETS:-loki-data}"

# MinIO reports healthy before it accepts credentials on a cold volume now and then: retry.
i=0
until mc alias set lab "$endpoint" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null 2>&1; do
  i=$((i + 1))
  if [ "$i" -ge 30 ]; then
    echo "minio-init: cannot log in to $endpoint after 30 tries" >&2
    exit 1
  fi
  sleep 1
done

lifecycles="${MINIO_LIFECYCLE_DIR:-/minio/lifecycle}"
for bucket in $buckets; do
  mc mb --ignore-existing "lab/$bucket"
  # A bucket's lifecycle rules, when the lab has some for it (minio/lifecycle/<bucket>.json).
  # Import replaces the bucket's whole lifecycle configuration, so re-runs do not add rules.
  if [ -f "$lifecycles/$bucket.json" ]; then
    mc ilm rule import "lab/$bucket" <"$lifecycles/$bucket.json"
    mc ilm rule ls "lab/$bucket"
  fi
done
mc ls lab
echo "minio-init: buckets ready: $buckets"
