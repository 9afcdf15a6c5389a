#!/usr/bin/env bash
# What the tests need besides PostgreSQL and NATS (scripts/infra.sh), from Debian packages when
# missing: openssl (the gRPC tests make their mTLS certificates with it), chromium (the browser
# tests) and haproxy (the failover test routes the services to whichever PostgreSQL is primary). kubectl is not installed: Debian 12's kubernetes-client (1.20) carries a kustomize too old
# for deploy/k8s, so the manifest tests run where a kubectl with kustomize v4 or later is on the
# PATH and are skipped, saying so, where none is.
set -euo pipefail
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
pkgs=()
command -v openssl >/dev/null 2>&1 || pkgs+=(openssl)
[ -x /usr/bin/chromium ] || pkgs+=(chromium)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || pkgs+=(haproxy)
if [ ${#pkgs[@]} -gt 0 ]; then
  printf '[test-tools] installing %s from Debian packages\n' "${pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
fi
