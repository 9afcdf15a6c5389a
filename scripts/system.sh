#!/usr/bin/env bash
# Starts (or stops) the five services as background processes on the local infrastructure.
# Usage: scripts/system.sh up|down|status. Logs and pids in .infra/run/.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
RUN="$ROOT/.infra/run"
# Development on this machine, said explicitly (without it a service runs as production and refuses
# the development keys); the secrets scripts/infra.sh made; the gateway's development sign-in for
# the console; the provider gRPC interface with mutual TLS (the development CA of the secrets).
export NODE_ENV="${NODE_ENV:-development}"
export SECRETS_DIR="${SECRETS_DIR:-$ROOT/.infra/secrets}"
[ -d "$SECRETS_DIR/service-keys" ] || { echo "[system] no secrets in $SECRETS_DIR: run npm run infra:up first"; exit 1; }
SERVICES=(registry issuance redemption settlement gateway)
declare -A HTTP_PORTS=([gateway]=3000 [registry]=3101 [issuance]=3102 [redemption]=3103 [settlement]=3104)
mkdir -p "$RUN"
cd "$ROOT"

up() {
  [ -f dist/apps/gateway/src/main.js ] || npm run -s build
  # The database the local system runs on, for the tools run beside it (npm run ledger:check): the
  # demo's is voucher_demo, not the services' default.
  printf '%s\n' "${DATABASE_URL:-}" >"$RUN/database-url"
  for svc in "${SERVICES[@]}"; do
    if [ -f "$RUN/$svc.pid" ] && kill -0 "$(cat "$RUN/$svc.pid")" 2>/dev/null; then
      echo "[system] $svc already running (pid $(cat "$RUN/$svc.pid"))"; continue
    fi
    [ -f "dist/apps/$svc/src/main.js" ] || { echo "[system] $svc is not built; skipping"; continue; }
    DEV_SIGN_IN="$([ "$svc" = gateway ] && echo "${DEV_SIGN_IN:-true}" || echo false)" GRPC_TLS_DIR="${GRPC_TLS_DIR:-$SECRETS_DIR/grpc}" \
    HTTP_PORT="${HTTP_PORTS[$svc]}" GRPC_PORT="${GRPC_PORT:-50051}" nohup node -r ./scripts/register-paths.js "dist/apps/$svc/src/main.js" \
      >"$RUN/$svc.log" 2>&1 &
    echo $! >"$RUN/$svc.pid"
    echo "[system] started $svc (pid $!, log .infra/run/$svc.log)"
  done
  for svc in "${SERVICES[@]}"; do
    [ -f "$RUN/$svc.pid" ] || continue
    local port="${HTTP_PORTS[$svc]}" ok=""
    for _ in $(seq 1 120); do
      if curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 || curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1; then ok=1; break; fi
      kill -0 "$(cat "$RUN/$svc.pid")" 2>/dev/null || break
      sleep 0.25
    done
    if [ -z "$ok" ]; then echo "[system] $svc did not become ready; last log lines:"; tail -n 30 "$RUN/$svc.log"; exit 1; fi
    echo "[system] $svc ready on :$port"
  done
}

down() {
  # SIGTERM to every service (each drains NATS and closes its pool), then wait for them to exit, so
  # that the infrastructure can be stopped right after; one still running after 30 s is killed.
  local pids=() names=()
  for svc in "${SERVICES[@]}"; do
    if [ -f "$RUN/$svc.pid" ]; then
      local pid; pid="$(cat "$RUN/$svc.pid")"
      if kill "$pid" 2>/dev/null; then pids+=("$pid"); names+=("$svc"); fi
      rm -f "$RUN/$svc.pid"
    fi
  done
  for i in "${!pids[@]}"; do
    for _ in $(seq 1 120); do kill -0 "${pids[$i]}" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "${pids[$i]}" 2>/dev/null; then
      kill -9 "${pids[$i]}" 2>/dev/null || true
      echo "[system] ${names[$i]} did not stop within 30 s; killed"
    else
      echo "[system] stopped ${names[$i]}"
    fi
  done
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  status) for svc in "${SERVICES[@]}"; do
      if [ -f "$RUN/$svc.pid" ] && kill -0 "$(cat "$RUN/$svc.pid")" 2>/dev/null; then echo "$svc: up"; else echo "$svc: down"; fi
    done ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
