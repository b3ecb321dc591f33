/*
 * demo_ext.c — HandoffDemo, the Ruby binding of demo_library.h, written the
 * way a user's extension around a threaded C library would be: it takes a
 * Handoff::Callback#handle and hands it to the library's threads.
 *
 *   job = HandoffDemo::Job.new(cb.handle, [[args, args], [args]], timeout: 0.5)
 *         # one inner Array per native thread, one args Array per call
 *   job.join     # -> [[Reply, Reply], [Reply]]  (waits without the GVL)
 *   HandoffDemo.invoke(cb.handle, args, gvl: true)   # from this Ruby thread
 *   HandoffDemo.stream(cb.handle, threads: 4, events: 1000)
 *         # native threads post events (t, i) without waiting; returns one
 *         # Hash per thread: {status => count, ..., elapsed_ns: n}
 *   HandoffDemo::Reply = Struct(:status, :value, :error_class, :error_message,
 *                               :nanoseconds)   # how long the native thread waited
 */
#include <ruby.h>
#include <ruby/encoding.h>
#include <ruby/thread.h>
#include <string.h>

#include "demo_events.h"
#include "demo_library.h"

static VALUE cReply;

typedef struct demo_job_box {
  demo_job *job;
  int joined;
  VALUE results;
} demo_job_box;

static void box_mark(void *p) { rb_gc_mark(((demo_job_box *)p)->results); }
static void box_free(void *p) {
  demo_job_box *box = p;
  if (box->job != NULL) {
    if (!box->joined) demo_job_join(box->job); /* never free what threads still use */
    demo_job_free(box->job);
  }
  xfree(box);
}
static const rb_data_type_t job_type = {
    "HandoffDemo::Job", {box_mark, box_free, NULL, NULL, {NULL}}, NULL, NULL, 0};

static handoff_callback *handle_from(VALUE handle) {
  return (handoff_callback *)(uintptr_t)NUM2ULL(handle);
}

static int64_t timeout_from(VALUE seconds) {
  if (NIL_P(seconds)) return 0;
  double s = NUM2DBL(seconds);
  if (s <= 0) rb_raise(rb_eArgError, "timeout must be positive seconds or nil");
  return (int64_t)(s * 1e9);
}

/* Ruby value -> handoff_value; strings point into the Ruby String (the caller
 * copies them before the String can move or die). */
static handoff_value value_from(VALUE v) {
  if (NIL_P(v)) return handoff_nil();
  if (v == Qtrue || v == Qfalse) return handoff_bool(v == Qtrue);
  if (RB_INTEGER_TYPE_P(v)) return handoff_int(NUM2LL(v));
  if (RB_FLOAT_TYPE_P(v)) return handoff_double(NUM2DBL(v));
  if (RB_TYPE_P(v, T_STRING)) return handoff_bytes(RSTRING_PTR(v), (size_t)RSTRING_LEN(v));
  rb_raise(rb_eTypeError, "HandoffDemo: cannot pass a %" PRIsVALUE, rb_obj_class(v));
}

static VALUE reply_to_ruby(const handoff_reply *r, int64_t elapsed_ns) {
  VALUE value = Qnil;
  switch (r->value.type) {
    case HANDOFF_NIL: break;
    case HANDOFF_BOOL: value = r->value.as.boolean ? Qtrue : Qfalse; break;
    case HANDOFF_INT: value = LL2NUM(r->value.as.integer); break;
    case HANDOFF_DOUBLE: value = DBL2NUM(r->value.as.real); break;
    case HANDOFF_BYTES:
      value = rb_enc_associate(rb_str_new(r->value.as.bytes.data, (long)r->value.as.bytes.size),
                               rb_ascii8bit_encoding());
      break;
  }
  return rb_struct_new(cReply, ID2SYM(rb_intern(handoff_status_name(r->status))), value,
                       r->error_class ? rb_str_new_cstr(r->error_class) : Qnil,
                       r->error_message ? rb_str_new(r->error_message, (long)r->error_message_size) : Qnil,
                       elapsed_ns < 0 ? Qnil : LL2NUM(elapsed_ns));
}

/* One call's args: converted into a stack buffer that lives only for this
 * call (demo_job_add_call copies them), so any number of calls fits. */
