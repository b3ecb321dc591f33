/*
 * handoff/bridge.h — call a Ruby block from any thread and get its reply back.
 *
 * This is the C side of the `handoff` Ruby extension. Ruby code makes a
 * callback from a block:
 *
 *     cb = Handoff::Callback.new { |x| x * 2 }
 *     Handoff.start
 *     my_c_library_subscribe(cb.handle)   # an Integer: a handoff_callback*
 *
 * and C code, on any thread, calls it and waits for the reply:
 *
 *     handoff_value arg = handoff_int(21);
 *     handoff_reply reply;
 *     if (handoff_invoke(cb, &arg, 1, 0, &reply) == HANDOFF_OK) { ... }
 *     handoff_reply_free(&reply);
 *
 * or posts to it without waiting (fire and forget: a log line, a delivery
 * report, a progress event):
 *
 *     handoff_value event = handoff_bytes(line, length);
 *     handoff_post(cb, &event, 1);   // HANDOFF_OK: it will run, once
 *
 * The header is self-contained: everything here is a type or a static inline
 * function, so a C library does not link against the extension. The handle
 * carries the function to call.
 *
 * Calling threads. handoff_invoke picks the path from the calling thread:
 *   - a Ruby thread that holds the GVL runs the block directly;
 *   - any other thread — a Ruby thread without the GVL, or a foreign one —
 *     queues the request to the bridge's Ruby worker threads and blocks
 *     until the reply arrives, the deadline passes, or the bridge stops. A
 *     foreign thread never touches the Ruby C API. An interrupt of a Ruby
 *     thread that waits here (Thread#raise, Thread#kill, Timeout.timeout)
 *     is taken once the call is back in Ruby.
 *
 * Memory ordering. Everything the calling thread wrote before handoff_invoke
 * happens-before the block starts; everything the block (and the Ruby side)
 * did before returning happens-before handoff_invoke returns HANDOFF_OK or
 * HANDOFF_RAISED.
 *
 * WARNING: never hold a lock across handoff_invoke that the block (or the
 * Ruby thread that holds the GVL) might need: that is the classic deadlock.
 *
 * WARNING: on a Ruby thread that holds the GVL, a Thread#kill, exit, throw or
 * non-StandardError from the block is not turned into a status: it keeps
 * unwinding (a longjmp) out of handoff_invoke, through your C frames, after
 * the reply has been freed. Hold no C++ object with a destructor and no lock
 * across such a call, or use rb_protect around it. StandardErrors always
 * become HANDOFF_RAISED. On a worker the call returns HANDOFF_STOPPED and the
 * non-local exit carries on in Ruby (the killed worker exits).
 */
#ifndef HANDOFF_BRIDGE_H
#define HANDOFF_BRIDGE_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on any incompatible change of the structs below.
 * 2: handoff_reply gained error_message_size (messages may hold NUL bytes).
 * 3: handoff_callback gained post and stats (fire-and-forget posts). */
#define HANDOFF_ABI_VERSION 3u

typedef enum handoff_status {
  HANDOFF_OK = 0,        /* the block returned; reply->value holds its reply */
  HANDOFF_RAISED = 1,    /* the block raised a StandardError, or its reply could
                            not be converted; error_class/error_message say what.
                            It was also reported on the Ruby side (Handoff.on_error). */
  HANDOFF_STOPPED = 2,   /* the bridge is stopped, stopping, its worker died,
                            or the VM is exiting; the block may not have run */
  HANDOFF_TIMED_OUT = 3, /* the deadline passed first; the block may still run
                            later, and its reply is then dropped */
  HANDOFF_FORKED = 4,    /* the bridge belongs to another process: this is a
                            forked child whose bridge has not been restarted */
  HANDOFF_INVALID = 5,   /* bad call: null or disposed handle, bad argument
                            type, ABI mismatch; error_message says which */
  HANDOFF_FULL = 6       /* handoff_post only: the post queue is full and its
                            policy refused this post (not queued, never run) */
} handoff_status;

