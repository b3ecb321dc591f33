/* Small pthread programs for the controlled schedule's tests
 * (controlled_schedule_test.cc, through controlled_schedule_probe.cc):
 * `lost_wakeup` has a lost wakeup (its signal is sent without the mutex, and
 * may fall between the waiter's check and its wait: a sched_yield marks that
 * window); `handoff` hands 20 values through a one-slot mailbox correctly;
 * `race` increments a counter from two threads without a lock (a data race
 * for ThreadSanitizer, nothing else); `recursive` takes a recursive mutex
 * twice in each of two threads; `futex_lock` counts to 40 in two threads
 * under a lock made of a futex called through syscall(), as GLib's GMutex
 * and abseil's Mutex are. */
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static atomic_int ready;

static void *waiter(void *arg) {
  pthread_mutex_lock(&mutex);
  if (!atomic_load_explicit(&ready, memory_order_relaxed)) {
    sched_yield(); /* the window between the check and the wait */
    pthread_cond_wait(&cond, &mutex);
  }
  pthread_mutex_unlock(&mutex);
  return arg;
}

static void *waker(void *arg) {
  atomic_store_explicit(&ready, 1, memory_order_relaxed);
  pthread_cond_signal(&cond); /* BUG: without the mutex */
  return arg;
}

static int slot_full, slot_value, received_sum;

static void *sender(void *arg) {
  for (int i = 1; i <= 20; ++i) {
    pthread_mutex_lock(&mutex);
    while (slot_full) pthread_cond_wait(&cond, &mutex);
    slot_value = i;
    slot_full = 1;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&mutex);
  }
  return arg;
}

static void *receiver(void *arg) {
  for (int i = 1; i <= 20; ++i) {
    pthread_mutex_lock(&mutex);
    while (!slot_full) pthread_cond_wait(&cond, &mutex);
    received_sum += slot_value;
    slot_full = 0;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&mutex);
  }
  return arg;
}

static int counter;

static void *incrementer(void *arg) {
  for (int i = 0; i < 3; ++i) {
    int seen = counter;
    sched_yield();
    counter = seen + 1;
  }
  return arg;
}

static pthread_mutex_t recursive_mutex;
static int recursive_sum;

static void *recursive_twice(void *arg) {
  for (int i = 0; i < 5; ++i) {
    pthread_mutex_lock(&recursive_mutex);
    pthread_mutex_lock(&recursive_mutex);
    ++recursive_sum;
    pthread_mutex_unlock(&recursive_mutex);
    pthread_mutex_unlock(&recursive_mutex);
  }
  return arg;
}

/* 0 free, 1 held, 2 held with waiters (Drepper, "Futexes Are Tricky"). */
static atomic_uint futex_word;
static int futex_sum;

static void futex_lock(void) {
  unsigned c = 0;
  if (atomic_compare_exchange_strong(&futex_word, &c, 1)) return;
  if (c != 2) c = atomic_exchange(&futex_word, 2);
  while (c != 0) {
    syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0);
    c = atomic_exchange(&futex_word, 2);
  }
}

static void futex_unlock(void) {
  if (atomic_exchange(&futex_word, 0) == 2) syscall(SYS_futex, &futex_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *futex_counter(void *arg) {
  for (int i = 0; i < 20; ++i) {
    futex_lock();
    int seen = futex_sum;
    sched_yield(); /* a point inside the lock: the other thread must wait */
    futex_sum = seen + 1;
    futex_unlock();
  }
  return arg;
}

static int run_two(void *(*a)(void *), void *(*b)(void *)) {
  pthread_t ta, tb;
  if (pthread_create(&ta, NULL, a, NULL) != 0) return -1;
  if (pthread_create(&tb, NULL, b, NULL) != 0) return -1;
  pthread_join(ta, NULL);
  pthread_join(tb, NULL);
  return 0;
}

/* Returns what the program computed: 1 for lost_wakeup, race's final
 * counter, the sum received (210) for handoff, the counts (10, 40) for
 * recursive and futex_lock; -1 for an unknown name. */
__attribute__((visibility("default"))) int schedule_fixture_run(const char *name) {
  if (strcmp(name, "lost_wakeup") == 0) return run_two(waiter, waker) == 0 ? 1 : -1;
  if (strcmp(name, "handoff") == 0) return run_two(sender, receiver) == 0 ? received_sum : -1;
  if (strcmp(name, "race") == 0) return run_two(incrementer, incrementer) == 0 ? counter : -1;
  if (strcmp(name, "recursive") == 0) {
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&recursive_mutex, &attr);
    return run_two(recursive_twice, recursive_twice) == 0 ? recursive_sum : -1;
  }
  if (strcmp(name, "futex_lock") == 0) return run_two(futex_counter, futex_counter) == 0 ? futex_sum : -1;
  return -1;
}
