#include "handoff/scenario.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "host/seeded_random.h"

namespace handoff {
namespace {

constexpr const char* kBehaviourNames[kBehaviourCount] = {
    "return", "raise", "slow", "gc", "reenter", "large", "reenter_gvl", "reenter_nogvl", "escape", "post"};
constexpr const char* kEscapeNames[kEscapeWayCount] = {
    "exception", "interrupt", "signal", "no_memory", "stack_overflow",
    "script_error", "throw", "break", "next", "exit"};
constexpr const char* kCallerNames[kCallerKindCount] = {"foreign", "gvl", "nogvl"};
constexpr const char* kAimNames[3] = {"", "handler", "sync"};  // by EventAim
constexpr const char* kEventNames[kEventTypeCount] = {"stop", "kill", "compact", "fork", "wakeup",
                                                         "gc_stress", "idle", "move",
                                                         "caller_raise", "caller_kill",
                                                         "caller_timeout"};

std::string NameList(const char* const* names, int count) {
  std::string list;
  for (int i = 0; i < count; ++i) list += (i ? ", " : "") + std::string(names[i]);
  return list;
}

bool ParseUnsigned(const std::string& text, uint64_t max, uint64_t* out) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return false;
  errno = 0;
  unsigned long long value = std::strtoull(text.c_str(), nullptr, 10);
  if (errno != 0 || value > max) return false;
  *out = value;
  return true;
}

template <typename T>
bool ParseField(const std::string& key, const std::string& text, uint64_t max, T* out,
                std::string* error) {
  uint64_t value = 0;
  if (!ParseUnsigned(text, max, &value)) {
    *error = key + " must be a whole number from 0 to " + std::to_string(max) + " (got '" +
             text + "')";
    return false;
  }
  *out = static_cast<T>(value);
  return true;
}

// A ratio (min_throughput_ratio): a plain decimal number above 0, at most
// kMaxRatio; 0 turns it off.
constexpr double kMaxRatio = 1000;

bool ParseRatio(const std::string& key, const std::string& text, double* out, std::string* error) {
  char* end = nullptr;
  errno = 0;
  double value = text.find_first_not_of("0123456789.e-+") == std::string::npos && !text.empty()
                     ? std::strtod(text.c_str(), &end) : -1;
  if (end == nullptr || *end != '\0' || errno != 0 || value < 0 || value > kMaxRatio) {
    *error = key + " must be a decimal number from 0 (off) to " + std::to_string(int(kMaxRatio)) +
             " (got '" + text + "')";
    return false;
  }
  *out = value;
  return true;
}

// The shortest decimal text that parses back to exactly `ratio`.
std::string RatioText(double ratio) {
  char text[32];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(text, sizeof text, "%.*g", digits, ratio);
    if (std::strtod(text, nullptr) == ratio) break;
  }
  return text;
}

// "name:weight,name:weight" over `names` (mix, callers).
template <size_t N>
bool ParseWeights(const std::string& key, const std::string& text, const char* const* names,
                  std::array<uint32_t, N>* weights, std::string* error) {
  weights->fill(0);
  std::stringstream items(text);
  std::string item;
  while (std::getline(items, item, ',')) {
    size_t colon = item.find(':');
    std::string name = item.substr(0, colon);
    int index = -1;
    for (size_t i = 0; i < N; ++i) {
      if (name == names[i]) index = static_cast<int>(i);
    }
    if (index < 0 || colon == std::string::npos) {
      *error = key + " items are name:weight with name one of " +
               NameList(names, static_cast<int>(N)) + " (got '" + item + "')";
      return false;
    }
    if (!ParseField(key + " weight of " + name, item.substr(colon + 1), 1000000,
                    &(*weights)[static_cast<size_t>(index)], error)) {
      return false;
    }
  }
  return true;
}

template <size_t N>
void PrintWeights(std::ostream& out, const char* key, const char* const* names,
                  const std::array<uint32_t, N>& weights) {
  out << " " << key << "=";
  bool first = true;
  for (size_t i = 0; i < N; ++i) {
    if (weights[i] == 0) continue;
    out << (first ? "" : ",") << names[i] << ":" << weights[i];
    first = false;
  }
}

