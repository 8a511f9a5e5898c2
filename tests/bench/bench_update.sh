#!/usr/bin/env bash
# bench_update.sh - time `mmfix update` of a Mailman 2.0 installation (or, with
# BENCH_COMMAND=migrate, `mmfix migrate` of a 2.1 one to a new web host, every
# config.pck rewritten and the aliases regenerated and checked with Postfix's
# postalias) against a Python 3 loop that loads every list file and dumps it
# again.
#
# Usage: tests/bench/bench_update.sh BUILD_DIR [OUT]
#
#   BUILD_DIR  the cmake build directory holding the mmfix executable
#   OUT        the synthetic installation (gen_install.py, --format 20 for
#              update); generated there when missing (default: a temporary
#              directory)
#
# Environment: BENCH_COMMAND (update | migrate), BENCH_LISTS (2000),
#              BENCH_MEMBERS (1000000), BENCH_RUNS (3), PYTHON.
#
# Each run works on a fresh copy of OUT (the copies are made first, not timed):
#   (a) tests/bench/pyredump_all.py COPY  (marshal.load + pickle.dump(d, f, 1)
#       of every lists/*/config.db, nothing upgraded)
#   (b) BUILD_DIR/mmfix update -d COPY --install-dir COPY > /dev/null
#       (every list upgraded to 2.1.39 and saved, journaled)
# prints the best of BENCH_RUNS of each and the ratio b/a.

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -x /usr/bin/python3 ]; then py=${PYTHON:-/usr/bin/python3}; else py=${PYTHON:-python3}; fi
lists=${BENCH_LISTS:-2000}
members=${BENCH_MEMBERS:-1000000}
runs=${BENCH_RUNS:-3}
command=${BENCH_COMMAND:-update}
case "$command" in
    update) format=20 ;;
    migrate) format=21 ;;
    *) echo "$0: BENCH_COMMAND is update or migrate" >&2; exit 2 ;;
esac

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 BUILD_DIR [OUT]" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
mmfix="$build/mmfix"
[ -x "$mmfix" ] || { echo "$0: $mmfix: not found" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mmfix-bench-update.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
out=${2:-$tmp/install}
if [ ! -d "$out/lists" ]; then
    "$py" "$here/gen_install.py" --format "$format" --lists "$lists" --members "$members" \
        "$out" >&2
fi

now() { date +%s.%N; }
best() { printf '%s\n' "$@" | sort -g | head -1; }

# Every copy is made before anything is timed, and none is removed until the
# end: a file system that has just deleted a tree of the same size spends
# most of the next file creations skipping the recently freed inodes (ext4's
# recently_deleted), which no real installation pays on migration night.
for i in $(seq "$runs"); do
    cp -a "$out" "$tmp/py$i"; cp -a "$out" "$tmp/mm$i"
done
sync
ta=(); tb=()
for i in $(seq "$runs"); do
    t0=$(now); "$py" "$here/pyredump_all.py" "$tmp/py$i" 2>/dev/null; t1=$(now)
    ta+=("$(echo "$t1 - $t0" | bc -l)")
    t0=$(now)
    rc=0
    if [ "$command" = update ]; then
        "$mmfix" update -q -d "$tmp/mm$i" --install-dir "$tmp/mm$i" > /dev/null || rc=$?
    else
        mkdir -p "$tmp/postfix"; : > "$tmp/postfix/main.cf"
        "$mmfix" migrate -q -d "$tmp/mm$i" --install-dir "$tmp/mm$i" \
            --url-host listas.example.org --postalias "$(command -v postalias)" \
            --postmap "$(command -v postmap)" --postfix-config "$tmp/postfix" \
            > /dev/null || rc=$?
    fi
    t1=$(now)
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
        echo "$0: mmfix $command exited $rc" >&2
        exit 1
    fi
    tb+=("$(echo "$t1 - $t0" | bc -l)")
done
a=$(best "${ta[@]}"); b=$(best "${tb[@]}")
printf 'python load+dump loop: %.3f s\nmmfix %-15s %.3f s\nratio:                 %.2f\n' \
    "$a" "$command:" "$b" "$(echo "$b / $a" | bc -l)"
