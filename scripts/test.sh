#!/usr/bin/env bash
# The project's test command: installs dependencies, builds, runs every test (unit and
# integration; integration tests need root), then builds again with ASan+UBSan and runs
# the unit tests there. Exits non-zero when any of them failed.
set -euo pipefail
cd "$(dirname "$0")/.."
exec </dev/null

scripts/setup.sh

# Unity sources for the library and CLI: a clean build in a fraction of the time.
cmake -S . -B build -G Ninja -DHAKO_UNITY_BUILD=ON
cmake --build build
status=0
ctest --test-dir build --output-on-failure || status=$?

cmake -S . -B build-asan -G Ninja -DHAKO_SANITIZE=ON -DHAKO_UNITY_BUILD=ON
cmake --build build-asan --target hako_unit_tests
asan_status=0
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
    ctest --test-dir build-asan -L unit --output-on-failure || asan_status=$?

# A short fuzz run of the config parser; docs/SECURITY.md ("Fuzzing") has the longer one.
fuzz_status=0
scripts/fuzz.sh 30 || fuzz_status=$?

echo "test.sh: ctest exit $status, sanitizer unit tests exit $asan_status, fuzz exit $fuzz_status"
if [ "$status" -ne 0 ]; then
    exit "$status"
fi
if [ "$asan_status" -ne 0 ]; then
    exit "$asan_status"
fi
exit "$fuzz_status"