// One item of the events list: name@N, name@handler:N or name@sync:N.
bool ParseEvent(const std::string& item, Event* event, std::string* error) {
  size_t at = item.find('@');
  std::string name = item.substr(0, at);
  int index = -1;
  for (int e = 0; e < kEventTypeCount; ++e) {
    if (name == kEventNames[e]) index = e;
  }
  if (index < 0 || at == std::string::npos) {
    *error = "events are name@N, name@handler:N or name@sync:N with name one of " +
             NameList(kEventNames, kEventTypeCount) + " (got '" + item + "')";
    return false;
  }
  event->type = static_cast<EventType>(index);
  std::string when = item.substr(at + 1);
  for (int aim = 1; aim < 3; ++aim) {
    std::string prefix = std::string(kAimNames[aim]) + ":";
    if (when.rfind(prefix, 0) == 0) {
      event->aim = static_cast<EventAim>(aim);
      when = when.substr(prefix.size());
    }
  }
  return ParseField("event " + name, when, UINT64_MAX / 2, &event->after_calls, error);
}

bool ParseEvents(const std::string& text, Scenario* s, std::string* error) {
  s->events.clear();
  if (text == "none") return true;
  std::stringstream items(text);
  std::string item;
  while (std::getline(items, item, ',')) {
    Event event{EventType::kStop, 0};
    if (!ParseEvent(item, &event, error)) return false;
    s->events.push_back(event);
  }
  // After-calls events happen in call order; a list with aimed events (whose
  // N counts from the event before) keeps the order it was given in.
  bool all_after_calls = std::all_of(s->events.begin(), s->events.end(), [](const Event& e) {
    return e.aim == EventAim::kAfterCalls;
  });
  if (all_after_calls) {
    std::stable_sort(s->events.begin(), s->events.end(),
                     [](const Event& a, const Event& b) { return a.after_calls < b.after_calls; });
  }
  return true;
}

// "min..max" (or one number for both), in bytes.
bool ParseSizeRange(const std::string& key, const std::string& text, uint32_t* min, uint32_t* max,
                    std::string* error) {
  size_t dots = text.find("..");
  std::string low = text.substr(0, dots);
  std::string high = dots == std::string::npos ? low : text.substr(dots + 2);
  return ParseField(key + " minimum", low, 1u << 26, min, error) &&
         ParseField(key + " maximum", high, 1u << 26, max, error);
}

}  // namespace

const char* BehaviourName(Behaviour behaviour) {
  return kBehaviourNames[static_cast<int>(behaviour)];
}

const char* EscapeWayName(EscapeWay way) { return kEscapeNames[static_cast<int>(way)]; }

bool EndsARubyThread(EscapeWay way) {
  return way == EscapeWay::kExit || way == EscapeWay::kInterrupt || way == EscapeWay::kSignal;
}

const char* EventTypeName(EventType type) { return kEventNames[static_cast<int>(type)]; }

bool InterruptsACaller(EventType type) {
  return type == EventType::kCallerRaise || type == EventType::kCallerKill ||
         type == EventType::kCallerTimeout;
}

const char* CallerKindName(CallerKind kind) { return kCallerNames[static_cast<int>(kind)]; }

uint64_t Scenario::CallsOf(int thread) const {
  uint64_t n = static_cast<uint64_t>(threads);
  return calls / n + (static_cast<uint64_t>(thread) < calls % n ? 1 : 0);
}

uint64_t Scenario::FirstCallOf(int thread) const {
  uint64_t n = static_cast<uint64_t>(threads), t = static_cast<uint64_t>(thread);
  return t * (calls / n) + std::min(t, calls % n);
}

int Scenario::ThreadOf(uint64_t call_id) const {
  uint64_t n = static_cast<uint64_t>(threads), q = calls / n, r = calls % n;
  if (call_id < r * (q + 1)) return static_cast<int>(call_id / (q + 1));
  return static_cast<int>(r + (call_id - r * (q + 1)) / q);
}

bool Scenario::Has(EventType type) const {
  return std::any_of(events.begin(), events.end(),
                     [type](const Event& e) { return e.type == type; });
}

uint32_t Scenario::MixTotal() const {
  uint32_t total = 0;
  for (uint32_t weight : mix) total += weight;
  return total;
}

uint32_t Scenario::CallersTotal() const {
  uint32_t total = 0;
  for (uint32_t weight : callers) total += weight;
  return total;
}

CallerKind Scenario::KindOf(int thread) const {
  uint64_t total = CallersTotal();
  uint64_t at = static_cast<uint64_t>(thread) * total / static_cast<uint64_t>(threads);
  for (int k = 0; k < kCallerKindCount; ++k) {
    if (at < callers[k]) return static_cast<CallerKind>(k);
    at -= callers[k];
  }
  return CallerKind::kForeign;
}

