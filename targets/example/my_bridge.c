/*
 * my_bridge.c — a small, correct Ruby bridge behind handoff/target.h: the
 * example of README "Testing your own bridge". (The harness's deliberately
 * broken bridges are compiled from targets/mutants/switchable_bridge.c, this
 * file with a switch per fault; a test keeps the two the same code.)
 *
 * Design: the calling thread is classified first: a Ruby thread holding the
 * GVL runs the block itself, a Ruby thread without it takes the GVL, and only
 * a foreign thread queues. A foreign caller copies its payload into a heap
 * request, appends it to a FIFO queue under one mutex and waits on the
 * request's own condition variable, with an optional deadline. A Ruby event
 * thread waits for requests without the GVL (with an unblocking function)
 * and starts one Ruby thread per request, which runs the block under
 * rb_protect (an exception becomes a `raised` reply) and completes the
 * request, notifying *while holding* the request's mutex, so the waiter
 * cannot free the request under the notifier's feet. A waiter that times out
 * leaves its request to the completer, which frees it. Stop, or the death of
 * the event thread, fails queued and later calls with `stopped`. In a forked
 * child the queue (the parent's callers) is dropped and a new event thread
 * started.
 *
 * Build it against the harness's header and Ruby, outside this tree:
 *   cc -shared -fPIC -O2 -I<handoff>/harness/include \
 *      $(pkg-config --cflags ruby-3.1) my_bridge.c \
 *      $(pkg-config --libs ruby-3.1) -o libmy_bridge.so
 *   handoff-stress --target-lib ./libmy_bridge.so
 */
#include <errno.h>
#include <pthread.h>
#include <ruby.h>
#include <ruby/thread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "handoff/target.h"

HANDOFF_SYNC_HOOK_DEFINITION;

#define MY_BRIDGE_MAYBE_UNUSED __attribute__((unused)) /* (switchable_bridge.c's faults bypass some) */

int ruby_thread_has_gvl_p(void); /* exported by libruby, not declared in its headers */

typedef struct request {
  char *payload; /* the caller's bytes, copied: the caller may leave first */
  size_t payload_size;
  handoff_target_reply reply; /* written by the handler thread before `done` */
  pthread_mutex_t mutex;
  pthread_cond_t done_cond;
  bool done;      /* set under mutex, read with acquire (see wait_for_reply) */
  bool abandoned; /* guarded by mutex: the waiter timed out; the completer frees */
  struct request *next;
} request;

/* The queue, guarded by g_mutex. */
static pthread_mutex_t g_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_queue_cond = PTHREAD_COND_INITIALIZER;
static request *g_head = NULL, *g_tail = NULL;
static bool g_stopping = false; /* stop was called */
static bool g_dead = false;     /* the event thread is gone */

/* Posts (fire and forget): a bounded FIFO under g_mutex, run one at a time
 * by the event thread between requests, so the posts of one thread run in
 * its order, each after the one before it ended. Policy block: a full queue
 * makes the poster wait for room, except a thread holding the GVL (the
 * event thread needs the GVL to make room), which gets `full`. */
#define MY_POST_CAPACITY 16
typedef struct post {
  char *payload; /* copied: the poster goes on at once */
  size_t size;
  struct post *next;
} post;
static post *g_post_head = NULL, *g_post_tail = NULL; /* guarded by g_mutex */
static uint32_t g_posts_queued = 0;                   /* guarded by g_mutex */
static bool g_post_running = false;                   /* guarded by g_mutex: a post's block runs */
static pthread_cond_t g_post_cond; /* with g_mutex, CLOCK_MONOTONIC: room made, or a post done */
static handoff_target_post_stats g_post_stats; /* each field read and added to atomically */

static VALUE g_callback = Qnil; /* the block, as the bridge's own callback object */
static VALUE g_event_thread = Qnil;

static char *copy_bytes(const char *data, size_t size) {
  char *copy = malloc(size + 1);
  if (size > 0) memcpy(copy, data, size);
  copy[size] = '\0';
  return copy;
}

static request *new_request(const char *payload, size_t size) {
  request *r = calloc(1, sizeof(request));
  r->payload = copy_bytes(payload, size);
  r->payload_size = size;
  pthread_mutex_init(&r->mutex, NULL);
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&r->done_cond, &attr);
  pthread_condattr_destroy(&attr);
  return r;
}

static void free_request(request *r) {
  pthread_mutex_destroy(&r->mutex);
  pthread_cond_destroy(&r->done_cond);
  free(r->payload);
  free(r);
}

