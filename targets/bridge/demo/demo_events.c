#include "demo_events.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct stream_thread {
  handoff_callback *cb;
  size_t index;
  size_t events;
  demo_stream_counts *counts;
} stream_thread;

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void *post_events(void *arg) {
  stream_thread *t = arg;
  int64_t start = now_ns();
  for (size_t i = 0; i < t->events; ++i) {
    handoff_value event[2] = {handoff_int((int64_t)t->index), handoff_int((int64_t)i)};
    handoff_status status = handoff_post(t->cb, event, 2);
    if ((unsigned)status <= HANDOFF_FULL) t->counts->by_status[status]++;
  }
  t->counts->elapsed_ns = now_ns() - start;
  return NULL;
}

int demo_stream_run(handoff_callback *cb, size_t nthreads, size_t events,
                    demo_stream_counts *counts) {
  stream_thread *threads = calloc(nthreads, sizeof *threads);
  pthread_t *ids = calloc(nthreads, sizeof *ids);
  int error = threads == NULL || ids == NULL ? -1 : 0;
  size_t started = 0;
  memset(counts, 0, nthreads * sizeof *counts);
  for (; error == 0 && started < nthreads; ++started) {
    threads[started] = (stream_thread){cb, started, events, &counts[started]};
    error = pthread_create(&ids[started], NULL, post_events, &threads[started]);
    if (error != 0) break;
  }
  for (size_t i = 0; i < started; ++i) pthread_join(ids[i], NULL);
  free(threads);
  free(ids);
  return error;
}
