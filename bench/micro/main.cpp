// bench_micro: per-stage micro-benchmarks of the packet path (RTP parse, down-track rewrite, SRTP,
// RTCP build), each reporting time and heap allocations per operation. Google Benchmark's flags
// apply; --require_zero_allocs makes the server's own stages fail when they allocate (the ctest).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>

#include "bench/micro/micro_support.h"

int main(int argc, char** argv) {
  // Take our own flag out before Google Benchmark sees the arguments.
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--require_zero_allocs") == 0) {
      sfu::bench::set_require_zero_allocations(true);
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (!sfu::bench::counts_c_allocations()) {
    std::fprintf(stderr, "bench_micro: sanitizer build, allocs_per_op counts operator new only\n");
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (sfu::bench::any_failed()) {
    std::fprintf(stderr, "bench_micro: a benchmark failed (see the errors above)\n");
    return 1;
  }
  return 0;
}
