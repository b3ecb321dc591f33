// The bridge inside an executable that embeds Ruby: the form in which every
// sanitizer (clang's TSan included, which cannot be loaded into `ruby`) sees
// the extension, Ruby's GVL and foreign std::threads together.
//
// Ruby owns this process's main thread; every test runs on it. Foreign
// threads are std::threads that call handoff_invoke while the main thread has
// released the GVL. They only record what they got; all checks run after they
// are joined, on the main thread.
#include <gtest/gtest.h>
#include <ruby.h>
#include <ruby/thread.h>

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "handoff/bridge.h"

extern "C" void Init_handoff(void);

namespace {

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr int kScale = 5;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
constexpr int kScale = 5;
#else
constexpr int kScale = 1;
#endif
#else
constexpr int kScale = 1;
#endif

VALUE Eval(const std::string& code) {
  int state = 0;
  VALUE result = rb_eval_string_protect(code.c_str(), &state);
  if (state != 0) {
    VALUE error = rb_errinfo();
    rb_set_errinfo(Qnil);
    VALUE text = rb_funcall(error, rb_intern("full_message"), 0);
    ADD_FAILURE() << "Ruby raised evaluating `" << code << "`:\n" << StringValueCStr(text);
    return Qnil;
  }
  return result;
}

// A Handoff::Callback made from Ruby source, kept referenced by a global.
handoff_callback* MakeCallback(const std::string& block) {
  VALUE cb = Eval("($callbacks ||= []) << Handoff::Callback.new " + block + "; $callbacks.last");
  return reinterpret_cast<handoff_callback*>(NUM2ULL(rb_funcall(cb, rb_intern("handle"), 0)));
}

// Runs `body(thread_index)` on `n` foreign threads; the calling Ruby thread
// releases the GVL until all are done.
void RunForeignThreads(int n, const std::function<void(int)>& body) {
  struct Job {
    int n;
    const std::function<void(int)>* body;
  } job{n, &body};
  rb_thread_call_without_gvl(
      [](void* arg) -> void* {
        auto* j = static_cast<Job*>(arg);
        std::vector<std::thread> threads;
        for (int t = 0; t < j->n; ++t) threads.emplace_back(*j->body, t);
        for (auto& th : threads) th.join();
        return nullptr;
      },
      &job, nullptr, nullptr);
}

struct Call {
  handoff_status status = HANDOFF_INVALID;
  int64_t value = -1;
  std::string error_class, error_message;
};

Call InvokeInt(handoff_callback* cb, std::vector<handoff_value> args, int64_t timeout_ns = 0) {
  handoff_reply reply;
  Call c;
  c.status = handoff_invoke(cb, args.data(), args.size(), timeout_ns, &reply);
  if (reply.value.type == HANDOFF_INT) c.value = reply.value.as.integer;
  if (reply.error_class) c.error_class = reply.error_class;
  if (reply.error_message) c.error_message = reply.error_message;
  handoff_reply_free(&reply);
  return c;
}

class EmbeddedBridge : public ::testing::Test {
 protected:
  void SetUp() override { Eval("Handoff.stop if Handoff.running?; Handoff.start"); }
  void TearDown() override { Eval("Handoff.stop"); }
};

TEST_F(EmbeddedBridge, EveryForeignCallGetsExactlyItsOwnReply) {
  handoff_callback* cb = MakeCallback("{ |t, i| t * 1_000_000 + i }");
  const int threads = 8, calls = 2000 / kScale;
  std::vector<std::vector<Call>> got(threads, std::vector<Call>(calls));
  RunForeignThreads(threads, [&](int t) {
    for (int i = 0; i < calls; ++i) got[t][i] = InvokeInt(cb, {handoff_int(t), handoff_int(i)});
  });
  for (int t = 0; t < threads; ++t) {
    for (int i = 0; i < calls; ++i) {
      ASSERT_EQ(got[t][i].status, HANDOFF_OK) << t << "/" << i << ": " << got[t][i].error_message;
      ASSERT_EQ(got[t][i].value, t * 1'000'000 + i);
    }
  }
}

TEST_F(EmbeddedBridge, RaisedBlockHandsBackClassAndMessage) {
  Eval("$errors = []; Handoff.on_error { |e, _| $errors << e }");
  handoff_callback* cb = MakeCallback("{ |x| raise ArgumentError, \"no #{x}\" }");
  std::vector<Call> got(4);
  RunForeignThreads(4, [&](int t) { got[t] = InvokeInt(cb, {handoff_int(t)}); });
  for (int t = 0; t < 4; ++t) {
    EXPECT_EQ(got[t].status, HANDOFF_RAISED);
    EXPECT_EQ(got[t].error_class, "ArgumentError");
    EXPECT_EQ(got[t].error_message, "no " + std::to_string(t));
  }
  EXPECT_EQ(NUM2INT(Eval("$errors.size")), 4);
  Eval("Handoff.on_error");
}

// A Ruby thread holding the GVL runs the block itself; one that released it
// has a worker run it (where a Thread#kill of the caller cannot be caught).
TEST_F(EmbeddedBridge, ARubyThreadWithTheGvlRunsTheBlockOneWithoutQueuesIt) {
  handoff_callback* cb = MakeCallback("{ |x| Thread.current == Thread.main ? x : -x }");
  EXPECT_EQ(InvokeInt(cb, {handoff_int(5)}).value, 5);  // holding the GVL
  Call without;
  std::pair<handoff_callback*, Call*> call(cb, &without);
  rb_thread_call_without_gvl(
      [](void* arg) -> void* {
        auto* c = static_cast<std::pair<handoff_callback*, Call*>*>(arg);
        *c->second = InvokeInt(c->first, {handoff_int(6)});
        return nullptr;
      },
      &call, nullptr, nullptr);
  EXPECT_EQ(without.value, -6);
}

TEST_F(EmbeddedBridge, StopWithCallsInFlightReturnsEveryCall) {
  handoff_callback* cb = MakeCallback("{ |x| sleep 0.0005; x }");
  const int threads = 4, calls = 200 / kScale;
  std::vector<std::vector<Call>> got(threads, std::vector<Call>(calls));
  Eval("$stopper = Thread.new { sleep 0.01; Handoff.stop }");
  RunForeignThreads(threads, [&](int t) {
    for (int i = 0; i < calls; ++i) got[t][i] = InvokeInt(cb, {handoff_int(i)});
  });
  Eval("$stopper.join");
  int ok = 0;
  for (auto& row : got) {
    for (auto& c : row) {
      ASSERT_TRUE(c.status == HANDOFF_OK || c.status == HANDOFF_STOPPED) << c.status;
      ok += c.status == HANDOFF_OK;
    }
  }
  EXPECT_GT(ok, 0);
  std::vector<Call> after(2);
  RunForeignThreads(2, [&](int t) { after[t] = InvokeInt(cb, {handoff_int(1)}); });
  EXPECT_EQ(after[0].status, HANDOFF_STOPPED);
  EXPECT_EQ(after[1].status, HANDOFF_STOPPED);
}

TEST_F(EmbeddedBridge, StopWhileForeignThreadsCallReleasesThemAll) {
  handoff_callback* cb = MakeCallback("{ |x| sleep 0.001; x }");
  Eval("$stopper = Thread.new { sleep 0.02; Handoff.stop }");
  const int threads = 4;
  std::vector<std::vector<Call>> got(threads);
  RunForeignThreads(threads, [&](int t) {
    for (;;) {  // until the bridge says it stopped: must end, not hang
      got[t].push_back(InvokeInt(cb, {handoff_int(t)}));
      if (got[t].back().status != HANDOFF_OK) break;
    }
  });
  Eval("$stopper.join");
  for (auto& row : got) EXPECT_EQ(row.back().status, HANDOFF_STOPPED);
}

TEST_F(EmbeddedBridge, KilledWorkersNeverLeaveACallHanging) {
  handoff_callback* cb = MakeCallback("{ |x| x }");
  Eval("$killer = Thread.new { 30.times { Handoff.workers.sample&.kill; sleep 0.0005 } }");
  const int threads = 4, calls = 1000 / kScale;
  std::vector<std::vector<Call>> got(threads, std::vector<Call>(calls));
  RunForeignThreads(threads, [&](int t) {
    for (int i = 0; i < calls; ++i) got[t][i] = InvokeInt(cb, {handoff_int(i)});
  });
  Eval("$killer.join");
  for (auto& row : got) {
    for (size_t i = 0; i < row.size(); ++i) {
      ASSERT_TRUE(row[i].status == HANDOFF_OK || row[i].status == HANDOFF_STOPPED);
      if (row[i].status == HANDOFF_OK) ASSERT_EQ(row[i].value, static_cast<int64_t>(i));
    }
  }
  EXPECT_EQ(InvokeInt(cb, {handoff_int(3)}).value, 3);
}

TEST_F(EmbeddedBridge, DeadlinesAbandonRequestsSafely) {
  handoff_callback* cb = MakeCallback("{ |x| sleep 0.001 if x.odd?; x }");
  const int threads = 4, calls = 100 / kScale;
  std::vector<std::vector<Call>> got(threads, std::vector<Call>(calls));
  RunForeignThreads(threads, [&](int t) {
    for (int i = 0; i < calls; ++i) got[t][i] = InvokeInt(cb, {handoff_int(i)}, 200'000);
  });
  int timed_out = 0;
  for (auto& row : got) {
    for (size_t i = 0; i < row.size(); ++i) {
      ASSERT_TRUE(row[i].status == HANDOFF_OK || row[i].status == HANDOFF_TIMED_OUT);
      if (row[i].status == HANDOFF_OK) ASSERT_EQ(row[i].value, static_cast<int64_t>(i));
      timed_out += row[i].status == HANDOFF_TIMED_OUT;
    }
  }
  EXPECT_GT(timed_out, 0);
  std::vector<Call> later(1);
  RunForeignThreads(1, [&](int) { later[0] = InvokeInt(cb, {handoff_int(8)}); });
  EXPECT_EQ(later[0].value, 8);
}

// EmbeddedHelpers.call_from_foreign_thread(handle, x): what a C library does
// inside a block that triggers another callback: a foreign thread calls in
// and the block waits for it (without the GVL).
VALUE CallFromForeignThread(VALUE, VALUE handle, VALUE x) {
  auto* cb = reinterpret_cast<handoff_callback*>(NUM2ULL(handle));
  int64_t arg = NUM2LL(x);
  Call got;
  RunForeignThreads(1, [&](int) { got = InvokeInt(cb, {handoff_int(arg)}); });
  if (got.status != HANDOFF_OK) rb_raise(rb_eRuntimeError, "nested call: %s", handoff_status_name(got.status));
  return LL2NUM(got.value);
}

TEST_F(EmbeddedBridge, ReentrantCallbacksNest) {
  rb_define_module_function(rb_define_module("EmbeddedHelpers"), "call_from_foreign_thread",
                            RUBY_METHOD_FUNC(CallFromForeignThread), 2);
  // depth n: the block calls itself through a new foreign thread until n == 0
  handoff_callback* cb = MakeCallback(
      "{ |n| n.zero? ? 0 : 1 + EmbeddedHelpers.call_from_foreign_thread($callbacks.last.handle, n - 1) }");
  std::vector<Call> got(3);
  RunForeignThreads(3, [&](int t) { got[t] = InvokeInt(cb, {handoff_int(3)}); });
  for (auto& c : got) {
    EXPECT_EQ(c.status, HANDOFF_OK) << c.error_message;
    EXPECT_EQ(c.value, 3);
  }
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ruby_sysinit(&argc, &argv);
  RUBY_INIT_STACK;
  ruby_init();
  // ruby_options runs what `ruby` runs before a script (the Ruby-defined core
  // methods such as Array#sample and Kernel#warn); the empty script is not run.
  static char arg0[] = "bridge_embedded_tests", no_gems[] = "--disable-gems", e[] = "-e",
              empty[] = "";
  char* options[] = {arg0, no_gems, e, empty};
  ruby_options(4, options);
  Init_handoff();
  rb_provide("handoff/handoff.so");
  rb_ary_push(rb_gv_get("$LOAD_PATH"), rb_str_new_cstr(HANDOFF_RUBY_LIB_DIR));
  int state = 0;
  rb_protect([](VALUE) { return rb_require("handoff"); }, Qnil, &state);
  if (state != 0) {
    fprintf(stderr, "embedded_bridge_test: cannot load lib/handoff.rb from %s\n",
            HANDOFF_RUBY_LIB_DIR);
    return 2;
  }
  int rc = RUN_ALL_TESTS();
  return ruby_cleanup(rc);
}
