#!/usr/bin/env bash
# Creates .env from .env.example when it is missing, replacing every value written as
# __generate__ with a fresh random secret, so no two labs share a password. When .env exists,
# only the generated secrets it lacks (added to .env.example since) are appended to it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
env_file="$root/.env"
umask 077
secret() { od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }
if [ -f "$env_file" ]; then
  added=()
  if [ -s "$env_file" ] && [ -n "$(tail -c1 "$env_file")" ]; then
    echo >>"$env_file" # a last line without its newline would swallow the first addition
  fi
  while IFS= read -r line || [ -n "$line" ]; do
    if [[ "$line" == *=__generate__ ]]; then
      key=${line%%=*}
      if ! grep -q "^${key}=" "$env_file"; then
        printf '%s=%s\n' "$key" "$(secret)" >>"$env_file"
        added+=("$key")
      fi
    fi
  done <"$root/.env.example"
  if [ ${#added[@]} -gt 0 ]; then
    echo "make-env: added new generated secrets to .env: ${added[*]}"
  fi
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
