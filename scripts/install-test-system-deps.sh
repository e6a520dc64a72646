#!/usr/bin/env bash
# System packages the browser tests need: Debian's chromium and a CJK font (without one every
# Chinese character renders as a box).  Installs them when missing and we are root; otherwise
# says what to install.  The browser tests skip locally without chromium, and fail in CI.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy" || missing+=(fonts-wqy-microhei)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing ${missing[*]} (Debian packages) for the browser tests..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "Browser tests need: ${missing[*]} (e.g. sudo apt-get install ${missing[*]}); they will be skipped." >&2
fi
