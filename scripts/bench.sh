#!/usr/bin/env bash
# npm run bench [-- --settlement-10m]: the benchmark harness (see docs/performance.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/infra.sh up >/dev/null
npm run -s build
exec node -r @swc-node/register scripts/bench/bench.ts "$@"
