#!/usr/bin/env bash
# Puts real prometheus, promtool, alertmanager, amtool, blackbox_exporter and docker compose
# into .tools/bin, and checks for chromium (the browser test), which it installs with apt-get
# only as root.
# Uses a copy already on PATH; otherwise unpacks Debian testing's packages into .tools/
# (apt-get download with a private sources list and lists dir, then dpkg -x): nothing is
# installed system-wide. Prints each tool's version. With REQUIRE_TOOLS=1 (CI) a tool that
# cannot be had is an error; otherwise it is reported and the tests that need it skip.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
bin="$tools/bin"
apt_dir="$tools/apt"
unpacked="$tools/root"
# Debian testing carries Prometheus 3.5 and Alertmanager 0.33; Debian 12 only 2.42 / 0.25.
suite="${TOOLS_DEBIAN_SUITE:-forky}"
mirror="${TOOLS_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
packages=(prometheus promtool prometheus-alertmanager prometheus-blackbox-exporter docker-compose)
mkdir -p "$bin"

say() { printf 'tools: %s\n' "$*"; }

# name-in-.tools/bin  candidates-on-PATH  path-inside-the-unpacked-packages
specs=(
  "prometheus|prometheus|usr/bin/prometheus"
  "promtool|promtool|usr/bin/promtool"
  "alertmanager|alertmanager prometheus-alertmanager|usr/bin/prometheus-alertmanager"
  "amtool|amtool|usr/bin/amtool"
  "blackbox_exporter|blackbox_exporter prometheus-blackbox-exporter|usr/bin/prometheus-blackbox-exporter"
  "docker-compose|docker-compose|usr/libexec/docker/cli-plugins/docker-compose"
)

from_path() {
  local name=$1 candidates=$2 c p
  for c in $candidates; do
    p=$(command -v "$c" 2>/dev/null || true)
    # Never pick up our own links as "already installed".
    if [ -n "$p" ] && [ "$(dirname "$p")" != "$bin" ]; then
      ln -sf "$p" "$bin/$name"
      return 0
    fi
  done
  if [ "$name" = docker-compose ] && docker compose version >/dev/null 2>&1; then
    # The plugin is there but not as a separate binary: call it through docker.
    printf '#!/bin/sh\nexec docker compose "$@"\n' >"$bin/$name"
    chmod +x "$bin/$name"
    return 0
  fi
  return 1
}

unpack_from_debian() {
  local arch
  arch=$(dpkg --print-architecture)
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/debs" "$unpacked"
  printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg arch=%s] %s %s main\n' \
    "$arch" "$mirror" "$suite" >"$apt_dir/sources.list"
  local opts=(
    -o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
    -o Debug::NoLocking=1 -o APT::Sandbox::User=root -qq
  )
  say "downloading ${packages[*]} from Debian $suite ($arch)"
  apt-get "${opts[@]}" update
  (cd "$apt_dir/debs" && rm -f ./*.deb && apt-get "${opts[@]}" download "${packages[@]}")
  for deb in "$apt_dir"/debs/*.deb; do dpkg-deb -x "$deb" "$unpacked"; done
}

missing=()
need_debian=()
for spec in "${specs[@]}"; do
  IFS='|' read -r name candidates inner <<<"$spec"
  if [ -x "$bin/$name" ] && "$bin/$name" --version >/dev/null 2>&1; then continue; fi
  if from_path "$name" "$candidates"; then continue; fi
  need_debian+=("$spec")
done

if [ ${#need_debian[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null \
    && [ -r /usr/share/keyrings/debian-archive-keyring.gpg ]; then
    unpack_from_debian
    for spec in "${need_debian[@]}"; do
      IFS='|' read -r name _ inner <<<"$spec"
      ln -sf "$unpacked/$inner" "$bin/$name"
    done
  else
    say "apt-get is not available here; install the tools yourself and re-run, e.g.:"
    say "  macOS:  brew install prometheus alertmanager blackbox_exporter docker-compose"
    say "  other:  https://prometheus.io/download/ (prometheus, alertmanager, blackbox_exporter) and Docker Compose v2"
  fi
fi

# Debian's Alertmanager reads its default notification template from this fixed path and
# refuses every config without it; put the packaged copy there when we may (root in CI).
tmpl_dir=/usr/share/prometheus/alertmanager
if [ -f "$unpacked/$tmpl_dir/default.tmpl" ] && [ ! -f "$tmpl_dir/default.tmpl" ]; then
  if mkdir -p "$tmpl_dir" 2>/dev/null && cp "$unpacked/$tmpl_dir"/*.tmpl "$tmpl_dir"/ 2>/dev/null; then
    say "installed Alertmanager's default templates into $tmpl_dir (Debian build needs them there)"
  else
    say "warning: Debian's alertmanager needs $tmpl_dir/default.tmpl; copy it from $unpacked$tmpl_dir as root"
  fi
fi

for spec in "${specs[@]}"; do
  IFS='|' read -r name _ _ <<<"$spec"
  if version=$("$bin/$name" --version 2>&1 | head -n 1) && [ -n "$version" ]; then
    printf 'tools: %-18s %s\n' "$name" "$version"
  else
    rm -f "$bin/$name"
    missing+=("$name")
    printf 'tools: %-18s MISSING\n' "$name"
  fi
done

# The aiops browser test drives Debian's headless Chromium. It is a system package (it cannot be
# unpacked like the tools above), so it is installed only where we may: as root (CI).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian's chromium for the browser test"
    install_chromium() {
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
    }
    # A fresh CI image has empty package lists: update once and retry.
    install_chromium 2>/dev/null || { apt-get update -qq >/dev/null && install_chromium; } \
      || say "warning: apt-get install chromium failed"
  fi
fi
if version=$(chromium --version 2>/dev/null | head -n 1) && [ -n "$version" ]; then
  printf 'tools: %-15s %s\n' chromium "$version"
else
  missing+=(chromium)
  printf 'tools: %-15s MISSING (as root: apt-get install chromium; macOS: brew install --cask chromium)\n' chromium
fi

# Infrastructure checkers (tests/infra): checkov, actionlint.
# shellcheck source=scripts/tools-infra.sh
. "$root/scripts/tools-infra.sh"

if [ ${#missing[@]} -gt 0 ]; then
  if [ "${REQUIRE_TOOLS:-0}" = 1 ]; then
    say "error: missing ${missing[*]} and REQUIRE_TOOLS=1"
    exit 1
  fi
  say "missing ${missing[*]}: tests that need them will be skipped"
fi
