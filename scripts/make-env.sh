#!/usr/bin/env bash
# Creates .env from .env.example when it is missing, replacing every value written as
# __generate__ with a fresh random secret, so no two labs share a password. When .env exists,
# only secrets it lacks (added to .env.example later) are generated and appended.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
env_file="$root/.env"
umask 077
secret() { od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }
if [ -f "$env_file" ]; then
  # An existing lab keeps its values; secrets added to .env.example since are appended.
  added=0
  while IFS= read -r line || [ -n "$line" ]; do
    if [[ "$line" == *=__generate__ ]]; then
      name="${line%%=*}"
      if ! grep -q "^${name}=" "$env_file"; then
        printf '%s=%s\n' "$name" "$(secret)" >>"$env_file"
        added=$((added + 1))
      fi
    fi
  done <"$root/.env.example"
  [ "$added" -gt 0 ] && echo "make-env: added $added new generated secret(s) to .env"
  exit 0
fi
while IFS= read -r line || [ -n "$line" ]; do
  if [[ "$line" == *=__generate__ ]]; then
    printf '%s%s\n' "${line%__generate__}" "$(secret)"
  else
    printf '%s\n' "$line"
  fi
done <"$root/.env.example" >"$env_file"
echo "make-env: created .env with generated secrets (kept out of git)"
