// Runs one program of schedule_fixture.c under the controlled schedule and
// prints what happened and the schedule, for controlled_schedule_test.cc:
//
//   controlled_schedule_probe FIXTURE.so PROGRAM STRATEGY SEED [all]
//
// Prints "result N" (what the program computed) or "deadlock" and the
// scheduler's report, then the schedule's last 12 decisions (all of them
// with `all`). Exits 0, or 3 after a deadlock, 2 on bad arguments.
#include <dlfcn.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "host/elf_imports.h"
#include "host/target_objects.h"
#include "perturb/controlled_scheduler.h"
#include "perturb/sync_interposer.h"

// A deadlock ends the probe with its threads still there: not a leak; and
// the probe runs hundreds of times: no second of sleep at exit.
extern "C" const char* __tsan_default_options() { return "report_thread_leaks=0:atexit_sleep_ms=0"; }

int main(int argc, char** argv) {
  using namespace handoff;
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s FIXTURE.so PROGRAM STRATEGY SEED [all]\n", argv[0]);
    return 2;
  }
  void* fixture = dlopen(argv[1], RTLD_NOW);
  auto run = fixture ? reinterpret_cast<int (*)(const char*)>(dlsym(fixture, "schedule_fixture_run")) : nullptr;
  std::unique_ptr<ScheduleStrategy> strategy = MakeScheduleStrategy(argv[3]);
  if (run == nullptr || strategy == nullptr) {
    std::fprintf(stderr, "cannot load %s, or no strategy %s\n", argv[1], argv[3]);
    return 2;
  }
  ElfW(Addr) base = ObjectBaseOf(reinterpret_cast<void*>(run));
  for (const LoadedObject& object : LoadedObjects()) {
    std::string error;
    if (object.base == base && InterposeSyncOps(object, &error) <= 0) {
      std::fprintf(stderr, "interposing: %s\n", error.c_str());
      return 2;
    }
  }
  static int lines = argc > 5 && std::string(argv[5]) == "all" ? -1 : 12;
  ControlledScheduleOptions options;
  options.seed = std::strtoull(argv[4], nullptr, 10);
  options.strategy = strategy.release();
  options.expected_steps = 60;
  static const std::atomic<int> always_one_in_flight{1};
  options.calls_in_flight = &always_one_in_flight;
  options.on_deadlock = [](const std::string& report) {
    std::printf("deadlock\n%s%s", report.c_str(), ScheduleText(lines).c_str());
    std::fflush(stdout);
    _exit(3);
  };
  BeginControlledSchedule(options);
  int result = run(argv[2]);
  EndControlledSchedule();
  std::printf("result %d\n%s", result, ScheduleText(lines).c_str());
  return 0;
}
