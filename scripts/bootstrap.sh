#!/usr/bin/env bash
# Creates .venv with the locked dependencies. Needs only python3 (3.11+): uv itself is pinned
# and installed from PyPI into .tools/uv, so nothing is installed system-wide.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
uv_version=0.13.8
uv="$root/.tools/uv/bin/uv"

if ! "$uv" --version 2>/dev/null | grep -qF "$uv_version"; then
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || { echo "bootstrap: Python 3.11 or newer is needed as python3" >&2; exit 1; }
  python3 -m venv "$root/.tools/uv" \
    || { echo "bootstrap: python3 cannot create a venv (Debian: apt-get install python3-venv)" >&2; exit 1; }
  "$root/.tools/uv/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$uv_version"
fi
cd "$root"
# --locked: fail instead of silently re-resolving when pyproject.toml and uv.lock disagree.
# --compile-bytecode: every process (the service, Locust, each test's subprocess) then imports
# its dependencies from .pyc files, even where PYTHONDONTWRITEBYTECODE keeps Python from caching.
"$uv" sync --locked --quiet --compile-bytecode
