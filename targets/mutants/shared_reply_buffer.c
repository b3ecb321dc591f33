/*
 * Mutant shared_reply_buffer — must produce: wrong_reply.
 * Every reply goes through one static buffer that the waiter reads after it
 * wakes, so a later handler can overwrite it first and a caller gets another
 * call's reply (DESIGN.md class 7, reply delivered to the wrong waiter; the
 * "static result buffer" of many hand-written bridges). Locked throughout, so
 * no data race: only the harness's reply check can see it.
 */
#define MUTANT_SHARED_REPLY_BUFFER 1
#define MY_BRIDGE_NAME "mutant_shared_reply_buffer"
#define MY_BRIDGE_DESCRIPTION "broken on purpose: one shared reply buffer (class 7) -> wrong_reply"
#include "../example/my_bridge.c"
