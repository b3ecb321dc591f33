/* fixture_thread_pool_bridge: a correct bridge of another design than the
 * event-thread ones (the bridge, my_bridge and the seeds it grew from): no
 * event thread and no Ruby thread per request, but a pool of Ruby worker
 * threads, each waiting without the GVL on the one shared FIFO queue, each
 * running the block of the request it popped itself. Its verdicts are about
 * the harness: it must pass every scenario of the suite and every property,
 * the speed check (min_throughput_ratio) among them, as ci/soak runs every
 * CORRECT target.
 *
 * It is my_bridge.c's callers, queue, requests and block runner (included
 * below) with the event thread replaced by the pool:
 *   - a worker that pops a request while no other worker waits starts one
 *     more before it runs the block, so a block that waits on a nested call
 *     (reenter) always has a worker to serve it: the pool grows to the most
 *     blocks that ever ran at once, plus one, and keeps its workers until stop;
 *   - kill_event_thread kills one worker, as Thread#kill would; a worker that
 *     ends leaves a replacement when no other one waits, so the pool serves on
 *     (its call in hand, if any, comes back `stopped`);
 *   - stop wakes every waiting worker to leave; in a forked child a new pool
 *     starts with an empty queue. */
#define handoff_target_entry my_bridge_entry
#include "../../targets/example/my_bridge.c"
#undef handoff_target_entry

#define POOL_FIRST_WORKERS 4

static int g_idle_workers = 0;  /* guarded by g_mutex: workers not running a block */
static VALUE g_workers = Qnil;  /* Array of the live worker threads (GVL) */

typedef struct pool_waiting {
  waiting base;       /* my_bridge's: the request popped, or woken to leave */
  bool start_another; /* the popper was the last idle worker: it starts one */
} pool_waiting;

/* REQUIRES: GVL held; the new worker already counted in g_idle_workers. */
static void start_worker(void);

static void *pool_wait(void *arg) {
  pool_waiting *w = arg;
  pthread_mutex_lock(&g_mutex);
  while (!w->base.abort && !g_stopping && g_head == NULL) pthread_cond_wait(&g_queue_cond, &g_mutex);
  w->base.popped = g_stopping ? NULL : g_head;
  if (w->base.popped) {
    g_head = g_head->next;
    if (g_head == NULL) g_tail = NULL;
    w->start_another = --g_idle_workers == 0;
    if (w->start_another) ++g_idle_workers; /* counted now: the next popper sees it */
  }
  pthread_mutex_unlock(&g_mutex);
  return NULL;
}

typedef struct worker {
  bool idle; /* counted in g_idle_workers */
} worker;

/* Runs the popped request's block and hands its reply over (GVL held). */
static void serve(worker *self, request *r, bool start_another) {
  self->idle = false;
  if (start_another) start_worker();
  handoff_target_reply out;
  int state = run_block(r->payload, r->payload_size, &out);
  r->reply = out;
  complete(r);
  if (state != 0) rb_jump_tag(state); /* Thread#kill and such go on */
  pthread_mutex_lock(&g_mutex);
  ++g_idle_workers;
  self->idle = true;
  pthread_mutex_unlock(&g_mutex);
}

static VALUE worker_loop(VALUE arg) {
  worker *self = (worker *)arg;
  for (;;) {
    pool_waiting w = {{NULL, false, NULL}, false};
    /* without_gvl2 does not check interrupts after the wait: a request
       just popped is served, never dropped by a pending interrupt. */
    rb_thread_call_without_gvl2(pool_wait, &w, stop_waiting, &w.base);
    if (w.base.popped) {
      serve(self, w.base.popped, w.start_another);
      continue;
    }
    if (stop_was_called()) return Qnil;
    rb_thread_check_ints(); /* nothing in hand: a kill may end us here */
  }
}

/* However a worker ends (stop, Thread#kill), the pool keeps one waiting. */
static VALUE worker_ended(VALUE arg) {
  worker *self = (worker *)arg;
  pthread_mutex_lock(&g_mutex);
  if (self->idle) --g_idle_workers;
  bool replace = !g_stopping && g_idle_workers == 0;
  if (replace) ++g_idle_workers;
  pthread_mutex_unlock(&g_mutex);
  rb_ary_delete(g_workers, rb_thread_current());
  if (replace) start_worker();
  return Qnil;
}

static VALUE worker_thread(void *unused) {
  (void)unused;
  worker self = {true};
  return rb_ensure(worker_loop, (VALUE)&self, worker_ended, (VALUE)&self);
}

static void start_worker(void) { rb_ary_push(g_workers, rb_thread_create(worker_thread, NULL)); }

static void start_pool(void) {
  g_workers = rb_ary_new();
  pthread_mutex_lock(&g_mutex);
  g_idle_workers = POOL_FIRST_WORKERS;
  pthread_mutex_unlock(&g_mutex);
  for (int i = 0; i < POOL_FIRST_WORKERS; ++i) start_worker();
}

static int pool_start(const handoff_target_host *host, uintptr_t handler, char *error,
                      size_t error_size) {
  (void)error;
  (void)error_size;
#ifdef HANDOFF_SYNC_POINTS
  handoff_sync_hook = host->sync_point;
#else
  (void)host;
#endif
  g_callback = rb_obj_method((VALUE)handler, ID2SYM(rb_intern("call")));
  rb_gc_register_address(&g_callback);
  rb_gc_register_address(&g_workers);
  start_pool();
  return 0;
}

static void pool_kill_worker(void) {
  if (RARRAY_LEN(g_workers) > 0) rb_funcall(rb_ary_entry(g_workers, 0), rb_intern("kill"), 0);
}

/* In a forked child only the forking thread exists: a new pool, an empty queue. */
static void pool_after_fork_child(void) {
  pthread_mutex_t fresh_mutex = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t fresh_cond = PTHREAD_COND_INITIALIZER;
  g_mutex = fresh_mutex;
  g_queue_cond = fresh_cond;
  g_head = g_tail = NULL; /* leaked: their waiters are not in this process */
  g_idle_workers = 0;
  g_workers = rb_ary_new();
  if (!g_stopping) start_pool();
}

static void pool_describe(char *buffer, size_t size) {
  if (pthread_mutex_trylock(&g_mutex) != 0) {
    snprintf(buffer, size, "queue lock held");
    return;
  }
  int queued = 0;
  for (request *r = g_head; r; r = r->next) ++queued;
  snprintf(buffer, size, "%d queued, %d idle workers, %s", queued, g_idle_workers,
           g_stopping ? "stopping" : "running");
  pthread_mutex_unlock(&g_mutex);
}

static handoff_target g_pool;

HANDOFF_TARGET_EXPORT const handoff_target *handoff_target_entry(void) {
  g_pool = *my_bridge_entry();
  g_pool.name = "fixture_thread_pool_bridge";
  g_pool.description = "a pool of Ruby workers, each waiting without the GVL on one shared queue "
                       "(a harness test fixture)";
  g_pool.start = pool_start;
  g_pool.kill_event_thread = pool_kill_worker;
  g_pool.after_fork_child = pool_after_fork_child;
  g_pool.describe = pool_describe;
  /* The pool's workers serve requests only: no posts (scenarios with them are n/a). */
  g_pool.flags &= ~HANDOFF_TARGET_HAS_POSTS;
  g_pool.post = NULL;
  g_pool.flush = NULL;
  g_pool.post_stats = NULL;
  return &g_pool;
}
