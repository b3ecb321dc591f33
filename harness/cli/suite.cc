#include "cli/suite.h"

#include <sstream>

#include "handoff/scenario.h"

namespace handoff {

std::vector<std::string> SplitList(const std::string& list) {
  std::vector<std::string> items;
  std::istringstream in(list);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) items.push_back(item);
  }
  return items;
}

bool IsSuiteSize(const std::string& size) { return size == "quick" || size == "full"; }

namespace {

// Six kills of Ruby callers at 6%, 8%, ... 16% of the calls: early, as a
// Ruby caller that runs blocks itself may be done long before the foreign
// callers; six, as each takes the next Ruby caller in turn and a bug may
// show on one kind of caller only.
std::string CallerKills(uint64_t calls) {
  std::string events;
  for (uint64_t percent = 6; percent <= 16; percent += 2) {
    events += ",caller_kill@" + std::to_string(calls * percent / 100);
  }
  return events;
}

// Every behaviour but escape, at the weights of the default run.
constexpr char kMixAll[] = "mix=return:90,raise:4,slow:2,gc:2,reenter:1,large:1";

std::string Num(uint64_t v) { return std::to_string(v); }

std::string Ratio(double v) {
  std::ostringstream text;
  text << v;
  return text.str();
}

// basic, raise, mixed, lifecycle, paths: what blocks do, and what happens around them.
std::vector<SuiteScenario> BehaviourScenarios(const std::string& base, uint64_t calls) {
  return {
      {"basic", base + "mix=return:1 events=idle@" + Num(calls / 2),
       "every call gets exactly its own reply; an idle bridge uses no CPU", false, 1},
      {"raise", base + "mix=return:8,raise:1,escape:1",
       "a raising block comes back raised, with its exception, of any class; a block left by "
       "throw, break, next or exit comes back as target.h says",
       false, 1},
      {"mixed",
       base + kMixAll + " background=1 events=move@" + Num(calls / 8) + ",move@" +
           Num(calls * 3 / 8) + ",compact@" + Num(calls / 2) + ",move@" + Num(calls * 5 / 8) +
           ",move@" + Num(calls * 7 / 8),
       "every behaviour, GVL contention, GC.compact and the heap moved (move) four times during "
       "the run",
       false, 1.5},
      {"lifecycle",
       base + kMixAll + " events=kill@" + Num(calls / 4) + ",kill@" + Num(calls / 2) + ",stop@" +
           Num(calls * 3 / 4),
       "the event thread killed twice, then a stop, with calls in flight", false, 1.5},
      {"paths",
       base + "mix=return:6,raise:2,slow:1,reenter:1,large:1 callers=foreign:1,gvl:1,nogvl:1 events=" +
           "caller_raise@" + Num(calls / 50) + ",caller_timeout@" + Num(calls / 25) +
           CallerKills(calls),
       "every behaviour from foreign threads and Ruby threads with and without the GVL; Ruby "
       "callers interrupted inside calls (Thread#raise, Timeout.timeout, Thread#kill)",
       false, 3},
  };
}

// sizes, callers256, long, latency, throughput: big payloads, many threads,
// many calls, and speed.
std::vector<SuiteScenario> ScaleScenarios(const std::string& base, uint64_t calls, bool full) {
  // Past 2^17 (quick) or 2^18 (full) calls in one process: ids and counters
  // that wrap at 16, 17 or 18 bits; resident memory judged (release builds)
  // over the last half of the calls: at 70,000 calls a correct bridge still
  // warming up (allocator caches filling) failed leak in about 1 run of 12,
  // at 140,000 in none of 12.
  const uint64_t long_calls = full ? 280000 : 140000;
  return {
      {"sizes",
       base + "calls=" + Num(calls / 10 + 1) +
           " payload=0..1048576 reply=0..1048576 message=0..65536 mix=return:8,raise:2",
       "payloads, replies and messages of every size class up to 1 MiB, any bytes", false, 1.5},
      {"callers256", base + "threads=256 mix=return:9,raise:1", "256 caller threads at once", false, 2},
      {"long",
       base + "calls=" + Num(long_calls) + " payload=0..4096 reply=0..4096 mix=return:9,raise:1 leak_bytes_per_call=64",
       "ids and counters past 2^" + std::string(full ? "18" : "17") +
           " calls; a leak budget of 64 B per call (release)",
       false, full ? 6.0 : 3.0},
      {"latency", base + "threads=2 calls=400 payload=0..64 reply=0..64 mix=return:1 max_p99_us=8000",
       "an idle bridge answers within 8 ms at p99 (release)", true, 0.2},
      {"throughput",
       base + "calls=" + Num(calls / 10 + 1) + " payload=0..64 reply=0..64 mix=return:1 min_throughput_ratio=" +
           Ratio(kSuiteMinThroughputRatio),
       "trivial calls reach " + Ratio(kSuiteMinThroughputRatio) +
           "x the throughput and p50 of a condvar server measured in the same run (release)",
       true, 0.5},
  };
}

// aimed, stop, timeouts, deadline, posts: kills and stops at chosen moments, callers giving
// up, posts beside calls.
std::vector<SuiteScenario> StopAndDeadlineScenarios(const std::string& base, uint64_t calls) {
  return {
      {"aimed", base + "mix=return:8,slow:1,raise:1 events=kill@handler:5,stop@sync:200",
       "a kill inside a running handler, a stop at a synchronisation point", false, 1},
      {"stop", base + "mix=return:8,slow:2 slow_us=2000 events=stop@" + Num(calls / 2),
       "a stop alone, half way, with blocks still running", false, 1},
      {"timeouts", base + "calls=" + Num(calls / 10 + 1) + " mix=return:3,slow:1 slow_us=3000 deadline_ms=1",
       "1 ms deadlines against 3 ms blocks: callers give up while their requests run", false, 1},
      {"deadline", base + "calls=" + Num(calls / 40 + 1) + " mix=return:19,slow:1 slow_us=1500000 deadline_ms=20",
       "blocks of 1.5 s against a 20 ms deadline: timed_out in time", false, 1},

      {"posts",
       base + "payload=0..4096 reply=0..4096 mix=return:4,post:6,slow:2,raise:1,gc:1 "
              "callers=foreign:6,gvl:1,nogvl:1 slow_us=500 events=kill@" + Num(calls / 2) +
           ",stop@" + Num(calls * 19 / 20),
       "fire-and-forget posts mixed with calls, slow blocks filling the post queue, the event "
       "thread killed half way and a stop at the end (n/a without HANDOFF_TARGET_HAS_POSTS)",
       false, 1},
  };
}

}  // namespace

std::vector<SuiteScenario> Suite(const std::string& size, int threads, uint64_t calls) {
  const bool full = size == "full";
  if (threads == 0) threads = full ? 16 : 8;
  if (calls == 0) calls = full ? 20000 : 4000;
  const std::string base = "threads=" + std::to_string(threads) + " calls=" + Num(calls) + " ";
  std::vector<SuiteScenario> suite = BehaviourScenarios(base, calls);
  std::vector<SuiteScenario> scale = ScaleScenarios(base, calls, full);
  std::vector<SuiteScenario> stops = StopAndDeadlineScenarios(base, calls);
  suite.insert(suite.end(), scale.begin(), scale.end());
  suite.insert(suite.end(), stops.begin(), stops.end());
  return suite;
}

}  // namespace handoff
