/* Small pthread programs for the controlled schedule's tests
 * (controlled_schedule_test.cc, through controlled_schedule_probe.cc):
 * `lost_wakeup` has a lost wakeup (its signal is sent without the mutex, and
 * may fall between the waiter's check and its wait: a sched_yield marks that
 * window); `handoff` hands 20 values through a one-slot mailbox correctly;
 * `race` increments a counter from two threads without a lock (a data race
 * for ThreadSanitizer, nothing else). */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

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

static int run_two(void *(*a)(void *), void *(*b)(void *)) {
  pthread_t ta, tb;
  if (pthread_create(&ta, NULL, a, NULL) != 0) return -1;
  if (pthread_create(&tb, NULL, b, NULL) != 0) return -1;
  pthread_join(ta, NULL);
  pthread_join(tb, NULL);
  return 0;
}

/* Returns what the program computed: 1 for lost_wakeup and race's final
 * counter, the sum received (210) for handoff; -1 for an unknown name. */
__attribute__((visibility("default"))) int schedule_fixture_run(const char *name) {
  if (strcmp(name, "lost_wakeup") == 0) return run_two(waiter, waker) == 0 ? 1 : -1;
  if (strcmp(name, "handoff") == 0) return run_two(sender, receiver) == 0 ? received_sum : -1;
  if (strcmp(name, "race") == 0) return run_two(incrementer, incrementer) == 0 ? counter : -1;
  return -1;
}
