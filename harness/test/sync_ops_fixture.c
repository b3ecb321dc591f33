/* A shared library that makes every pthread operation the controlled
 * schedule's interposer handles, once each, in a known order: the object the
 * interposer's tests rewrite (sync_interposer_test.cc). */
#include <errno.h>
#include <linux/futex.h>
#include <poll.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t fixture_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t fixture_cond = PTHREAD_COND_INITIALIZER;

static void *fixture_child(void *arg) {
  pthread_mutex_lock(&fixture_mutex);
  pthread_mutex_unlock(&fixture_mutex);
  return arg;
}

/* Returns what the timed wait returned (ETIMEDOUT: its deadline is past). */
__attribute__((visibility("default"))) int fixture_every_operation(void) {
  pthread_mutex_lock(&fixture_mutex);
  struct timespec past = {0, 0};
  int timed = pthread_cond_timedwait(&fixture_cond, &fixture_mutex, &past);
  pthread_cond_signal(&fixture_cond);
  pthread_cond_broadcast(&fixture_cond);
  pthread_mutex_unlock(&fixture_mutex);
  if (pthread_mutex_trylock(&fixture_mutex) == 0) pthread_mutex_unlock(&fixture_mutex);
  pthread_t child;
  if (pthread_create(&child, NULL, fixture_child, NULL) == 0) pthread_join(child, NULL);
  sched_yield();
  struct timespec tiny = {0, 1000};
  nanosleep(&tiny, NULL);
  usleep(1);
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  int fds[2];
  if (pipe(fds) == 0) {
    if (write(fds[1], "x", 1) == 1) {
      struct pollfd ready = {fds[0], POLLIN, 0};
      poll(&ready, 1, 0);
    }
    close(fds[0]);
    close(fds[1]);
  }
  uint32_t word = 0;
  syscall(SYS_gettid); /* not a futex: not handed to the handler */
  syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
  return timed;
}
