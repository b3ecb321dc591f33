// handoff-bench: Google Benchmark suites for the bridges and their
// baselines, in one process that embeds Ruby. Google Benchmark runs on a
// foreign thread (ruby_main_thread.h); the targets are the harness's
// built-in ones (targets/ next to this executable). Every Google Benchmark
// flag works (--benchmark_filter, --benchmark_repetitions,
// --benchmark_out=FILE --benchmark_out_format=json, ...); ci/bench runs the
// whole suite and writes the report. HANDOFF_BENCH_TARGETS=a,b picks other
// built-in targets than the default ones, those added with BENCHMARK in
// CMake (bridge,ffi,lmfao; a mutant, to see a check fail); a
// target whose basic scenario crashes or hangs in the harness (fiddle) is
// skipped with a line saying why.
#include <benchmark/benchmark.h>
#include <ruby.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench_targets.h"
#include "handoff/embedded_ruby.h"
#include "handoff/run.h"
#include "ruby_main_thread.h"
#include "target_benchmarks.h"

namespace {

std::vector<std::string> BenchTargetNames() {
  const char* list = std::getenv("HANDOFF_BENCH_TARGETS");
  std::string text = list != nullptr && *list != '\0' ? list : HANDOFF_BENCH_DEFAULT_TARGETS;
  std::vector<std::string> names;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) names.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return names;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace handoff::bench;
  RUBY_INIT_STACK;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  // What the report judges against what (bench/report.rb reads these).
  benchmark::AddCustomContext("handoff_goal_target", HANDOFF_BENCH_GOAL_TARGET);
  benchmark::AddCustomContext("handoff_reference_target", HANDOFF_BENCH_REFERENCE_TARGET);
  // Which targets can run at all, probed in supervised children before Ruby
  // starts here (fork is safe only while this process has no other thread).
  std::vector<std::string> targets;
  for (const std::string& name : BenchTargetNames()) {
    std::string why;
    if (!TargetLibraryExists(name)) {
      std::fprintf(stderr, "handoff-bench: target %s not built (no library in %s); skipped\n",
                   name.c_str(), handoff::BuiltinTargetDir().c_str());
    } else if (!BasicScenarioRuns(name, &why)) {
      std::fprintf(stderr, "handoff-bench: target %s skipped: %s\n", name.c_str(), why.c_str());
    } else {
      targets.push_back(name);
    }
  }
  handoff::StartEmbeddedRuby();
  DefineBenchHandler();
  RegisterTargetBenchmarks(targets);
  int status = ServeRubyJobsUntil([] {
    size_t ran = benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return ran > 0 ? 0 : 1;
  });
  StopStartedTargets();
  std::fflush(nullptr);
  _exit(status);  // no ruby_cleanup: a target's threads may still be parked in Ruby
}
