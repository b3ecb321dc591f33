/*
 * Mutant shared_reply_buffer — reply delivered to the wrong waiter.
 * Every reply goes through one static buffer that the waiter reads after it
 * wakes, so a later handler can overwrite it first and a caller gets another
 * call's reply (the "static result buffer" of many hand-written bridges).
 * Locked throughout, so no data race: only the harness's reply check sees it.
 */
#define MUTANT_SHARED_REPLY_BUFFER 1
#define MUTANT_NAME "shared_reply_buffer"
#define MUTANT_CLASS "reply to the wrong waiter"
#define MUTANT_MUST_PRODUCE "wrong_reply"
#define MUTANT_SCENARIO "threads=8 calls=4000 mix=return:6,slow:2,gc:1"
#include "switchable_bridge.c"
