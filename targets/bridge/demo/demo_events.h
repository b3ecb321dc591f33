/*
 * demo_events.h — the demo library's event stream: native threads of its own
 * that post events to a handoff callback without waiting for Ruby (like a
 * log handler, a delivery report or a progress meter), and count what
 * handoff_post answered. It knows nothing of Ruby; it only uses bridge.h.
 *
 * Event `i` of thread `t` is posted as the two integers (t, i).
 */
#ifndef HANDOFF_DEMO_EVENTS_H
#define HANDOFF_DEMO_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "handoff/bridge.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What one thread's handoff_post calls returned, by status. */
typedef struct demo_stream_counts {
  uint64_t by_status[HANDOFF_FULL + 1];
  int64_t elapsed_ns; /* from the thread's first post to its last returning */
} demo_stream_counts;

/* Starts `nthreads` threads posting `events` events each to `cb`, waits
 * for them all, and fills counts[nthreads]. Returns 0, or a pthread_create
 * error (the threads started are still joined). */
int demo_stream_run(handoff_callback *cb, size_t nthreads, size_t events,
                    demo_stream_counts *counts);

#ifdef __cplusplus
}
#endif

#endif
