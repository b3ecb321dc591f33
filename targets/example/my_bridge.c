/*
 * my_bridge.c — a small, correct Ruby bridge behind handoff/target.h: the
 * example of README "Testing your own bridge", and the reference that the
 * deliberately broken bridges in targets/mutants are compiled from.
 *
 * Design: foreign threads append a request (on their own stack) to a FIFO
 * queue under one mutex and wait on the request's own condition variable. A
 * Ruby event thread waits for requests without the GVL (with an unblocking
 * function) and starts one Ruby thread per request, which runs the handler
 * under rb_protect (an exception becomes a `raised` reply) and completes the
 * request, notifying *while holding* the request's mutex, so the waiter
 * cannot destroy the request under the notifier's feet. Stop fails queued
 * and later calls with `stopped`. No deadlines (a hang is a hang), and not
 * fork-safe: in a forked child its event thread is gone (DESIGN.md class 10).
 *
 * Build it against the harness's header and Ruby, outside this tree:
 *   cc -shared -fPIC -O2 -I<handoff>/harness/include \
 *      $(pkg-config --cflags ruby-3.1) my_bridge.c \
 *      $(pkg-config --libs ruby-3.1) -o libmy_bridge.so
 *   handoff-stress --target-lib ./libmy_bridge.so
 *
 * MUTANT_*: each switches on one fault (see targets/mutants); none is
 * defined in a normal build.
 */
#include <pthread.h>
#include <ruby.h>
#include <ruby/thread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handoff/target.h"

HANDOFF_SYNC_HOOK_DEFINITION;

typedef struct request {
  const char *payload;
  size_t payload_size;
  handoff_target_reply reply; /* written by the handler thread */
  pthread_mutex_t mutex;
  pthread_cond_t done_cond;
  bool done; /* guarded by mutex */
  struct request *next;
} request;

/* The queue: FIFO, guarded by g_mutex. */
static pthread_mutex_t g_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_queue_cond = PTHREAD_COND_INITIALIZER;
static request *g_head = NULL, *g_tail = NULL;
static bool g_stopping = false;   /* guarded by g_mutex */
#ifdef MUTANT_SHARED_REPLY_BUFFER
static handoff_target_reply g_shared_reply; /* one reply buffer for all; guarded by g_mutex */
#endif

static VALUE g_handler = Qnil;
static VALUE g_event_thread = Qnil;

static char *copy_bytes(const char *data, size_t size) {
  char *copy = malloc(size + 1);
  if (size > 0) memcpy(copy, data, size);
  copy[size] = '\0';
  return copy;
}

/* Marks r done and wakes its waiter. The notify happens under r->mutex: once
 * the waiter sees `done` (under that mutex) the notifier has let go of r. */
static void complete(request *r) {
  HANDOFF_SYNC_POINT("my_bridge.complete");
  pthread_mutex_lock(&r->mutex);
  r->done = true;
#ifdef MUTANT_SIGNAL_AFTER_UNLOCK
  pthread_mutex_unlock(&r->mutex);
  HANDOFF_SYNC_POINT("my_bridge.signal_after_unlock");
  pthread_cond_signal(&r->done_cond); /* the waiter may have destroyed it by now */
#else
  pthread_cond_signal(&r->done_cond);
  pthread_mutex_unlock(&r->mutex);
#endif
}

static void my_invoke(const char *payload, size_t size, int64_t timeout_ns,
                      handoff_target_reply *reply) {
  (void)timeout_ns;
  request r;
  memset(&r, 0, sizeof(r));
  r.payload = payload;
  r.payload_size = size;
  pthread_mutex_init(&r.mutex, NULL);
  pthread_cond_init(&r.done_cond, NULL);

  HANDOFF_SYNC_POINT("my_bridge.push");
  pthread_mutex_lock(&g_mutex);
  if (g_stopping) {
    pthread_mutex_unlock(&g_mutex);
    r.reply.status = HANDOFF_TARGET_STOPPED;
  } else {
    if (g_tail) g_tail->next = &r; else g_head = &r;
    g_tail = &r;
    pthread_cond_signal(&g_queue_cond);
    pthread_mutex_unlock(&g_mutex);

    HANDOFF_SYNC_POINT("my_bridge.wait");
    pthread_mutex_lock(&r.mutex);
    while (!r.done) pthread_cond_wait(&r.done_cond, &r.mutex);
    pthread_mutex_unlock(&r.mutex);
#ifdef MUTANT_SHARED_REPLY_BUFFER
    HANDOFF_SYNC_POINT("my_bridge.read_shared_reply");
    pthread_mutex_lock(&g_mutex); /* whatever the last handler left there */
    r.reply = g_shared_reply;
    r.reply.data = r.reply.data ? copy_bytes(r.reply.data, r.reply.size) : NULL;
    pthread_mutex_unlock(&g_mutex);
#endif
  }
  pthread_mutex_destroy(&r.mutex);
  pthread_cond_destroy(&r.done_cond);
  *reply = r.reply;
}

