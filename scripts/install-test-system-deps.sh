#!/usr/bin/env bash
# System packages the tests need: Debian's chromium and a CJK font for the browser tests (without
# one every Chinese character renders as a box), wrk for the benchmark's smoke run, and the tools that
# check the deployment files (systemd-analyze, nginx, openssl).  Installs
# them when missing and we are root; otherwise says what to install.  Those tests skip locally
# without them, and fail in CI.
# With --font-only (make run): just the CJK font, which the simulated receipt printer draws with.
set -euo pipefail

missing=()
[ "${1:-}" = "--font-only" ] || command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ "${1:-}" = "--font-only" ] || command -v wrk >/dev/null 2>&1 || missing+=(wrk)  # the benchmark's smoke run
# The deployment files' checks: systemd-analyze verify on the units, nginx -t on the site (with a
# throwaway certificate from openssl).
[ "${1:-}" = "--font-only" ] || command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
[ "${1:-}" = "--font-only" ] || command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
[ "${1:-}" = "--font-only" ] || command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# The backup tests on PostgreSQL: pg_dump and pg_restore.
[ "${1:-}" = "--font-only" ] || command -v pg_dump >/dev/null 2>&1 || missing+=(postgresql-client)
fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy" || missing+=(fonts-wqy-microhei)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing ${missing[*]} (Debian packages)..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "Missing: ${missing[*]} (e.g. sudo apt-get install ${missing[*]}); browser tests will be skipped" \
       "and receipts print Chinese only with chinese=gb18030." >&2
fi
