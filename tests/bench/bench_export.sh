#!/usr/bin/env bash
# bench_export.sh - time `mmfix export-mm3 -a` (the export for Mailman 3's
# import21, without running import21) of a Mailman 2.1 installation against a
# Python 3 loop doing the config.pck part of it (pyexport_all.py).
#
# Usage: tests/bench/bench_export.sh BUILD_DIR [OUT]
#
#   BUILD_DIR  the cmake build directory holding the mmfix executable
#   OUT        the synthetic installation (gen_install.py); generated there
#              when missing (default: a temporary directory)
#
# Environment: BENCH_LISTS (2000), BENCH_MEMBERS (1000000), BENCH_RUNS (3),
#              PYTHON.
#
# The installation is only read; each run writes a fresh export directory:
#   (a) tests/bench/pyexport_all.py OUT EXPORT  (every config.pck unpickled,
#       every str decoded in its list's charset, pickled again)
#   (b) BUILD_DIR/mmfix export-mm3 -q -d OUT --install-dir OUT --out EXPORT -a
#       (the same, plus held messages, requests.json, templates, archives,
#       import.sh and report.json)
# prints the best of BENCH_RUNS of each and the ratio b/a.

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -x /usr/bin/python3 ]; then py=${PYTHON:-/usr/bin/python3}; else py=${PYTHON:-python3}; fi
lists=${BENCH_LISTS:-2000}
members=${BENCH_MEMBERS:-1000000}
runs=${BENCH_RUNS:-3}

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 BUILD_DIR [OUT]" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
mmfix="$build/mmfix"
[ -x "$mmfix" ] || { echo "$0: $mmfix: not found" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mmfix-bench-export.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
out=${2:-$tmp/install}
if [ ! -d "$out/lists" ]; then
    "$py" "$here/gen_install.py" --lists "$lists" --members "$members" "$out" >&2
fi

now() { date +%s.%N; }
best() { printf '%s\n' "$@" | sort -g | head -1; }

ta=(); tb=()
for i in $(seq "$runs"); do
    rm -rf "$tmp/export"; sync
    t0=$(now); "$py" "$here/pyexport_all.py" "$out" "$tmp/export" > /dev/null; t1=$(now)
    ta+=("$(echo "$t1 - $t0" | bc -l)")
    rm -rf "$tmp/export"; sync
    t0=$(now)
    rc=0
    "$mmfix" export-mm3 -q -d "$out" --install-dir "$out" --out "$tmp/export" -a \
        > /dev/null || rc=$?
    t1=$(now)
    if [ "$rc" -ne 0 ]; then
        echo "$0: mmfix export-mm3 exited $rc" >&2
        exit 1
    fi
    tb+=("$(echo "$t1 - $t0" | bc -l)")
done
a=$(best "${ta[@]}"); b=$(best "${tb[@]}")
printf 'python decode+dump loop: %.3f s\nmmfix export-mm3:        %.3f s\nratio:                   %.2f\n' \
    "$a" "$b" "$(echo "$b / $a" | bc -l)"
