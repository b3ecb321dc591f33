#include "judge/post_oracle.h"

#include <algorithm>
#include <map>
#include <sstream>
#include <vector>

#include "handoff/target.h"

namespace handoff {
namespace {

// One post call, as the run log shows it.
struct PostFact {
  CallPlan plan;
  int thread;
  const CallRecord* record;
  uint32_t ran;
  uint64_t entered_tick, left_tick;
  int64_t entered_ns;
  bool accepted() const { return record->status == HANDOFF_TARGET_OK; }
};

const char* PolicyName(uint32_t policy) {
  static const char* const kNames[] = {"block", "drop_newest", "drop_oldest", "fail"};
  return policy < 4 ? kNames[policy] : "unknown";
}

std::string StatusText(uint8_t status) {
  static const char* const kNames[] = {"ok", "raised", "stopped", "timed_out", "forked", "invalid", "full"};
  if (status < 7) return kNames[status];
  if (status == kNotReturned) return "never returned";
  return "status " + std::to_string(status);
}

std::string Where(const PostFact& p) {
  return "post " + std::to_string(p.plan.call_id) + " (" + BehaviourName(PostActOf(p.plan.arg)) +
         ", thread " + std::to_string(p.thread) + ", " + std::to_string(p.plan.payload_size) + " B)";
}

// Every post call, by caller thread, in the order each thread posted them.
std::vector<std::vector<PostFact>> CollectPosts(const Scenario& s, uint64_t seed, const RunLog& log) {
  std::vector<std::vector<PostFact>> posts(static_cast<size_t>(s.threads));
  for (int t = 0; t < s.threads; ++t) {
    uint64_t first = s.FirstCallOf(t);
    for (uint64_t i = 0; i < log.calls[t].size(); ++i) {
      CallPlan plan = PlanCall(s, seed, first + i);
      if (plan.behaviour != Behaviour::kPost) continue;
      uint64_t id = plan.call_id;
      posts[t].push_back({plan, t, &log.calls[t][i], log.ran[id].load(std::memory_order_relaxed),
                          log.entered_tick[id].load(std::memory_order_relaxed),
                          log.left_tick[id].load(std::memory_order_relaxed),
                          log.entered_ns[id].load(std::memory_order_relaxed)});
    }
  }
  return posts;
}

class PostOracle {
 public:
  PostOracle(const Scenario& s, const RunLog& log)
      : scenario_(s), log_(log), outcome_(log.posts),
        kills_(static_cast<uint64_t>(std::count_if(s.events.begin(), s.events.end(),
                                                   [](const Event& e) { return e.type == EventType::kKill; }))) {}

  void CheckStatus(const PostFact& p);
  void CheckOrder(const std::vector<PostFact>& of_thread);
  void CheckBound(const std::vector<std::vector<PostFact>>& posts);
  void CheckDrops();
  void CheckCounters();
  void MeasureLatency(const std::vector<std::vector<PostFact>>& posts, PostCheck* check) const;
  Result Finish(uint64_t judged) const;
  uint64_t failures() const { return failures_; }

 private:
  bool CheckRefused(const PostFact& p);
  std::string Counters() const;
  void Fail(FailureKind kind, std::string detail) {
    if (failures_++ == 0) first_ = {kind, std::move(detail)};
    ++by_kind_[kind];
  }

