#include "demo_library.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

typedef struct demo_call {
  handoff_value *args;
  size_t nargs;
  handoff_reply reply;
  int64_t elapsed_ns;
} demo_call;

typedef struct demo_thread {
  demo_job *job;
  pthread_t id;
  int started;
  demo_call *calls;
  size_t ncalls, capacity;
} demo_thread;

struct demo_job {
  handoff_callback *cb;
  int64_t timeout_ns;
  demo_thread *threads;
  size_t nthreads;
};

demo_job *demo_job_new(handoff_callback *cb, size_t nthreads, int64_t timeout_ns) {
  if (nthreads == 0) return NULL;
  demo_job *job = calloc(1, sizeof *job);
  if (job == NULL) return NULL;
  job->threads = calloc(nthreads, sizeof *job->threads);
  if (job->threads == NULL) {
    free(job);
    return NULL;
  }
  job->cb = cb;
  job->timeout_ns = timeout_ns;
  job->nthreads = nthreads;
  for (size_t t = 0; t < nthreads; ++t) job->threads[t].job = job;
  return job;
}

static int copy_value(handoff_value *dst, const handoff_value *src) {
  *dst = *src;
  if (src->type != HANDOFF_BYTES) return 0;
  char *copy = malloc(src->as.bytes.size + 1);
  if (copy == NULL) return -1;
  if (src->as.bytes.size != 0) memcpy(copy, src->as.bytes.data, src->as.bytes.size);
  dst->as.bytes.data = copy;
  return 0;
}

int demo_job_add_call(demo_job *job, size_t thread, const handoff_value *args, size_t nargs) {
  if (thread >= job->nthreads) return -1;
  demo_thread *th = &job->threads[thread];
  if (th->ncalls == th->capacity) {
    size_t capacity = th->capacity ? th->capacity * 2 : 8;
    demo_call *grown = realloc(th->calls, capacity * sizeof *grown);
    if (grown == NULL) return -1;
    th->calls = grown;
    th->capacity = capacity;
  }
  demo_call *call = &th->calls[th->ncalls];
  memset(call, 0, sizeof *call);
  call->args = calloc(nargs ? nargs : 1, sizeof *call->args);
  if (call->args == NULL) return -1;
  for (size_t i = 0; i < nargs; ++i) {
    if (copy_value(&call->args[i], &args[i]) != 0) return -1;
    call->nargs = i + 1;
  }
  th->ncalls++;
  return 0;
}

static void *thread_main(void *arg) {
  demo_thread *th = arg;
  for (size_t i = 0; i < th->ncalls; ++i) {
    demo_call *call = &th->calls[i];
    int64_t start = now_ns();
    handoff_invoke(th->job->cb, call->args, call->nargs, th->job->timeout_ns, &call->reply);
    call->elapsed_ns = now_ns() - start;
  }
  return NULL;
}

int demo_job_start(demo_job *job) {
  for (size_t t = 0; t < job->nthreads; ++t) {
    int err = pthread_create(&job->threads[t].id, NULL, thread_main, &job->threads[t]);
    if (err != 0) return err;
    job->threads[t].started = 1;
  }
  return 0;
}

void demo_job_join(demo_job *job) {
  for (size_t t = 0; t < job->nthreads; ++t) {
    if (job->threads[t].started) pthread_join(job->threads[t].id, NULL);
    job->threads[t].started = 0;
  }
}

size_t demo_job_threads(const demo_job *job) { return job->nthreads; }

size_t demo_job_calls(const demo_job *job, size_t thread) {
  return thread < job->nthreads ? job->threads[thread].ncalls : 0;
}

const handoff_reply *demo_job_reply(const demo_job *job, size_t thread, size_t call) {
  return &job->threads[thread].calls[call].reply;
}

int64_t demo_job_call_ns(const demo_job *job, size_t thread, size_t call) {
  return job->threads[thread].calls[call].elapsed_ns;
}

void demo_job_free(demo_job *job) {
  if (job == NULL) return;
  for (size_t t = 0; t < job->nthreads; ++t) {
    demo_thread *th = &job->threads[t];
    for (size_t i = 0; i < th->ncalls; ++i) {
      for (size_t a = 0; a < th->calls[i].nargs; ++a) {
        if (th->calls[i].args[a].type == HANDOFF_BYTES) free((void *)th->calls[i].args[a].as.bytes.data);
      }
      free(th->calls[i].args);
      handoff_reply_free(&th->calls[i].reply);
    }
    free(th->calls);
  }
  free(job->threads);
  free(job);
}