/* Marks r done and wakes its waiter. The notify happens under r->mutex: once
 * the waiter sees `done` (under that mutex) the notifier has let go of r.
 * A request its waiter abandoned is freed here instead. */
static void complete(request *r) {
  HANDOFF_SYNC_POINT("my_bridge.complete");
  pthread_mutex_lock(&r->mutex);
  if (r->abandoned) {
    pthread_mutex_unlock(&r->mutex);
    free(r->reply.data);
    free_request(r);
    return;
  }
  __atomic_store_n(&r->done, true, __ATOMIC_RELEASE);
  pthread_cond_signal(&r->done_cond);
  pthread_mutex_unlock(&r->mutex);
}

static void complete_all(request *queued, handoff_target_status status) {
  while (queued) {
    request *next = queued->next; /* read before complete: the waiter may free it */
    queued->reply.status = status;
    complete(queued);
    queued = next;
  }
}

static struct timespec deadline_after(int64_t timeout_ns) {
  struct timespec at;
  clock_gettime(CLOCK_MONOTONIC, &at);
  int64_t ns = at.tv_nsec + timeout_ns % 1000000000;
  at.tv_sec += (time_t)(timeout_ns / 1000000000 + ns / 1000000000);
  at.tv_nsec = (long)(ns % 1000000000);
  return at;
}

/* Waits until r is done or the deadline passes. Returns true with r's reply
 * ready (the caller frees r), false when the waiter gave up (r is no longer
 * the caller's to touch). */
static bool wait_for_reply(request *r, int64_t timeout_ns) {
  struct timespec deadline = deadline_after(timeout_ns);
  HANDOFF_SYNC_POINT("my_bridge.wait");
  pthread_mutex_lock(&r->mutex);
  while (!__atomic_load_n(&r->done, __ATOMIC_ACQUIRE)) {
    if (timeout_ns <= 0) {
      pthread_cond_wait(&r->done_cond, &r->mutex);
    } else if (pthread_cond_timedwait(&r->done_cond, &r->mutex, &deadline) == ETIMEDOUT &&
               !__atomic_load_n(&r->done, __ATOMIC_ACQUIRE)) {
      r->abandoned = true; /* complete() frees it */
      pthread_mutex_unlock(&r->mutex);
      return false;
    }
  }
  pthread_mutex_unlock(&r->mutex);
  return true;
}

static VALUE call_callback(VALUE payload) {
  return rb_funcall(g_callback, rb_intern("call"), 1, payload);
}

/* "Class: message": the exception's class and its whole message, raw bytes
 * (a message may hold NUL bytes or be in any encoding). */
MY_BRIDGE_MAYBE_UNUSED static VALUE exception_message(VALUE error) {
  VALUE message = rb_String(rb_funcall(error, rb_intern("message"), 0));
  VALUE text = rb_str_dup(rb_class_name(rb_obj_class(error)));
  rb_str_cat_cstr(text, ": ");
  return rb_str_cat(text, RSTRING_PTR(message), RSTRING_LEN(message));
}

/* Runs the block on payload (GVL held). Any exception the block raises (not
 * only a StandardError: also exit's SystemExit, Interrupt, a library's own
 * Exception) is handed back as `raised`. Returns the rb_protect state: 0, or
 * a non-local exit that is no exception (a Thread#kill of this thread), which
 * the caller re-raises after handing back *out. */
static int run_block_on(VALUE bytes, handoff_target_reply *out) {
  int state = 0;
  VALUE result = rb_protect(call_callback, bytes, &state);
  VALUE error = state ? rb_errinfo() : Qnil;
  if (state) rb_set_errinfo(Qnil);
  *out = (handoff_target_reply){HANDOFF_TARGET_STOPPED, NULL, 0}; /* killed, or not a String */
  if (state == 0 && RB_TYPE_P(result, T_STRING)) {
    out->status = HANDOFF_TARGET_OK;
    out->size = (size_t)RSTRING_LEN(result);
    out->data = copy_bytes(RSTRING_PTR(result), out->size);
  } else if (state != 0 && rb_obj_is_kind_of(error, rb_eException)) {
    int message_state = 0;
    VALUE message = rb_protect(exception_message, error, &message_state);
    state = 0;
    if (message_state != 0 && !rb_obj_is_kind_of(rb_errinfo(), rb_eException)) {
      /* A Thread#kill landed while #message ran: it goes on (dropped, Ruby
       * would ignore every later kill of this thread). */
      state = message_state;
      message = rb_class_name(rb_obj_class(error));
    } else if (message_state != 0) { /* #message itself raised: name the class instead */
      rb_set_errinfo(Qnil);
      message = rb_class_name(rb_obj_class(error));
    }
    out->status = HANDOFF_TARGET_RAISED;
    out->size = (size_t)RSTRING_LEN(message);
    out->data = copy_bytes(RSTRING_PTR(message), out->size);
  }
  return state;
}

