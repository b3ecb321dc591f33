/*
 * switchable_bridge.c — targets/example/my_bridge.c with every deliberate
 * fault of targets/mutants behind a MUTANT_* switch. Each mutant file
 * defines one switch and its declaration (MUTANT_NAME, MUTANT_CLASS,
 * MUTANT_MUST_PRODUCE, MUTANT_SCENARIO, ...) and includes this file.
 *
 * With no switch defined this is my_bridge.c, code for code: the test
 * mutant.switchable_in_step (check_in_step.sh) resolves every MUTANT_*
 * switch off with unifdef, strips the comments of both, and fails on any
 * difference. A fix to my_bridge.c is made here too.
 *
 * my_bridge.c's comments on the design are here too; the comments inside
 * the MUTANT_* blocks describe the faults.
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
#ifdef MUTANT_LEAK_REQUEST_EVENTFD
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>
#endif

#include "handoff/target.h"

HANDOFF_SYNC_HOOK_DEFINITION;

#define MY_BRIDGE_MAYBE_UNUSED __attribute__((unused)) /* some MUTANT_* switches bypass it */

int ruby_thread_has_gvl_p(void); /* exported by libruby, not declared in its headers */

typedef struct request {
  char *payload; /* the caller's bytes, copied: the caller may leave first */
  size_t payload_size;
  handoff_target_reply reply; /* written by the handler thread before `done` */
  pthread_mutex_t mutex;
  pthread_cond_t done_cond;
  bool done;      /* set under mutex, read with acquire (see wait_for_reply) */
  bool abandoned; /* guarded by mutex: the waiter timed out; the completer frees */
#ifdef MUTANT_UNROOTED_QUEUED_VALUE
  VALUE ruby_payload; /* made by the event thread, kept where the GC cannot see it */
#endif
#if defined(MUTANT_FOREIGN_THREAD_MAKES_REPLY) || defined(MUTANT_ZERO_COPY_REPLY)
  VALUE ruby_reply; /* the block's result, handed to the foreign caller */
#endif
#ifdef MUTANT_REPLY_TO_OLDEST_WAITER
  struct request *next_in_flight; /* dispatch order, guarded by g_mutex */
#endif
#ifdef MUTANT_LEAK_REQUEST_EVENTFD
  int done_fd; /* signalled with `done`, for a waiter that would rather poll() */
#endif
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
#ifdef MUTANT_POST_MAKES_RUBY_STRING
  VALUE ruby_payload;
#endif
  struct post *next;
} post;
static post *g_post_head = NULL, *g_post_tail = NULL; /* guarded by g_mutex */
static uint32_t g_posts_queued = 0;                   /* guarded by g_mutex */
static bool g_post_running = false;                   /* guarded by g_mutex: a post's block runs */
static pthread_cond_t g_post_cond; /* with g_mutex, CLOCK_MONOTONIC: room made, or a post done */
static handoff_target_post_stats g_post_stats; /* each field read and added to atomically */
#ifdef MUTANT_SHARED_REPLY_BUFFER
static handoff_target_reply g_shared_reply; /* one reply buffer for all; guarded by g_mutex */
#endif
#ifdef MUTANT_REPLY_TO_OLDEST_WAITER
static request *g_in_flight_head = NULL, *g_in_flight_tail = NULL; /* guarded by g_mutex */
#endif

#ifdef MUTANT_PARK_FINISHED_WORKERS
/* "A worker that finished its request waits to be reused": but the event
   thread starts a new thread for every request, so one more thread stays
   parked per call until stop. */
static pthread_cond_t g_parked_cond = PTHREAD_COND_INITIALIZER; /* with g_mutex */

static void *wait_while_running(void *unused) {
  (void)unused;
  pthread_mutex_lock(&g_mutex);
  while (!g_stopping) pthread_cond_wait(&g_parked_cond, &g_mutex);
  pthread_mutex_unlock(&g_mutex);
  return NULL;
}

static void wake_parked(void *unused) {
  (void)unused;
  pthread_mutex_lock(&g_mutex);
  pthread_cond_broadcast(&g_parked_cond);
  pthread_mutex_unlock(&g_mutex);
}

static void park_until_stop(void) {
  rb_thread_call_without_gvl(wait_while_running, NULL, wake_parked, NULL);
}
#endif