static VALUE call_handler(VALUE payload) {
  return rb_funcall(g_handler, rb_intern("call"), 1, payload);
}

/* One Ruby thread per request: run the block, keep its reply or exception. */
static VALUE handle_request(void *arg) {
  request *r = arg;
  int state = 0;
  VALUE result = rb_protect(call_handler, rb_str_new(r->payload, (long)r->payload_size), &state);
  VALUE error = state ? rb_errinfo() : Qnil;
  if (state) rb_set_errinfo(Qnil);
  handoff_target_reply out = {HANDOFF_TARGET_STOPPED, NULL, 0}; /* killed, or not a String */
  if (state == 0 && RB_TYPE_P(result, T_STRING)) {
    out.status = HANDOFF_TARGET_OK;
    out.size = (size_t)RSTRING_LEN(result);
    out.data = copy_bytes(RSTRING_PTR(result), out.size);
  } else if (state != 0 && rb_obj_is_kind_of(error, rb_eStandardError)) {
    VALUE message = rb_funcall(error, rb_intern("message"), 0);
    out.status = HANDOFF_TARGET_RAISED;
    out.size = (size_t)RSTRING_LEN(message);
    out.data = copy_bytes(RSTRING_PTR(message), out.size);
  }
#ifdef MUTANT_SHARED_REPLY_BUFFER
  /* Replies go through one shared buffer that the waiter reads after waking:
     a later handler can overwrite it first (a static result buffer). */
  pthread_mutex_lock(&g_mutex);
  free(g_shared_reply.data);
  g_shared_reply = out;
  pthread_mutex_unlock(&g_mutex);
#else
  r->reply = out;
#endif
  complete(r);
  if (state != 0 && !rb_obj_is_kind_of(error, rb_eStandardError)) rb_jump_tag(state);
  return Qnil;
}

typedef struct waiting {
  request *popped;
  bool abort;
} waiting;

static void *wait_for_request(void *arg) {
  waiting *w = arg;
  pthread_mutex_lock(&g_mutex);
  while (!w->abort && !g_stopping && g_head == NULL) pthread_cond_wait(&g_queue_cond, &g_mutex);
  w->popped = g_head;
  if (g_head) {
    g_head = g_head->next;
    if (g_head == NULL) g_tail = NULL;
  }
  pthread_mutex_unlock(&g_mutex);
  return NULL;
}

static void stop_waiting(void *arg) {
  waiting *w = arg;
  pthread_mutex_lock(&g_mutex);
  w->abort = true;
  pthread_cond_broadcast(&g_queue_cond);
  pthread_mutex_unlock(&g_mutex);
}

static VALUE event_thread(void *unused) {
  (void)unused;
  for (;;) {
    waiting w = {NULL, false};
    /* without_gvl2 does not check interrupts after the wait, so a request
       just popped is never dropped by a pending interrupt. */
    rb_thread_call_without_gvl2(wait_for_request, &w, stop_waiting, &w);
    HANDOFF_SYNC_POINT("my_bridge.popped");
    if (w.popped) {
      rb_thread_create(handle_request, w.popped);
      continue;
    }
    pthread_mutex_lock(&g_mutex);
    bool stopping = g_stopping;
    pthread_mutex_unlock(&g_mutex);
    if (stopping) return Qnil;
    rb_thread_check_ints(); /* nothing in hand: a kill may end us here */
  }
}

static int my_start(const handoff_target_host *host, uintptr_t handler, char *error,
                    size_t error_size) {
  (void)error;
  (void)error_size;
#ifdef HANDOFF_SYNC_POINTS
  handoff_sync_hook = host->sync_point;
#else
  (void)host;
#endif
  g_handler = (VALUE)handler;
  rb_gc_register_address(&g_handler);
  g_event_thread = rb_thread_create(event_thread, NULL);
  rb_gc_register_address(&g_event_thread);
  return 0;
}

/* Fails queued and later calls with `stopped`; handlers in flight finish. */
static void my_stop(void) {
  pthread_mutex_lock(&g_mutex);
  g_stopping = true;
  request *queued = g_head;
  g_head = g_tail = NULL;
  pthread_cond_broadcast(&g_queue_cond);
  pthread_mutex_unlock(&g_mutex);
  while (queued) {
    request *next = queued->next; /* read before complete: the waiter may return */
    queued->reply.status = HANDOFF_TARGET_STOPPED;
    complete(queued);
    queued = next;
  }
}

static const handoff_target kTarget = {
    HANDOFF_TARGET_ABI_VERSION,
    HANDOFF_SYNC_POINTS_FLAG,
#ifdef MY_BRIDGE_NAME
    MY_BRIDGE_NAME,
    MY_BRIDGE_DESCRIPTION,
#else
    "my_bridge",
    "README example: FIFO queue, event thread, a Ruby thread per request, rb_protect",
#endif
    my_start,
    my_invoke,
    my_stop,
    NULL,
    NULL,
    NULL,
};

HANDOFF_TARGET_EXPORT const handoff_target *handoff_target_entry(void) { return &kTarget; }