static void add_call(demo_job *job, long thread, VALUE args) {
  Check_Type(args, T_ARRAY);
  enum { kMaxArgs = 256 };
  handoff_value values[kMaxArgs];
  long n = RARRAY_LEN(args);
  if (n > kMaxArgs) rb_raise(rb_eArgError, "HandoffDemo: at most %d arguments per call", kMaxArgs);
  for (long a = 0; a < n; ++a) values[a] = value_from(rb_ary_entry(args, a));
  if (demo_job_add_call(job, (size_t)thread, values, (size_t)n) != 0) {
    rb_raise(rb_eNoMemError, "HandoffDemo: out of memory");
  }
  RB_GC_GUARD(args);
}

static VALUE job_alloc(VALUE klass) {
  demo_job_box *box;
  VALUE self = TypedData_Make_Struct(klass, demo_job_box, &job_type, box);
  box->results = Qnil;
  return self;
}

/* Job.new(handle, calls_by_thread, timeout: nil) — starts the threads. */
static VALUE job_initialize(int argc, VALUE *argv, VALUE self) {
  VALUE handle, calls, opts, timeout = Qnil;
  rb_scan_args(argc, argv, "2:", &handle, &calls, &opts);
  if (!NIL_P(opts)) timeout = rb_hash_aref(opts, ID2SYM(rb_intern("timeout")));
  Check_Type(calls, T_ARRAY);
  long nthreads = RARRAY_LEN(calls);
  if (nthreads == 0) rb_raise(rb_eArgError, "HandoffDemo::Job needs at least one thread");
  demo_job_box *box = rb_check_typeddata(self, &job_type);
  box->job = demo_job_new(handle_from(handle), (size_t)nthreads, timeout_from(timeout));
  if (box->job == NULL) rb_raise(rb_eNoMemError, "HandoffDemo: out of memory");
  for (long t = 0; t < nthreads; ++t) {
    VALUE thread_calls = rb_ary_entry(calls, t);
    Check_Type(thread_calls, T_ARRAY);
    for (long i = 0; i < RARRAY_LEN(thread_calls); ++i) add_call(box->job, t, rb_ary_entry(thread_calls, i));
  }
  int err = demo_job_start(box->job);
  if (err != 0) {
    demo_job_join(box->job);
    box->joined = 1;
    rb_syserr_fail(err, "HandoffDemo: pthread_create");
  }
  return self;
}

static void *join_without_gvl(void *job) {
  demo_job_join(job);
  return NULL;
}

/* job.join -> Array (per thread) of Array (per call) of Reply. */
static VALUE job_join(VALUE self) {
  demo_job_box *box = rb_check_typeddata(self, &job_type);
  if (!box->joined) {
    rb_thread_call_without_gvl(join_without_gvl, box->job, NULL, NULL);
    box->joined = 1;
    VALUE results = rb_ary_new_capa((long)demo_job_threads(box->job));
    for (size_t t = 0; t < demo_job_threads(box->job); ++t) {
      VALUE row = rb_ary_new_capa((long)demo_job_calls(box->job, t));
      for (size_t i = 0; i < demo_job_calls(box->job, t); ++i) {
        rb_ary_push(row, reply_to_ruby(demo_job_reply(box->job, t, i),
                                       demo_job_call_ns(box->job, t, i)));
      }
      rb_ary_push(results, row);
    }
    box->results = results;
  }
  return box->results;
}

typedef struct invoke_args {
  handoff_callback *cb;
  handoff_value *values;
  size_t n;
  int64_t timeout_ns;
  handoff_reply reply;
} invoke_args;

static void *invoke_without_gvl(void *p) {
  invoke_args *a = p;
  handoff_invoke(a->cb, a->values, a->n, a->timeout_ns, &a->reply);
  return NULL;
}

/* HandoffDemo.invoke(handle, args, gvl: true, timeout: nil) -> Reply, from
 * the calling Ruby thread, holding the GVL or having released it. */