Scenario DefaultMixedScenario() {
  Scenario s;
  s.mix = {90, 4, 2, 2, 1, 1, 0, 0, 1, 0};
  s.callers = {6, 1, 1};
  return s;
}

void AddDefaultLifecycle(Scenario* s, bool can_kill) {
  if (s->calls < 40) return;
  const uint64_t n = s->calls;
  // Early: the idle window before any call was interrupted (whose block
  // might still run, leaving it unjudged), and the caller events before a
  // Ruby caller that runs blocks itself finishes its share of the calls,
  // long before the foreign callers may. A killed caller's later calls are
  // made by a new thread (ruby_caller.h).
  s->events.push_back({EventType::kIdle, n / 25});
  s->events.push_back({EventType::kMove, n / 25});  // as the idle window ends: no block running
  s->events.push_back({EventType::kCallerRaise, n * 3 / 50});
  s->events.push_back({EventType::kCallerTimeout, n * 2 / 25});
  s->events.push_back({EventType::kCallerKill, n / 10});
  s->events.push_back({EventType::kCallerKill, n * 3 / 25});
  s->events.push_back({EventType::kCallerKill, n * 7 / 50});
  s->events.push_back({EventType::kMove, n * 2 / 5});
  if (can_kill) s->events.push_back({EventType::kKill, n / 2});
  s->events.push_back({EventType::kMove, n * 7 / 10});
  s->events.push_back({EventType::kStop, n - n / 20});
}

std::string ScenarioToText(const Scenario& s) {
  std::ostringstream out;
  out << "threads=" << s.threads << " calls=" << s.calls << " payload=" << s.payload_min
      << ".." << s.payload_max << " reply=" << s.reply_min << ".." << s.reply_max;
  bool escapes = s.mix[static_cast<int>(Behaviour::kEscape)] != 0;
  if (s.mix[static_cast<int>(Behaviour::kRaise)] != 0 || escapes) {
    out << " message=" << s.message_min << ".." << s.message_max;
  }
  PrintWeights(out, "mix", kBehaviourNames, s.mix);
  if (escapes) PrintWeights(out, "escapes", kEscapeNames, s.escapes);
  if (s.callers != Scenario().callers) PrintWeights(out, "callers", kCallerNames, s.callers);
  if (s.mix[static_cast<int>(Behaviour::kSlow)] != 0) out << " slow_us=" << s.slow_us;
  if (s.mix[static_cast<int>(Behaviour::kGc)] != 0) out << " gc_objects=" << s.gc_objects;
  if (s.mix[static_cast<int>(Behaviour::kLarge)] != 0) out << " large_bytes=" << s.large_bytes;
  out << " background=" << s.background << " events=";
  if (s.events.empty()) out << "none";
  for (size_t i = 0; i < s.events.size(); ++i) out << (i ? "," : "") << EventToText(s.events[i]);
  out << " deadline_ms=" << s.deadline_ms;
  if (s.fairness != 0) out << " fairness=" << s.fairness;
  if (s.max_p99_us != 0) out << " max_p99_us=" << s.max_p99_us;
  if (s.leak_bytes_per_call != 0) out << " leak_bytes_per_call=" << s.leak_bytes_per_call;
  if (s.min_throughput_ratio != 0) out << " min_throughput_ratio=" << RatioText(s.min_throughput_ratio);
  return out.str();
}

std::string EventToText(const Event& event) {
  std::string text = std::string(EventTypeName(event.type)) + "@";
  if (event.aim != EventAim::kAfterCalls) text += std::string(kAimNames[static_cast<int>(event.aim)]) + ":";
  return text + std::to_string(event.after_calls);
}