static VALUE g_callback = Qnil; /* the block, as the bridge's own callback object */
static VALUE g_event_thread = Qnil;
#ifdef MUTANT_MOVABLE_WITHOUT_COMPACT
/* "Register the callback through a wrapper object, and let the GC move it":
   the holder marks g_callback with rb_gc_mark_movable but has no dcompact
   function, so when compaction moves the callback g_callback is never
   updated (rb_gc_location) and points at the slot it left: freed, then
   reused by some other object. */
static void mark_held_callback(void *held) { rb_gc_mark_movable(*(VALUE *)held); }
static const rb_data_type_t g_holder_type = {
    "my_bridge_callback_holder", {mark_held_callback, NULL, NULL, NULL, {NULL}}, NULL, NULL, 0};
static VALUE g_callback_holder = Qnil;
#endif
#ifdef MUTANT_ZERO_COPY_REPLY
/* "Zero copy": the caller copies its reply straight out of the block's
   String. The String stays alive (it is in g_replies_in_use) until the
   caller has copied it and the event thread drops it, but the caller reads
   the object's memory without the GVL while the GC, on a Ruby thread, writes
   the same words (marking ages a young object in its flags). */
static VALUE g_replies_in_use = Qnil;
typedef struct copied_reply {
  VALUE reply;
  struct copied_reply *next;
} copied_reply;
static copied_reply *g_copied_replies = NULL; /* guarded by g_mutex */
#endif

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
#ifdef MUTANT_LEAK_REQUEST_EVENTFD
  r->done_fd = eventfd(0, EFD_CLOEXEC); /* free_request never closes it */
#endif
  return r;
}

static void free_request(request *r) {
  pthread_mutex_destroy(&r->mutex);
  pthread_cond_destroy(&r->done_cond);
#ifndef MUTANT_LEAK_PAYLOAD_COPY
  free(r->payload); /* (the mutant forgets the copy: "the waiter owns it", but it never frees it) */
#endif
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
#ifdef MUTANT_LEAK_REQUEST_EVENTFD
  uint64_t one = 1;
  if (write(r->done_fd, &one, sizeof one) < 0) { /* nobody polls it yet: fine */ }
#endif
#ifdef MUTANT_SIGNAL_AFTER_UNLOCK
  pthread_mutex_unlock(&r->mutex);
  HANDOFF_SYNC_POINT("my_bridge.signal_after_unlock");
  pthread_cond_signal(&r->done_cond); /* the waiter may have freed it by now */
#else
  pthread_cond_signal(&r->done_cond);
  pthread_mutex_unlock(&r->mutex);
#endif
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
#ifdef MUTANT_DEADLINE_WRONG_CLOCK
  clock_gettime(CLOCK_REALTIME, &at); /* the condvar waits on CLOCK_MONOTONIC: decades away */
#else
  clock_gettime(CLOCK_MONOTONIC, &at);
#endif
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
#if defined(MUTANT_DONE_WITHOUT_SYNC)
  /* Polls a plain bool and reads the reply with no happens-before edge. */
  (void)deadline;
  while (!*(volatile bool *)&r->done) sched_yield();
  return true;
#elif defined(MUTANT_CHECK_DONE_BEFORE_WAIT)
  /* Checks `done` under the mutex, lets go, then sleeps without checking
   * again: a completion between the check and the wait is never seen. */
  (void)deadline;
  pthread_mutex_lock(&r->mutex);
  bool done = __atomic_load_n(&r->done, __ATOMIC_ACQUIRE);
  pthread_mutex_unlock(&r->mutex);
  if (!done) {
    HANDOFF_SYNC_POINT("my_bridge.between_check_and_wait");
    pthread_mutex_lock(&r->mutex);
    pthread_cond_wait(&r->done_cond, &r->mutex);
    pthread_mutex_unlock(&r->mutex);
  }
  return true;
#else
  pthread_mutex_lock(&r->mutex);
  while (!__atomic_load_n(&r->done, __ATOMIC_ACQUIRE)) {
    if (timeout_ns <= 0) {
      pthread_cond_wait(&r->done_cond, &r->mutex);
    } else if (pthread_cond_timedwait(&r->done_cond, &r->mutex, &deadline) == ETIMEDOUT &&
               !__atomic_load_n(&r->done, __ATOMIC_ACQUIRE)) {
#ifdef MUTANT_FREE_ON_TIMEOUT
      pthread_mutex_unlock(&r->mutex);
      free_request(r); /* still queued, or in a handler's hands */
#else
      r->abandoned = true; /* complete() frees it */
      pthread_mutex_unlock(&r->mutex);
#endif
      return false;
    }
  }
  pthread_mutex_unlock(&r->mutex);
  return true;
#endif
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
#ifdef MUTANT_NO_RB_PROTECT
  VALUE result = call_callback(bytes); /* an exception unwinds out of the bridge */
#else
  VALUE result = rb_protect(call_callback, bytes, &state);
#endif
  VALUE error = state ? rb_errinfo() : Qnil;
  if (state) rb_set_errinfo(Qnil);
  *out = (handoff_target_reply){HANDOFF_TARGET_STOPPED, NULL, 0}; /* killed, or not a String */
  if (state == 0 && RB_TYPE_P(result, T_STRING)) {
    out->status = HANDOFF_TARGET_OK;
    out->size = (size_t)RSTRING_LEN(result);
#ifdef MUTANT_FIXED_REPLY_BUFFER
    if (out->size > 4096) out->size = 4096; /* "replies fit the 4 KiB reply slot" */
#endif
    out->data = copy_bytes(RSTRING_PTR(result), out->size);
#ifdef MUTANT_RESCUE_STANDARD_ERROR_ONLY
  } else if (state != 0 && rb_obj_is_kind_of(error, rb_eStandardError)) { /* "as `rescue => e` does" */
#else
  } else if (state != 0 && rb_obj_is_kind_of(error, rb_eException)) {
#endif
#ifdef MUTANT_SWALLOW_EXCEPTIONS
    out->status = HANDOFF_TARGET_OK; /* "the callback failed, reply empty": nobody hears of it */
    state = 0;
#else
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
#ifdef MUTANT_MESSAGE_AS_C_STRING
    out->size = strlen(RSTRING_PTR(message)); /* the message as a C string: cut at its first NUL */
#else
    out->size = (size_t)RSTRING_LEN(message);
#endif
    out->data = copy_bytes(RSTRING_PTR(message), out->size);
#endif
  }
  return state;
}

