/*
 * Mutant rescue_standard_error_only — an exception that is not a
 * StandardError is not handed back. The bridge turns only a StandardError
 * into a `raised` reply, as Ruby's `rescue => e` (and C's rb_rescue) do; a
 * library's own `class Abort < Exception`, NoMemoryError, SystemStackError or
 * a ScriptError comes back `stopped` although nothing stopped the bridge,
 * and is re-raised on the Ruby thread that ran the block.
 */
#define MUTANT_RESCUE_STANDARD_ERROR_ONLY 1
#define MUTANT_NAME "rescue_standard_error_only"
#define MUTANT_CLASS "an exception that is not a StandardError is not handed back"
#define MUTANT_MUST_PRODUCE "swallowed_exception"
#define MUTANT_SCENARIO \
  "threads=4 calls=2000 mix=return:9,escape:1 escapes=exception:1,no_memory:1,stack_overflow:1,script_error:1"
/* What shows it is content, not timing: one seed is as good as three. */
#define MUTANT_SEEDS 1
#include "switchable_bridge.c"