typedef enum handoff_type {
  HANDOFF_NIL = 0,
  HANDOFF_BOOL = 1,
  HANDOFF_INT = 2,     /* signed 64-bit; a Ruby Integer outside it is an error */
  HANDOFF_DOUBLE = 3,
  HANDOFF_BYTES = 4    /* any bytes, any size; a binary (ASCII-8BIT) String */
} handoff_type;

typedef struct handoff_value {
  handoff_type type;
  union {
    int boolean;
    int64_t integer;
    double real;
    struct {
      const char *data;
      size_t size;
    } bytes;
  } as;
} handoff_value;

/* What handoff_invoke fills in. Every pointer in it is owned by the reply and
 * released by handoff_reply_free (they come from malloc). */
typedef struct handoff_reply {
  handoff_status status;
  handoff_value value;   /* set when status == HANDOFF_OK, else nil */
  char *error_class;     /* NUL-terminated, or NULL */
  char *error_message;   /* the exception's whole message, NUL-terminated
                            (it may hold NUL bytes itself: use the size), or NULL */
  size_t error_message_size; /* bytes of error_message before its last NUL */
} handoff_reply;

typedef struct handoff_callback handoff_callback;

/* The bridge's post counters (handoff_stats; Handoff.stats in Ruby), since
 * Handoff.start (in a forked child: since the fork). Once Handoff.flush has
 * returned, posted == run + failed + dropped. */
typedef struct handoff_stats {
  uint64_t posted;          /* accepted: handoff_post returned HANDOFF_OK */
  uint64_t run;             /* accepted and run: the block returned */
  uint64_t failed;          /* accepted and run: the block raised (reported to
                               Handoff.on_error), or its thread was killed in it */
  uint64_t dropped;         /* accepted, then discarded without running: */
  uint64_t dropped_oldest;  /*   pushed out of a full queue (policy drop_oldest) */
  uint64_t dropped_stopped; /*   still queued when the bridge stopped */
  uint64_t refused;         /* not accepted: handoff_post returned anything else */
  uint64_t queued;          /* accepted, not started yet */
} handoff_stats;

/* The handle a Ruby Handoff::Callback exposes through #handle. Opaque beyond
 * these fields; valid until the Ruby side calls #dispose. */
struct handoff_callback {
  uint32_t abi_version;
  uint32_t reserved;
  handoff_status (*invoke)(handoff_callback *self, const handoff_value *args,
                           size_t nargs, int64_t timeout_ns,
                           handoff_reply *reply);
  handoff_status (*post)(handoff_callback *self, const handoff_value *args, size_t nargs);
  void (*stats)(handoff_callback *self, handoff_stats *out);
};

/* Calls the block behind `cb` with `args` and blocks until its reply.
 *
 * REQUIRES: `cb` came from Handoff::Callback#handle and is not disposed;
 *           `args` points to `nargs` values (it may be NULL when nargs is 0);
 *           `reply` is writable.
 * timeout_ns: 0 waits without a deadline; otherwise the longest a foreign
 *           thread waits. A Ruby caller runs the block itself and is not cut
 *           short by the deadline.
 * The arguments are copied before this returns; the caller may free them
 * as soon as it does, whatever the status.
 * ENSURES: *reply is filled in (status included) and must be released with
 *          handoff_reply_free, whatever the status. */
static inline handoff_status handoff_invoke(handoff_callback *cb,
                                            const handoff_value *args,
                                            size_t nargs, int64_t timeout_ns,
                                            handoff_reply *reply) {
  if (cb == NULL || cb->abi_version != HANDOFF_ABI_VERSION) {
    reply->status = HANDOFF_INVALID;
    reply->value.type = HANDOFF_NIL;
    reply->error_class = NULL;
    reply->error_message = NULL;
    reply->error_message_size = 0;
    return HANDOFF_INVALID;
  }
  return cb->invoke(cb, args, nargs, timeout_ns, reply);
}

