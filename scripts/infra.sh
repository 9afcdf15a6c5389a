#!/usr/bin/env bash
# Local infrastructure without Docker: PostgreSQL and nats-server (JetStream on) from Debian
# packages, on fixed loopback ports, idempotent. Usage: scripts/infra.sh up|down|status
#
# The ports lie below the kernel's ephemeral range (32768-60999 on Linux): a port inside it can be
# handed to any outgoing connection, and a client reconnecting in a loop to a server that is down
# can end up connected to itself on the server's port, which the server then cannot bind.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
STATE="${VC_INFRA_DIR:-$ROOT/.infra}"
PG_PORT="${PGPORT:-15432}"
NATS_PORT="${NATS_PORT:-14222}"
NATS_HTTP_PORT="${NATS_HTTP_PORT:-18222}"
NATS_DIR="$STATE/nats"
# NATS passwords, service signing keys, the development identity provider and gRPC CA (scripts/secrets.ts)
SECRETS="${SECRETS_DIR:-$STATE/secrets}"

log() { printf '[infra] %s\n' "$*"; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

install_missing() {
  local pkgs=()
  [ -n "$(pg_bin)" ] && [ -x "$(pg_bin)/initdb" ] || pkgs+=(postgresql)
  command -v psql >/dev/null 2>&1 || pkgs+=(postgresql-client)
  command -v nats-server >/dev/null 2>&1 || pkgs+=(nats-server)
  if [ ${#pkgs[@]} -gt 0 ]; then
    log "installing ${pkgs[*]} from Debian packages"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    as_root apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
  fi
}

# PostgreSQL refuses to run as root: run it as the postgres user in a directory it owns.
# (from /, which it can enter, rather than from a checkout it may not)
run_pg() { if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }

# PostgreSQL runs as the postgres user, who must reach its data directory. A checkout in a private
# folder (root's home, mode 700) is out of its reach, so the cluster then lives in the postgres
# user's home instead, one per checkout; the choice is recorded in $STATE/pg-data so that later
# runs (up, down, status) find the same cluster. VC_PG_DATA chooses the directory outright.
pg_data_dir() {
  if [ -n "${VC_PG_DATA:-}" ]; then echo "$VC_PG_DATA"; return; fi
  if [ -s "$STATE/pg-data" ]; then cat "$STATE/pg-data"; return; fi
  if [ "$(id -u)" = 0 ] && [ -d "$STATE" ] && ! runuser -u postgres -- test -x "$STATE" 2>/dev/null; then
    echo "$(getent passwd postgres | cut -d: -f6)/vc-infra-$(printf '%s' "$STATE" | sha256sum | cut -c1-16)"
  else
    echo "$STATE/pg"
  fi
}

pg_ready() { "$(pg_bin)/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" >/dev/null 2>&1; }

pg_up() {
  local bin; bin="$(pg_bin)"
  mkdir -p "$STATE"
  PG_DATA="$(pg_data_dir)"
  [ -n "${VC_PG_DATA:-}" ] || echo "$PG_DATA" >"$STATE/pg-data"
  if pg_ready; then
    log "PostgreSQL already answering on 127.0.0.1:$PG_PORT"
    create_databases
    return
  fi
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    log "initialising PostgreSQL cluster in $PG_DATA"
    mkdir -p "$PG_DATA"
    if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$PG_DATA" && chmod 700 "$PG_DATA"; fi
    run_pg "$bin/initdb" -D "$PG_DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    cat >>"$PG_DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_DATA'
max_connections = 300
shared_buffers = 512MB
fsync = on
synchronous_commit = on
max_locks_per_transaction = 256
CONF
  fi
  if run_pg "$bin/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
    # running, yet not answering on $PG_PORT: started earlier on another port (an older default)
    log "PostgreSQL of $PG_DATA is running but not on 127.0.0.1:$PG_PORT; stop it with '$0 down', then '$0 up'"
    exit 1
  fi
  # the port given at start wins over the one written at initdb, so PGPORT always holds
  run_pg "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/server.log" -o "-p $PG_PORT" -w -t 60 start >/dev/null
  log "PostgreSQL started on 127.0.0.1:$PG_PORT (data in $PG_DATA)"
  create_databases
}

create_databases() {
  # A settlement run rewrites millions of claim rows in one transaction: room for its WAL between
  # checkpoints and compressed full-page images (docs/performance.md). Reloaded, no restart.
  psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -q postgres <<'SQL' >/dev/null
ALTER SYSTEM SET max_wal_size = '4GB';
ALTER SYSTEM SET checkpoint_timeout = '15min';
ALTER SYSTEM SET wal_compression = 'lz4';
SELECT pg_reload_conf();
SQL
  for db in voucher voucher_test; do
    if ! psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -Atc "select 1 from pg_database where datname='$db'" postgres | grep -q 1; then
      psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "create database $db" postgres
      log "created database $db"
    fi
  done
}

nats_running() { curl -sf "http://127.0.0.1:$NATS_HTTP_PORT/healthz" >/dev/null 2>&1; }

# Keys and passwords made on this machine on first run (kept afterwards), marked DEVELOPMENT.
secrets_up() {
  command -v openssl >/dev/null 2>&1 || { as_root apt-get update -qq; as_root apt-get install -y -qq --no-install-recommends openssl >/dev/null; }
  (cd "$ROOT" && node -r @swc-node/register scripts/secrets.ts init "$SECRETS" --development >/dev/null)
  log "secrets in $SECRETS (development keys and passwords, made on this machine)"
}

# nats-server locked down as everywhere: the system's accounts and permissions (deploy/nats/accounts.conf,
# generated from libs/contracts), no anonymous user, passwords from the secrets; monitoring on loopback.
nats_conf() {
  cp "$ROOT/deploy/nats/accounts.conf" "$NATS_DIR/accounts.conf"
  cat >"$NATS_DIR/nats.conf" <<CONF
server_name: voucher-local
listen: 127.0.0.1:$NATS_PORT
http: 127.0.0.1:$NATS_HTTP_PORT
jetstream { store_dir: "$NATS_DIR/js" }
include ./accounts.conf
CONF
}

nats_up() {
  mkdir -p "$NATS_DIR"
  nats_conf
  local digest; digest="$(cat "$NATS_DIR/nats.conf" "$NATS_DIR/accounts.conf" | sha256sum | cut -c1-16)"
  if nats_running; then
    if [ -f "$NATS_DIR/nats.pid" ] && [ "$(cat "$NATS_DIR/config.digest" 2>/dev/null)" != "$digest" ]; then
      log "nats-server runs with another configuration; restarting it"
      kill "$(cat "$NATS_DIR/nats.pid")" 2>/dev/null || true
      for _ in $(seq 1 50); do nats_running || break; sleep 0.2; done
    else
      log "nats-server already running on 127.0.0.1:$NATS_PORT"; return
    fi
  fi
  for f in "$SECRETS"/nats/*.password; do
    local user; user="$(basename "$f" .password)"
    export "NATS_$(echo "$user" | tr 'a-z-' 'A-Z_')_PASSWORD=$(cat "$f")"
  done
  echo "$digest" >"$NATS_DIR/config.digest"
  nohup nats-server -c "$NATS_DIR/nats.conf" -l "$NATS_DIR/nats.log" -P "$NATS_DIR/nats.pid" >/dev/null 2>&1 &
  for _ in $(seq 1 50); do nats_running && break; sleep 0.2; done
  nats_running || { log "nats-server did not become healthy; see $NATS_DIR/nats.log"; exit 1; }
  log "nats-server (JetStream) started on 127.0.0.1:$NATS_PORT"
}

down() {
  local bin; bin="$(pg_bin)"
  PG_DATA="$(pg_data_dir)"
  if [ -f "$NATS_DIR/nats.pid" ]; then kill "$(cat "$NATS_DIR/nats.pid")" 2>/dev/null || true; rm -f "$NATS_DIR/nats.pid"; log "nats-server stopped"; fi
  if [ -n "$bin" ] && [ -f "$PG_DATA/PG_VERSION" ]; then run_pg "$bin/pg_ctl" -D "$PG_DATA" -m fast stop >/dev/null 2>&1 && log "PostgreSQL stopped" || true; fi
}

case "${1:-up}" in
  up) command -v curl >/dev/null || { as_root apt-get update -qq; as_root apt-get install -y -qq curl >/dev/null; }
      install_missing; secrets_up; pg_up; nats_up ;;
  down) down ;;
  status) PG_DATA="$(pg_data_dir)"; nats_running && echo "nats: up" || echo "nats: down"; run_pg "$(pg_bin)/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1 && echo "pg: up (data in $PG_DATA)" || echo "pg: down (data in $PG_DATA)" ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
