#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang and runs the config parser fuzzer for a
# bounded time. Usage: scripts/fuzz.sh [SECONDS] (default 30); docs/SECURITY.md, "Fuzzing",
# describes longer runs.
#
# Exit status: 0 when the run found nothing, or when clang's fuzzer runtime is missing (then
# it says SKIPPED); non-zero when the fuzzer found a crash, a leak, a timeout or undefined
# behaviour: the reproducer is in $build/fuzz-artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
build=${HAKO_FUZZ_BUILD:-build-fuzz}

probe='extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }'
if ! command -v clang++ >/dev/null ||
    ! echo "$probe" | clang++ -x c++ -fsanitize=fuzzer,address,undefined -o /dev/null - 2>/dev/null; then
    echo "fuzz.sh: SKIPPED: clang++ with the libFuzzer runtime is unavailable" \
        "(apt-get install clang libclang-rt-14-dev)"
    exit 0
fi

cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DHAKO_FUZZ=ON -DHAKO_UNITY_BUILD=ON >/dev/null
cmake --build "$build" --target config_parser_fuzz
# New inputs go to a scratch corpus in the build tree; fuzz/corpus (the seeds) stays as is.
corpus="$build/fuzz-corpus"
artifacts="$build/fuzz-artifacts/"
mkdir -p "$corpus" "$artifacts"
echo "fuzz.sh: config_parser_fuzz for ${seconds}s"
"$build/fuzz/config_parser_fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -dict=fuzz/config_parser.dict -artifact_prefix="$artifacts" \
    -print_final_stats=1 "$corpus" fuzz/corpus
