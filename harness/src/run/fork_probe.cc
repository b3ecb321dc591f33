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

[[noreturn]] void RunChild(const CallSite& site) {
  RunLog& log = *site.log;
  uint64_t parent_ids = 2 * site.scenario->calls;
  std::vector<uint32_t> ran_at_fork(parent_ids);
  for (uint64_t id = 0; id < parent_ids; ++id) ran_at_fork[id] = log.ran[id].load();
  if (site.target->after_fork_child != nullptr) site.target->after_fork_child();

  std::vector<CallRecord> records(RunLog::kForkProbeCalls);
  struct Job {
    const CallSite* site;
    std::vector<CallRecord>* records;
    uint64_t first;
  } job{&site, &records, parent_ids};
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

  for (uint64_t k = 0; k < records.size(); ++k) {
    const CallRecord& r = records[k];
    uint64_t id = parent_ids + k;
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
  for (uint64_t id = 0; id < parent_ids; ++id) {
    if (log.ran[id].load() != ran_at_fork[id]) {
      ChildExit(FailureKind::kHandlerNotOnce,
                "the handler of the parent's call " + std::to_string(id) + " ran in the child");
    }
  }
  _exit(0);
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
  struct Wait {
    pid_t pid;
    double hang_seconds;
    int status = 0;
    bool hung = false;
  } wait{static_cast<pid_t>(NUM2LONG(pid_value)), hang_seconds};
  rb_thread_call_without_gvl(
      [](void* arg) -> void* {
        auto* w = static_cast<Wait*>(arg);
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
      &wait, nullptr, nullptr);
  std::string verdict = wait.hung ? "" : ReadVerdict(verdict_pipe[0]);
  close(verdict_pipe[0]);
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

}  // namespace handoff