static VALUE demo_invoke(int argc, VALUE *argv, VALUE self) {
  VALUE handle, args, opts, gvl = Qtrue, timeout = Qnil;
  rb_scan_args(argc, argv, "2:", &handle, &args, &opts);
  if (!NIL_P(opts)) {
    VALUE g = rb_hash_lookup2(opts, ID2SYM(rb_intern("gvl")), Qundef);
    if (g != Qundef) gvl = g;
    timeout = rb_hash_aref(opts, ID2SYM(rb_intern("timeout")));
  }
  Check_Type(args, T_ARRAY);
  invoke_args a;
  a.cb = handle_from(handle);
  a.n = (size_t)RARRAY_LEN(args);
  if (a.n > 256) rb_raise(rb_eArgError, "HandoffDemo: at most 256 arguments per call");
  a.values = ALLOCA_N(handoff_value, a.n ? a.n : 1);
  for (size_t i = 0; i < a.n; ++i) a.values[i] = value_from(rb_ary_entry(args, (long)i));
  a.timeout_ns = timeout_from(timeout);
  if (RTEST(gvl)) {
    handoff_invoke(a.cb, a.values, a.n, a.timeout_ns, &a.reply);
  } else {
    /* Without the GVL a GC.compact on another thread may move the Strings:
     * hand the call copies of their bytes. */
    for (size_t i = 0; i < a.n; ++i) {
      if (a.values[i].type != HANDOFF_BYTES) continue;
      char *copy = xmalloc(a.values[i].as.bytes.size + 1);
      memcpy(copy, a.values[i].as.bytes.data, a.values[i].as.bytes.size);
      a.values[i].as.bytes.data = copy;
    }
    rb_thread_call_without_gvl(invoke_without_gvl, &a, NULL, NULL);
    for (size_t i = 0; i < a.n; ++i) {
      if (a.values[i].type == HANDOFF_BYTES) xfree((void *)a.values[i].as.bytes.data);
    }
  }
  RB_GC_GUARD(args);
  VALUE reply = reply_to_ruby(&a.reply, -1);
  handoff_reply_free(&a.reply);
  return reply;
}

typedef struct stream_args {
  handoff_callback *cb;
  size_t threads, events;
  demo_stream_counts *counts;
  int error;
} stream_args;

static void *stream_without_gvl(void *p) {
  stream_args *a = p;
  a->error = demo_stream_run(a->cb, a->threads, a->events, a->counts);
  return NULL;
}

/* HandoffDemo.stream(handle, threads:, events:) -> Array of Hash. */
static VALUE demo_stream(int argc, VALUE *argv, VALUE self) {
  VALUE handle, opts;
  rb_scan_args(argc, argv, "1:", &handle, &opts);
  VALUE threads = NIL_P(opts) ? Qnil : rb_hash_aref(opts, ID2SYM(rb_intern("threads")));
  VALUE events = NIL_P(opts) ? Qnil : rb_hash_aref(opts, ID2SYM(rb_intern("events")));
  stream_args a = {handle_from(handle), NIL_P(threads) ? 1 : NUM2SIZET(threads),
                   NIL_P(events) ? 1 : NUM2SIZET(events), NULL, 0};
  if (a.threads == 0 || a.threads > 1024) rb_raise(rb_eArgError, "HandoffDemo.stream: threads: 1..1024");
  a.counts = ALLOC_N(demo_stream_counts, a.threads);
  rb_thread_call_without_gvl(stream_without_gvl, &a, NULL, NULL);
  VALUE result = rb_ary_new_capa((long)a.threads);
  for (size_t t = 0; t < a.threads; ++t) {
    VALUE row = rb_hash_new();
    for (int s = 0; s <= HANDOFF_FULL; ++s) {
      uint64_t n = a.counts[t].by_status[s];
      if (n != 0) rb_hash_aset(row, ID2SYM(rb_intern(handoff_status_name((handoff_status)s))), ULL2NUM(n));
    }
    rb_hash_aset(row, ID2SYM(rb_intern("elapsed_ns")), LL2NUM(a.counts[t].elapsed_ns));
    rb_ary_push(result, row);
  }
  xfree(a.counts);
  if (a.error != 0) rb_syserr_fail(a.error, "HandoffDemo.stream: pthread_create");
  return result;
}

void Init_handoff_demo(void) {
  VALUE mDemo = rb_define_module("HandoffDemo");
  cReply = rb_struct_define_under(mDemo, "Reply", "status", "value", "error_class",
                                  "error_message", "nanoseconds", NULL);
  rb_gc_register_mark_object(cReply);
  VALUE cJob = rb_define_class_under(mDemo, "Job", rb_cObject);
  rb_define_alloc_func(cJob, job_alloc);
  rb_define_method(cJob, "initialize", job_initialize, -1);
  rb_define_method(cJob, "join", job_join, 0);
  rb_define_module_function(mDemo, "invoke", demo_invoke, -1);
  rb_define_module_function(mDemo, "stream", demo_stream, -1);
}
