#include "supervisor.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

namespace handoff {
namespace {

constexpr size_t kKeptStderr = 4 << 20;

std::string Escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += "\\n";
    else if (c == '\\') out += "\\\\";
    else if (c == '\t') out += ' ';
    else out += c;
  }
  return out;
}

std::string Unescape(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      out += text[i + 1] == 'n' ? '\n' : text[i + 1];
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

bool ParseChildResult(const std::string& line, SupervisedRun* run) {
  std::istringstream in(line);
  std::string verdict, detail;
  if (!std::getline(in, verdict, '\t')) return false;
  in >> run->stats.calls_returned >> run->stats.verified >> run->stats.seconds >>
      run->stats.sync_points;
  in.get();
  std::getline(in, detail);
  detail = Unescape(detail);
  if (verdict == "pass") {
    run->result = Result::Pass();
    run->result.detail = detail;  // a pass may carry what the child observed
  } else if (verdict == "harness_error") {
    run->result = Result::HarnessError(detail);
  } else if (auto kind = ParseFailureKind(verdict)) {
    run->result = Result::Failure(*kind, detail);
  } else {
    return false;
  }
  return true;
}

std::string SignalText(int status) {
  int sig = WTERMSIG(status);
  return std::string("signal ") + std::to_string(sig) + " (" + strsignal(sig) + ")";
}

}  // namespace

void WriteChildResult(int fd, const Result& result, const RunStats& stats) {
  std::ostringstream line;
  line << result.Verdict() << '\t' << stats.calls_returned << ' ' << stats.verified << ' '
       << stats.seconds << ' ' << stats.sync_points << '\t' << Escape(result.detail) << '\n';
  std::string text = line.str();
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    ssize_t n = write(fd, p, left);
    if (n <= 0) break;
    p += n;
    left -= static_cast<size_t>(n);
  }
}

bool FindSanitizerReport(const std::string& text, FailureKind* kind, std::string* excerpt) {
  size_t at = text.find("WARNING: ThreadSanitizer: ");
  bool tsan = at != std::string::npos;
  if (!tsan) at = text.find("ERROR: AddressSanitizer: ");
  if (at == std::string::npos) at = text.find("ERROR: ThreadSanitizer: ");  // SEGV and such
  if (at == std::string::npos) at = text.find("runtime error: ");  // UBSan
  if (at == std::string::npos) return false;
  size_t end = text.find('\n', at);
  std::string title = text.substr(at, end == std::string::npos ? std::string::npos : end - at);
  if (title.find("heap-use-after-free") != std::string::npos) {
    *kind = FailureKind::kUseAfterFree;
  } else if (title.find("lock-order-inversion") != std::string::npos) {
    *kind = FailureKind::kDeadlock;
  } else if (tsan) {
    *kind = FailureKind::kDataRace;
  } else {
    *kind = FailureKind::kCrash;
  }
  // Title, each access or location block with its first three frames
  // (build ids dropped), then the SUMMARY line.
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
  *excerpt = out;
  return true;
}

SupervisedRun Supervise(const std::function<int(int result_fd)>& child,
                        double hard_timeout_seconds, bool echo_stderr) {
  SupervisedRun run{Result::HarnessError("the run did not report"), {}};
  int result_pipe[2], err_pipe[2];
  if (pipe(result_pipe) != 0 || pipe(err_pipe) != 0) {
    run.result = Result::HarnessError(std::string("pipe: ") + strerror(errno));
    return run;
  }
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid < 0) {
    run.result = Result::HarnessError(std::string("fork: ") + strerror(errno));
    return run;
  }
  if (pid == 0) {
    close(result_pipe[0]);
    close(err_pipe[0]);
    dup2(err_pipe[1], STDERR_FILENO);
    close(err_pipe[1]);
    int code = child(result_pipe[1]);
    std::fflush(nullptr);
    _exit(code);
  }
  close(result_pipe[1]);
  close(err_pipe[1]);

  std::string err_text, result_text;
  bool err_open = true, result_open = true, killed = false;
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<int64_t>(hard_timeout_seconds * 1000));
  char buffer[65536];
  while (err_open || result_open) {
    pollfd fds[2] = {{err_pipe[0], POLLIN, 0}, {result_pipe[0], POLLIN, 0}};
    int ready = poll(fds, 2, 200);
    if (ready < 0 && errno != EINTR) break;
    if (!killed && std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      killed = true;
    }
    for (int i = 0; i < 2; ++i) {
      bool& open = i == 0 ? err_open : result_open;
      if (!open || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(fds[i].fd, buffer, sizeof(buffer));
      if (n <= 0) {
        open = false;
        continue;
      }
      if (i == 1) {
        result_text.append(buffer, static_cast<size_t>(n));
        continue;
      }
      if (echo_stderr) fwrite(buffer, 1, static_cast<size_t>(n), stderr);
      if (err_text.size() < kKeptStderr) err_text.append(buffer, static_cast<size_t>(n));
    }
  }
  close(result_pipe[0]);
  close(err_pipe[0]);
  int status = 0;
  waitpid(pid, &status, 0);

  FailureKind kind;
  std::string excerpt;
  bool reported = !result_text.empty() && ParseChildResult(result_text, &run);
  if (FindSanitizerReport(err_text, &kind, &excerpt)) {
    run.result = Result::Failure(kind, "sanitizer report:\n" + excerpt);
  } else if (killed && !reported) {
    run.result = Result::Failure(FailureKind::kDeadlock,
                                 "the run was still going after " +
                                     std::to_string(static_cast<int>(hard_timeout_seconds)) +
                                     " s and its watchdog did not report; killed");
  } else if (!reported) {
    std::string how = WIFSIGNALED(status) ? "died of " + SignalText(status)
                                          : "exited with status " + std::to_string(WEXITSTATUS(status));
    size_t bug = err_text.find("[BUG]");
    if (bug != std::string::npos) how += ": " + err_text.substr(bug, err_text.find('\n', bug) - bug);
    run.result = Result::Failure(FailureKind::kCrash, "the run " + how + " before reporting");
  }
  return run;
}

}  // namespace handoff
