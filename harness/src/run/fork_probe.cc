#include "run/fork_probe.h"

#include <ruby.h>
#include <fcntl.h>
#include <ruby/thread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "handoff/embedded_ruby.h"
#include "handoff/supervisor.h"
#include "run/child_record.h"

namespace handoff {
namespace {

// The forked child's verdict travels to the parent on this pipe, as a child
// record (child_record.h); nothing written means the child passed.
int g_verdict_fd = -1;

[[noreturn]] void ChildExit(FailureKind kind, const std::string& detail) {
  std::fprintf(stderr, "handoff-stress: in the forked child: %s\n", detail.c_str());
  std::fflush(stderr);
  WriteChildResult(g_verdict_fd, Result::Failure(kind, detail), RunStats{});
  _exit(1);
}

// What the forked child wrote on the verdict pipe (empty: nothing). Called
// once the child is reaped; non-blocking, since a process the child forked
// may still hold the pipe's write end.
std::string ReadVerdict(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  std::string text;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<size_t>(n));
  return text;
}

// How many times the handler of each of the parent's calls (ids below
// `parent_ids`) ran so far.
std::vector<uint32_t> RanCounts(const RunLog& log, uint64_t parent_ids) {
  std::vector<uint32_t> ran(parent_ids);
  for (uint64_t id = 0; id < parent_ids; ++id) ran[id] = log.ran[id].load();
  return ran;
}

// Makes the probe's calls, ids from `first` on, from a thread of the child's
// own, the GVL released; then leaves a parent request a moment to show up.
std::vector<CallRecord> MakeProbeCalls(const CallSite& site, uint64_t first) {
  std::vector<CallRecord> records(RunLog::kForkProbeCalls);
  struct Job {
    const CallSite* site;
    std::vector<CallRecord>* records;
    uint64_t first;
  } job{&site, &records, first};
  rb_thread_call_without_gvl(
      [](void* arg) -> void* {
        auto* j = static_cast<Job*>(arg);
        std::thread probe([j] {
          std::string buffer;
          for (uint64_t k = 0; k < j->records->size(); ++k) {
            CallPlan plan = ReturnPlan(*j->site->scenario, j->site->seed, j->first + k);
            MakeCall(*j->site, plan, &buffer, &(*j->records)[k]);
          }
        });
        probe.join();
        timespec settle{0, 50000000};  // let a replayed parent request show up
        nanosleep(&settle, nullptr);
        return nullptr;
      },
      &job, nullptr, nullptr);
  return records;
}

// Ends the child with a failure when a probe call (ids from `first` on) did
// not return ok with the right reply.
void CheckProbeCalls(const std::vector<CallRecord>& records, uint64_t first) {
  for (uint64_t k = 0; k < records.size(); ++k) {
    const CallRecord& r = records[k];
    uint64_t id = first + k;
    if (r.status != HANDOFF_TARGET_OK) {
      ChildExit(FailureKind::kLostReply, "probe call " + std::to_string(id) + " returned status " +
                                             std::to_string(r.status) + ", not ok");
    }
    if (!r.check.right) {
      ChildExit(FailureKind::kWrongReply, "probe call " + std::to_string(id) + " got a wrong reply (" +
                                              std::to_string(r.check.size) + " bytes, expected " +
                                              std::to_string(r.check.expected_size) + ")");
    }
  }
}

// Ends the child with a failure when the handler of one of the parent's
// calls ran in it (its count moved from `ran_at_fork`).
void CheckNoParentHandlerRan(const RunLog& log, const std::vector<uint32_t>& ran_at_fork) {
  for (uint64_t id = 0; id < ran_at_fork.size(); ++id) {
    if (log.ran[id].load() != ran_at_fork[id]) {
      ChildExit(FailureKind::kHandlerNotOnce,
                "the handler of the parent's call " + std::to_string(id) + " ran in the child");
    }
  }
}

[[noreturn]] void RunChild(const CallSite& site) {
  RunLog& log = *site.log;
  uint64_t parent_ids = 2 * site.scenario->calls;
  std::vector<uint32_t> ran_at_fork = RanCounts(log, parent_ids);
  if (site.target->after_fork_child != nullptr) site.target->after_fork_child();
  std::vector<CallRecord> records = MakeProbeCalls(site, parent_ids);
  CheckProbeCalls(records, parent_ids);
  CheckNoParentHandlerRan(log, ran_at_fork);
  _exit(0);
}

// The parent's wait for the forked child: at most `hang_seconds`, then it
// is killed.
struct ChildWait {
  pid_t pid;
  double hang_seconds;
  int status = 0;
  bool hung = false;
};

// Reaps the forked child, the GVL released, polling every 10 ms; kills it
// once it has run for over `hang_seconds`.
void WaitForChild(ChildWait* wait) {
  rb_thread_call_without_gvl(
      [](void* arg) -> void* {
        auto* w = static_cast<ChildWait*>(arg);
        for (int waited_ms = 0;; waited_ms += 10) {
          if (waitpid(w->pid, &w->status, WNOHANG) == w->pid) return nullptr;
          if (waited_ms > w->hang_seconds * 1000) {
            w->hung = true;
            kill(w->pid, SIGKILL);
            waitpid(w->pid, &w->status, 0);
            return nullptr;
          }
          timespec delay{0, 10000000};
          nanosleep(&delay, nullptr);
        }
      },
      wait, nullptr, nullptr);
}

// The fork probe's outcome from how the child ended and the verdict it
// wrote (empty: none).
Result ForkedChildResult(const ChildWait& wait, const std::string& verdict) {
  if (wait.hung) {
    return Result::Failure(FailureKind::kDeadlock, "the forked child's probe calls never returned");
  }
  if (WIFSIGNALED(wait.status)) {
    return Result::Failure(FailureKind::kCrash, "the forked child died of signal " +
                                                    std::to_string(WTERMSIG(wait.status)));
  }
  int code = WEXITSTATUS(wait.status);
  if (ChildRecord record; ParseChildRecord(verdict, &record) && record.result.failed()) {
    return Result::Failure(*record.result.kind(), "in the forked child: " + record.result.detail());
  }
  if (code == 0) return Result::Pass();
  return Result::Failure(FailureKind::kCrash,
                         "the forked child exited with status " + std::to_string(code));
}

}  // namespace

Result RunForkProbe(const CallSite& site, double hang_seconds) {
  std::string error;
  VALUE pid_value = Qnil;
  int verdict_pipe[2];
  if (pipe2(verdict_pipe, O_CLOEXEC) != 0) return Result::HarnessFailure("pipe for the fork probe");
  if (!EvalRuby("Process.fork", &error, &pid_value)) {
    close(verdict_pipe[0]);
    close(verdict_pipe[1]);
    return Result::HarnessFailure("fork failed: " + error);
  }
  if (NIL_P(pid_value)) {
    close(verdict_pipe[0]);
    g_verdict_fd = verdict_pipe[1];
    RunChild(site);
  }
  close(verdict_pipe[1]);
  ChildWait wait{static_cast<pid_t>(NUM2LONG(pid_value)), hang_seconds};
  WaitForChild(&wait);
  std::string verdict = wait.hung ? "" : ReadVerdict(verdict_pipe[0]);
  close(verdict_pipe[0]);
  return ForkedChildResult(wait, verdict);
}

}  // namespace handoff
