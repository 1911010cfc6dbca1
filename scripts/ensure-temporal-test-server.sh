#!/usr/bin/env bash
# Makes Temporal's time-skipping test server (the Java one @temporalio/testing's createTimeSkipping runs) available
# and prints the path of its launcher on stdout. The SDK's own download (temporal.download) is not reachable
# everywhere; Maven Central serves the same server as io.temporal:temporal-test-server, run here on the installed
# Java (17+): Maven fetches the artifact and its runtime dependencies once into
# ~/.cache/lark-temporal-agent/temporal-test-server-<version>/lib, beside a launcher script
#   temporal-test-server <port> [args]   (the SDK starts an existing-path executable exactly so)
# Order: $TEMPORAL_TEST_SERVER_PATH, the cached launcher, a Maven fetch. Version: temporal-test-server.version.
# Progress goes to stderr: TEMPORAL_TEST_SERVER_PATH=$(scripts/ensure-temporal-test-server.sh)
# --check: print the launcher's path if it is already there and Java is installed, exit 1 (quietly) otherwise.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="$(tr -d '[:space:]' < "$root/temporal-test-server.version")"
cache_root="${LARK_AGENT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lark-temporal-agent}"
dir="$cache_root/temporal-test-server-$version"
launcher="$dir/temporal-test-server"
say() { printf '[temporal-test-server] %s\n' "$*" >&2; }
java_bin() { if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then echo "$JAVA_HOME/bin/java"; else command -v java; fi; }

if [ -n "${TEMPORAL_TEST_SERVER_PATH:-}" ]; then
  if [ -x "$TEMPORAL_TEST_SERVER_PATH" ]; then echo "$TEMPORAL_TEST_SERVER_PATH"; exit 0; fi
  [ "${1:-}" = "--check" ] && exit 1
  say "TEMPORAL_TEST_SERVER_PATH=$TEMPORAL_TEST_SERVER_PATH is not an executable file"; exit 1
fi
if ! java_bin >/dev/null; then
  [ "${1:-}" = "--check" ] && exit 1
  say "Java 17 or later is needed for the time-skipping test server (apt-get install openjdk-17-jre-headless)"; exit 1
fi
if [ -x "$launcher" ]; then echo "$launcher"; exit 0; fi
[ "${1:-}" = "--check" ] && exit 1

if ! command -v mvn >/dev/null 2>&1; then
  say "Maven is needed once to fetch io.temporal:temporal-test-server:$version (apt-get install maven)"; exit 1
fi
mkdir -p "$cache_root"
tmp="$(mktemp -d "$cache_root/test-server-fetch.XXXXXX")"; chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
say "fetching io.temporal:temporal-test-server:$version and its runtime dependencies from Maven Central into $dir"
start=$(date +%s)
cat > "$tmp/pom.xml" <<POM
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.lark-temporal-agent</groupId>
  <artifactId>temporal-test-server-fetch</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId>
      <artifactId>temporal-test-server</artifactId>
      <version>$version</version>
    </dependency>
    <!-- A logging binding that logs nothing: without one SLF4J prints a three-line warning at every start. -->
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-nop</artifactId>
      <version>1.7.36</version>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-dependency-plugin</artifactId>
        <version>3.6.1</version>
      </plugin>
    </plugins>
  </build>
</project>
POM
( cd "$tmp" && mvn -B -q -f pom.xml dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp/lib" 2>&1 | while IFS= read -r line; do say "mvn: $line"; done ) || true
if ! ls "$tmp/lib"/temporal-test-server-*.jar >/dev/null 2>&1; then
  say "could not fetch io.temporal:temporal-test-server:$version with Maven (is Maven Central reachable?)"; exit 1
fi
rm -f "$tmp/pom.xml"
# exec: the SDK stops the server by killing the process it started, so that process must be the JVM itself.
# The SDK gives the server 5 s to answer: the flags and the class-data archive below make the JVM start in about
# half a second instead of one to two (more on a busy machine).
cat > "$tmp/temporal-test-server" <<'LAUNCHER'
#!/usr/bin/env bash
# Temporal's time-skipping test server: temporal-test-server <port>. Written by scripts/ensure-temporal-test-server.sh.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then java="$JAVA_HOME/bin/java"; else java=java; fi
cds=()
[ -f "$here/classes.jsa" ] && [ -z "${TEMPORAL_TEST_SERVER_NO_CDS:-}" ] && cds=(-XX:SharedArchiveFile="$here/classes.jsa" -Xlog:cds=off -Xlog:cds+dynamic=off)
exec "$java" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k "${cds[@]}" ${TEMPORAL_TEST_SERVER_JAVA_OPTS:-} \
  -cp "$here/lib/*" io.temporal.testserver.TestServer "$@"
LAUNCHER
chmod +x "$tmp/temporal-test-server"

if [ -x "$launcher" ]; then
  say "another run fetched it meanwhile"
else
  rm -rf "$dir"
  mv "$tmp" "$dir"
  trap - EXIT
  # The class-data archive: the classes one start loads, dumped by a JVM that started the server once and was
  # stopped (SIGTERM). Made in place (it records the class path). Optional: without it (or under another Java)
  # the launcher starts the JVM the ordinary way.
  port_free() { ! (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
  port=$(( 20000 + RANDOM % 20000 )); while ! port_free "$port"; do port=$(( 20000 + RANDOM % 20000 )); done
  "$(java_bin)" -XX:ArchiveClassesAtExit="$dir/classes.jsa.part" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k \
    -cp "$dir/lib/*" io.temporal.testserver.TestServer "$port" >/dev/null 2>&1 &
  jvm=$!
  for _ in $(seq 1 300); do port_free "$port" || break; sleep 0.1; done
  kill -TERM "$jvm" 2>/dev/null || true
  wait "$jvm" 2>/dev/null || true
  if [ -s "$dir/classes.jsa.part" ]; then mv "$dir/classes.jsa.part" "$dir/classes.jsa"; say "wrote a class-data archive (a faster JVM start)"; else rm -f "$dir/classes.jsa.part"; fi
fi
say "fetched $(ls "$dir/lib" | wc -l) jars ($(du -sh "$dir/lib" | cut -f1)) in $(( $(date +%s) - start )) s: $launcher"
echo "$launcher"