namespace {

// Sets the scenario field `key` names from `value`; false, with `error`, for
// a key it does not know or a value out of its range.
bool ParseScenarioField(const std::string& key, const std::string& value, Scenario* scenario,
                        std::string* error) {
  Scenario& s = *scenario;
  bool ok;
  if (key == "threads") ok = ParseField(key, value, 4096, &s.threads, error);
  else if (key == "calls") ok = ParseField(key, value, kMaxCallId / 4, &s.calls, error);
  else if (key == "payload") ok = ParseSizeRange(key, value, &s.payload_min, &s.payload_max, error);
  else if (key == "reply") ok = ParseSizeRange(key, value, &s.reply_min, &s.reply_max, error);
  else if (key == "message") ok = ParseSizeRange(key, value, &s.message_min, &s.message_max, error);
  else if (key == "mix") ok = ParseWeights(key, value, kBehaviourNames, &s.mix, error);
  else if (key == "callers") ok = ParseWeights(key, value, kCallerNames, &s.callers, error);
  else if (key == "escapes") ok = ParseWeights(key, value, kEscapeNames, &s.escapes, error);
  else if (key == "slow_us") ok = ParseField(key, value, 10000000, &s.slow_us, error);
  else if (key == "gc_objects") ok = ParseField(key, value, 10000000, &s.gc_objects, error);
  else if (key == "large_bytes") ok = ParseField(key, value, 1u << 26, &s.large_bytes, error);
  else if (key == "background") ok = ParseField(key, value, 64, &s.background, error);
  else if (key == "events") ok = ParseEvents(value, &s, error);
  else if (key == "deadline_ms") ok = ParseField(key, value, 86400000, &s.deadline_ms, error);
  else if (key == "fairness") ok = ParseField(key, value, 1000000, &s.fairness, error);
  else if (key == "max_p99_us") ok = ParseField(key, value, 1000000000, &s.max_p99_us, error);
  else if (key == "leak_bytes_per_call") {
    ok = ParseField(key, value, 1u << 30, &s.leak_bytes_per_call, error);
  } else if (key == "min_throughput_ratio") {
    ok = ParseRatio(key, value, &s.min_throughput_ratio, error);
  } else {
    *error = "unknown scenario key '" + key +
             "' (known: threads, calls, payload, reply, message, mix, escapes, callers, slow_us, "
             "gc_objects, large_bytes, background, events, deadline_ms, fairness, max_p99_us, "
             "leak_bytes_per_call, min_throughput_ratio)";
    return false;
  }
  return ok;
}

}  // namespace

bool ParseScenario(const std::string& text, Scenario* scenario, std::string* error) {
  Scenario s;
  std::stringstream words(text);
  std::string word;
  while (words >> word) {
    size_t eq = word.find('=');
    if (eq == std::string::npos) {
      *error = "scenario words are key=value (got '" + word + "')";
      return false;
    }
    std::string key = word.substr(0, eq), value = word.substr(eq + 1);
    if (!ParseScenarioField(key, value, &s, error)) return false;
  }
  if (!ValidateScenario(s, error)) return false;
  *scenario = s;
  return true;
}

bool ValidateScenario(const Scenario& s, std::string* error) {
  if (s.threads < 1) {
    *error = "threads must be at least 1";
  } else if (s.payload_max < s.payload_min || s.reply_max < s.reply_min ||
             s.message_max < s.message_min) {
    *error = "payload, reply and message ranges are min..max with min <= max";
  } else if (s.MixTotal() == 0) {
    *error = "mix needs at least one behaviour with a weight above 0";
  } else if (s.mix[static_cast<int>(Behaviour::kEscape)] != 0 &&
             std::all_of(s.escapes.begin(), s.escapes.end(), [](uint32_t w) { return w == 0; })) {
    *error = "escapes needs at least one way with a weight above 0 when mix has escape";
  } else if (s.CallersTotal() == 0) {
    *error = "callers needs at least one caller kind with a weight above 0";
  } else if (s.deadline_ms == 0) {
    *error = "deadline_ms must be above 0";
  } else if (std::any_of(s.events.begin(), s.events.end(),
                         [](const Event& e) { return InterruptsACaller(e.type); }) &&
             s.callers[static_cast<int>(CallerKind::kRubyGvl)] == 0 &&
             s.callers[static_cast<int>(CallerKind::kRubyNoGvl)] == 0) {
    *error = "caller_raise, caller_kill and caller_timeout interrupt Ruby callers: callers needs "
             "gvl or nogvl with a weight above 0";
  } else {
    return true;
  }
  return false;
}

