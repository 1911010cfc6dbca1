#!/usr/bin/env bash
# Makes the official Temporal server (go.temporal.io/server/cmd/server) and its SQL schema tool
# (go.temporal.io/server/cmd/tools/sql) available and prints the directory that holds them on stdout:
#   <dir>/temporal-server  <dir>/temporal-sql-tool   (the SQL schemas are embedded in the tool: --schema-name)
# The server version is the one the pinned CLI (temporal-cli.version) embeds, read from the CLI's go.mod, so the
# dev server the tests use and this server run the same code. Built once with `go install` (nice -n 10) and
# cached in ~/.cache/lark-temporal-agent/temporal-server-<version>, like the CLI.
# Progress goes to stderr: TEMPORAL_SERVER_DIR=$(scripts/ensure-temporal-server.sh)
# --check: print the directory if it is already built, exit 1 (quietly) otherwise; never builds.
# --version: print the server version and exit.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cli_version="$(tr -d '[:space:]' < "$root/temporal-cli.version")"
cache_root="${LARK_AGENT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lark-temporal-agent}"
say() { printf '[temporal-server] %s\n' "$*" >&2; }

complete() { [ -x "$1/temporal-server" ] && [ -x "$1/temporal-sql-tool" ]; }

if [ -n "${TEMPORAL_SERVER_DIR:-}" ]; then
  if complete "$TEMPORAL_SERVER_DIR"; then echo "$TEMPORAL_SERVER_DIR"; exit 0; fi
  say "TEMPORAL_SERVER_DIR=$TEMPORAL_SERVER_DIR lacks temporal-server or temporal-sql-tool"; exit 1
fi

# The server version the CLI embeds: a pinned file next to the CLI's, written on the first resolution, so later
# runs (and --check) need neither Go nor the module proxy.
version_file="$cache_root/temporal-cli-$cli_version/server.version"
if [ -s "$version_file" ]; then
  version="$(tr -d '[:space:]' < "$version_file")"
else
  if ! command -v go >/dev/null 2>&1; then
    [ "${1:-}" = "--check" ] && exit 1
    say "Go is needed to build the Temporal server (https://go.dev/dl)"; exit 1
  fi
  [ "${1:-}" = "--check" ] && exit 1
  say "reading the server version that Temporal CLI v$cli_version embeds (its go.mod)"
  gomod="$(GOFLAGS=-mod=mod go mod download -json "github.com/temporalio/cli@v$cli_version" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
  version="$(sed -n 's/^[[:space:]]*go\.temporal\.io\/server v\([0-9][^[:space:]]*\).*/\1/p' "$gomod" | head -n1)"
  if [ -z "$version" ]; then say "could not find go.temporal.io/server in $gomod"; exit 1; fi
  mkdir -p "$(dirname "$version_file")"; echo "$version" > "$version_file"
fi
[ "${1:-}" = "--version" ] && { echo "$version"; exit 0; }

dir="$cache_root/temporal-server-$version"
if complete "$dir"; then echo "$dir"; exit 0; fi
[ "${1:-}" = "--check" ] && exit 1

if ! command -v go >/dev/null 2>&1; then say "Go is needed to build the Temporal server (https://go.dev/dl)"; exit 1; fi
mkdir -p "$cache_root"
tmp="$(mktemp -d "$cache_root/server-build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
say "building Temporal server v$version and temporal-sql-tool with 'go install' into $dir"
say "the first build compiles the whole server (several minutes; the CLI's build cache makes it shorter)"
# Same flags as the CLI build (scripts/ensure-temporal-cli.sh) so the shared packages come from Go's build cache.
start=$(date +%s)
( GOBIN="$tmp/bin" GOTOOLCHAIN="${GOTOOLCHAIN:-auto}" GOFLAGS="${GOFLAGS:-} -trimpath" \
    nice -n 10 go install -v -ldflags "-s -w" \
      "go.temporal.io/server/cmd/server@v$version" "go.temporal.io/server/cmd/tools/sql@v$version" 2>&1 \
    | while IFS= read -r line; do say "go: $line"; done ) || true
if [ ! -x "$tmp/bin/server" ] || [ ! -x "$tmp/bin/sql" ]; then
  say "go install failed (see the lines above)"; exit 1
fi
mkdir -p "$tmp/out"
mv "$tmp/bin/server" "$tmp/out/temporal-server"
mv "$tmp/bin/sql" "$tmp/out/temporal-sql-tool"
echo "$version" > "$tmp/out/version"
rm -rf "$dir"; mv "$tmp/out" "$dir"
say "built $dir in $(( $(date +%s) - start )) s"
echo "$dir"