static int run_block(const char *payload, size_t size, handoff_target_reply *out) {
  return run_block_on(rb_str_new(payload, (long)size), out);
}

#ifdef MUTANT_HANDLER_CALLS_BLOCK_WITHOUT_GVL
static ID g_id_call;

typedef struct nogvl_call {
  VALUE payload, result;
} nogvl_call;

/* Runs inside rb_thread_call_without_gvl: "the GVL only slows the block's
   C work down, so it is called from here". */
static void *call_block_without_gvl(void *arg) {
  nogvl_call *call = arg;
  call->result = rb_funcall(g_callback, g_id_call, 1, call->payload);
  return NULL;
}
#endif

/* One Ruby thread per request: run the block, hand over its reply. */
MY_BRIDGE_MAYBE_UNUSED static VALUE handle_request(void *arg) {
  request *r = arg;
  handoff_target_reply out;
#if defined(MUTANT_UNROOTED_QUEUED_VALUE)
  int state = run_block_on(r->ruby_payload, &out); /* collected by now? */
#elif defined(MUTANT_FOREIGN_THREAD_MAKES_REPLY)
  /* Only runs the block: the waiting caller makes its reply from the result. */
  int state = 0;
  r->ruby_reply = rb_protect(call_callback, rb_str_new(r->payload, (long)r->payload_size), &state);
  if (state) rb_set_errinfo(Qnil);
  out = (handoff_target_reply){state ? HANDOFF_TARGET_STOPPED : HANDOFF_TARGET_OK, NULL, 0};
  state = 0;
#elif defined(MUTANT_HANDLER_CALLS_BLOCK_WITHOUT_GVL)
  nogvl_call call = {rb_str_new(r->payload, (long)r->payload_size), Qnil};
  rb_thread_call_without_gvl(call_block_without_gvl, &call, NULL, NULL);
  int state = 0;
  out = (handoff_target_reply){HANDOFF_TARGET_STOPPED, NULL, 0};
  if (RB_TYPE_P(call.result, T_STRING)) {
    out.status = HANDOFF_TARGET_OK;
    out.size = (size_t)RSTRING_LEN(call.result);
    out.data = copy_bytes(RSTRING_PTR(call.result), out.size);
  }
#elif defined(MUTANT_ZERO_COPY_REPLY)
  /* Only runs the block: the waiting caller copies its reply out of the String. */
  int state = 0;
  VALUE result = rb_protect(call_callback, rb_str_new(r->payload, (long)r->payload_size), &state);
  if (state) rb_set_errinfo(Qnil);
  out = (handoff_target_reply){HANDOFF_TARGET_STOPPED, NULL, 0};
  if (state == 0 && RB_TYPE_P(result, T_STRING)) {
    rb_ary_push(g_replies_in_use, result);
    r->ruby_reply = result;
    out.status = HANDOFF_TARGET_OK;
  }
#else
#ifdef MUTANT_NAP_PER_CALL
  struct timespec nap = {0, 1000000}; /* "let the caller get to its wait first": 1 ms, GVL held */
  nanosleep(&nap, NULL);
#endif
  int state = run_block(r->payload, r->payload_size, &out);
#endif
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
#ifdef MUTANT_PARK_FINISHED_WORKERS
  if (state == 0) park_until_stop(); /* parked for reuse, but nothing ever reuses it */
#endif
  if (state != 0) rb_jump_tag(state); /* Thread#kill and such go on */
  return Qnil;
}

