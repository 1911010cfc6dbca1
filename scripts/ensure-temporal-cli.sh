#!/usr/bin/env bash
# Makes the Temporal CLI (dev server + Web UI) available and prints its path on stdout.
# Order: $TEMPORAL_CLI_PATH, `temporal` on PATH, the cached build, `go install`, the official download.
# Progress goes to stderr so callers can capture the path: TEMPORAL_CLI=$(scripts/ensure-temporal-cli.sh)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="$(tr -d '[:space:]' < "$root/temporal-cli.version")"
cache_root="${LARK_AGENT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lark-temporal-agent}"
cache_dir="$cache_root/temporal-cli-$version"
cached="$cache_dir/temporal"

say() { printf '[temporal-cli] %s\n' "$*" >&2; }

if [ -n "${TEMPORAL_CLI_PATH:-}" ]; then
  if [ -x "$TEMPORAL_CLI_PATH" ]; then echo "$TEMPORAL_CLI_PATH"; exit 0; fi
  say "TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH is not an executable file"; exit 1
fi
if command -v temporal >/dev/null 2>&1; then command -v temporal; exit 0; fi
if [ -x "$cached" ]; then echo "$cached"; exit 0; fi

mkdir -p "$cache_dir"
if command -v go >/dev/null 2>&1; then
  say "building Temporal CLI v$version with 'go install' into $cache_dir"
  say "the first build downloads and compiles the Temporal server: it takes a few minutes"
  # CLI v1.6+ carries a replace directive that `go install pkg@version` refuses; v1.5.1 is the newest that installs.
  tmp_bin="$(mktemp -d "$cache_root/build.XXXXXX")"
  ( GOBIN="$tmp_bin" GOTOOLCHAIN="${GOTOOLCHAIN:-auto}" GOFLAGS="${GOFLAGS:-} -trimpath" \
      go install -v -ldflags "-s -w" "github.com/temporalio/cli/cmd/temporal@v$version" 2>&1 \
      | while IFS= read -r line; do say "go: $line"; done ) || true
  if [ -x "$tmp_bin/temporal" ]; then
    mv "$tmp_bin/temporal" "$cached"; rmdir "$tmp_bin"
    say "built $cached"; echo "$cached"; exit 0
  fi
  rm -rf "$tmp_bin"
  say "go install failed; trying the official release download"
fi

case "$(uname -m)" in x86_64|amd64) arch=amd64 ;; aarch64|arm64) arch=arm64 ;; *) arch="$(uname -m)" ;; esac
case "$(uname -s)" in Linux) platform=linux ;; Darwin) platform=darwin ;; *) platform="$(uname -s | tr 'A-Z' 'a-z')" ;; esac
url="https://temporal.download/cli/archive/v$version?platform=$platform&arch=$arch"
say "downloading $url"
tgz="$cache_dir/temporal.tar.gz"
if curl -fsSL --retry 2 -o "$tgz" "$url" && tar -xzf "$tgz" -C "$cache_dir" temporal; then
  rm -f "$tgz"; chmod +x "$cached"; echo "$cached"; exit 0
fi
rm -f "$tgz"
say "could not get the Temporal CLI v$version."
say "install Go (https://go.dev/dl) and run this script again, or install 'temporal' yourself and set TEMPORAL_CLI_PATH."
exit 1
