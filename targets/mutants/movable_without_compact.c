/*
 * Mutant movable_without_compact — a VALUE held in C memory, marked
 * movable, is never updated when compaction moves it. The bridge keeps its
 * callback in a static that a wrapper object marks with rb_gc_mark_movable,
 * and the wrapper's type has no dcompact function: once the GC moves the
 * callback, every later call goes to the slot it left (freed, then reused by
 * another object): the VM crashes, or `call` reaches the wrong object.
 * GC.compact moves only what fills holes and leaves the callback where it
 * is (0 of 3 seeds with compact@ in place of move@); move@ moves what there
 * is room for (60 seeds of 60 here; with a `gc` behaviour's garbage churning
 * between the moves, 16 of 20).
 */
#define MUTANT_MOVABLE_WITHOUT_COMPACT 1
#define MUTANT_NAME "movable_without_compact"
#define MUTANT_CLASS "a VALUE held in C memory, marked movable, not updated when compaction moves it"
#define MUTANT_MUST_PRODUCE "crash"
#define MUTANT_SCENARIO "threads=1 calls=1000 mix=return:1 events=move@100,move@400,move@700"
#include "switchable_bridge.c"
