#!/usr/bin/env bash
# Creates .env from .env.example when it is missing, replacing every value written as
# __generate__ with a fresh random secret, so no two labs share a password.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
env_file="$root/.env"
umask 077
if [ -f "$env_file" ]; then
  # An older .env: add any generated secret .env.example gained since, keep everything else.
  if [ -s "$env_file" ] && [ -n "$(tail -c1 "$env_file")" ]; then
    echo >>"$env_file" # a last line without its newline would swallow the first addition
  fi
  while IFS= read -r line || [ -n "$line" ]; do
    if [[ "$line" == *=__generate__ ]] && ! grep -q "^${line%%=*}=" "$env_file"; then
      printf '%s%s\n' "${line%__generate__}" "$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" >>"$env_file"
      echo "make-env: added ${line%%=*} to .env"
    fi
  done <"$root/.env.example"
  exit 0
fi
while IFS= read -r line || [ -n "$line" ]; do
  if [[ "$line" == *=__generate__ ]]; then
    printf '%s%s\n' "${line%__generate__}" "$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
  else
    printf '%s\n' "$line"
  fi
done <"$root/.env.example" >"$env_file"
echo "make-env: created .env with generated secrets (kept out of git)"
