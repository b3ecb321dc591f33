#include "lifecycle_model.h"

#include <rapidcheck.h>
#include <rapidcheck/state.h>
#include <ruby.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "handoff/embedded_ruby.h"
#include "handoff/run.h"
#include "handoff/supervisor.h"
#include "property_run.h"

namespace handoff::properties {
namespace {

struct Model {
  bool running = true;
};

// The child's handle on the bridge under test.
struct Bridge {
  const handoff_target* target;
};

// Each command also has Expect(model) (what the model predicts) and
// Observe(bridge) (what it does in the child, GVL held; see Visit).
using Command = rc::state::Command<Model, Bridge>;

// ---- child side ----------------------------------------------------------

// Calls `target` once from whatever thread this is; "ok" only with the right
// reply (the payload reversed).
std::string CallOnce(const handoff_target* target, const std::string& payload) {
  handoff_target_reply reply{HANDOFF_TARGET_INVALID, nullptr, 0};
  target->invoke(payload.data(), payload.size(), 10'000'000'000LL, &reply);
  std::string got(reply.data != nullptr ? reply.data : "", reply.size);
  std::free(reply.data);
  switch (reply.status) {
    case HANDOFF_TARGET_OK:
      return got == std::string(payload.rbegin(), payload.rend()) ? "ok" : "wrong_reply";
    case HANDOFF_TARGET_STOPPED: return "stopped";
    case HANDOFF_TARGET_RAISED: return "raised";
    case HANDOFF_TARGET_TIMED_OUT: return "timed_out";
    case HANDOFF_TARGET_FORKED: return "forked";
    default: return "invalid";
  }
}

// One word when every call agreed, else each status with its count.
std::string Summarize(std::vector<std::string> statuses) {
  std::sort(statuses.begin(), statuses.end());
  if (!statuses.empty() && statuses.front() == statuses.back()) return statuses.front();
  std::ostringstream out;
  for (size_t i = 0; i < statuses.size();) {
    size_t j = i;
    while (j < statuses.size() && statuses[j] == statuses[i]) ++j;
    out << (i ? "," : "mixed:") << statuses[i] << "=" << (j - i);
    i = j;
  }
  return out.str();
}

struct ForeignCalls {
  const handoff_target* target;
  int threads, calls;
  std::vector<std::string> statuses;
};

void RunForeignCalls(ForeignCalls* job) {  // without the GVL
  std::vector<std::vector<std::string>> per_thread(static_cast<size_t>(job->threads));
  std::vector<std::thread> threads;
  for (int t = 0; t < job->threads; ++t) {
    threads.emplace_back([job, t, &per_thread] {
      for (int c = 0; c < job->calls; ++c) {
        std::string payload = "thread " + std::to_string(t) + " call " + std::to_string(c);
        per_thread[static_cast<size_t>(t)].push_back(CallOnce(job->target, payload));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (auto& statuses : per_thread) {
    job->statuses.insert(job->statuses.end(), statuses.begin(), statuses.end());
  }
}

const handoff_target* g_child_target = nullptr;

// HandoffLifecycle.child_probe: in a forked child, one call from a new
// foreign thread.
VALUE ChildProbe(VALUE) {
  std::string status;
  std::thread probe([&] { status = CallOnce(g_child_target, "forked child"); });
  CallWithoutGvl([&] { probe.join(); });
  return rb_str_new_cstr(status.c_str());
}

std::string EvalOrError(const std::string& code) {
  std::string error;
  VALUE result = Qnil;
  if (!EvalRuby(code, &error, &result)) return "error: " + error;
  return RB_TYPE_P(result, T_STRING) ? std::string(RSTRING_PTR(result), RSTRING_LEN(result)) : "";
}

// ---- the commands ----------------------------------------------------------

struct Invoke : Command {
  int threads = *rc::gen::inRange(1, 5);
  int calls = *rc::gen::inRange(1, 20);
  void show(std::ostream& os) const override {
    os << "invoke from " << threads << " foreign thread(s) x " << calls;
  }
  std::string Expect(const Model& m) const { return m.running ? "ok" : "stopped"; }
  std::string Observe(Bridge& b) const {
    ForeignCalls job{b.target, threads, calls, {}};
    CallWithoutGvl([&] { RunForeignCalls(&job); });
    return Summarize(job.statuses);
  }
};

struct InvokeFromRuby : Command {
  bool with_gvl = *rc::gen::arbitrary<bool>();
  void show(std::ostream& os) const override {
    os << "invoke from a Ruby thread " << (with_gvl ? "holding the GVL" : "without the GVL");
  }
  std::string Expect(const Model& m) const { return m.running ? "ok" : "stopped"; }
  std::string Observe(Bridge& b) const {
    if (with_gvl) return CallOnce(b.target, "ruby thread holding the GVL");
    std::string status;
    CallWithoutGvl([&] { status = CallOnce(b.target, "ruby thread without the GVL"); });
    return status;
  }
};

struct Stop : Command {
  void show(std::ostream& os) const override { os << "Handoff.stop"; }
  void apply(Model& m) const override { m.running = false; }
  std::string Expect(const Model&) const { return ""; }
  std::string Observe(Bridge&) const { return EvalOrError("Handoff.stop; ''"); }
};

struct Start : Command {
  void checkPreconditions(const Model& m) const override { RC_PRE(!m.running); }
  void show(std::ostream& os) const override { os << "Handoff.start"; }
  void apply(Model& m) const override { m.running = true; }
  std::string Expect(const Model&) const { return ""; }
  std::string Observe(Bridge&) const { return EvalOrError("Handoff.start; ''"); }
};

struct KillWorker : Command {
  void show(std::ostream& os) const override { os << "kill a worker thread"; }
  std::string Expect(const Model&) const { return ""; }
  std::string Observe(Bridge& b) const {
    b.target->kill_event_thread();
    return "";
  }
};

struct Fork : Command {
  void checkPreconditions(const Model& m) const override {
    RC_PRE(m.running);  // a stopped parent's child is not restarted: not modelled
    bool build_can_fork = ForkRefusedBySanitizer() == nullptr;  // (RapidCheck cannot show a nullptr)
    RC_PRE(build_can_fork);
  }
  void show(std::ostream& os) const override { os << "fork; one call in the child"; }
  std::string Expect(const Model&) const { return "child ok"; }
  std::string Observe(Bridge&) const {
    return EvalOrError(
        "r, w = IO.pipe; pid = fork { r.close; w.write(HandoffLifecycle.child_probe); w.close; exit!(0) }; "
        "w.close; got = r.read; r.close; Process.wait(pid); 'child ' + got");
  }
};

// Dispatches Expect/Observe on the concrete command (rc::state commands
// have no such virtuals of their own).
template <typename F>
auto Visit(const Command& c, F&& f) {
  if (auto* x = dynamic_cast<const Invoke*>(&c)) return f(*x);
  if (auto* x = dynamic_cast<const InvokeFromRuby*>(&c)) return f(*x);
  if (auto* x = dynamic_cast<const Stop*>(&c)) return f(*x);
  if (auto* x = dynamic_cast<const Start*>(&c)) return f(*x);
  if (auto* x = dynamic_cast<const KillWorker*>(&c)) return f(*x);
  return f(dynamic_cast<const Fork&>(c));
}

using Commands = rc::state::Commands<Command>;

// The child: start Ruby and the bridge, run every command, report one line each.
int RunInChild(const Commands& commands, int result_fd) {
  RUBY_INIT_STACK;
  StartEmbeddedRuby();
  const handoff_target* target = CurrentPropertyTarget().target;
  g_child_target = target;
  VALUE module = rb_define_module("HandoffLifecycle");
  rb_define_module_function(module, "child_probe", RUBY_METHOD_FUNC(ChildProbe), 0);
  std::string error;
  VALUE handler = Qnil;
  if (!EvalRuby("proc { |payload| payload.reverse }", &error, &handler)) {
    WriteChildResult(result_fd, Result::HarnessFailure("handler: " + error), RunStats{});
    return 2;
  }
  rb_gc_register_address(&handler);
  static const handoff_target_host host = {HANDOFF_TARGET_ABI_VERSION, 0, [](const char*) {}};
  char message[512] = "";
  if (target->start(&host, static_cast<uintptr_t>(handler), message, sizeof message) != 0) {
    WriteChildResult(result_fd, Result::HarnessFailure(std::string("start: ") + message), RunStats{});
    return 2;
  }
  std::string observed;
  Bridge bridge{target};
  for (const auto& command : commands) {
    observed += Visit(*command, [&](const auto& c) { return c.Observe(bridge); }) + "\n";
  }
  WriteChildResult(result_fd, Result::Pass(), RunStats{}, observed);
  return 0;
}

void CheckLifecycle() {
  Model initial;
  Commands commands = *rc::state::gen::commands(
      initial, rc::state::gen::execOneOfWithArgs<Invoke, Invoke, InvokeFromRuby, Stop, Start,
                                                 KillWorker, Fork>());
  SuperviseOptions supervise;
  supervise.stall_seconds = 120;  // the child does not beat: a hard timeout
  SupervisedRun run = Supervise([&](int fd) { return RunInChild(commands, fd); }, supervise);
  if (!run.result.passed()) {
    RC_FAIL("the child running the commands failed: " + run.result.Verdict() + "\n" +
            run.result.detail());
  }
  std::istringstream lines(run.report);
  Model model = initial;
  for (const auto& command : commands) {
    std::string seen;
    std::getline(lines, seen);
    std::string want = Visit(*command, [&](const auto& c) { return c.Expect(model); });
    std::ostringstream shown;
    command->show(shown);
    if (seen != want) RC_FAIL(shown.str() + ": expected " + want + ", observed " + seen);
    command->apply(model);
  }
}

}  // namespace

Property LifecycleModelProperty() {
  return {"lifecycle_model",
          "stateful model of the bridge's lifecycle (start, stop, invoke from foreign and Ruby "
          "threads, kill a worker, fork): the model predicts every status",
          CheckLifecycle, /*needs_fork=*/false, /*bridge_only=*/true};
}

}  // namespace handoff::properties
