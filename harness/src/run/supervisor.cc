#include "handoff/supervisor.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "run/child_record.h"

namespace handoff {
namespace {

constexpr size_t kKeptStderr = 4 << 20;
// What a run writes to stderr reaches the terminal (echo_stderr) escaped and
// capped: a target's threads may write any bytes (a third-party library's
// messages made of the harness's random payloads), which must not reach a
// terminal raw, and a run that floods stderr must not bury the verdict.
constexpr size_t kEchoedStderrLimit = 256 << 10;

// Writes `data` to stderr with every byte that is not printable ASCII, a
// newline or a tab as \xNN, up to kEchoedStderrLimit bytes of the run's
// stderr in all; `echoed` counts every byte the run wrote.
void EchoEscaped(const char* data, size_t size, size_t* echoed) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < size && *echoed + i < kEchoedStderrLimit; ++i) {
    unsigned char c = static_cast<unsigned char>(data[i]);
    if ((c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kDigits[c >> 4];
      out += kDigits[c & 15];
    }
  }
  *echoed += size;
  if (!out.empty()) std::fwrite(out.data(), 1, out.size(), stderr);
}

std::string SignalText(int status) {
  int sig = WTERMSIG(status);
  return std::string("signal ") + std::to_string(sig) + " (" + strsignal(sig) + ")";
}

}  // namespace

