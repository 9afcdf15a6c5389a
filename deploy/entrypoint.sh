#!/bin/sh
# Starts one service of the image: the first argument if it names one, else $SERVICE.
# Any other command runs as given (e.g. `sh`, or `node dist/scripts/dev-token.js ...`).
set -eu
services="gateway registry issuance redemption settlement"
svc="${1:-${SERVICE:-}}"
for known in $services; do
  if [ "$svc" = "$known" ]; then
    if [ $# -gt 0 ] && [ "$1" = "$svc" ]; then shift; fi
    exec node "/app/dist/apps/$svc/src/main.js" "$@"
  fi
done
if [ $# -gt 0 ]; then exec "$@"; fi
echo "entrypoint: set SERVICE to one of: $services (got '${svc}')" >&2
exit 64
