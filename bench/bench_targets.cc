#include "bench_targets.h"

#include <sys/stat.h>

#include <cstdlib>
#include <map>
#include <mutex>

#include "handoff/embedded_ruby.h"
#include "handoff/run.h"
#include "handoff/scenario.h"
#include "ruby_main_thread.h"

namespace handoff::bench {
namespace {

constexpr char kHandlerSource[] = R"RUBY(
proc do |payload|
  if payload.getbyte(0) == 87 # "W": real Ruby work
    table = {}
    32.times { |i| table["key #{i}"] = i * payload.bytesize }
    table.sum { |_key, value| value }.to_s
  else
    payload
  end
end
)RUBY";

VALUE g_handler = Qnil;

void NoSyncPoint(const char*) {}

struct Started {
  const handoff_target* target = nullptr;
  std::string error;
};

std::mutex g_started_mutex;
std::map<std::string, Started> g_started;  // guarded by g_started_mutex

// A few thousand calls from this (foreign) thread before the first timed
// one: workers started, code and caches warm, the VM's first-call paths
// taken. Google Benchmark 1.7 has no warm-up of its own.
void WarmUp(const handoff_target* target) {
  for (int i = 0; i < 2000; ++i) {
    handoff_target_reply reply{HANDOFF_TARGET_INVALID, nullptr, 0};
    target->invoke("warm-up!", 8, 0, &reply);
    std::free(reply.data);
  }
}

}  // namespace

void DefineBenchHandler() {
  std::string error;
  if (!EvalRuby(kHandlerSource, &error, &g_handler)) {
    rb_fatal("handoff-bench: the benchmark handler does not load: %s", error.c_str());
  }
  rb_gc_register_address(&g_handler);
}

VALUE BenchHandler() { return g_handler; }

bool TargetLibraryExists(const std::string& name) {
  struct stat info;
  return stat(BuiltinTargetPath(name).c_str(), &info) == 0;
}

bool BasicScenarioRuns(const std::string& name, std::string* why) {
  LoadedTarget loaded;
  if (!LoadTargetLibrary(BuiltinTargetPath(name), &loaded, why)) return false;
  RunOptions run;
  std::string error;
  if (!ParseScenario("threads=2 calls=200 mix=return:1", &run.scenario, &error)) {
    *why = "the probe scenario does not parse: " + error;
    return false;
  }
  run.seed = 1;
  run.hang_seconds = 5;
  run.progress = false;
  run.gvl_check = false;  // as the benchmarks call it: no interposition
  SupervisedRun probe = SuperviseRun(loaded.target, run, false);
  if (probe.result.failed() && (probe.result.kind() == FailureKind::kCrash ||
                                probe.result.kind() == FailureKind::kDeadlock)) {
    std::string detail = probe.result.detail().substr(0, probe.result.detail().find('\n'));
    *why = "its basic scenario (threads=2 calls=200 mix=return:1) is a " + probe.result.Verdict() +
           " in the harness: " + detail;
    return false;
  }
  return true;
}

const handoff_target* StartedTarget(const std::string& name, std::string* error) {
  std::lock_guard<std::mutex> lock(g_started_mutex);
  auto found = g_started.find(name);
  if (found == g_started.end()) {
    Started started;
    LoadedTarget loaded;
    if (!LoadTargetLibrary(BuiltinTargetPath(name), &loaded, &started.error)) {
      started.target = nullptr;
    } else {
      RunOnRubyMain([&] {
        static const handoff_target_host host = {HANDOFF_TARGET_ABI_VERSION, 0, NoSyncPoint};
        char message[512] = "";
        if (loaded.target->start(&host, static_cast<uintptr_t>(g_handler), message,
                                 sizeof message) == 0) {
          started.target = loaded.target;
        } else {
          started.error = "target " + name + " did not start: " + message;
        }
      });
    }
    if (started.target != nullptr) WarmUp(started.target);
    found = g_started.emplace(name, started).first;
  }
  *error = found->second.error;
  return found->second.target;
}

void StopStartedTargets() {
  std::lock_guard<std::mutex> lock(g_started_mutex);
  for (auto& [name, started] : g_started) {
    if (started.target != nullptr) started.target->stop();
  }
}

}  // namespace handoff::bench
