#include "gvl/gvl_check.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <link.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "gvl/gvl_check_stubs.h"
#include "gvl/gvl_rules.h"
#include "host/annotated_mutex.h"
#include "host/elf_imports.h"
#include "host/frame_names.h"
#include "host/target_objects.h"

extern "C" {
int ruby_native_thread_p(void);
int ruby_thread_has_gvl_p(void);  // exported by libruby, not declared in its headers
}

// The per-call path must be invisible to ThreadSanitizer: it reads state
// another thread wrote (the slot table) and must add no synchronisation.
#if defined(__clang__)
#define HANDOFF_GVL_UNINSTRUMENTED __attribute__((disable_sanitizer_instrumentation))
#else
#define HANDOFF_GVL_UNINSTRUMENTED __attribute__((no_sanitize_thread))
#endif

namespace handoff {
namespace {

constexpr int kReportFrames = 6;

// What stub i stands for. Filled before any slot points at stub i and never
// changed after: a thread that reached stub i through a slot finds it set.
struct Stub {
  std::atomic<void*> real{nullptr};
  std::atomic<uint8_t> rule{0};  // GvlRule
  std::atomic<const char*> name{nullptr};
};

Stub g_stubs[kGvlStubCount];
std::atomic<bool> g_reported{false};

// The installer's state, shared by the driving Ruby thread, the watcher and
// a reporting target thread. Heap, never freed: a target thread may call
// through a stub while the process exits.
struct State {
  // Set before g_state is published, read-only after.
  std::function<void(const Result&)> on_violation;
  const handoff_target* target = nullptr;
  void* libruby = nullptr;                    // dlopen handle of the loaded libruby
  ElfW(Addr) target_base = 0;

