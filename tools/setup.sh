#!/usr/bin/env bash
# Install what mmfix needs to build and test on Debian 12, if missing.
# Idempotent: runs apt-get only when a package is absent.
set -euo pipefail
# valgrind: tools/test.sh runs CLI tests under memcheck
pkgs=(cmake make gcc pkg-config python3 python3-dev libsqlite3-dev libjansson-dev
      libcmocka-dev postfix valgrind)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    # postfix: the tests run the real postalias/postmap/postconf. Preseeded so
    # that installing it asks nothing and writes no main.cf.
    echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
