#!/usr/bin/env bash
# Build mmfix twice (plain, and with ASan+UBSan), warnings as errors, and
# run the whole test suite in both. Exit status: non-zero if any test fails.
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