  Mutex mutex;
  std::set<ElfW(Addr)> before_start GUARDED_BY(mutex);  // objects loaded before the target started
  std::set<ElfW(Addr)> done GUARDED_BY(mutex);     // objects already interposed on (or skipped)
  std::set<ElfW(Addr)> checked GUARDED_BY(mutex);  // objects interposed on
  std::unordered_map<void*, uint32_t> stub_of GUARDED_BY(mutex);  // real function -> stub index
  uint32_t stubs_used GUARDED_BY(mutex) = 0;
  bool stubs_exhausted_reported GUARDED_BY(mutex) = false;
  unsigned long long loads_seen GUARDED_BY(mutex) = 0;  // dl_iterate_phdr's dlpi_adds
};

State* g_state = nullptr;

bool InsideStubs(const void* address) {
  auto* p = static_cast<const unsigned char*>(address);
  return p >= handoff_gvl_stubs_begin && p < handoff_gvl_stubs_end;
}

// The stub for `real` (libruby's function `name`), made on first use.
// nullptr when every stub is taken.
void* StubFor(State& state, void* real, const char* name, GvlRule rule) REQUIRES(state.mutex) {
  auto it = state.stub_of.find(real);
  uint32_t index;
  if (it != state.stub_of.end()) {
    index = it->second;
  } else {
    if (state.stubs_used == kGvlStubCount) {
      if (!state.stubs_exhausted_reported) {
        std::fprintf(stderr, "handoff-stress: GVL check: all %zu stubs taken; %s and later "
                             "functions are not checked\n", kGvlStubCount, name);
        state.stubs_exhausted_reported = true;
      }
      return nullptr;
    }
    index = state.stubs_used++;
    g_stubs[index].name.store(strdup(name), std::memory_order_relaxed);
    g_stubs[index].rule.store(static_cast<uint8_t>(rule), std::memory_order_relaxed);
    g_stubs[index].real.store(real, std::memory_order_release);
    state.stub_of.emplace(real, index);
  }
  return const_cast<unsigned char*>(handoff_gvl_stubs_begin) + index * kGvlStubSize;
}

// Points every checked Ruby C API import of `object` at its stub.
void Interpose(State& state, const LoadedObject& object) REQUIRES(state.mutex) {
  // Waits for a dlopen of this object still under way (the loader's lock)
  // so its relocations are done before they are rewritten.
  void* handle = dlopen(object.path.c_str(), RTLD_LAZY | RTLD_NOLOAD);
  ForEachImport(object, [&](const ImportSlot& import) {
    state.mutex.AssertHeld();  // ForEachImport calls this here, under the lock
    if (std::strncmp(import.name, "rb_", 3) != 0 && std::strncmp(import.name, "ruby_", 5) != 0) return;
    if (std::strcmp(import.name, "rb_f_notimplement") == 0) return;  // Ruby compares its address
    GvlRule rule = GvlRuleFor(import.name);
    if (rule == GvlRule::kAnyThread) return;
    void* real = dlsym(state.libruby, import.name);
    if (real == nullptr) return;  // not libruby's: another library's rb_-named function
    Dl_info info;
    ElfW(Sym)* symbol = nullptr;
    if (dladdr1(real, &info, reinterpret_cast<void**>(&symbol), RTLD_DL_SYMENT) == 0 ||
        symbol == nullptr || ELF64_ST_TYPE(symbol->st_info) != STT_FUNC) {
      return;  // a variable (rb_cObject, rb_eStandardError...): not a call
    }
    void* current = __atomic_load_n(import.slot, __ATOMIC_RELAXED);
    if (InsideStubs(current)) return;
    // Bound to libruby already, or not yet bound (a lazy PLT slot points back
    // into the object's own PLT); bound anywhere else means interposed by
    // someone else: leave it.
    Dl_info current_info;
    bool lazy = dladdr(current, &current_info) != 0 &&
                reinterpret_cast<ElfW(Addr)>(current_info.dli_fbase) == object.base;
    if (current != real && !lazy) return;
    void* stub = StubFor(state, real, import.name, rule);
    if (stub == nullptr) return;
    std::string error;
    if (!WriteSlot(object, import.slot, stub, &error)) {
      std::fprintf(stderr, "handoff-stress: GVL check: %s not checked: %s\n", import.name,
                   error.c_str());
    }
  });
  if (handle != nullptr) dlclose(handle);
}

// Interposes on every object not seen yet that is the target's or was
// loaded after StartGvlCheck.
void Rescan(State& state) REQUIRES(state.mutex) {
  state.loads_seen = LoadCount();
  std::vector<LoadedObject> objects = LoadedObjects();
  std::set<ElfW(Addr)> target_objects = TargetObjects(objects, state.target_base);
  for (const LoadedObject& object : objects) {
    if (!state.done.insert(object.base).second) continue;
    if (IsRuntime(object)) continue;
    if (state.before_start.count(object.base) && !target_objects.count(object.base)) continue;
    Interpose(state, object);
    state.checked.insert(object.base);
  }
}

void WatchForNewObjects(State* state) {
  for (;;) {
    timespec delay{0, 20 * 1000 * 1000};
    nanosleep(&delay, nullptr);
    MutexLock lock(&state->mutex);
    if (LoadCount() != state->loads_seen) Rescan(*state);
  }
}

std::string ThreadKind(bool ruby_thread) {
  return ruby_thread ? "a Ruby thread that does not hold the GVL (it released it: "
                       "rb_thread_call_without_gvl or a blocking region)"
                     : "a foreign thread (one Ruby did not create: it can never hold the GVL)";
}

// The first frames from the target's call on: the frames of the check
// itself are dropped (the unwinder walks through the stub's CFI).
std::string TargetFrames(void* return_address) {
  void* frames[64];
  int count = backtrace(frames, 64);
  int first = 0;
  while (first < count && frames[first] != return_address) ++first;
  std::string out;
  if (first == count) {  // unwinding failed: at least the call site
    return "  #0 " + FrameName(return_address) + "\n";
  }
  for (int i = first; i < count && i < first + kReportFrames; ++i) {
    out += "  #" + std::to_string(i - first) + " " + FrameName(frames[i]) + "\n";
  }
  return out;
}

// Whether `address` lies in an object whose imports were interposed on.
bool InCheckedObject(const void* address) {
  Dl_info info;
  if (dladdr(address, &info) == 0) return false;
  MutexLock lock(&g_state->mutex);
  return g_state->checked.count(reinterpret_cast<ElfW(Addr)>(info.dli_fbase)) != 0;
}

[[noreturn]] void BlockForever() {
  for (;;) pause();
}

[[noreturn]] __attribute__((noinline)) void ReportViolation(uint32_t index, void* return_address) {
  // Only the first violation is reported; the process ends with it.
  if (g_reported.exchange(true, std::memory_order_relaxed)) BlockForever();
  const Stub& stub = g_stubs[index];
  const char* name = stub.name.load(std::memory_order_relaxed);
  bool ruby_thread = ruby_native_thread_p() != 0;
  std::string detail = std::string(name) + " called by the target from " + ThreadKind(ruby_thread);
  if (static_cast<GvlRule>(stub.rule.load(std::memory_order_relaxed)) == GvlRule::kRubyThread) {
    detail += "; it may be called only from Ruby threads";
    if (std::strcmp(name, "rb_thread_call_with_gvl") == 0) {
      detail += " (Ruby would print \"[BUG] rb_thread_call_with_gvl() is called by non-ruby "
                "thread\" and exit)";
    }
  }
  detail += "\n" + TargetFrames(return_address);
  if (!InCheckedObject(return_address)) {
    detail += "  (#0 is not in a checked object: the target's call was a tail call, which leaves "
              "no frame of the calling function)\n";
  }
  detail += "  (the call was not made; --no-gvl-check turns the check off)";
  g_state->on_violation(Result::Failure(FailureKind::kGvlViolation, detail));
  BlockForever();  // on_violation ends the process
}

}  // namespace

void StartGvlCheck(const handoff_target* target, std::function<void(const Result&)> on_violation) {
  if (g_state != nullptr) return;
  auto* state = new State;
  state->on_violation = std::move(on_violation);
  state->target = target;
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&ruby_native_thread_p), &info) != 0) {
    state->libruby = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
  }
  if (state->libruby == nullptr) {
    std::fprintf(stderr, "handoff-stress: GVL check: cannot find libruby; the check is off\n");
    return;
  }
  state->target_base = ObjectBaseOf(reinterpret_cast<const void*>(target->invoke));
  void* warm[1];
  backtrace(warm, 1);  // loads the unwinder now, not in a report
  MutexLock lock(&state->mutex);
  for (const LoadedObject& object : LoadedObjects()) {
    state->before_start.insert(object.base);
  }
  g_state = state;
  Rescan(*state);
}

void GvlCheckTargetStarted() {
  State* state = g_state;
  if (state == nullptr || state->libruby == nullptr) return;
  {
    MutexLock lock(&state->mutex);
    Rescan(*state);
  }
  std::thread(WatchForNewObjects, state).detach();
}

size_t GvlCheckedFunctions() {
  if (g_state == nullptr) return 0;
  MutexLock lock(&g_state->mutex);
  return g_state->stubs_used;
}

}  // namespace handoff

// The per-call check, called by every stub: returns the real function when
// the calling thread may call it, else reports (and never returns).
extern "C" HANDOFF_GVL_UNINSTRUMENTED void* handoff_gvl_check_enter(uint32_t index,
                                                                    void* return_address) {
  handoff::Stub& stub = handoff::g_stubs[index];
  void* real = stub.real.load(std::memory_order_relaxed);
  bool allowed = stub.rule.load(std::memory_order_relaxed) ==
                         static_cast<uint8_t>(handoff::GvlRule::kNeedsGvl)
                     ? ruby_thread_has_gvl_p() != 0
                     : ruby_native_thread_p() != 0;
  if (__builtin_expect(allowed, 1)) return real;
  handoff::ReportViolation(index, return_address);
}