namespace {

// Draws a behaviour by the scenario's mix weights.
Behaviour PickBehaviour(const Scenario& s, SeededRandom* random) {
  uint64_t pick = random->Below(s.MixTotal());
  for (int b = 0; b < kBehaviourCount; ++b) {
    if (pick < s.mix[b]) return static_cast<Behaviour>(b);
    pick -= s.mix[b];
  }
  return Behaviour::kReturn;
}

// Draws an escape call's argument: the way (by the scenario's escapes
// weights) in the top byte, the message size below. A way that ends a Ruby
// thread becomes an exception unless a foreign thread makes the call.
uint32_t EscapeArg(const Scenario& s, uint64_t call_id, SeededRandom* random) {
  uint64_t message = std::min<uint64_t>(random->LogUniform(s.message_min, s.message_max),
                                        kEscapeMessageMask);
  uint32_t total = 0;
  for (uint32_t weight : s.escapes) total += weight;
  uint64_t way_pick = random->Below(total);
  int way = 0;
  while (way_pick >= s.escapes[way]) way_pick -= s.escapes[way++];
  bool foreign_caller = call_id < s.calls && s.KindOf(s.ThreadOf(call_id)) == CallerKind::kForeign;
  if (EndsARubyThread(static_cast<EscapeWay>(way)) && !foreign_caller) {
    way = static_cast<int>(EscapeWay::kException);
  }
  return static_cast<uint32_t>(way) << 24 | static_cast<uint32_t>(message);
}

// Draws a post's arg: what its handler does, by the weights the mix gives
// return, raise, slow and gc (return when none has one), and that
// behaviour's own arg.
uint32_t PostArg(const Scenario& s, SeededRandom* random) {
  constexpr Behaviour kActs[] = {Behaviour::kReturn, Behaviour::kRaise, Behaviour::kSlow, Behaviour::kGc};
  uint32_t total = 0;
  for (Behaviour act : kActs) total += s.mix[static_cast<int>(act)];
  Behaviour act = Behaviour::kReturn;
  if (total != 0) {
    uint64_t pick = random->Below(total);
    for (Behaviour b : kActs) {
      if (pick < s.mix[static_cast<int>(b)]) { act = b; break; }
      pick -= s.mix[static_cast<int>(b)];
    }
  }
  uint64_t value = 0;
  if (act == Behaviour::kSlow) value = s.slow_us;
  if (act == Behaviour::kGc) value = s.gc_objects;
  if (act == Behaviour::kRaise) value = random->LogUniform(s.message_min, s.message_max);
  return static_cast<uint32_t>(act) << 24 | static_cast<uint32_t>(std::min<uint64_t>(value, kPostArgMask));
}

}  // namespace

CallPlan PlanCall(const Scenario& s, uint64_t seed, uint64_t call_id) {
  SeededRandom random(Mix64(seed) ^ Mix64(call_id + 0x5eed));
  CallPlan plan{call_id, Behaviour::kReturn, 0, 0, 0};
  plan.behaviour = PickBehaviour(s, &random);
  plan.payload_size = static_cast<uint32_t>(random.LogUniform(s.payload_min, s.payload_max));
  plan.reply_size = static_cast<uint32_t>(random.LogUniform(s.reply_min, s.reply_max));
  if (plan.behaviour == Behaviour::kPost) {  // named, so its handler run is attributed; reply discarded
    plan.payload_size = std::max(plan.payload_size, kPayloadHeaderSize);
    plan.reply_size = 0;
    plan.arg = PostArg(s, &random);
    return plan;
  }
  if (plan.payload_size < kPayloadHeaderSize) {  // anonymous: it can only return
    plan.behaviour = Behaviour::kReturn;
    plan.reply_size = plan.payload_size;
    return plan;
  }
  switch (plan.behaviour) {
    case Behaviour::kSlow: plan.arg = s.slow_us; break;
    case Behaviour::kGc: plan.arg = s.gc_objects; break;
    case Behaviour::kLarge: plan.reply_size = s.large_bytes; break;
    case Behaviour::kRaise:
      plan.arg = static_cast<uint32_t>(random.LogUniform(s.message_min, s.message_max));
      break;
    case Behaviour::kEscape: plan.arg = EscapeArg(s, call_id, &random); break;
    default: break;
  }
  return plan;
}

CallPlan ReturnPlan(const Scenario& s, uint64_t seed, uint64_t call_id) {
  Scenario returning = s;
  returning.mix.fill(0);
  returning.mix[static_cast<int>(Behaviour::kReturn)] = 1;
  return PlanCall(returning, seed, call_id);
}

CallPlan NestedCallOf(const Scenario& s, uint64_t seed, uint64_t outer_call_id) {
  return ReturnPlan(s, seed, s.calls + outer_call_id);
}

}  // namespace handoff
