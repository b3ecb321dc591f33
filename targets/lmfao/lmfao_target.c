/*
 * The `lmfao` target: Kim Burgestrand's "Library of Massive Fun And
 * Overjoy" callback design (burgestrand.se, "Asynchronous callbacks in Ruby C
 * extensions"), the seed most Ruby extensions copied, kept faithful:
 *
 *   - one global queue, pushed at the *front* (LIFO), one global mutex and
 *     condition variable;
 *   - a Ruby event thread that waits without the GVL with an unblocking
 *     function, and starts a new Ruby thread per callback;
 *   - a per-callback mutex + condition variable and a `handled` flag, on the
 *     foreign thread's stack;
 *   - the block is called with rb_funcall, with no rb_protect.
 *
 * Modernised only where Ruby 3.1 forces it: rb_thread_blocking_region is now
 * rb_thread_call_without_gvl. The harness's payload and reply are carried as
 * a String in and a String out. No deadline support: a call whose handler
 * raises, or that is queued after the event thread died, waits forever; the
 * harness reports that as a deadlock (a dead event thread, VM shutdown, an
 * exception).
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

typedef struct callback_t callback_t;
struct callback_t {
  const char *payload; /* the call's data, owned by the foreign thread */
  size_t payload_size;
  char *reply; /* malloc'd by the handler thread */
  size_t reply_size;

  pthread_mutex_t mutex;
  pthread_cond_t cond;
  bool handled; /* guards against spurious wakeups */

  callback_t *next;
};

typedef struct callback_waiting_t {
  callback_t *callback;
  bool abort;
} callback_waiting_t;

static pthread_mutex_t g_callback_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_callback_cond = PTHREAD_COND_INITIALIZER;
static callback_t *g_callback_queue = NULL;

static VALUE g_handler = Qnil;
static VALUE g_event_thread = Qnil;

/* Both REQUIRE g_callback_mutex held. Push adds to the front. */
static void g_callback_queue_push(callback_t *callback) {
  callback->next = g_callback_queue;
  g_callback_queue = callback;
}

static callback_t *g_callback_queue_pop(void) {
  callback_t *callback = g_callback_queue;
  if (callback) g_callback_queue = callback->next;
  return callback;
}

/* The foreign thread's side: queue the callback, wait until handled. */
static void lmfao_invoke(const char *payload, size_t size, int64_t timeout_ns,
                         handoff_target_reply *reply) {
  (void)timeout_ns; /* the seed has no deadlines */
  callback_t callback;
  memset(&callback, 0, sizeof(callback));
  callback.payload = payload;
  callback.payload_size = size;
  pthread_mutex_init(&callback.mutex, NULL);
  pthread_cond_init(&callback.cond, NULL);

  HANDOFF_SYNC_POINT("lmfao.push");
  pthread_mutex_lock(&g_callback_mutex);
  g_callback_queue_push(&callback);
  pthread_mutex_unlock(&g_callback_mutex);
  pthread_cond_signal(&g_callback_cond);

  HANDOFF_SYNC_POINT("lmfao.wait");
  pthread_mutex_lock(&callback.mutex);
  while (callback.handled == false) pthread_cond_wait(&callback.cond, &callback.mutex);
  pthread_mutex_unlock(&callback.mutex);

  pthread_mutex_destroy(&callback.mutex);
  pthread_cond_destroy(&callback.cond);
  reply->status = HANDOFF_TARGET_OK;
  reply->data = callback.reply;
  reply->size = callback.reply_size;
}

/* A new Ruby thread per callback: call the block, hand the reply back. */
static VALUE lmfao_handle_callback(void *cb) {
  callback_t *callback = (callback_t *)cb;
  VALUE payload = rb_str_new(callback->payload, (long)callback->payload_size);
  VALUE result = rb_funcall(g_handler, rb_intern("call"), 1, payload); /* may raise */
  StringValue(result);
  callback->reply_size = (size_t)RSTRING_LEN(result);
  callback->reply = malloc(callback->reply_size + 1);
  memcpy(callback->reply, RSTRING_PTR(result), callback->reply_size);

  HANDOFF_SYNC_POINT("lmfao.signal");
  pthread_mutex_lock(&callback->mutex);
  callback->handled = true;
  pthread_cond_signal(&callback->cond);
  pthread_mutex_unlock(&callback->mutex);
  return Qnil;
}

static void *wait_for_callback_signal(void *w) {
  callback_waiting_t *waiting = (callback_waiting_t *)w;
  pthread_mutex_lock(&g_callback_mutex);
  while (waiting->abort == false && (waiting->callback = g_callback_queue_pop()) == NULL) {
    pthread_cond_wait(&g_callback_cond, &g_callback_mutex);
  }
  pthread_mutex_unlock(&g_callback_mutex);
  return NULL;
}

static void stop_waiting_for_callback_signal(void *w) {
  callback_waiting_t *waiting = (callback_waiting_t *)w;
  pthread_mutex_lock(&g_callback_mutex);
  waiting->abort = true;
  pthread_cond_signal(&g_callback_cond);
  pthread_mutex_unlock(&g_callback_mutex);
}

static VALUE lmfao_event_thread(void *unused) {
  (void)unused;
  callback_waiting_t waiting = {NULL, false};
  while (waiting.abort == false) {
    rb_thread_call_without_gvl(wait_for_callback_signal, &waiting,
                               stop_waiting_for_callback_signal, &waiting);
    HANDOFF_SYNC_POINT("lmfao.popped");
    if (waiting.callback) rb_thread_create(lmfao_handle_callback, waiting.callback);
  }
  return Qnil;
}

static int lmfao_start(const handoff_target_host *host, uintptr_t handler, char *error,
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
  g_event_thread = rb_thread_create(lmfao_event_thread, NULL);
  rb_gc_register_address(&g_event_thread);
  return 0;
}

/* The seed has no stop: the event thread ends when Ruby kills it at exit.
 * Stopping does the same thing now. */
static void lmfao_kill_event_thread(void) { rb_funcall(g_event_thread, rb_intern("kill"), 0); }

static void lmfao_describe(char *buffer, size_t size) {
  if (pthread_mutex_trylock(&g_callback_mutex) != 0) { /* never block the dump */
    snprintf(buffer, size, "the global queue lock is held");
    return;
  }
  int queued = 0;
  for (callback_t *c = g_callback_queue; c != NULL; c = c->next) ++queued;
  pthread_mutex_unlock(&g_callback_mutex);
  snprintf(buffer, size, "%d callbacks queued (no stop, no deadlines, no rb_protect)", queued);
}

static const handoff_target kTarget = {
    HANDOFF_TARGET_ABI_VERSION,
    HANDOFF_SYNC_POINTS_FLAG,
    "lmfao",
    "Burgestrand's LMFAO seed: LIFO queue, event thread, a Ruby thread per callback, no rb_protect",
    lmfao_start,
    lmfao_invoke,
    lmfao_kill_event_thread,
    lmfao_kill_event_thread,
    NULL,
    lmfao_describe,    NULL, /* no posts (ABI 2: post, flush, post_stats, policy, capacity) */
    NULL,
    NULL,
    0,
    0,
};

HANDOFF_TARGET_EXPORT const handoff_target *handoff_target_entry(void) { return &kTarget; }
