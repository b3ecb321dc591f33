/*
 * demo_library.h — a stand-in for a threaded C library (a Kafka client, an
 * audio engine, a database driver): it starts native threads of its own, and
 * those threads call a handoff callback and record each reply. It knows
 * nothing of Ruby; it only uses handoff/bridge.h.
 *
 * Use: demo_job_new, demo_job_add_call (any number, per thread), demo_job_start,
 * demo_job_join, then read demo_job_reply; demo_job_free at the end.
 * A job is not thread-safe: one controlling thread drives it.
 */
#ifndef HANDOFF_DEMO_LIBRARY_H
#define HANDOFF_DEMO_LIBRARY_H

#include <stddef.h>
#include <stdint.h>

#include "handoff/bridge.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct demo_job demo_job;

/* A job of `nthreads` threads calling `cb`; each call waits at most
 * timeout_ns (0: no deadline). NULL when out of memory or nthreads == 0. */
demo_job *demo_job_new(handoff_callback *cb, size_t nthreads, int64_t timeout_ns);

/* Appends one call with a copy of `args` to thread `thread`'s list.
 * REQUIRES: the job is not started. Returns 0, or -1 (bad thread, no memory). */
int demo_job_add_call(demo_job *job, size_t thread, const handoff_value *args, size_t nargs);

/* Starts the threads; each makes its calls in order. Returns 0, or the
 * pthread_create error (threads already started are still joined by join). */
int demo_job_start(demo_job *job);

/* Blocks until every started thread has made all its calls. */
void demo_job_join(demo_job *job);

size_t demo_job_threads(const demo_job *job);
size_t demo_job_calls(const demo_job *job, size_t thread);

/* The reply of call `call` of thread `thread`. REQUIRES: joined. */
const handoff_reply *demo_job_reply(const demo_job *job, size_t thread, size_t call);

/* How long handoff_invoke took for that call (CLOCK_MONOTONIC, ns). REQUIRES: joined. */
int64_t demo_job_call_ns(const demo_job *job, size_t thread, size_t call);

/* Frees everything. REQUIRES: joined, or never started. */
void demo_job_free(demo_job *job);

#ifdef __cplusplus
}
#endif

#endif
