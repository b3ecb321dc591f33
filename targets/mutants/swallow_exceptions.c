/*
 * Mutant swallow_exceptions — exception swallowed.
 * A block's exception becomes an `ok` reply with no data: the C caller
 * thinks it worked and nobody hears of the error (ffi #837, #141).
 */
#define MUTANT_SWALLOW_EXCEPTIONS 1
#define MUTANT_NAME "swallow_exceptions"
#define MUTANT_CLASS "exception swallowed"
#define MUTANT_MUST_PRODUCE "swallowed_exception"
#define MUTANT_SCENARIO "threads=4 calls=1000 mix=return:9,raise:1"
#include "switchable_bridge.c"
