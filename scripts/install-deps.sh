#!/usr/bin/env bash
# Installs what the project needs on a fresh machine, skipping what is already there:
#   node packages (npm ci), the Temporal CLI (built once, cached outside the clone),
#   with --postgres the PostgreSQL server packages (Debian/Ubuntu, as root or with sudo), with --browser Chromium,
#   and with --java a Java runtime and Maven, then Temporal's time-skipping test server (fetched once from Maven
#   Central, cached outside the clone like the CLI).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
say() { printf '[setup] %s\n' "$*" >&2; }

want_postgres=false
want_browser=false
want_java=false
for arg in "$@"; do
  [ "$arg" = "--postgres" ] && want_postgres=true
  [ "$arg" = "--browser" ] && want_browser=true
  [ "$arg" = "--java" ] && want_java=true
done

# Installs Debian/Ubuntu packages as root or with sudo; prints how to get them otherwise.
apt_install() {
  local sudo=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo="sudo"
  if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" -eq 0 ] || [ -n "$sudo" ]; }; then
    say "installing $* from the distribution's packages"
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >&2
  else
    return 1
  fi
}

if ! command -v node >/dev/null 2>&1; then say "Node.js 20 or later is required: https://nodejs.org"; exit 1; fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then say "Node.js 20 or later is required (found $(node -v))"; exit 1; fi

# npm ci when node_modules is missing or older than the lockfile. Never through a symlinked node_modules (a git
# worktree sharing another checkout's packages): npm ci empties the target first, under everyone using it.
if [ -L node_modules ]; then
  [ package-lock.json -nt node_modules/.package-lock.json ] && say "node_modules is a symlink: not running npm ci here (run it where it points)"
elif [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing node packages (npm ci)"
  npm ci --no-audit --no-fund >&2
fi

scripts/ensure-temporal-cli.sh >/dev/null

if $want_postgres && [ -z "${TEST_DATABASE_URL:-}" ]; then
  if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    if ! apt_install postgresql; then
      say "PostgreSQL server binaries (initdb, pg_ctl) are needed for the tests."
      say "install them (e.g. apt-get install postgresql, brew install postgresql), set PG_BIN_DIR, or set TEST_DATABASE_URL."
      exit 1
    fi
  fi
fi

# Browser tests drive the system Chromium (playwright-core downloads no browser).
if $want_browser && [ -z "${CHROMIUM_PATH:-}" ] && ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  if ! apt_install chromium; then
    say "Chromium is needed for the browser tests: install it (apt-get install chromium) or set CHROMIUM_PATH; those tests are skipped otherwise."
  fi
fi
# The bot's ✅ ❌ ⏰ in the sandbox's screenshots (a bare system shows empty boxes). Cosmetic: never fatal.
if $want_browser && [ ! -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] && command -v apt-get >/dev/null 2>&1; then
  apt_install fonts-noto-color-emoji || true
fi

# The time-skipping test server is a Java program, fetched with Maven (test/time-skipping.test.ts skips without
# Java). A failed fetch is reported, not fatal: the other test files still run, and that file then fails saying why.
if $want_java && [ -z "${TEMPORAL_TEST_SERVER_PATH:-}" ] && ! scripts/ensure-temporal-test-server.sh --check >/dev/null; then
  missing_java=()
  command -v java >/dev/null 2>&1 || [ -x "${JAVA_HOME:-/nonexistent}/bin/java" ] || missing_java+=(default-jre-headless)
  command -v mvn >/dev/null 2>&1 || missing_java+=(maven)
  if [ ${#missing_java[@]} -gt 0 ] && ! apt_install "${missing_java[@]}"; then
    say "Java and Maven are needed for the time-skipping tests: install them (apt-get install default-jre-headless maven); that test file is skipped without Java."
  fi
  if command -v java >/dev/null 2>&1 || [ -x "${JAVA_HOME:-/nonexistent}/bin/java" ]; then
    scripts/ensure-temporal-test-server.sh >/dev/null || say "could not fetch the time-skipping test server: test/time-skipping.test.ts will fail until scripts/ensure-temporal-test-server.sh succeeds"
  fi
fi
