#!/usr/bin/env bash
# Build mmfix and run the main job over the bundled example installation
# (fixtures/demo: a Mailman 2.0 site copied onto a 2.1 host). Read-only.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/build"
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
set +e
"$build/mmfix" scan -d "$top/fixtures/demo" --install-dir "$top/fixtures/demo"
rc=$?
# what the 2.0 -> 2.1 upgrade would do, changing nothing (a dry run)
"$build/mmfix" update -n -d "$top/fixtures/demo" --install-dir "$top/fixtures/demo"
rc2=$?
set -e
# scan exits 1 when it found problems and the dry run when there is work to
# do, which the demo installation has on purpose
[ $rc -le 1 ] && [ $rc2 -le 1 ]
