#!/usr/bin/env bash
# Prints the path of a launcher for Temporal's time-skipping test server, fetching it once when
# none is found. The SDK would download a native build from a site this machine cannot reach; the
# same server is a Java program on Maven Central (io.temporal:temporal-test-server), so mvn fetches
# its jar and dependencies into the git-ignored .tools/temporal-test-server and a launcher runs it.
# The SDK starts the launcher as `<launcher> <port> [extra args]` and kills it to stop the server,
# so the launcher execs java (the killed pid is the JVM's, not a shell's).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/.tools/temporal-test-server"
version="${TEMPORAL_TEST_SERVER_VERSION:-1.38.0}"
launcher="$dir/$version/test-server"

if [ -n "${TEMPORAL_TEST_SERVER_PATH:-}" ]; then
  [ -x "$TEMPORAL_TEST_SERVER_PATH" ] || { echo "TEMPORAL_TEST_SERVER_PATH=$TEMPORAL_TEST_SERVER_PATH is not an executable file" >&2; exit 1; }
  echo "$TEMPORAL_TEST_SERVER_PATH"; exit 0
fi
if [ -x "$launcher" ]; then echo "$launcher"; exit 0; fi

if ! command -v java >/dev/null 2>&1 || ! command -v mvn >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "The time-skipping test server needs Java 17+ and Maven: install them (apt-get install openjdk-17-jre-headless maven) or set TEMPORAL_TEST_SERVER_PATH" >&2
    exit 1
  fi
  echo "Installing Debian's Java 17 runtime and Maven for the time-skipping test server..." >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless maven >&2
fi
mkdir -p "$dir"
# One fetch at a time: parallel test runs (or worktrees sharing .tools) would otherwise each start one.
exec 9>"$dir/.fetch.lock"
flock 9
if [ -x "$launcher" ]; then echo "$launcher"; exit 0; fi

echo "Fetching io.temporal:temporal-test-server:$version and its dependencies with Maven into $dir (once per machine)..." >&2
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# A throw-away project whose only job is to name the dependency, so copy-dependencies resolves
# the whole runtime classpath with Maven's own rules.
cat >"$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>slipway.tools</groupId>
  <artifactId>temporal-test-server-fetch</artifactId>
  <version>1</version>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId>
      <artifactId>temporal-test-server</artifactId>
      <version>$version</version>
    </dependency>
    <!-- The server logs through SLF4J 1.7 and says so on stderr when no binding is present. -->
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-nop</artifactId>
      <version>1.7.36</version>
    </dependency>
  </dependencies>
</project>
POM
mvn -q -B -Dstyle.color=never -f "$work/pom.xml" dependency:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$work/lib" >&2
[ -f "$work/lib/temporal-test-server-$version.jar" ] || { echo "Maven did not produce temporal-test-server-$version.jar" >&2; exit 1; }

staged="$dir/.$version.partial"
rm -rf "$staged"
mkdir -p "$staged"
mv "$work/lib" "$staged/lib"
# TestServer (the jar manifest's Main-Class) takes the port, then optionally --enable-time-skipping;
# without it, time skips only while a client asks (the SDK's result() and env.sleep do).
# The SDK gives the server five seconds to answer, and a cold JVM on a loaded 2-core machine took
# 4.5-7 s: the launcher maps a class-data archive (AppCDS) dumped once below, which cut that to
# 1.3-1.9 s. Without the archive (or with another JVM) java ignores it and starts the slow way.
# Tiered compilation stopped at C1 and a small heap suit a short-lived server.
cat >"$staged/test-server" <<'LAUNCHER'
#!/usr/bin/env bash
# Temporal's time-skipping test server: test-server <port> [--enable-time-skipping].
# Written by scripts/temporal-test-server.sh. SLIPWAY_TEST_SERVER_DUMP_CDS=1: dump the class archive at exit.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)" # physical path: the archive records the class path
cds=(-XX:SharedArchiveFile="$here/classes.jsa" -Xlog:cds=off -Xlog:cds+dynamic=off)
[ -n "${SLIPWAY_TEST_SERVER_DUMP_CDS:-}" ] && cds=(-XX:ArchiveClassesAtExit="$here/classes.jsa" -Xlog:cds=off -Xlog:cds+dynamic=off)
exec java "${cds[@]}" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k -Xmx512m \
  -cp "$here/lib/*" io.temporal.testserver.TestServer "$@"
LAUNCHER
chmod +x "$staged/test-server"
rm -rf "${dir:?}/$version"
mv "$staged" "$dir/$version"

# The archive: start the server once, wait until it listens, stop it (the JVM writes the archive on exit).
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
SLIPWAY_TEST_SERVER_DUMP_CDS=1 "$launcher" "$port" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
[ -s "$dir/$version/classes.jsa" ] || echo "warning: no class-data archive written; the test server starts slower" >&2
echo "$launcher"
