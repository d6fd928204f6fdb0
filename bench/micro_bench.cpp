// Micro-benchmarks of hako's hot internal paths (Google Benchmark). Not a test: numbers only.
// Run: build/bench/hako_micro_bench
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "spec/spec.hpp"
#include "state/state_store.hpp"

namespace {

void BM_ParseDefaultSpec(benchmark::State& state) {
    const std::string json = hako::spec::default_spec_json(false);
    for (auto _ : state) benchmark::DoNotOptimize(hako::spec::parse_spec(json));
}
BENCHMARK(BM_ParseDefaultSpec);

void BM_StateJsonRoundTrip(benchmark::State& state) {
    hako::state::ContainerState container;
    container.oci_version = "1.2.0";
    container.id = "bench";
    container.pid = 4242;
    container.bundle = "/tmp/bundle";
    container.rootfs = "/tmp/bundle/rootfs";
    container.created = hako::state::rfc3339_now();
    container.cgroup_paths = {{"/sys/fs/cgroup/memory", "/sys/fs/cgroup/memory/bench"},
                              {"/sys/fs/cgroup/unified", "/sys/fs/cgroup/unified/bench"}};
    const std::string text = hako::state::to_json(container);
    for (auto _ : state) benchmark::DoNotOptimize(hako::state::from_json(text));
}
BENCHMARK(BM_StateJsonRoundTrip);

// Loading state.json from a state directory: the work of every `state`, `kill` and `list`.
void BM_StateLoad(benchmark::State& state) {
    char root_template[] = "/tmp/hako-micro-XXXXXX";
    const std::string root = ::mkdtemp(root_template);
    hako::state::StateStore store(root);
    {
        auto dir = store.create("bench");
        hako::state::ContainerState container;
        container.oci_version = "1.2.0";
        container.id = "bench";
        container.created = hako::state::rfc3339_now();
        dir.save(container);
    }
    for (auto _ : state) {
        auto dir = store.open("bench");
        benchmark::DoNotOptimize(dir.load());
    }
    store.open("bench").remove();
    ::rmdir(root.c_str());
}
BENCHMARK(BM_StateLoad);

}  // namespace

BENCHMARK_MAIN();