static int run_block(const char *payload, size_t size, handoff_target_reply *out) {
  return run_block_on(rb_str_new(payload, (long)size), out);
}


/* One Ruby thread per request: run the block, hand over its reply. */
MY_BRIDGE_MAYBE_UNUSED static VALUE handle_request(void *arg) {
  request *r = arg;
  handoff_target_reply out;
  int state = run_block(r->payload, r->payload_size, &out);
  r->reply = out;
  complete(r);
  if (state != 0) rb_jump_tag(state); /* Thread#kill and such go on */
  return Qnil;
}


/* A foreign thread's call, or a Ruby thread's without the GVL: queue it,
 * wait for the event thread's reply. */
static void queue_and_wait(const char *payload, size_t size, int64_t timeout_ns,
                           handoff_target_reply *reply) {
  request *r = new_request(payload, size);
  HANDOFF_SYNC_POINT("my_bridge.push");
  pthread_mutex_lock(&g_mutex);
  bool refused = g_stopping || g_dead;
  if (!refused) {
    if (g_tail) g_tail->next = r; else g_head = r;
    g_tail = r;
    pthread_cond_signal(&g_queue_cond);
  }
  pthread_mutex_unlock(&g_mutex);
  if (refused) {
    free_request(r);
    *reply = (handoff_target_reply){HANDOFF_TARGET_STOPPED, NULL, 0};
    return;
  }
  if (!wait_for_reply(r, timeout_ns)) {
    *reply = (handoff_target_reply){HANDOFF_TARGET_TIMED_OUT, NULL, 0};
    return;
  }
  *reply = r->reply;
  free_request(r);
}



static bool stop_was_called(void) {
  pthread_mutex_lock(&g_mutex);
  bool stopping = g_stopping;
  pthread_mutex_unlock(&g_mutex);
  return stopping;
}

static void my_invoke(const char *payload, size_t size, int64_t timeout_ns,
                      handoff_target_reply *reply) {
  bool ruby_thread = ruby_native_thread_p() != 0;
  if (ruby_thread && stop_was_called()) {
    /* Ruby callers run the block themselves, past the queue's check: after
       stop they must be refused here too (found by the aimed stop@handler
       of property stop_and_kill_in_flight). */
    *reply = (handoff_target_reply){HANDOFF_TARGET_STOPPED, NULL, 0};
    return;
  }
  if (ruby_thread && ruby_thread_has_gvl_p()) {
    /* The caller holds the GVL: queueing would wait on a thread that needs it. */
    int state = run_block(payload, size, reply);
    if (state != 0) rb_jump_tag(state);
    return;
  }
  /* A Ruby thread without the GVL queues too, rather than run the block
   * itself through rb_thread_call_with_gvl: there a Thread#kill of the
   * thread could land in the block, where rb_protect catches it and it
   * cannot jump on (not across rb_thread_call_with_gvl), and Ruby never
   * delivers a caught kill again (later kills are ignored too): the thread
   * could not be killed any more. Queued, an interrupt of the thread waits
   * until the call is back in Ruby. */
  queue_and_wait(payload, size, timeout_ns, reply);
}

static void count_post(uint64_t *counter) { __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED); }

static void free_post(post *p) {
  free(p->payload);
  free(p);
}

/* Drops every queued post, counted: at stop, when the event thread ends.
 * REQUIRES: g_mutex held. */
static void drop_queued_posts(void) {
  post *p = g_post_head;
  g_post_head = g_post_tail = NULL;
  g_posts_queued = 0;
  while (p) {
    post *next = p->next;
    count_post(&g_post_stats.dropped);
    free_post(p);
    p = next;
  }
  pthread_cond_broadcast(&g_post_cond); /* posters waiting for room: stopped now */
}

