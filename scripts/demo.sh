#!/usr/bin/env bash
# README command (a): local PostgreSQL + NATS, all services, and a quarter played through the system.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/infra.sh up
echo "[demo] building"
npm run -s build
export DATABASE_URL="${DEMO_DATABASE_URL:-postgres://postgres@127.0.0.1:15432/voucher_demo}"
export CLOCK_MODE=simulated SIMULATED_NOW="2026-07-06T09:00:00+08:00"
# development on this machine, with the keys and passwords scripts/infra.sh made (.infra/secrets):
# NATS locked down as everywhere, events signed, tokens from the development identity provider
export NODE_ENV=development SECRETS_DIR="${SECRETS_DIR:-$ROOT/.infra/secrets}"
bash scripts/system.sh down >/dev/null
node -r ./scripts/register-paths.js dist/scripts/demo/reset.js
bash scripts/system.sh up
node -r ./scripts/register-paths.js dist/scripts/demo/demo.js
echo
node -r ./scripts/register-paths.js dist/scripts/ledger/ledger-check.js --strict
cat <<TXT

The system keeps running (demo database voucher_demo, simulated business clock):
  Operator console  http://127.0.0.1:3000/            (development sign-in)
  Publicity (公示)   http://127.0.0.1:3000/publicity.html
  OpenAPI           http://127.0.0.1:3000/docs
  gRPC              127.0.0.1:50051, mutual TLS       (provider systems; see examples/provider-client; a provider's
                                                      client certificate: npm run secrets -- provider-cert .infra/secrets <unit id>)
  NATS              nats://127.0.0.1:14222            (locked down: each party its own user, passwords in .infra/secrets/nats;
                                                      subjects in libs/contracts/src/subjects.ts)
  secrets           .infra/secrets                    (development keys and passwords made on this machine)
  logs              .infra/run/*.log
  ledger check      npm run ledger:check              (checks voucher_demo, the database the system runs on)
Stop it with: npm run down && npm run infra:down
TXT