  const Scenario& scenario_;
  const RunLog& log_;
  const PostOutcome& outcome_;
  const uint64_t kills_;  // kill events in the scenario
  uint64_t ok_ = 0, refused_ = 0, unknown_ = 0;  // unknown: left by an interrupt inside post
  uint64_t raising_started_ = 0;
  std::vector<const PostFact*> unstarted_;  // accepted, never started
  std::pair<FailureKind, std::string> first_{FailureKind::kLostPost, ""};
  uint64_t failures_ = 0;
  std::map<FailureKind, uint64_t> by_kind_;
};

// A post that came back anything but ok: allowed by the lifecycle or the
// policy, and never run. Returns false once it failed.
bool PostOracle::CheckRefused(const PostFact& p) {
  const CallRecord& r = *p.record;
  int64_t stop_began = log_.stop_began_ns.load(std::memory_order_relaxed);
  bool allowed = false;
  if (r.status == HANDOFF_TARGET_STOPPED) {
    allowed = stop_began != 0 && r.end_ns >= stop_began;
  } else if (r.status == HANDOFF_TARGET_FULL) {
    uint32_t policy = outcome_.policy;
    allowed = policy == HANDOFF_TARGET_POST_DROP_NEWEST || policy == HANDOFF_TARGET_POST_FAIL ||
              (policy == HANDOFF_TARGET_POST_BLOCK && scenario_.KindOf(p.thread) == CallerKind::kRubyGvl);
  }
  if (!allowed) {
    Fail(FailureKind::kUnexpectedStatus,
         Where(p) + " returned " + StatusText(r.status) +
             (r.status == HANDOFF_TARGET_STOPPED ? ", but no stop or kill had begun"
              : r.status == HANDOFF_TARGET_FULL
                  ? std::string(" under policy ") + PolicyName(outcome_.policy) + " from a " +
                        CallerKindName(scenario_.KindOf(p.thread)) + " caller (only a caller holding "
                        "the GVL may be refused under block; drop_oldest never refuses)"
                  : ""));
    return false;
  }
  if (p.ran != 0) {
    Fail(FailureKind::kUnexpectedStatus, Where(p) + " returned " + StatusText(r.status) +
                                             " (not accepted) but its handler ran " +
                                             std::to_string(p.ran) + " times");
    return false;
  }
  return true;
}

void PostOracle::CheckStatus(const PostFact& p) {
  const CallRecord& r = *p.record;
  if (r.status == kInterrupted || r.status == kNeverMade) {  // accepted or not: unknown
    unknown_ += r.status == kInterrupted;
    if (p.ran > 1) Fail(FailureKind::kDuplicatePost, Where(p) + " ran " + std::to_string(p.ran) + " times");
    return;
  }
  if (r.status == kNotReturned) return Fail(FailureKind::kLostPost, Where(p) + ": post never returned");
  if (r.status == kEscapedInvoke) {
    return Fail(FailureKind::kSwallowedException,
                Where(p) + ", made by a Ruby thread, was left by a Ruby exception that escaped post");
  }
  if (!p.accepted()) {
    ++refused_;
    CheckRefused(p);
    return;
  }
  ++ok_;
  if (r.events_before & EventBit(EventType::kStop)) {
    return Fail(FailureKind::kUnexpectedStatus, Where(p) + " was posted after stop but returned ok");
  }
  if (p.ran == 0) unstarted_.push_back(&p);
  if (p.ran > 1) {
    Fail(FailureKind::kDuplicatePost,
         Where(p) + " was accepted once but its handler started " + std::to_string(p.ran) + " times");
  }
  raising_started_ += p.ran > 0 && PostActOf(p.plan.arg) == Behaviour::kRaise;
}

// Of one thread's posts that ran, each after the one before it, once that
// one's handler ended.
void PostOracle::CheckOrder(const std::vector<PostFact>& of_thread) {
  const PostFact* before = nullptr;
  for (const PostFact& p : of_thread) {
    if (!p.accepted() || p.ran == 0) continue;
    if (before != nullptr && p.entered_tick < before->entered_tick) {
      Fail(FailureKind::kOutOfOrder, Where(p) + " started before " + Where(*before) +
                                         ", which the same thread posted first");
    } else if (before != nullptr && (before->left_tick == 0 || p.entered_tick < before->left_tick)) {
      Fail(FailureKind::kOutOfOrder, Where(p) + " started while " + Where(*before) +
                                         ", posted before it by the same thread, was still running");
    }
    before = &p;
  }
}

// At each accepted post, the posts accepted before it and not yet started.
void PostOracle::CheckBound(const std::vector<std::vector<PostFact>>& posts) {
  std::vector<uint64_t> accepted, entered;
  for (const auto& of_thread : posts) {
    for (const PostFact& p : of_thread) {
      if (!p.accepted() || p.ran == 0) continue;  // a dropped post leaves the queue at once
      accepted.push_back(p.record->post_tick);
      entered.push_back(p.entered_tick);
    }
  }
  std::sort(accepted.begin(), accepted.end());
  std::sort(entered.begin(), entered.end());
  const uint64_t allowed = outcome_.capacity + static_cast<uint64_t>(scenario_.threads) + kPostsInFlightSlack;
  uint64_t worst = 0, at = 0;
  size_t started = 0;
  for (size_t k = 0; k < accepted.size(); ++k) {
    while (started < entered.size() && entered[started] < accepted[k]) ++started;
    uint64_t waiting = k > started ? k - started : 0;
    if (waiting > worst) worst = waiting, at = k;
  }
  if (worst <= allowed) return;
  Fail(FailureKind::kUnboundedQueue,
       std::to_string(worst) + " posts were accepted and not yet started when post number " +
           std::to_string(at + 1) + " was accepted; post_capacity=" + std::to_string(outcome_.capacity) +
           " allows " + std::to_string(allowed) + " with the posts in flight (" +
           std::to_string(scenario_.threads) + " callers + " + std::to_string(kPostsInFlightSlack) +
           "); policy " + PolicyName(outcome_.policy));
}

std::string PostOracle::Counters() const {
  const handoff_target_post_stats& s = outcome_.stats;
  std::ostringstream out;
  out << "post_stats: posted " << s.posted << ", run " << s.run << ", failed " << s.failed << ", dropped "
      << s.dropped << ", refused " << s.refused << "; the posts returned ok " << ok_ << ", other " << refused_;
  if (unknown_) out << ", left by an interrupt " << unknown_;
  return out.str();
}

// Accepted posts never started: each allowed to be dropped, and counted.
void PostOracle::CheckDrops() {
  if (outcome_.asked && outcome_.flush_result != 0 && !unstarted_.empty()) {
    return Fail(FailureKind::kLostPost,
                "flush(" + std::to_string(outcome_.flush_timeout_ns / 1000000) + " ms) ran out of time with " +
                    std::to_string(unstarted_.size()) + " accepted posts never started, the first " +
                    Where(*unstarted_.front()) + "; " + Counters());
  }
  const uint64_t lifecycle_done = log_.lifecycle_done_tick.load(std::memory_order_relaxed);
  for (const PostFact* p : unstarted_) {
    bool before_lifecycle = p->record->post_start_tick < lifecycle_done;
    if (outcome_.policy == HANDOFF_TARGET_POST_DROP_OLDEST || before_lifecycle) continue;
    return Fail(FailureKind::kLostPost,
                Where(*p) + " was accepted and never ran, and neither its policy (" +
                    PolicyName(outcome_.policy) + ") nor a stop or kill after it was posted allows a drop; " +
                    Counters());
  }
  // A kill may end a post the event thread had taken in hand before its
  // block began: counted failed, never started.
  uint64_t killed_unstarted = std::min<uint64_t>(
      log_.events_done.load(std::memory_order_relaxed) & EventBit(EventType::kKill) ? kills_ : 0,
      outcome_.stats.failed > raising_started_ ? outcome_.stats.failed - raising_started_ : 0);
  if (outcome_.asked && unstarted_.size() > outcome_.stats.dropped + killed_unstarted) {
    Fail(FailureKind::kLostPost, std::to_string(unstarted_.size()) + " accepted posts never ran but only " +
                                     std::to_string(outcome_.stats.dropped) + " were counted dropped, the first " +
                                     Where(*unstarted_.front()) + "; " + Counters());
  }
}

void PostOracle::CheckCounters() {
  if (!outcome_.asked) return;
  const handoff_target_post_stats& s = outcome_.stats;
  std::string why;
  if (s.posted < ok_ || s.posted > ok_ + unknown_) why = "posted is not the number of ok returns";
  else if (s.refused < refused_ || s.refused > refused_ + unknown_) why = "refused is not the number of other returns";
  else if (s.dropped > unstarted_.size()) why = "more dropped than accepted posts that never ran";
  else if (s.failed < raising_started_) {
    why = std::to_string(raising_started_) + " accepted posts raised, but failed counts fewer";
  } else if (outcome_.flush_result == 0 && s.run + s.failed + s.dropped != s.posted) {
    why = "run + failed + dropped is not posted after flush returned 0";
  }
  if (!why.empty()) Fail(FailureKind::kMiscounted, why + ": " + Counters());
}

void PostOracle::MeasureLatency(const std::vector<std::vector<PostFact>>& posts, PostCheck* check) const {
  std::vector<int64_t> ns;
  for (const auto& of_thread : posts) {
    for (const PostFact& p : of_thread) {
      if (p.accepted() && p.ran > 0) ns.push_back(std::max<int64_t>(0, p.entered_ns - p.record->end_ns));
    }
  }
  if (ns.empty()) return;
  auto at = [&ns](double q) {
    size_t k = static_cast<size_t>(q * static_cast<double>(ns.size() - 1));
    std::nth_element(ns.begin(), ns.begin() + static_cast<long>(k), ns.end());
    return ns[k] / 1000.0;
  };
  check->p50_us = at(0.50);
  check->p99_us = at(0.99);
}

Result PostOracle::Finish(uint64_t judged) const {
  if (failures_ == 0) return Result::Pass();
  std::ostringstream detail;
  detail << first_.second << "\n  " << failures_ << " post findings over " << judged << " posts:";
  for (const auto& [kind, count] : by_kind_) detail << " " << FailureKindName(kind) << "=" << count;
  return Result::Failure(first_.first, detail.str());
}

}  // namespace

Result CheckPosts(const Scenario& scenario, uint64_t seed, const RunLog& log, PostCheck* check) {
  if (scenario.mix[static_cast<int>(Behaviour::kPost)] == 0) return Result::Pass();
  std::vector<std::vector<PostFact>> posts = CollectPosts(scenario, seed, log);
  PostOracle oracle(scenario, log);
  for (const auto& of_thread : posts) {
    for (const PostFact& p : of_thread) oracle.CheckStatus(p);
    check->posts += of_thread.size();
  }
  for (const auto& of_thread : posts) oracle.CheckOrder(of_thread);
  oracle.CheckDrops();
  oracle.CheckCounters();
  oracle.CheckBound(posts);
  oracle.MeasureLatency(posts, check);
  check->verified = check->posts > oracle.failures() ? check->posts - oracle.failures() : 0;
  return oracle.Finish(check->posts);
}

}  // namespace handoff