static handoff_target_status my_post(const char *payload, size_t size) {
  bool may_wait = !(ruby_native_thread_p() && ruby_thread_has_gvl_p());
  post *p = calloc(1, sizeof(post));
  p->payload = copy_bytes(payload, size);
  p->size = size;
  HANDOFF_SYNC_POINT("my_bridge.post");
  pthread_mutex_lock(&g_mutex);
  while (may_wait && !g_stopping && !g_dead && g_posts_queued >= MY_POST_CAPACITY) {
    pthread_cond_wait(&g_post_cond, &g_mutex);
  }
  handoff_target_status status = g_stopping || g_dead                  ? HANDOFF_TARGET_STOPPED
                                 : g_posts_queued >= MY_POST_CAPACITY ? HANDOFF_TARGET_FULL
                                                                      : HANDOFF_TARGET_OK;
  if (status == HANDOFF_TARGET_OK) {
    if (g_post_tail) g_post_tail->next = p; else g_post_head = p;
    g_post_tail = p;
    ++g_posts_queued;
    count_post(&g_post_stats.posted);
    pthread_cond_signal(&g_queue_cond);
  } else {
    count_post(&g_post_stats.refused);
  }
  pthread_mutex_unlock(&g_mutex);
  if (status != HANDOFF_TARGET_OK) free_post(p);
  return status;
}

/* On the event thread, GVL held: one post's block, its reply dropped. A
 * raise, or a kill in it, counts it failed; the kill then goes on. */
static void run_post(post *p) {
  handoff_target_reply out;
  int state = run_block(p->payload, p->size, &out);
  free(out.data);
  count_post(state == 0 && out.status == HANDOFF_TARGET_OK ? &g_post_stats.run : &g_post_stats.failed);
  free_post(p);
  pthread_mutex_lock(&g_mutex);
  g_post_running = false;
  pthread_cond_broadcast(&g_post_cond);
  pthread_mutex_unlock(&g_mutex);
  if (state != 0) rb_jump_tag(state);
}

typedef struct flushing {
  struct timespec deadline;
  int result;
} flushing;

static bool posts_pending(void) { return g_posts_queued > 0 || g_post_running; } /* g_mutex held */

static void *wait_for_posts(void *arg) {
  flushing *f = arg;
  pthread_mutex_lock(&g_mutex);
  while (posts_pending()) {
    if (pthread_cond_timedwait(&g_post_cond, &g_mutex, &f->deadline) == ETIMEDOUT && posts_pending()) {
      f->result = -1;
      break;
    }
  }
  pthread_mutex_unlock(&g_mutex);
  return NULL;
}

/* GVL held: waits for the posts without it, so the event thread runs them. */
static int my_flush(int64_t timeout_ns) {
  flushing f = {deadline_after(timeout_ns), 0};
  rb_thread_call_without_gvl(wait_for_posts, &f, NULL, NULL);
  return f.result;
}

static void my_post_stats(handoff_target_post_stats *out) {
  out->posted = __atomic_load_n(&g_post_stats.posted, __ATOMIC_RELAXED);
  out->run = __atomic_load_n(&g_post_stats.run, __ATOMIC_RELAXED);
  out->failed = __atomic_load_n(&g_post_stats.failed, __ATOMIC_RELAXED);
  out->dropped = __atomic_load_n(&g_post_stats.dropped, __ATOMIC_RELAXED);
  out->refused = __atomic_load_n(&g_post_stats.refused, __ATOMIC_RELAXED);
}

static void init_post_cond(void) {
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&g_post_cond, &attr);
  pthread_condattr_destroy(&attr);
}

/* The event thread takes the next post in hand. REQUIRES: g_mutex held. */
static post *pop_post(void) {
  post *p = g_post_head;
  if (p == NULL) return NULL;
  g_post_head = p->next;
  if (g_post_head == NULL) g_post_tail = NULL;
  --g_posts_queued;
  g_post_running = true;
  pthread_cond_broadcast(&g_post_cond); /* room for a waiting poster */
  return p;
}

typedef struct waiting {
  request *popped;
  bool abort;
  post *post; /* or a post taken in hand */
} waiting;

