#include "perturb/sync_point.h"

#include <sched.h>
#include <time.h>

#include <atomic>

#include "perturb/aimed_event.h"
#include "perturb/controlled_scheduler.h"
#include "perturb/decision_log.h"

namespace handoff {
namespace {

std::atomic<PerturbationStrategy*> g_strategy{nullptr};
std::atomic<DecisionLog*> g_decisions{nullptr};
std::atomic<uint64_t> g_steps{0};
std::atomic<int> g_next_other_thread{0};
std::atomic<int> g_foreign_threads{0};
thread_local int t_index = -1;

int ThreadIndex() {
  if (t_index < 0) {
    int other = g_next_other_thread.fetch_add(1, std::memory_order_relaxed);
    t_index = (g_foreign_threads.load(std::memory_order_relaxed) + other) %
              PerturbationStrategy::kMaxThreads;
  }
  return t_index;
}

void Perform(const SyncAction& action) {
  switch (action.type) {
    case SyncAction::Type::kNone:
      break;
    case SyncAction::Type::kYield:
      sched_yield();
      break;
    case SyncAction::Type::kSpin:
      for (volatile uint32_t i = 0; i < action.amount; i = i + 1) {
      }
      break;
    case SyncAction::Type::kSleep: {
      timespec delay{0, static_cast<long>(action.amount) * 1000};
      nanosleep(&delay, nullptr);
      break;
    }
  }
}

}  // namespace

void InstallPerturbation(PerturbationStrategy* strategy, int foreign_threads) {
  g_steps.store(0, std::memory_order_relaxed);
  g_foreign_threads.store(foreign_threads, std::memory_order_relaxed);
  g_strategy.store(strategy, std::memory_order_release);
}

void SetSyncThreadIndex(int index) {
  t_index = index % PerturbationStrategy::kMaxThreads;
}

void HarnessSyncPoint(const char* name) {
  AimedSyncPointHit();  // an event aimed at this point happens now
  uint64_t step = g_steps.fetch_add(1, std::memory_order_relaxed);
  ControlledSyncPoint(name);  // a scheduling point, under the controlled schedule
  PerturbationStrategy* strategy = g_strategy.load(std::memory_order_acquire);
  if (strategy == nullptr) return;
  int thread = ThreadIndex();
  SyncAction action = strategy->Decide(name, thread, step);
  if (action.type == SyncAction::Type::kNone) return;
  if (DecisionLog* log = g_decisions.load(std::memory_order_acquire)) log->Record(name, thread, step, action);
  Perform(action);
}

void InstallDecisionLog(DecisionLog* log) { g_decisions.store(log, std::memory_order_release); }

uint64_t SyncPointsReached() { return g_steps.load(std::memory_order_relaxed); }

}  // namespace handoff
