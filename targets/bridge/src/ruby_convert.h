// ruby_convert.h — OwnedValue <-> Ruby VALUE.
//
// WARNING: GVL only, on a Ruby thread. Both may raise a Ruby exception
// (longjmp): call them only inside rb_protect, with no C++ object that needs
// its destructor between the call and the rb_protect.
#ifndef HANDOFF_SRC_RUBY_CONVERT_H
#define HANDOFF_SRC_RUBY_CONVERT_H

#include <ruby.h>

#include "owned_value.h"

namespace handoff {

// nil, true/false, Integer, Float, or a binary (ASCII-8BIT) String.
VALUE ToRuby(const OwnedValue& v);

// nil, true, false, Integer (must fit in 64 bits: else RangeError), Float,
// String (its bytes, any encoding). Any other class raises TypeError naming
// the class and what is accepted.
void FromRuby(VALUE v, OwnedValue* out);

}  // namespace handoff

#endif
