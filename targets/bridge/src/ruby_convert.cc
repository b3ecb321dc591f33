#include "ruby_convert.h"

#include <ruby/encoding.h>

#include "unwound_by_ruby.h"

namespace handoff {

HANDOFF_UNWOUND_BY_RUBY VALUE ToRuby(const OwnedValue& v) {
  switch (v.type) {
    case HANDOFF_NIL: return Qnil;
    case HANDOFF_BOOL: return v.boolean ? Qtrue : Qfalse;
    case HANDOFF_INT: return rb_ll2inum(v.integer);
    case HANDOFF_DOUBLE: return rb_float_new(v.real);
    case HANDOFF_BYTES:
      return rb_enc_associate(rb_str_new(v.bytes.data(), static_cast<long>(v.bytes.size())),
                             rb_ascii8bit_encoding());
  }
  return Qnil;
}

HANDOFF_UNWOUND_BY_RUBY void FromRuby(VALUE v, OwnedValue* out) {
  if (NIL_P(v)) {
    out->type = HANDOFF_NIL;
  } else if (v == Qtrue || v == Qfalse) {
    out->type = HANDOFF_BOOL;
    out->boolean = v == Qtrue;
  } else if (RB_INTEGER_TYPE_P(v)) {
    out->type = HANDOFF_INT;
    out->integer = rb_num2ll(v);  // RangeError beyond 64 bits
  } else if (RB_FLOAT_TYPE_P(v)) {
    out->type = HANDOFF_DOUBLE;
    out->real = rb_num2dbl(v);
  } else if (RB_TYPE_P(v, T_STRING)) {
    out->type = HANDOFF_BYTES;
    out->bytes.Assign(RSTRING_PTR(v), static_cast<size_t>(RSTRING_LEN(v)));
  } else {
    rb_raise(rb_eTypeError,
             "handoff: a reply of class %" PRIsVALUE
             " cannot be handed back; reply with nil, true, false, an Integer "
             "(64-bit), a Float or a String",
             rb_obj_class(v));
  }
}

}  // namespace handoff
