#!/usr/bin/env bash
# The integration suite against a Citus cluster: a coordinator and two workers, started here from
# this machine's PostgreSQL binaries, the schema distributed by shop (src/db/citus.rs) in the
# suite's template database, then `cargo test --test api` with DATABASE_URL on the coordinator.
#
# Citus is not in Debian's packages: its extension must be built and installed into this
# PostgreSQL by hand (docs/ARCHITECTURE.md, "From one PostgreSQL to a Citus cluster"). Without it
# the script says so and exits 2. Arguments go to the test binary (a filter, --test-threads …).
# The desk works as the coordinator's superuser here, as DATABASE_URL gives it: what the desk's own
# role may not do is checked on the embedded cluster (`cargo test`), the append-only guards here too.
set -euo pipefail
cd "$(dirname "$0")/../.."

bindir="${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
[ -x "$bindir/postgres" ] || { echo "no PostgreSQL server binaries (set PG_BINDIR)" >&2; exit 2; }
libdir="$("$bindir/pg_config" --pkglibdir 2>/dev/null || pg_config --pkglibdir)"
if [ ! -f "$libdir/citus.so" ]; then
  echo "Citus is not installed in $libdir: build it for this PostgreSQL first (docs/ARCHITECTURE.md)" >&2
  exit 2
fi

# Three ports in a row that no socket uses (not even one closing, which a listener cannot take).
in_use() { command -v ss >/dev/null 2>&1 && ss -tan | awk '{print $4}' | grep -q ":$1\$"; }
base_port="${CITUS_BASE_PORT:-55432}"
while in_use "$base_port" || in_use $((base_port + 1)) || in_use $((base_port + 2)); do
  base_port=$((base_port + 3))
done
work="$(mktemp -d "${TMPDIR:-/tmp}/as-citus.XXXXXX")"
as_owner=()
if [ "$(id -u)" = 0 ]; then
  # PostgreSQL refuses to run as root.
  chown postgres "$work"
  as_owner=(runuser -u postgres --)
fi

nodes=(coordinator worker1 worker2)
stop() {
  # CITUS_LOGS=DIR keeps the three servers' logs (the statements Citus refused are there).
  if [ -n "${CITUS_LOGS:-}" ]; then
    mkdir -p "$CITUS_LOGS" && cp "$work"/*.log "$CITUS_LOGS"/ 2>/dev/null || true
  fi
  for i in "${!nodes[@]}"; do
    "${as_owner[@]}" "$bindir/pg_ctl" -D "$work/${nodes[$i]}" -m immediate stop >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap stop EXIT

for i in "${!nodes[@]}"; do
  dir="$work/${nodes[$i]}"
  port=$((base_port + i))
  "${as_owner[@]}" "$bindir/initdb" -D "$dir" -U postgres -A trust --no-locale -E UTF8 >/dev/null
  cat >> "$dir/postgresql.conf" <<CONF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$work'
shared_preload_libraries = 'citus'
max_connections = 400
fsync = off
synchronous_commit = off
full_page_writes = off
max_prepared_transactions = 200
max_worker_processes = 64
citus.enable_unsafe_triggers = on
CONF
  "${as_owner[@]}" "$bindir/pg_ctl" -D "$dir" -l "$work/${nodes[$i]}.log" -w start >/dev/null
done

export DATABASE_URL="postgres://postgres@127.0.0.1:$base_port/postgres"
export AFTERSALES_CITUS_WORKERS="127.0.0.1:$((base_port + 1)),127.0.0.1:$((base_port + 2))"
echo "== Citus: coordinator 127.0.0.1:$base_port, workers $AFTERSALES_CITUS_WORKERS"
cargo test --test api -- "$@"
