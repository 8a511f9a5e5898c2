#!/usr/bin/env bash
# Install what mmfix needs to build and test on Debian 12, if missing.
# Idempotent: runs apt-get only when a package is absent.
set -euo pipefail
# clang + libclang-rt-14-dev: the libFuzzer targets (tests/fuzz, run by tools/test.sh);
# mailman3: the real Mailman 3 export-mm3 is tested against;
# strace: test_io_faults checks that its LD_PRELOAD shim sees every call that changes the tree;
# valgrind: tools/test.sh runs CLI tests under memcheck
pkgs=(cmake make gcc pkg-config python3 python3-dev libsqlite3-dev libjansson-dev libssl-dev
      libcmocka-dev postfix clang libclang-rt-14-dev mailman3
      strace valgrind)
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
    # mailman3: test_export_mm3 imports into throwaway Mailman 3 instances (its
    # own configuration, SQLite, no daemon; the packaged service need not run).
    echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
