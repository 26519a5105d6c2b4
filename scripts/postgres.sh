#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and local development.
#
#   scripts/postgres.sh [start]   install PostgreSQL if missing (apt), create the cluster once,
#                                 start it if stopped; prints its URL on stdout (logs on stderr)
#   scripts/postgres.sh url       prints the URL of the running cluster, fails if it is not running
#   scripts/postgres.sh stop      stops the cluster (keeps its files)
#   scripts/postgres.sh destroy   stops the cluster and deletes its files
#
# The cluster lives in the git-ignored data/postgres/ (override with SLIPWAY_PG_DIR), listens on
# 127.0.0.1 only, on a free port chosen at first start and kept afterwards, with a generated
# password. PostgreSQL refuses to run as root, so under root the cluster belongs to the
# `postgres` user that Debian's package creates. Durability is switched off (fsync, full-page
# writes): this cluster is for tests, never for data you want to keep.
#
# Typical use:  export SLIPWAY_TEST_POSTGRES_URL="$(scripts/postgres.sh)"
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${SLIPWAY_PG_DIR:-$root/data/postgres}"
# The cluster's files sit in $state/cluster unless the owner cannot reach that folder (see start).
cluster="$(cat "$state/cluster-path" 2>/dev/null || echo "$state/cluster")"
db_user=slipway
db_name=slipway

log() { echo "postgres.sh: $*" >&2; }
die() { log "$*"; exit 1; }

# Newest installed server binaries: Debian keeps them in /usr/lib/postgresql/<major>/bin.
find_bin() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [[ -n "$dir" && -x "$dir/initdb" ]]; then echo "$dir"; return; fi
  if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then dirname "$(command -v initdb)"; return; fi
  return 1
}

install_postgres() {
  [[ $EUID -eq 0 ]] || die "PostgreSQL is not installed; run as root (or: sudo apt-get install -y postgresql)"
  log "installing Debian's postgresql package (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
}

# Runs a command as the cluster's owner: `postgres` under root, the caller otherwise.
as_owner() {
  # fd 9 is the lock: a server started here must not inherit it and hold it forever.
  if [[ $EUID -eq 0 ]]; then runuser -u "$owner" -- "$@" 9>&-; else "$@" 9>&-; fi
}

free_port() {
  node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

port_in_use() {
  node -e 'const s = require("net").createServer(); s.once("error", () => process.exit(0)); s.listen(Number(process.argv[1]), "127.0.0.1", () => s.close(() => process.exit(1)));' "$1"
}

is_running() {
  [[ -f "$cluster/PG_VERSION" ]] && as_owner "$bin/pg_ctl" -D "$cluster" status >/dev/null 2>&1
}

print_url() {
  echo "postgres://$db_user:$(cat "$state/password")@127.0.0.1:$(cat "$state/port")/$db_name"
}

stop_cluster() {
  if is_running; then
    as_owner "$bin/pg_ctl" -D "$cluster" -m fast -w stop >&2
    log "stopped the cluster in $cluster"
  else
    log "no cluster running in $cluster"
  fi
}

init_cluster() {
  log "creating a cluster in $cluster (owner $owner)"
  rm -rf "$cluster"
  mkdir -p "$cluster"
  # 24 random bytes as hex: no characters that need escaping in a URL.
  od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$state/password"
  chmod 600 "$state/password"
  local pwfile
  pwfile="$(mktemp)"
  cp "$state/password" "$pwfile"
  if [[ $EUID -eq 0 ]]; then chown "$owner" "$cluster" "$pwfile"; fi
  as_owner "$bin/initdb" -D "$cluster" -U "$db_user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C >"$state/initdb.log" 2>&1 || { rm -f "$pwfile"; cat "$state/initdb.log" >&2; die "initdb failed"; }
  rm -f "$pwfile"
  cat >>"$cluster/postgresql.conf" <<'EOF'
# slipway: a throwaway test cluster
listen_addresses = '127.0.0.1'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
}

start_cluster() {
  local port
  port="$(cat "$state/port" 2>/dev/null || true)"
  if [[ -z "$port" ]] || port_in_use "$port"; then port="$(free_port)"; fi
  echo "$port" >"$state/port"
  # The socket goes in the cluster folder, so no system-wide /var/run/postgresql is needed.
  as_owner "$bin/pg_ctl" -D "$cluster" -l "$cluster/server.log" -w -t 60 \
    -o "-p $port -k $cluster" start >&2 || { tail -n 30 "$cluster/server.log" >&2 || true; die "the server did not start"; }
  # Over the socket, which only the owner can reach (the cluster folder is 0700): trust, no password.
  if ! as_owner "$bin/psql" -w -h "$cluster" -p "$port" -U "$db_user" -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = '$db_name'" </dev/null | grep -q 1; then
    as_owner "$bin/createdb" -w -h "$cluster" -p "$port" -U "$db_user" "$db_name" </dev/null
  fi
  log "cluster running on 127.0.0.1:$port ($cluster)"
}

command="${1:-start}"
case "$command" in
  start|url|stop|destroy) ;;
  *) die "unknown command '$command'; use start, url, stop or destroy" ;;
esac

bin="$(find_bin || true)"
if [[ -z "$bin" ]]; then
  case "$command" in
    start) install_postgres; bin="$(find_bin)" || die "postgresql installed but no initdb found" ;;
    url) die "PostgreSQL is not installed; run scripts/postgres.sh" ;;
    *) log "PostgreSQL is not installed; nothing to stop"; exit 0 ;;
  esac
fi
owner="$(id -un)"
if [[ $EUID -eq 0 ]]; then
  owner=postgres
  id -u "$owner" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$owner"
fi

mkdir -p "$state"
# One caller at a time: parallel test workers may all ask for the cluster at once.
exec 9>"$state/.lock"
flock 9

case "$command" in
  url)
    is_running || die "no cluster running in $cluster; start one with scripts/postgres.sh"
    print_url ;;
  stop) stop_cluster ;;
  destroy)
    stop_cluster
    rm -rf "$cluster" "$state/password" "$state/port" "$state/initdb.log" "$state/cluster-path"
    log "removed $cluster" ;;
  start)
    if is_running; then print_url; exit 0; fi
    if [[ ! -f "$state/cluster-path" && $EUID -eq 0 ]] && ! runuser -u "$owner" -- test -x "$state"; then
      # A parent folder is closed to the owner (e.g. a checkout under /root): keep the cluster in /tmp.
      cluster="${TMPDIR:-/tmp}/slipway-postgres-$(printf '%s' "$state" | sha256sum | cut -c1-12)"
      log "user $owner cannot reach $state; the cluster goes to $cluster"
    fi
    echo "$cluster" >"$state/cluster-path"
    [[ -f "$cluster/PG_VERSION" && -f "$state/password" ]] || init_cluster
    start_cluster
    print_url ;;
esac