/* Queues a call of the block behind `cb` with `args` and returns at once,
 * without waiting for the block (fire and forget); its reply is dropped.
 *
 * REQUIRES: as handoff_invoke (args may be freed once this returns).
 * Returns HANDOFF_OK when the post was accepted: it will run exactly once,
 * or be counted as dropped (handoff_stats) because the queue was full under
 * drop_oldest, or it was still queued when the bridge stopped or the
 * process forked. Otherwise it was not accepted, and never runs:
 * HANDOFF_STOPPED / HANDOFF_FORKED (not running), HANDOFF_FULL (the queue
 * is full and the policy refused it), HANDOFF_INVALID (a bad call).
 *
 * Order: posts run one at a time, on the bridge's post thread, in the order
 * they were accepted; so one thread's posts run in the order it made them,
 * each after the one before it has ended. A block that raises is reported
 * to Handoff.on_error and counted failed; the next post runs.
 * Backpressure (Handoff.start(post_queue: N, post_policy: ...)): at most N
 * posts wait; when full, `block` waits for room (but a thread holding the
 * GVL, which cannot wait for the post thread, gets HANDOFF_FULL),
 * `drop_newest` and `fail` refuse the new post (HANDOFF_FULL; counted
 * refused), `drop_oldest` accepts it and drops the oldest waiting one.
 * Never allocates for arguments of up to 256 bytes in all once warm.
 *
 * Memory ordering: everything the posting thread wrote before handoff_post
 * happens-before the block starts. */
static inline handoff_status handoff_post(handoff_callback *cb, const handoff_value *args,
                                          size_t nargs) {
  if (cb == NULL || cb->abi_version != HANDOFF_ABI_VERSION) return HANDOFF_INVALID;
  return cb->post(cb, args, nargs);
}

/* The bridge's post counters; zeroes for a bad handle. Any thread. */
static inline void handoff_get_stats(handoff_callback *cb, handoff_stats *out) {
  if (cb == NULL || cb->abi_version != HANDOFF_ABI_VERSION) {
    handoff_stats none = {0, 0, 0, 0, 0, 0, 0, 0};
    *out = none;
    return;
  }
  cb->stats(cb, out);
}

static inline void handoff_reply_free(handoff_reply *reply) {
  if (reply->value.type == HANDOFF_BYTES) free((void *)reply->value.as.bytes.data);
  free(reply->error_class);
  free(reply->error_message);
  reply->value.type = HANDOFF_NIL;
  reply->error_class = NULL;
  reply->error_message = NULL;
  reply->error_message_size = 0;
}

static inline handoff_value handoff_nil(void) {
  handoff_value v;
  v.type = HANDOFF_NIL;
  v.as.integer = 0;
  return v;
}
static inline handoff_value handoff_bool(int b) {
  handoff_value v;
  v.type = HANDOFF_BOOL;
  v.as.boolean = b != 0;
  return v;
}
static inline handoff_value handoff_int(int64_t i) {
  handoff_value v;
  v.type = HANDOFF_INT;
  v.as.integer = i;
  return v;
}
static inline handoff_value handoff_double(double d) {
  handoff_value v;
  v.type = HANDOFF_DOUBLE;
  v.as.real = d;
  return v;
}
static inline handoff_value handoff_bytes(const void *data, size_t size) {
  handoff_value v;
  v.type = HANDOFF_BYTES;
  v.as.bytes.data = (const char *)data;
  v.as.bytes.size = size;
  return v;
}

static inline const char *handoff_status_name(handoff_status s) {
  switch (s) {
    case HANDOFF_OK: return "ok";
    case HANDOFF_RAISED: return "raised";
    case HANDOFF_STOPPED: return "stopped";
    case HANDOFF_TIMED_OUT: return "timed_out";
    case HANDOFF_FORKED: return "forked";
    case HANDOFF_INVALID: return "invalid";
    case HANDOFF_FULL: return "full";
  }
  return "unknown";
}

#ifdef __cplusplus
}
#endif

#endif /* HANDOFF_BRIDGE_H */
