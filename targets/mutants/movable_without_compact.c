/*
 * Mutant movable_without_compact — a VALUE held in C memory, marked
 * movable, is never updated when compaction moves it. The bridge keeps its
 * callback in a static that a wrapper object marks with rb_gc_mark_movable,
 * and the wrapper's type has no dcompact function: once the GC moves the
 * callback, every later call goes to the slot it left (freed, then reused by
 * another object): the VM crashes, or `call` reaches the wrong object.
 * GC.compact moves only what fills holes and leaves the callback where it
 * is (0 of 3 seeds with compact@ in place of move@); move@ moves what there
 * is room for, and the `gc` calls make room.
 */
#define MUTANT_MOVABLE_WITHOUT_COMPACT 1
#define MUTANT_NAME "movable_without_compact"
#define MUTANT_CLASS "a VALUE held in C memory, marked movable, not updated when compaction moves it"
#define MUTANT_MUST_PRODUCE "crash"
#define MUTANT_SCENARIO "threads=2 calls=2000 mix=return:6,gc:3,raise:1 gc_objects=5000 events=move@500,move@1000,move@1500"
#include "switchable_bridge.c"
