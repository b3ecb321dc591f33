#include "scenario.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <sstream>

#include "payload.h"
#include "seeded_random.h"

namespace handoff {
namespace {

constexpr const char* kBehaviourNames[kBehaviourCount] = {
    "return", "raise", "slow", "gc", "reenter", "large", "reenter_gvl", "reenter_nogvl"};
constexpr const char* kEventNames[kEventTypeCount] = {"stop", "kill", "compact", "fork", "wakeup",
                                                         "gc_stress"};

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

bool ParseMix(const std::string& text, Scenario* s, std::string* error) {
  s->mix.fill(0);
  std::stringstream items(text);
  std::string item;
  while (std::getline(items, item, ',')) {
    size_t colon = item.find(':');
    std::string name = item.substr(0, colon);
    int index = -1;
    for (int b = 0; b < kBehaviourCount; ++b) {
      if (name == kBehaviourNames[b]) index = b;
    }
    if (index < 0 || colon == std::string::npos) {
      *error = "mix items are behaviour:weight with behaviour one of " +
               NameList(kBehaviourNames, kBehaviourCount) + " (got '" + item + "')";
      return false;
    }
    if (!ParseField("mix weight of " + name, item.substr(colon + 1), 1000000, &s->mix[index],
                    error)) {
      return false;
    }
  }
  return true;
}

bool ParseEvents(const std::string& text, Scenario* s, std::string* error) {
  s->events.clear();
  if (text == "none") return true;
  std::stringstream items(text);
  std::string item;
  while (std::getline(items, item, ',')) {
    size_t at = item.find('@');
    std::string name = item.substr(0, at);
    int index = -1;
    for (int e = 0; e < kEventTypeCount; ++e) {
      if (name == kEventNames[e]) index = e;
    }
    Event event{EventType::kStop, 0};
    if (index < 0 || at == std::string::npos) {
      *error = "events are name@calls with name one of " +
               NameList(kEventNames, kEventTypeCount) + " (got '" + item + "')";
      return false;
    }
    event.type = static_cast<EventType>(index);
    if (!ParseField("event " + name, item.substr(at + 1), UINT64_MAX / 2, &event.after_calls,
                    error)) {
      return false;
    }
    s->events.push_back(event);
  }
  std::stable_sort(s->events.begin(), s->events.end(),
                   [](const Event& a, const Event& b) { return a.after_calls < b.after_calls; });
  return true;
}

bool ParsePayloadRange(const std::string& text, Scenario* s, std::string* error) {
  size_t dots = text.find("..");
  std::string low = text.substr(0, dots);
  std::string high = dots == std::string::npos ? low : text.substr(dots + 2);
  return ParseField("payload minimum", low, 1u << 24, &s->payload_min, error) &&
         ParseField("payload maximum", high, 1u << 24, &s->payload_max, error);
}

}  // namespace

const char* BehaviourName(Behaviour behaviour) {
  return kBehaviourNames[static_cast<int>(behaviour)];
}

const char* EventTypeName(EventType type) { return kEventNames[static_cast<int>(type)]; }

uint64_t Scenario::CallsOf(int thread) const {
  uint64_t n = static_cast<uint64_t>(threads);
  return calls / n + (static_cast<uint64_t>(thread) < calls % n ? 1 : 0);
}

uint64_t Scenario::FirstCallOf(int thread) const {
  uint64_t n = static_cast<uint64_t>(threads), t = static_cast<uint64_t>(thread);
  return t * (calls / n) + std::min(t, calls % n);
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

Scenario DefaultMixedScenario() {
  Scenario s;
  s.mix = {90, 4, 2, 2, 1, 1, 0, 0};
  return s;
}

std::string ScenarioToText(const Scenario& s) {
  std::ostringstream out;
  out << "threads=" << s.threads << " calls=" << s.calls << " payload=" << s.payload_min
      << ".." << s.payload_max << " mix=";
  bool first = true;
  for (int b = 0; b < kBehaviourCount; ++b) {
    if (s.mix[b] == 0) continue;
    out << (first ? "" : ",") << kBehaviourNames[b] << ":" << s.mix[b];
    first = false;
  }
  if (s.mix[static_cast<int>(Behaviour::kSlow)] != 0) out << " slow_us=" << s.slow_us;
  if (s.mix[static_cast<int>(Behaviour::kGc)] != 0) out << " gc_objects=" << s.gc_objects;
  if (s.mix[static_cast<int>(Behaviour::kLarge)] != 0) out << " large_bytes=" << s.large_bytes;
  out << " background=" << s.background << " events=";
  if (s.events.empty()) out << "none";
  for (size_t i = 0; i < s.events.size(); ++i) {
    out << (i ? "," : "") << EventTypeName(s.events[i].type) << "@" << s.events[i].after_calls;
  }
  out << " deadline_ms=" << s.deadline_ms;
  if (s.fairness != 0) out << " fairness=" << s.fairness;
  return out.str();
}

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
    bool ok;
    if (key == "threads") ok = ParseField(key, value, 4096, &s.threads, error);
    else if (key == "calls") ok = ParseField(key, value, UINT64_MAX / 4, &s.calls, error);
    else if (key == "payload") ok = ParsePayloadRange(value, &s, error);
    else if (key == "mix") ok = ParseMix(value, &s, error);
    else if (key == "slow_us") ok = ParseField(key, value, 10000000, &s.slow_us, error);
    else if (key == "gc_objects") ok = ParseField(key, value, 10000000, &s.gc_objects, error);
    else if (key == "large_bytes") ok = ParseField(key, value, 1u << 26, &s.large_bytes, error);
    else if (key == "background") ok = ParseField(key, value, 64, &s.background, error);
    else if (key == "events") ok = ParseEvents(value, &s, error);
    else if (key == "deadline_ms") ok = ParseField(key, value, 86400000, &s.deadline_ms, error);
    else if (key == "fairness") ok = ParseField(key, value, 1000000, &s.fairness, error);
    else {
      *error = "unknown scenario key '" + key +
               "' (known: threads, calls, payload, mix, slow_us, gc_objects, large_bytes, "
               "background, events, deadline_ms, fairness)";
      return false;
    }
    if (!ok) return false;
  }
  if (!ValidateScenario(s, error)) return false;
  *scenario = s;
  return true;
}

