#!/usr/bin/env bash
# run_fuzz.sh [SECONDS] [TARGET...] - build the libFuzzer targets of tests/fuzz
# (clang, ASan+UBSan; -DMMFIX_FUZZ=ON) and run each for SECONDS (default 20)
# over a seed corpus collected at run time (collect_seeds.py) into a scratch
# directory, two targets at a time. Exit status 1 when a target found a crash,
# a leak or a broken invariant: its input is kept in BUILD/crashes/<target>/;
# once the bug is fixed it becomes a regression input
# (tests/fuzz/regressions/<target>/, replayed by ctest in every build).
# Environment: MMFIX_FUZZ_BUILD (default build-fuzz), MMFIX_CORPUS,
# MMFIX_FUZZ_JOBS (targets run at once; default: the number of CPUs, at most 2)
# and MMFIX_FUZZ_MMFIX (an mmfix binary that makes the typed JSON seeds; default:
# the one built with the targets).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-20}
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(marshal pickleplay tjson qfiles pickle site roundtrip)
build=${MMFIX_FUZZ_BUILD:-$top/build-fuzz}
ncpu=$(nproc 2>/dev/null || echo 2)
jobs=${MMFIX_FUZZ_JOBS:-$(( ncpu < 2 ? ncpu : 2 ))}

declare -A maxlen=([marshal]=65536 [pickleplay]=65536 [tjson]=16384 [qfiles]=16384
                   [pickle]=4096 [site]=8192 [roundtrip]=8192)

cmake -S "$top" -B "$build" -DMMFIX_FUZZ=ON -DBUILD_TESTING=OFF -DCMAKE_C_COMPILER=clang \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMMFIX_WERROR=ON >/dev/null
seedbin=${MMFIX_FUZZ_MMFIX:-}
extra=()
[ -n "$seedbin" ] || { extra=(mmfix); seedbin=$build/mmfix; }
cmake --build "$build" -j"$ncpu" --target "${extra[@]}" $(printf 'fuzz_%s ' "${targets[@]}") \
    >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export MMFIX_PYTHON_DIR="$build/python"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export LSAN_OPTIONS="suppressions=$top/tests/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

# one - collect the seeds of target $1 and fuzz it; its log in $work/$1.log
one() {
    local t=$1
    mkdir -p "$work/corpus/$t" "$work/crash/$t"
    python3 "$top/tests/fuzz/collect_seeds.py" "$t" "$work/corpus/$t" --mmfix "$seedbin" \
        > "$work/$t.log"
    if "$build/tests/fuzz/fuzz_$t" -max_total_time="$secs" -max_len="${maxlen[$t]}" \
           -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
           -artifact_prefix="$work/crash/$t/" "$work/corpus/$t" >> "$work/$t.log" 2>&1; then
        echo "fuzz_$t: $(grep -o 'stat::number_of_executed_units: [0-9]*' "$work/$t.log" \
                          | grep -o '[0-9]*$') runs in ${secs}s, clean"
        return 0
    fi
    echo "fuzz_$t: FAILED"
    tail -n 40 "$work/$t.log"
    mkdir -p "$build/crashes/$t"
    cp "$work/crash/$t/"* "$build/crashes/$t/" 2>/dev/null || true
    echo "fuzz_$t: inputs kept in $build/crashes/$t/ (fix, then add to tests/fuzz/regressions/$t/)"
    return 1
}

status=0
pids=()
for t in "${targets[@]}"; do
    one "$t" > "$work/$t.out" 2>&1 &
    pids+=("$!:$t")
    if [ ${#pids[@]} -ge "$jobs" ]; then
        entry=${pids[0]}
        pids=("${pids[@]:1}")
        wait "${entry%%:*}" || status=1
        cat "$work/${entry#*:}.out"
    fi
done
for entry in "${pids[@]}"; do
    wait "${entry%%:*}" || status=1
    cat "$work/${entry#*:}.out"
done
exit $status