#ifdef MUTANT_REPLY_TO_OLDEST_WAITER
/* Replies are matched to waiters by order, not identity: "handlers finish in
 * the order they were dispatched", so each reply goes to the oldest waiter. */
typedef struct job {
  char *payload;
  size_t size;
} job;

static job *dispatch_in_order(request *r) {
  job *j = malloc(sizeof(job));
  j->payload = copy_bytes(r->payload, r->payload_size);
  j->size = r->payload_size;
  pthread_mutex_lock(&g_mutex);
  if (g_in_flight_tail) g_in_flight_tail->next_in_flight = r; else g_in_flight_head = r;
  g_in_flight_tail = r;
  pthread_mutex_unlock(&g_mutex);
  return j;
}

static VALUE handle_in_order(void *arg) {
  job *j = arg;
  handoff_target_reply out;
  int state = run_block(j->payload, j->size, &out);
  free(j->payload);
  free(j);
  HANDOFF_SYNC_POINT("my_bridge.reply_to_oldest");
  pthread_mutex_lock(&g_mutex);
  request *oldest = g_in_flight_head;
  g_in_flight_head = oldest->next_in_flight;
  if (g_in_flight_head == NULL) g_in_flight_tail = NULL;
  pthread_mutex_unlock(&g_mutex);
  oldest->reply = out;
  complete(oldest);
  if (state != 0) rb_jump_tag(state);
  return Qnil;
}
#endif

#if defined(MUTANT_NOGVL_PATH_UNPROTECTED) || defined(MUTANT_KILL_DROPPED_WITHOUT_GVL) || defined(MUTANT_CLASSIFY_BY_GVL_ONLY)
typedef struct with_gvl_call {
  const char *payload;
  size_t size;
  handoff_target_reply *reply;
} with_gvl_call;

MY_BRIDGE_MAYBE_UNUSED static void *run_block_with_gvl(void *arg) {
  with_gvl_call *call = arg;
#ifdef MUTANT_NOGVL_PATH_UNPROTECTED
  /* "This thread is Ruby's own: an exception just propagates": it unwinds
     through rb_thread_call_with_gvl and over the C caller's frames. */
  VALUE result = call_callback(rb_str_new(call->payload, (long)call->size));
  call->reply->status = HANDOFF_TARGET_OK;
  call->reply->size = (size_t)RSTRING_LEN(result);
  call->reply->data = copy_bytes(RSTRING_PTR(result), call->reply->size);
#else
  run_block(call->payload, call->size, call->reply); /* "a kill is delivered again later": it is not */
#endif
  return NULL;
}
#endif

/* A foreign thread's call, or a Ruby thread's without the GVL: queue it,
 * wait for the event thread's reply. */
