#!/usr/bin/env bash
# README command (a): local PostgreSQL + NATS, all services, and a demo played through the gateway.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/infra.sh up
echo "[demo] building"
npm run -s build
bash scripts/system.sh up
node -r ./scripts/register-paths.js dist/scripts/demo/demo.js
cat <<TXT

The system keeps running:
  HTTP gateway   http://127.0.0.1:3000        (OpenAPI: http://127.0.0.1:3000/docs)
  gRPC           127.0.0.1:50051              (provider systems; see examples/provider-client)
  NATS           nats://127.0.0.1:42222       (request-reply subjects in libs/contracts/src/subjects.ts)
  logs           .infra/run/*.log
Stop it with: npm run down && npm run infra:down
TXT
