# frozen_string_literal: true

require_relative "helper"

# Arguments and replies are typed values copied across, on every calling path.
class TestValues < Minitest::Test
  include BridgeTest

  ECHO = Handoff::Callback.new { |*args| args.size == 1 ? args[0] : args.size }
  PATHS = {
    foreign: ->(t, cb, args) { t.fire(cb, [[args]])[0][0] },
    ruby_with_gvl: ->(_t, cb, args) { HandoffDemo.invoke(cb.handle, args, gvl: true) },
    ruby_without_gvl: ->(_t, cb, args) { HandoffDemo.invoke(cb.handle, args, gvl: false) }
  }.freeze

  VALUES = [
    nil, true, false, 0, -1, 2**63 - 1, -2**63, 1.5, -0.0, Float::INFINITY,
    "".b, "hello".b, "\x00\xff\x00binary".b, ("x" * (1 << 20)).b
  ].freeze

  PATHS.each do |path, call|
    define_method("test_round_trip_on_#{path}") do
      VALUES.each do |value|
        reply = call.(self, ECHO, [value])
        assert_equal :ok, reply.status, "#{path}: #{value.inspect[0, 40]}"
        if value.nil?
          assert_nil reply.value
        else
          assert_equal value, reply.value, "#{path}: #{value.inspect[0, 40]}"
        end
      end
    end

    define_method("test_nan_survives_#{path}") do
      assert call.(self, ECHO, [Float::NAN]).value.nan?
    end

    define_method("test_unconvertible_reply_is_a_clear_error_on_#{path}") do
      cb = Handoff::Callback.new { { not: "convertible" } }
      reply = call.(self, cb, [])
      assert_equal :raised, reply.status
      assert_equal "TypeError", reply.error_class
      assert_match(/reply of class Hash cannot be handed back/, reply.error_message)
      assert_equal 1, reported.size, "the conversion error is reported on the Ruby side too"
    end

    define_method("test_integer_beyond_64_bits_is_a_range_error_on_#{path}") do
      reply = call.(self, Handoff::Callback.new { 2**64 }, [])
      assert_equal :raised, reply.status
      assert_equal "RangeError", reply.error_class
    end
  end

  def test_strings_arrive_binary_and_any_encoding_goes_back_as_bytes
    cb = Handoff::Callback.new { |s| [s.encoding.to_s, "é"].join(":") }
    reply = fire_one(cb, "abc")
    assert_equal "ASCII-8BIT:é".b, reply.value
  end

  def test_many_arguments
    cb = Handoff::Callback.new { |*a| a.sum }
    assert_equal (1..100).sum, fire_one(cb, *(1..100).to_a).value
  end
end