static void queue_and_wait(const char *payload, size_t size, int64_t timeout_ns,
                           handoff_target_reply *reply) {
#ifdef MUTANT_PAYLOAD_AS_C_STRING
  size = strnlen(payload, size); /* the payload copied as a C string: up to its first NUL */
#endif
  request *r = new_request(payload, size);
  HANDOFF_SYNC_POINT("my_bridge.push");
  pthread_mutex_lock(&g_mutex);
#ifdef MUTANT_NO_STOPPED_CHECK
  bool refused = false; /* queued even after stop: nobody will ever pop it */
#else
  bool refused = g_stopping || g_dead;
#endif
  if (!refused) {
#ifdef MUTANT_LIFO_QUEUE
    r->next = g_head; /* pushed at the front, like the seed: the newest is served first */
    g_head = r;
    if (g_tail == NULL) g_tail = r;
#else
    if (g_tail) g_tail->next = r; else g_head = r;
    g_tail = r;
#endif
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
#ifdef MUTANT_SHARED_REPLY_BUFFER
  HANDOFF_SYNC_POINT("my_bridge.read_shared_reply");
  pthread_mutex_lock(&g_mutex); /* whatever the last handler left there */
  r->reply = g_shared_reply;
  r->reply.data = r->reply.data ? copy_bytes(r->reply.data, r->reply.size) : NULL;
  pthread_mutex_unlock(&g_mutex);
#endif
#ifdef MUTANT_FOREIGN_THREAD_MAKES_REPLY
  if (r->reply.status == HANDOFF_TARGET_OK) { /* on the foreign thread, without the GVL */
    VALUE text = rb_String(r->ruby_reply);
    r->reply.size = (size_t)RSTRING_LEN(text);
    r->reply.data = copy_bytes(RSTRING_PTR(text), r->reply.size);
  }
#endif
#ifdef MUTANT_ZERO_COPY_REPLY
  if (r->reply.status == HANDOFF_TARGET_OK) { /* the String's memory, without the GVL */
    r->reply.size = (size_t)RSTRING_LEN(r->ruby_reply);
    r->reply.data = copy_bytes(RSTRING_PTR(r->ruby_reply), r->reply.size);
    copied_reply *done = malloc(sizeof(copied_reply));
    done->reply = r->ruby_reply;
    pthread_mutex_lock(&g_mutex); /* the event thread lets go of it */
    done->next = g_copied_replies;
    g_copied_replies = done;
    pthread_mutex_unlock(&g_mutex);
  }
#endif
  *reply = r->reply;
  free_request(r);
}

#ifdef MUTANT_ZERO_COPY_REPLY
/* With the GVL: the Strings their callers have copied may go. */
static void drop_copied_replies(void) {
  pthread_mutex_lock(&g_mutex);
  copied_reply *done = g_copied_replies;
  g_copied_replies = NULL;
  pthread_mutex_unlock(&g_mutex);
  while (done) {
    copied_reply *next = done->next;
    for (long i = 0; i < RARRAY_LEN(g_replies_in_use); ++i) { /* by identity, not == */
      if (RARRAY_AREF(g_replies_in_use, i) == done->reply) {
        rb_ary_delete_at(g_replies_in_use, i);
        break;
      }
    }
    free(done);
    done = next;
  }
}
#endif

#ifdef MUTANT_STOP_FLAG_UNSYNCHRONISED
static bool g_stopped_fast = false; /* read by every invoke, written by stop: no lock */
#endif

#if !defined(MUTANT_QUEUE_EVERY_CALLER) && !defined(MUTANT_NO_STOPPED_CHECK)
static bool stop_was_called(void) {
  pthread_mutex_lock(&g_mutex);
  bool stopping = g_stopping;
  pthread_mutex_unlock(&g_mutex);
  return stopping;
}
#endif

static void my_invoke(const char *payload, size_t size, int64_t timeout_ns,
                      handoff_target_reply *reply) {
#ifdef MUTANT_EMPTY_PAYLOAD_SHORTCUT
  if (size == 0) { /* "nothing to hand over": an empty reply, the block never called */
    *reply = (handoff_target_reply){HANDOFF_TARGET_OK, NULL, 0};
    return;
  }
#endif
#ifdef MUTANT_STOP_FLAG_UNSYNCHRONISED
  if (g_stopped_fast) { /* a fast path before the lock: a plain read racing stop's write */
    *reply = (handoff_target_reply){HANDOFF_TARGET_STOPPED, NULL, 0};
    return;
  }
#endif
#if defined(MUTANT_CLASSIFY_BY_GVL_ONLY)
  /* "No GVL, so it must be a Ruby thread that released it": true for Ruby
     threads, fatal for a foreign one (rb_thread_call_with_gvl from a thread
     Ruby does not know). */
  bool ruby_thread = true;
#else
  bool ruby_thread = ruby_native_thread_p() != 0;
#endif
#ifdef MUTANT_RUBY_THREAD_MEANS_GVL
  if (ruby_thread) {
    /* "A Ruby thread holds the GVL": one that released it runs the block without it. */
    int state = run_block(payload, size, reply);
    if (state != 0) rb_jump_tag(state);
    return;
  }
#endif
#ifndef MUTANT_QUEUE_EVERY_CALLER
#ifndef MUTANT_NO_STOPPED_CHECK
  if (ruby_thread && stop_was_called()) {
    /* Ruby callers run the block themselves, past the queue's check: after
       stop they must be refused here too (found by the aimed stop@handler
       of property stop_and_kill_in_flight). */
    *reply = (handoff_target_reply){HANDOFF_TARGET_STOPPED, NULL, 0};
    return;
  }
#endif
  if (ruby_thread && ruby_thread_has_gvl_p()) {
    /* The caller holds the GVL: queueing would wait on a thread that needs it. */
    int state = run_block(payload, size, reply);
    if (state != 0) rb_jump_tag(state);
    return;
  }
#if defined(MUTANT_NOGVL_PATH_UNPROTECTED) || defined(MUTANT_KILL_DROPPED_WITHOUT_GVL) || defined(MUTANT_CLASSIFY_BY_GVL_ONLY)
  if (ruby_thread) { /* "the caller is a Ruby thread: it runs the block itself, faster" */
    with_gvl_call call = {payload, size, reply};
    rb_thread_call_with_gvl(run_block_with_gvl, &call);
    return;
  }
#endif
  /* A Ruby thread without the GVL queues too, rather than run the block
   * itself through rb_thread_call_with_gvl: there a Thread#kill of the
   * thread could land in the block, where rb_protect catches it and it
   * cannot jump on (not across rb_thread_call_with_gvl), and Ruby never
   * delivers a caught kill again (later kills are ignored too): the thread
   * could not be killed any more. Queued, an interrupt of the thread waits
   * until the call is back in Ruby. */
#else
  (void)ruby_thread;
#endif
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
#ifdef MUTANT_POST_MAKES_RUBY_STRING
  p->ruby_payload = rb_str_new(payload, (long)size); /* "ready for the block": on the poster's thread */
#endif
  HANDOFF_SYNC_POINT("my_bridge.post");
  pthread_mutex_lock(&g_mutex);
#ifdef MUTANT_UNBOUNDED_POSTS
  /* "A post must never wait": the queue just grows, whatever post_capacity says. */
  (void)may_wait;
  handoff_target_status status = g_stopping || g_dead ? HANDOFF_TARGET_STOPPED : HANDOFF_TARGET_OK;
#else
  while (may_wait && !g_stopping && !g_dead && g_posts_queued >= MY_POST_CAPACITY) {
    pthread_cond_wait(&g_post_cond, &g_mutex);
  }
  handoff_target_status status = g_stopping || g_dead                  ? HANDOFF_TARGET_STOPPED
                                 : g_posts_queued >= MY_POST_CAPACITY ? HANDOFF_TARGET_FULL
                                                                      : HANDOFF_TARGET_OK;
#endif
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
#ifdef MUTANT_REQUEUE_KILLED_POST
  if (state != 0) { /* "killed before it finished: run it again on the next event thread" */
    pthread_mutex_lock(&g_mutex);
    p->next = g_post_head;
    g_post_head = p;
    if (g_post_tail == NULL) g_post_tail = p;
    ++g_posts_queued;
    g_post_running = false;
    pthread_mutex_unlock(&g_mutex);
    rb_jump_tag(state);
  }
#endif
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
#ifdef MUTANT_POLLING_EVENT_THREAD
  while (!w->abort && !g_stopping && g_head == NULL && g_post_head == NULL) { /* "a condvar is overkill": poll every 10 ms */
    pthread_mutex_unlock(&g_mutex);
    struct timespec nap = {0, 10000000};
    nanosleep(&nap, NULL);
    pthread_mutex_lock(&g_mutex);
  }
#elif defined(MUTANT_SPIN_WHILE_IDLE)
  while (!w->abort && !g_stopping && g_head == NULL && g_post_head == NULL) { /* "a condvar wakeup is too slow": spin */
    pthread_mutex_unlock(&g_mutex);
    for (volatile int spin = 0; spin < 1000; ++spin) {
    }
    pthread_mutex_lock(&g_mutex);
  }
#else
  while (!w->abort && !g_stopping && g_head == NULL && g_post_head == NULL) pthread_cond_wait(&g_queue_cond, &g_mutex);
#endif
#ifdef MUTANT_POP_WITHOUT_MUTEX
  pthread_mutex_unlock(&g_mutex); /* "we are the only consumer": but pushers write g_head too */
  HANDOFF_SYNC_POINT("my_bridge.pop_unlocked");
#endif
  w->popped = g_stopping ? NULL : g_head;
  if (w->popped) {
    g_head = g_head->next;
    if (g_head == NULL) g_tail = NULL;
  } else if (!g_stopping) {
    w->post = pop_post();
  }
#ifndef MUTANT_POP_WITHOUT_MUTEX
  pthread_mutex_unlock(&g_mutex);
#endif
  return NULL;
}

static void stop_waiting(void *arg) {
  waiting *w = arg;
  pthread_mutex_lock(&g_mutex);
  w->abort = true;
  pthread_cond_broadcast(&g_queue_cond);
  pthread_mutex_unlock(&g_mutex);
}

#ifdef MUTANT_UNROOTED_QUEUED_VALUE
/* Makes the String in a function of its own, so that when it returns no
   register of the event loop still holds it: under TSan, the store's
   instrumentation kept it in a callee-saved register across
   rb_thread_create, where Ruby's conservative GC saw it and never collected
   it (the bug hidden by codegen, not fixed). */
__attribute__((noinline)) static void make_unrooted_payload(request *r) {
  r->ruby_payload = rb_str_new(r->payload, (long)r->payload_size);
}
#endif

static VALUE event_loop(VALUE unused) {
  (void)unused;
  for (;;) {
    waiting w = {NULL, false, NULL};
    /* without_gvl2 does not check interrupts after the wait, so a request
       just popped is never dropped by a pending interrupt. */
    rb_thread_call_without_gvl2(wait_for_request, &w, stop_waiting, &w);
    HANDOFF_SYNC_POINT("my_bridge.popped");
#ifdef MUTANT_ZERO_COPY_REPLY
    drop_copied_replies();
#endif
#ifdef MUTANT_CHECK_INTS_WITH_REQUEST
    rb_thread_check_ints(); /* a Thread#kill ends us here, the popped request in hand */
#endif
    if (w.popped) {
#ifdef MUTANT_HANDLER_ON_EVENT_THREAD
      handle_request(w.popped); /* a block that waits on another callback waits forever */
#else
#if defined(MUTANT_UNROOTED_QUEUED_VALUE)
      make_unrooted_payload(w.popped);
      rb_thread_create(handle_request, w.popped);
#elif defined(MUTANT_REPLY_TO_OLDEST_WAITER)
      rb_thread_create(handle_in_order, dispatch_in_order(w.popped));
#else
      rb_thread_create(handle_request, w.popped);
#endif
#endif
      continue;
    }
    if (w.post) {
      run_post(w.post); /* posts run here, one at a time: in order */
      continue;
    }
#ifdef MUTANT_UNBLOCK_MEANS_STOP
    return Qnil; /* "woken with nothing to do: we are being stopped" */
#endif
    pthread_mutex_lock(&g_mutex);
    bool stopping = g_stopping;
    pthread_mutex_unlock(&g_mutex);
    if (stopping) return Qnil;
    rb_thread_check_ints(); /* nothing in hand: a kill may end us here */
  }
}

/* However the event thread ends (stop, Thread#kill, an exception), nobody
 * will pop again: fail what is queued and refuse later calls. */
#ifdef MUTANT_REQUEUE_KILLED_POST
static void start_event_thread(void);
#endif

MY_BRIDGE_MAYBE_UNUSED static VALUE event_thread_ended(VALUE unused) {
  (void)unused;
#ifdef MUTANT_REQUEUE_KILLED_POST
  pthread_mutex_lock(&g_mutex);
  bool restart = !g_stopping; /* "a killed worker is replaced": the queue stays */
  pthread_mutex_unlock(&g_mutex);
  if (restart) {
    start_event_thread();
    return Qnil;
  }
#endif
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
#ifdef MUTANT_IGNORE_EVENT_THREAD_DEATH
  return event_loop(Qnil); /* if it dies, its waiters wait forever */
#else
  return rb_ensure(event_loop, Qnil, event_thread_ended, Qnil);
#endif
}

static void start_event_thread(void) {
  g_event_thread = rb_thread_create(event_thread, NULL);
}

#ifdef MUTANT_TWO_POST_CONSUMERS
/* "Two event threads drain the queue twice as fast": each takes the next
   post while the other may still run the one before it. */
static VALUE g_second_event_thread = Qnil;
static void start_second_event_thread(void) {
  rb_gc_register_address(&g_second_event_thread);
  g_second_event_thread = rb_thread_create(event_thread, NULL);
}
#endif

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
#ifdef MUTANT_HANDLER_CALLS_BLOCK_WITHOUT_GVL
  g_id_call = rb_intern("call");
#endif
#ifdef MUTANT_MOVABLE_WITHOUT_COMPACT
  g_callback_holder = TypedData_Wrap_Struct(0, &g_holder_type, &g_callback);
  rb_gc_register_address(&g_callback_holder); /* the holder is pinned; what it marks is not */
#else
  rb_gc_register_address(&g_callback);
#endif
  rb_gc_register_address(&g_event_thread);
#ifdef MUTANT_ZERO_COPY_REPLY
  g_replies_in_use = rb_ary_new();
  rb_gc_register_address(&g_replies_in_use);
#endif
  init_post_cond();
  start_event_thread();
#ifdef MUTANT_TWO_POST_CONSUMERS
  start_second_event_thread();
#endif
  return 0;
}

