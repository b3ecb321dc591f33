// Registers BM_<Target>_* (target_benchmarks.cc) for each named built-in target.
#pragma once

#include <string>
#include <vector>

namespace handoff::bench {

void RegisterTargetBenchmarks(const std::vector<std::string>& names);

}  // namespace handoff::bench