bool ValidateScenario(const Scenario& s, std::string* error) {
  if (s.threads < 1) {
    *error = "threads must be at least 1";
  } else if (s.payload_min < kPayloadHeaderSize) {
    *error = "payload minimum must be at least " + std::to_string(kPayloadHeaderSize) +
             " bytes (the call header)";
  } else if (s.payload_max < s.payload_min) {
    *error = "payload range is min..max with min <= max";
  } else if (s.MixTotal() == 0) {
    *error = "mix needs at least one behaviour with a weight above 0";
  } else if (s.deadline_ms == 0) {
    *error = "deadline_ms must be above 0";
  } else {
    return true;
  }
  return false;
}

CallPlan PlanCall(const Scenario& s, uint64_t seed, uint64_t call_id) {
  SeededRandom random(Mix64(seed) ^ Mix64(call_id + 0x5eed));
  CallPlan plan{call_id, Behaviour::kReturn, 0, s.payload_min};
  uint64_t pick = random.Below(s.MixTotal());
  for (int b = 0; b < kBehaviourCount; ++b) {
    if (pick < s.mix[b]) {
      plan.behaviour = static_cast<Behaviour>(b);
      break;
    }
    pick -= s.mix[b];
  }
  plan.payload_size = static_cast<uint32_t>(random.Between(s.payload_min, s.payload_max));
  switch (plan.behaviour) {
    case Behaviour::kSlow: plan.arg = s.slow_us; break;
    case Behaviour::kGc: plan.arg = s.gc_objects; break;
    case Behaviour::kLarge: plan.arg = s.large_bytes; break;
    default: break;
  }
  return plan;
}

}  // namespace handoff
