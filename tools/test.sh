#!/usr/bin/env bash
# Build mmfix twice (plain, and with ASan+UBSan), warnings as errors, and
# run the whole test suite in both; then build the libFuzzer targets (clang)
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
fuzz_secs=${MMFIX_FUZZ_SECONDS:-20}
if [ "$fuzz_secs" != 0 ]; then
    echo "=== fuzz targets, ${fuzz_secs} s each ==="
    MMFIX_FUZZ_BUILD="$top/build-ci-fuzz" MMFIX_FUZZ_MMFIX="$top/build-ci-plain/mmfix" \
        "$top/tests/fuzz/run_fuzz.sh" "$fuzz_secs"
fi
