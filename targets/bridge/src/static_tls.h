// static_tls.h — HANDOFF_STATIC_TLS, for the bridge's few thread_local
// variables (a calling thread's spare request and reply size).
//
// They live in the static TLS block (initial-exec: the block glibc gives a
// thread with its stack) instead of a dynamic TLS block, which glibc
// allocates with malloc at a library's first use on each thread and frees
// when it hands a dead thread's stack to a new one, behind a lock of its
// own: ThreadSanitizer sees that free race the dead thread's last writes
// (reported on correct bridges under the controlled schedule, gcc's TSan),
// while a static block is reset as each thread starts. A few bytes of the
// static TLS glibc keeps for libraries loaded later (dlopen), as Ruby
// loads the extension.
#ifndef HANDOFF_SRC_STATIC_TLS_H
#define HANDOFF_SRC_STATIC_TLS_H

#define HANDOFF_STATIC_TLS __attribute__((tls_model("initial-exec")))

#endif
