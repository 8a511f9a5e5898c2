#!/usr/bin/env bash
# bench_scan.sh - time `mmfix scan` against a plain Python 3 unpickling loop.
#
# Usage: tests/bench/bench_scan.sh BUILD_DIR [OUT]
#
#   BUILD_DIR  the cmake build directory holding the mmfix executable
#   OUT        the synthetic installation; generated there when missing
#              (default: a temporary directory, removed afterwards)
#
# Environment: BENCH_LISTS (2000), BENCH_MEMBERS (1000000), BENCH_RUNS (3),
#              BENCH_MAX_RATIO (1.5), PYTHON (/usr/bin/python3, else python3).
#
# Times, best of BENCH_RUNS each (hyperfine when installed, else date +%s.%N):
#   (a) tests/bench/pyload_all.py OUT   (pickle.load(encoding='bytes') with
#       the Mailman classes stubbed, over every lists/*/config.pck)
#   (b) BUILD_DIR/mmfix scan -d OUT --json > /dev/null
# prints both and the ratio b/a; exits 1 when the ratio exceeds
# BENCH_MAX_RATIO, 2 on a usage or setup error.

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The baseline runs on the interpreter build mmfix embeds (Debian's libpython)
# when it is there; PYTHON overrides.
if [ -x /usr/bin/python3 ]; then py=${PYTHON:-/usr/bin/python3}; else py=${PYTHON:-python3}; fi
lists=${BENCH_LISTS:-2000}
members=${BENCH_MEMBERS:-1000000}
runs=${BENCH_RUNS:-3}
max_ratio=${BENCH_MAX_RATIO:-1.5}

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 BUILD_DIR [OUT]" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
mmfix="$build/mmfix"
if [ ! -x "$mmfix" ]; then
    echo "$0: $mmfix: not found or not executable" >&2
    exit 2
fi

tmp=""
cleanup() { if [ -n "$tmp" ]; then rm -rf "$tmp"; fi; }
trap cleanup EXIT
if [ $# -eq 2 ]; then
    out=$2
else
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/mmfix-bench.XXXXXX")
    out="$tmp/install"
fi
if [ ! -d "$out/lists" ]; then
    echo "generating $out ($lists lists, $members members)..." >&2
    "$py" "$here/gen_install.py" --lists "$lists" --members "$members" "$out" >&2
fi

# best_of NAME CMD... : prints the best wall time in seconds
best_of() {
    local name=$1
    shift
    if command -v hyperfine >/dev/null 2>&1; then
        local json
        json=$(mktemp "${TMPDIR:-/tmp}/mmfix-hf.XXXXXX")
        hyperfine --style none --warmup 1 --runs "$runs" -i \
            --export-json "$json" --command-name "$name" \
            "$(printf '%q ' "$@") > /dev/null" >&2
        "$py" -c 'import json,sys; print("%.3f" % min(json.load(open(sys.argv[1]))["results"][0]["times"]))' "$json"
        rm -f "$json"
        return
    fi
    local best="" i t0 t1 t status
    "$@" > /dev/null 2>&1 || true          # warm the page cache
    for ((i = 0; i < runs; i++)); do
        t0=$(date +%s.%N)
        status=0
        "$@" > /dev/null || status=$?
        t1=$(date +%s.%N)
        # scan exits 1 when it finds problems; that is not a failure here
        if [ "$status" -gt 1 ]; then
            echo "$0: $name exited with status $status" >&2
        fi
        t=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
        if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then
            best=$t
        fi
    done
    echo "$best"
}

echo "installation: $out ($(find "$out/lists" -name config.pck | wc -l) lists, $(du -sh "$out/lists" | cut -f1))"
t_py=$(best_of python-loop "$py" "$here/pyload_all.py" "$out")
echo "python pickle.load loop: ${t_py} s (best of $runs)"
t_mm=$(best_of mmfix-scan "$mmfix" scan -d "$out" --json)
echo "mmfix scan --json:       ${t_mm} s (best of $runs)"
ratio=$(awk -v a="$t_mm" -v b="$t_py" 'BEGIN { if (b <= 0) b = 0.001; printf "%.2f", a / b }')
echo "ratio mmfix/python:      ${ratio} (limit ${max_ratio})"
if awk -v r="$ratio" -v m="$max_ratio" 'BEGIN { exit !(r > m) }'; then
    echo "FAIL: mmfix scan is more than ${max_ratio}x slower than the Python loop" >&2
    exit 1
fi
echo "OK"
