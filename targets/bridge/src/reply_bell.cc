#include "reply_bell.h"
#include "static_tls.h"

#include <atomic>

#include "futex_word.h"

namespace handoff {
namespace {

std::atomic<uint32_t> g_bell{0};  // rung: incremented, then woken
std::atomic<uint32_t> g_next_bit{0};
HANDOFF_STATIC_TLS thread_local uint32_t t_bit = 0;

}  // namespace

uint32_t ReplyBellBitOfThisThread() {
  if (t_bit == 0) t_bit = 1u << (g_next_bit.fetch_add(1, std::memory_order_relaxed) % 32);
  return t_bit;
}

uint32_t ReplyBellValue() { return g_bell.load(std::memory_order_seq_cst); }

bool SleepOnReplyBellValue(uint32_t value, uint32_t bit, const timespec* deadline) {
  return FutexWaitBits(&g_bell, value, bit, deadline);
}

void RingReplyBell(uint32_t bits) {
  g_bell.fetch_add(1, std::memory_order_seq_cst);
  FutexWakeBits(&g_bell, bits);
}

}  // namespace handoff
