// The controlled schedule's decision log and the texts made from it
// (schedule_core.h).
#include <sys/syscall.h>

#include <cstdio>

#include "host/frame_names.h"
#include "perturb/schedule_core.h"

namespace handoff {
namespace {

const char* SystemCallName(int number) {
  switch (number) {
    case SYS_read: return "read";
    case SYS_write: return "write";
    case SYS_poll: return "poll";
    case SYS_select: return "select";
    case SYS_futex: return "futex";
    case SYS_epoll_wait: return "epoll_wait";
    case SYS_epoll_pwait: return "epoll_pwait";
    case SYS_ppoll: return "ppoll";
    case SYS_nanosleep: return "nanosleep";
    case SYS_clock_nanosleep: return "clock_nanosleep";
    case SYS_wait4: return "wait4";
    case SYS_accept: return "accept";
    case SYS_recvfrom: return "recvfrom";
    default: return "a system call";
  }
}

}  // namespace

namespace controlled {

const char* OpName(Op op) {
  switch (op) {
    case Op::kStart: return "start";
    case Op::kPoint: return "point";
    case Op::kLock: return "lock";
    case Op::kTrylock: return "trylock";
    case Op::kUnlock: return "unlock";
    case Op::kWait: return "wait";
    case Op::kSignal: return "signal";
    case Op::kBroadcast: return "broadcast";
    case Op::kCreate: return "create";
    case Op::kJoin: return "join";
    case Op::kSleep: return "sleep";
    case Op::kPoll: return "poll";
    case Op::kFutexWait: return "futex wait";
    case Op::kFutexWake: return "futex wake";
    case Op::kFinished: return "finish";
    case Op::kDetached: return "detached";
  }
  return "?";
}

// Objects are named in the schedule by where they are used (the call
// site), not by address: the allocator reuses addresses differently from
// run to run.
void Log(int thread) {
  const ThreadSlot& t = g->threads[thread];
  LogEntry e{g->step, thread, t.op, false, -1, t.point, t.site};
  if (t.op == Op::kWait || t.op == Op::kFutexWait) e.timed_out = !t.woken;
  if (t.op == Op::kJoin || t.op == Op::kDetached) e.joined = static_cast<int32_t>(static_cast<intptr_t>(t.object));
  g->log[g->logged % kLogCapacity] = e;
  ++g->logged;
}

std::string SiteName(void* site) { return site == nullptr ? "the harness" : FrameName(site); }

// A thread's role, copied with plain loads: a sanitizer's interceptors
// (strlen, memcpy, printf) would check reads of what another thread wrote,
// ordered only by the schedule it cannot see.
std::string RoleOf(int thread) {
  char copy[sizeof(ThreadSlot::role)];
  const char* role = g->threads[thread].role;
  size_t i = 0;
  for (; i + 1 < sizeof copy && role[i] != 0; ++i) copy[i] = role[i];
  copy[i] = 0;
  return copy;
}

std::string Describe(int thread) { return "thread " + std::to_string(thread) + " (" + RoleOf(thread) + ")"; }

// Every thread's state, for a deadlock report.
std::string ThreadStates() {
  std::string out;
  for (int i = 0; i < g->count; ++i) {
    const ThreadSlot& t = g->threads[i];
    if (t.op == Op::kFinished) continue;
    out += "  " + Describe(i) + ": ";
    switch (t.op) {
      case Op::kLock:
        out += "locking a mutex held by thread " + std::to_string(Object(t.object).owner) + " at " +
               SiteName(t.site);
        break;
      case Op::kWait:
        out += (t.woken ? "signalled, relocking a mutex held by thread " +
                              std::to_string(Object(t.mutex).owner)
                        : std::string("waiting on a condition variable, never signalled")) +
               " at " + SiteName(t.site);
        break;
      case Op::kJoin:
        out += "joining thread " + std::to_string(t.object);
        break;
      default:
        out += OpName(t.op);
    }
    out += "\n";
  }
  return out;
}

}  // namespace controlled

using namespace controlled;

std::string ScheduleText(int lines) {
  if (g == nullptr) return "";
  Lock();
  uint64_t total = g->logged;
  uint64_t kept = total < kLogCapacity ? total : kLogCapacity;
  uint64_t shown = lines < 0 || static_cast<uint64_t>(lines) > kept ? kept : static_cast<uint64_t>(lines);
  std::string out;
  if (shown < total) {
    out += "  ... " + std::to_string(total - shown) + " earlier steps (--verbose prints them all)\n";
  }
  for (uint64_t i = total - shown; i < total; ++i) {
    const LogEntry& e = g->log[i % kLogCapacity];
    std::string what = OpName(e.op);
    if (e.op == Op::kPoint) what = e.point ? e.point : "point";
    if (e.op == Op::kWait) what = e.timed_out ? "wait timed out" : "woken";
    if (e.op == Op::kFutexWait) what = e.timed_out ? "futex wait timed out" : "futex woken";
    if (e.op == Op::kJoin) what += " thread " + std::to_string(e.joined);
    if (e.op == Op::kDetached) {
      what = e.joined < 0 ? "let go uncontrolled: ran 5 s with no scheduling point"
                          : std::string("let go uncontrolled: blocked in ") + SystemCallName(e.joined) +
                                " (syscall " + std::to_string(e.joined) + ") outside the controlled operations";
    }
    if (e.site != nullptr) what += "  " + SiteName(e.site);
    char head[96];
    std::snprintf(head, sizeof head, "  step %-7llu thread %-3d %-22s ",
                  static_cast<unsigned long long>(e.step), e.thread, RoleOf(e.thread).c_str());
    out += head + what + "\n";
  }
  Unlock();
  return out;
}

}  // namespace handoff