static void *wait_for_request(void *arg) {
  waiting *w = arg;
  pthread_mutex_lock(&g_mutex);
  while (!w->abort && !g_stopping && g_head == NULL && g_post_head == NULL) pthread_cond_wait(&g_queue_cond, &g_mutex);
  w->popped = g_stopping ? NULL : g_head;
  if (w->popped) {
    g_head = g_head->next;
    if (g_head == NULL) g_tail = NULL;
  } else if (!g_stopping) {
    w->post = pop_post();
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


static VALUE event_loop(VALUE unused) {
  (void)unused;
  for (;;) {
    waiting w = {NULL, false, NULL};
    /* without_gvl2 does not check interrupts after the wait, so a request
       just popped is never dropped by a pending interrupt. */
    rb_thread_call_without_gvl2(wait_for_request, &w, stop_waiting, &w);
    HANDOFF_SYNC_POINT("my_bridge.popped");
    if (w.popped) {
      rb_thread_create(handle_request, w.popped);
      continue;
    }
    if (w.post) {
      run_post(w.post); /* posts run here, one at a time: in order */
      continue;
    }
    pthread_mutex_lock(&g_mutex);
    bool stopping = g_stopping;
    pthread_mutex_unlock(&g_mutex);
    if (stopping) return Qnil;
    rb_thread_check_ints(); /* nothing in hand: a kill may end us here */
  }
}

/* However the event thread ends (stop, Thread#kill, an exception), nobody
 * will pop again: fail what is queued and refuse later calls. */
MY_BRIDGE_MAYBE_UNUSED static VALUE event_thread_ended(VALUE unused) {
  (void)unused;
  pthread_mutex_lock(&g_mutex);
  g_dead = true;
  request *queued = g_head;
  g_head = g_tail = NULL;
  drop_queued_posts();
  pthread_mutex_unlock(&g_mutex);
  complete_all(queued, HANDOFF_TARGET_STOPPED);
  return Qnil;
}

static VALUE event_thread(void *unused) {
  (void)unused;
  return rb_ensure(event_loop, Qnil, event_thread_ended, Qnil);
}

static void start_event_thread(void) {
  g_event_thread = rb_thread_create(event_thread, NULL);
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
  /* The bridge's own callback object (as it would wrap a user's block). */
  g_callback = rb_obj_method((VALUE)handler, ID2SYM(rb_intern("call")));
  rb_gc_register_address(&g_callback);
  rb_gc_register_address(&g_event_thread);
  init_post_cond();
  start_event_thread();
  return 0;
}

/* Fails queued and later calls with `stopped`; handlers in flight finish. */
static void my_stop(void) {
  pthread_mutex_lock(&g_mutex);
  g_stopping = true;
  request *queued = g_head;
  g_head = g_tail = NULL;
  drop_queued_posts();
  pthread_cond_broadcast(&g_queue_cond);
  pthread_mutex_unlock(&g_mutex);
  complete_all(queued, HANDOFF_TARGET_STOPPED);
}

static void my_kill_event_thread(void) { rb_funcall(g_event_thread, rb_intern("kill"), 0); }

/* In a forked child only the forking thread exists: the queued requests
 * belong to the parent's callers, and locks may have been held mid-fork. */
static void my_after_fork_child(void) {
  pthread_mutex_t fresh_mutex = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t fresh_cond = PTHREAD_COND_INITIALIZER;
  g_mutex = fresh_mutex;
  g_queue_cond = fresh_cond;
  g_head = g_tail = NULL; /* leaked: their waiters are not in this process */
  g_post_head = g_post_tail = NULL; /* the parent's posts never run here (leaked) */
  g_posts_queued = 0;
  g_post_running = false;
  memset(&g_post_stats, 0, sizeof g_post_stats); /* counted since the fork */
  init_post_cond();
  if (!g_stopping) {
    g_dead = false;
    start_event_thread();
  }
}

static void my_describe(char *buffer, size_t size) {
  if (pthread_mutex_trylock(&g_mutex) != 0) {
    snprintf(buffer, size, "queue lock held");
    return;
  }
  int queued = 0;
  for (request *r = g_head; r; r = r->next) ++queued;
  snprintf(buffer, size, "%d queued, %u posts queued%s, %s, event thread %s", queued, g_posts_queued,
           g_post_running ? " (one running)" : "", g_stopping ? "stopping" : "running", g_dead ? "gone" : "alive");
  pthread_mutex_unlock(&g_mutex);
}

#define MY_BRIDGE_NAME "my_bridge"
#define MY_BRIDGE_DESCRIPTION \
  "README example: classified callers, FIFO queue, event thread, a Ruby thread per request"

static const handoff_target kTarget = {
    HANDOFF_TARGET_ABI_VERSION,
    HANDOFF_TARGET_HAS_DEADLINES | HANDOFF_TARGET_HAS_POSTS | HANDOFF_SYNC_POINTS_FLAG,
    MY_BRIDGE_NAME,
    MY_BRIDGE_DESCRIPTION,
    my_start,
    my_invoke,
    my_stop,
    my_kill_event_thread,
    my_after_fork_child,
    my_describe,
    my_post,
    my_flush,
    my_post_stats,
    HANDOFF_TARGET_POST_BLOCK,
    MY_POST_CAPACITY,
};

HANDOFF_TARGET_EXPORT const handoff_target *handoff_target_entry(void) { return &kTarget; }