void WriteChildResult(int fd, const Result& result, const RunStats& stats, const std::string& report) {
  std::string text = FormatChildRecord({result, stats, report});
  const char* p = text.data();
  size_t left = text.size();
  int failures = 0;  // EINTR (a signal during the write) and friends: retried, boundedly
  while (left > 0) {
    ssize_t n = write(fd, p, left);
    if (n <= 0) {
      if (++failures > 1000) break;
      continue;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

namespace {

// True when one of the two accesses of a ThreadSanitizer "data race" report
// is a deallocation: memory freed while another thread used it without
// synchronisation. That is the same lifetime bug TSan calls
// "heap-use-after-free" when the access comes after the free instead of
// before it, and which of the two TSan prints first depends on the
// schedule (mutant free_on_timeout got each), so both are named
// use_after_free, as ASan names it.
bool RaceWithDeallocation(const std::string& report) {
  std::istringstream lines(report);
  std::string line;
  bool after_access = false;  // the line before was "<access> of size N at 0x... by ..."
  while (std::getline(lines, line)) {
    if (line.find("SUMMARY:") != std::string::npos) break;
    if (line.find(" of size ") != std::string::npos && line.find(" at 0x") != std::string::npos) {
      after_access = true;
      continue;
    }
    if (!after_access) continue;
    after_access = false;
    size_t at = line.find("#0 ");
    if (at == std::string::npos) continue;
    std::string frame = line.substr(at + 3);
    if (frame.rfind("__interceptor_", 0) == 0) frame.erase(0, 14);
    for (const char* deallocation : {"free ", "cfree ", "realloc ", "operator delete"}) {
      if (frame.rfind(deallocation, 0) == 0) return true;
    }
  }
  return false;
}

// The kind of failure the sanitizer report that starts at `at` of `text`
// shows; `tsan`: it is ThreadSanitizer's.
FailureKind SanitizerReportKind(const std::string& text, size_t at, bool tsan) {
  size_t end = text.find('\n', at);
  std::string title = text.substr(at, end == std::string::npos ? std::string::npos : end - at);
  if (title.find("heap-use-after-free") != std::string::npos ||
      (tsan && title.find("use of an invalid mutex") != std::string::npos)) {
    // An invalid mutex: locked after it was destroyed (with its object:
    // mutant free_on_timeout's third schedule, seen under Ruby 3.3).
    return FailureKind::kUseAfterFree;
  }
  if (title.find("lock-order-inversion") != std::string::npos) return FailureKind::kDeadlock;
  if (tsan && title.find("data race") != std::string::npos &&
      RaceWithDeallocation(text.substr(at))) {
    return FailureKind::kUseAfterFree;
  }
  return tsan ? FailureKind::kDataRace : FailureKind::kCrash;
}

// Title, each access or location block with its first three frames
// (build ids dropped), then the SUMMARY line.
std::string SanitizerReportExcerpt(const std::string& text, size_t at) {
  std::istringstream lines(text.substr(at));
  std::string line, out;
  int kept = 0;
  while (std::getline(lines, line) && kept < 24) {
    if (line.find("SUMMARY:") != std::string::npos) break;
    size_t hash = line.find_first_not_of(' ');
    bool frame = hash != std::string::npos && line[hash] == '#';
    if (frame && std::atoi(line.c_str() + hash + 1) >= 3) continue;
    if (line.find_first_not_of(' ') == std::string::npos) continue;
    size_t build_id = line.find(" (BuildId:");
    if (build_id != std::string::npos) line.erase(build_id);
    out += "  " + line + "\n";
    ++kept;
  }
  size_t summary = text.find("SUMMARY: ", at);
  if (summary != std::string::npos) {
    out += "  " + text.substr(summary, text.find('\n', summary) - summary) + "\n";
  }
  return out;
}

}  // namespace

bool FindSanitizerReport(const std::string& text, FailureKind* kind, std::string* excerpt) {
  size_t at = text.find("WARNING: ThreadSanitizer: ");
  bool tsan = at != std::string::npos;
  if (!tsan) at = text.find("ERROR: AddressSanitizer: ");
  if (at == std::string::npos) at = text.find("ERROR: ThreadSanitizer: ");  // SEGV and such
  if (at == std::string::npos) at = text.find("runtime error: ");  // UBSan
  if (at == std::string::npos) return false;
  *kind = SanitizerReportKind(text, at, tsan);
  *excerpt = SanitizerReportExcerpt(text, at);
  return true;
}

namespace {

int g_heartbeat_fd = -1;                  // in a supervised child: the heartbeat pipe
volatile sig_atomic_t g_child_group = 0;  // in the parent: the running child's group

void KillChildGroupAndDie(int sig) {
  if (g_child_group > 0) kill(-g_child_group, SIGKILL);
  signal(sig, SIG_DFL);
  raise(sig);
}

// Makes this process the reaper of its orphaned descendants (once), and
// kills the child's group on SIGINT/SIGTERM/SIGHUP.
void BecomeReaperOnce() {
  static bool done = false;
  if (done) return;
  done = true;
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction action {};
    action.sa_handler = KillChildGroupAndDie;
    sigemptyset(&action.sa_mask);
    struct sigaction old {};
    sigaction(sig, nullptr, &old);
    if (old.sa_handler == SIG_DFL) sigaction(sig, &action, nullptr);
  }
}

// Kills and reaps every remaining child of this process: the run's child
// and whatever descendants were orphaned to it (it is a subreaper). Bounded:
// gives up after about two seconds (a process stuck in the kernel).
void KillAndReapDescendants() {
  for (int round = 0; round < 200; ++round) {
    bool any = false;
    if (DIR* proc = opendir("/proc")) {
      while (dirent* entry = readdir(proc)) {
        pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
        if (pid <= 0) continue;
        std::string stat_path = std::string("/proc/") + entry->d_name + "/stat";
        FILE* stat = std::fopen(stat_path.c_str(), "r");
        if (stat == nullptr) continue;
        char line[512] = {0};
        size_t n = std::fread(line, 1, sizeof(line) - 1, stat);
        std::fclose(stat);
        line[n] = 0;
        const char* close_paren = std::strrchr(line, ')');  // "pid (comm) S ppid ..."
        if (close_paren == nullptr) continue;
        char state = 0;
        int ppid = 0;
        if (std::sscanf(close_paren + 1, " %c %d", &state, &ppid) != 2 || ppid != getpid()) continue;
        any = true;
        kill(pid, SIGKILL);
      }
      closedir(proc);
    }
    while (waitpid(-1, nullptr, WNOHANG) > 0) any = true;
    if (!any) return;
    usleep(10000);
  }
}

void MakeNonBlocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

using Clock = std::chrono::steady_clock;

// The pipes between the parent and a supervised child: [0] is the parent's
// read end, [1] the child's write end.
struct ChildPipes {
  int result[2], err[2], beat[2];
};

// What the parent has gathered so far while it watches the child.
struct ChildWatch {
  std::string err_text, result_text;
  bool err_open = true, result_open = true, stalled = false, exited = false;
  int status = 0;
  Clock::time_point last_beat, exited_at;
  size_t echoed = 0;  // bytes of the child's stderr echoed so far (EchoEscaped)
};

// In the forked child: takes a process group of its own and the default
// signal handlers, sends stderr and heartbeats to the parent, runs `child`
// and exits with its code.
[[noreturn]] void RunChild(const std::function<int(int result_fd)>& child,
                           const ChildPipes& pipes) {
  setpgid(0, 0);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) signal(sig, SIG_DFL);
  close(pipes.result[0]);
  close(pipes.err[0]);
  close(pipes.beat[0]);
  dup2(pipes.err[1], STDERR_FILENO);
  close(pipes.err[1]);
  MakeNonBlocking(pipes.beat[1]);
  g_heartbeat_fd = pipes.beat[1];
  int code = child(pipes.result[1]);
  std::fflush(nullptr);
  _exit(code);
}

// Waits up to 200 ms for the child's pipes and takes what came on them:
// stderr (echoed when asked), the result record, heartbeats. False when
// poll failed.
bool ReadChildPipes(const ChildPipes& pipes, const SuperviseOptions& options, ChildWatch* watch) {
  pollfd fds[3] = {{pipes.err[0], static_cast<short>(watch->err_open ? POLLIN : 0), 0},
                   {pipes.result[0], static_cast<short>(watch->result_open ? POLLIN : 0), 0},
                   {pipes.beat[0], POLLIN, 0}};
  int ready = poll(fds, 3, 200);
  if (ready < 0 && errno != EINTR) return false;
  char buffer[65536];
  for (int i = 0; i < 3; ++i) {
    if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    ssize_t n = read(fds[i].fd, buffer, sizeof(buffer));
    if (i == 2) {
      if (n > 0) watch->last_beat = Clock::now();
      continue;
    }
    bool& open = i == 0 ? watch->err_open : watch->result_open;
    if (n <= 0) {
      open = false;
    } else if (i == 1) {
      watch->result_text.append(buffer, static_cast<size_t>(n));
    } else {
      if (options.echo_stderr) EchoEscaped(buffer, static_cast<size_t>(n), &watch->echoed);
      if (watch->err_text.size() < kKeptStderr) {
        watch->err_text.append(buffer, static_cast<size_t>(n));
      }
    }
  }
  return true;
}

// Notes the child's exit (and kills what it left in its group) or its
// stall (and kills its group); true when the parent should stop reading.
bool ChildDoneOrStalled(pid_t pid, Clock::time_point now, std::chrono::milliseconds stall,
                        ChildWatch* watch) {
  if (!watch->exited && waitpid(pid, &watch->status, WNOHANG) == pid) {
    watch->exited = true;
    watch->exited_at = now;
    kill(-pid, SIGKILL);  // whatever the run left in its group
  }
  bool both_closed = !watch->err_open && !watch->result_open;
  if (watch->exited && (both_closed || now - watch->exited_at > std::chrono::milliseconds(500))) {
    return true;  // a descendant outside the group may hold the pipes: stop reading
  }
  if (!watch->exited && now - watch->last_beat > stall) {
    watch->stalled = true;
    kill(-pid, SIGKILL);
    waitpid(pid, &watch->status, 0);
    return true;
  }
  return false;
}

// Reads the child's pipes until it has exited and closed them (or half a
// second after its exit), or until it stalled and its group was killed.
void WatchChild(pid_t pid, const ChildPipes& pipes, const SuperviseOptions& options,
                ChildWatch* watch) {
  const auto start = Clock::now();
  watch->last_beat = start;
  const auto stall = std::chrono::milliseconds(static_cast<int64_t>(options.stall_seconds * 1000));
  for (;;) {
    if (!ReadChildPipes(pipes, options, watch)) break;
    auto now = Clock::now();
    if (ChildDoneOrStalled(pid, now, stall, watch)) break;
    if (options.on_tick) options.on_tick(std::chrono::duration<double>(now - start).count());
  }
}

// The outcome of a run that stalled and whose watchdog did not report.
Result StallFailure(double stall_seconds) {
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.1f", stall_seconds);
  return Result::Failure(
      FailureKind::kDeadlock,
      std::string("the run showed no sign of life for ") + seconds +
          " s and its watchdog did not report (the process was frozen: stopped by a signal, "
          "or every thread blocked); its process group was killed");
}

// The outcome of a run that exited or died before it reported.
Result EarlyExitFailure(int status, const std::string& err_text, const std::string& last_words) {
  std::string how = WIFSIGNALED(status)
                        ? "died of " + SignalText(status)
                        : "exited with status " + std::to_string(WEXITSTATUS(status));
  size_t bug = err_text.find("[BUG]");
  if (bug != std::string::npos) how += ": " + err_text.substr(bug, err_text.find('\n', bug) - bug);
  return Result::Failure(FailureKind::kCrash, "the run " + how + " before reporting" +
                                                  (last_words.empty() ? "" : "\n" + last_words));
}

// Sets the run's outcome from what the child reported, what it wrote to
// stderr and how it ended.
void JudgeChild(const ChildWatch& watch, const SuperviseOptions& options, SupervisedRun* run) {
  FailureKind kind;
  std::string excerpt;
  ChildRecord record;
  bool reported = !watch.result_text.empty() && ParseChildRecord(watch.result_text, &record);
  if (reported) {
    run->result = record.result;
    run->stats = record.stats;
    run->report = record.report;
  }
  const std::string last_words = LastWordsSchedule(watch.err_text);
  if (FindSanitizerReport(watch.err_text, &kind, &excerpt)) {
    run->result = Result::Failure(kind, "sanitizer report:\n" + excerpt +
                                            (last_words.empty() ? "" : "\n" + last_words));
  } else if (watch.stalled && !reported) {
    run->result = StallFailure(options.stall_seconds);
  } else if (!reported) {
    run->result = EarlyExitFailure(watch.status, watch.err_text, last_words);
  }
}

}  // namespace

void Heartbeat() {
  if (g_heartbeat_fd < 0) return;
  char beat = 'b';
  ssize_t ignored = write(g_heartbeat_fd, &beat, 1);  // non-blocking; a full pipe is a beat too
  (void)ignored;
}

SupervisedRun Supervise(const std::function<int(int result_fd)>& child,
                        const SuperviseOptions& options) {
  SupervisedRun run;
  run.result = Result::HarnessFailure("the run did not report");
  BecomeReaperOnce();
  ChildPipes pipes;
  if (pipe2(pipes.result, O_CLOEXEC) != 0 || pipe2(pipes.err, O_CLOEXEC) != 0 ||
      pipe2(pipes.beat, O_CLOEXEC) != 0) {
    run.result = Result::HarnessFailure(std::string("pipe: ") + strerror(errno));
    return run;
  }
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid < 0) {
    run.result = Result::HarnessFailure(std::string("fork: ") + strerror(errno));
    return run;
  }
  if (pid == 0) RunChild(child, pipes);
  setpgid(pid, pid);  // also here: no window where a kill of the group misses
  g_child_group = pid;
  close(pipes.result[1]);
  close(pipes.err[1]);
  close(pipes.beat[1]);
  ChildWatch watch;
  WatchChild(pid, pipes, options, &watch);
  g_child_group = 0;
  if (options.echo_stderr && watch.echoed > kEchoedStderrLimit) {
    std::fprintf(stderr, "[%zu more bytes of the run's stderr not shown]\n",
                 watch.echoed - kEchoedStderrLimit);
  }
  close(pipes.result[0]);
  close(pipes.err[0]);
  close(pipes.beat[0]);
  KillAndReapDescendants();
  JudgeChild(watch, options, &run);
  return run;
}

}  // namespace handoff