/* Fails queued and later calls with `stopped`; handlers in flight finish. */
static void my_stop(void) {
#ifdef MUTANT_STOP_FLAG_UNSYNCHRONISED
  g_stopped_fast = true;
#endif
  pthread_mutex_lock(&g_mutex);
  g_stopping = true;
  request *queued = g_head;
  g_head = g_tail = NULL;
#ifdef MUTANT_STOP_LOSES_POSTS
  /* "Stopping: the queued posts go with it": discarded, never counted dropped. */
  g_post_head = g_post_tail = NULL;
  g_posts_queued = 0;
  pthread_cond_broadcast(&g_post_cond);
#else
  drop_queued_posts();
#endif
  pthread_cond_broadcast(&g_queue_cond);
#ifdef MUTANT_PARK_FINISHED_WORKERS
  pthread_cond_broadcast(&g_parked_cond);
#endif
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
#ifndef MUTANT_FORK_KEEPS_QUEUE
  g_head = g_tail = NULL; /* leaked: their waiters are not in this process */
#endif
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

#ifdef MUTANT_NAME
#ifndef MUTANT_PERTURB
#define MUTANT_PERTURB NULL
#endif
#ifndef MUTANT_ALSO_ACCEPTED
#define MUTANT_ALSO_ACCEPTED NULL
#endif
#ifndef MUTANT_NEEDS
#define MUTANT_NEEDS NULL
#endif
HANDOFF_TARGET_EXPORT const handoff_mutant handoff_mutant_declaration = {
    MUTANT_MUST_PRODUCE, MUTANT_SCENARIO,       MUTANT_CLASS,
    MUTANT_PERTURB,      MUTANT_ALSO_ACCEPTED, MUTANT_NEEDS};
#define MY_BRIDGE_NAME "mutant_" MUTANT_NAME
#define MY_BRIDGE_DESCRIPTION "broken on purpose, " MUTANT_CLASS ": must produce " MUTANT_MUST_PRODUCE
#else
#define MY_BRIDGE_NAME "my_bridge"
#define MY_BRIDGE_DESCRIPTION \
  "README example: classified callers, FIFO queue, event thread, a Ruby thread per request"
#endif

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
