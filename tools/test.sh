#!/usr/bin/env bash
# Build mmfix twice (plain, and with ASan+UBSan), warnings as errors, and
# run the whole test suite in both; then run CLI tests with the plain
# build's binary under valgrind; then build the libFuzzer targets (clang)
# and run each for MMFIX_FUZZ_SECONDS (default 20; 0 skips it).
# Exit status: non-zero if any test fails or a fuzz target finds a crash.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc 2>/dev/null || echo 2)
for variant in plain asan; do
    build="$top/build-ci-$variant"
    flags=(-DMMFIX_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo)
    [ "$variant" = asan ] && flags=(-DMMFIX_WERROR=ON -DMMFIX_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug)
    echo "=== $variant build ==="
    cmake -S "$top" -B "$build" "${flags[@]}" >/dev/null
    cmake --build "$build" -j"$jobs"
    echo "=== $variant tests ==="
    ctest --test-dir "$build" --output-on-failure -j"$jobs"
done

# valgrind: memcheck over the plain build, leaks and errors both failing a
# test (tests/valgrind.supp: only CPython's and ld.so's own, each explained).
# corpus_util.py runs every mmfix of the CLI tests under MMFIX_WRAP, gives
# each process its own log and fails the test for any log with something in
# it; --error-exitcode=99 because 1 is mmfix's own "changes pending". Leaks
# counted: "definitely" and "indirectly lost" (no pointer to the block, or
# only from lost ones), not "possibly lost" (only pointers into it): CPython
# points to every container past its GC header, and a forked scan worker
# _exits holding the parent's whole interpreter that way. CPython keeps its
# own allocator (tests/valgrind.supp says why not malloc).
# Under valgrind an mmfix run costs 4-6 s of CPU (most of it CPython's own
# start), and the CLI tests make about 1,100 runs: all of them would take
# about an hour on two cores. These seven (about 100 runs, 10.5 minutes of
# CPU: about 5.5 minutes on two cores) between them run every command, over
# our fixtures and the real corpus data:
#   test_ownership         every writing command (repair, convert, update with
#                          templates, archives and queue, rename, fix-url,
#                          genaliases, migrate) over fixtures and corpus,
#                          history, rollback, a killed run and its recovery
#                          (as root, as CI runs; skipped otherwise)
#   test_fixtures          scan (forked workers), check, show, convert: every
#                          problem SPEC §6 names, 2.0 marshal, hostile
#                          pickles refused
#   test_migrate           migrate with the real postalias, history, rollback
#   test_genaliases        genaliases over every corpus list, hostile list
#                          names, a failing map command
#   test_update_templates  update's template moves and their rollback
#   test_check_postfix     check-postfix over main.cf variants
#   test_terminal          repair -n on a terminal (colours)
# The rest repeat these paths over more data (test_update: 173 runs,
# test_convert_*: 336, test_corpus_mm21, test_hostile, test_repair) or time
# signals, locks and hangs (test_live_safety, test_scanpool_faults,
# test_nonregular's 20 s limit), which valgrind's slowness only blurs.
echo "=== valgrind tests ==="
vg=(valgrind -q --leak-check=full --show-leak-kinds=definite,indirect
    --errors-for-leak-kinds=definite,indirect --error-exitcode=99
    --num-callers=500 --suppressions="$top/tests/valgrind.supp")
MMFIX_WRAP="$(printf '%q ' "${vg[@]}")" ctest --test-dir "$top/build-ci-plain" --output-on-failure -j"$jobs" \
    -R '^cli/test_(ownership|fixtures|migrate|genaliases|update_templates|check_postfix|terminal)$'

fuzz_secs=${MMFIX_FUZZ_SECONDS:-20}
if [ "$fuzz_secs" != 0 ]; then
    echo "=== fuzz targets, ${fuzz_secs} s each ==="
    MMFIX_FUZZ_BUILD="$top/build-ci-fuzz" MMFIX_FUZZ_MMFIX="$top/build-ci-plain/mmfix" \
        "$top/tests/fuzz/run_fuzz.sh" "$fuzz_secs"
fi
