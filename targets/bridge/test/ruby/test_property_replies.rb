# frozen_string_literal: true

require_relative "helper"

# Property 1 of the RapidCheck suite (properties/), as a real `ruby` process
# runs the real extension: for generated cases (native threads, calls per
# thread, payload sizes, blocks that raise or allocate), every call gets
# exactly one reply computed from its own arguments, every raise comes back
# `raised` with its own message, and every block ran once. Cases come from
# minitest's seed (`--seed N` reruns them); a failing case is printed whole.
# No shrinking here: RapidCheck does that for the C++ properties. Under
# tsan-gcc this file is the property run with the .so in `ruby` and TSan's
# runtime preloaded.
class TestPropertyReplies < Minitest::Test
  include BridgeTest

  CASES = BridgeTest::SANITIZED ? 8 : 30

  def generate(random)
    {
      threads: random.rand(1..8),
      calls: random.rand(1..BridgeTest.scale(300)),
      max_payload: [16, 256, 4096, 65_536].sample(random: random),
      raise_every: [0, 2, 7].sample(random: random),
      allocate: random.rand < 0.3
    }
  end

  def check(kase, random)
    ran = Hash.new(0)
    lock = Mutex.new
    cb = Handoff::Callback.new do |t, i, payload|
      lock.synchronize { ran[[t, i]] += 1 }
      Array.new(200) { |k| "garbage #{k}" } if kase[:allocate]
      raise ArgumentError, "raised by #{t}/#{i}" if kase[:raise_every].positive? && (i % kase[:raise_every]).zero?

      "#{t}/#{i}/#{payload.bytesize}/#{payload[0, 8]}"
    end
    plan = Array.new(kase[:threads]) do |t|
      Array.new(kase[:calls]) { |i| [t, i, random.bytes(random.rand(0..kase[:max_payload]))] }
    end
    replies = fire(cb, plan)
    plan.each_with_index do |row, t|
      row.each_with_index do |(_, i, payload), call|
        r = replies[t][call]
        if kase[:raise_every].positive? && (i % kase[:raise_every]).zero?
          assert_equal [:raised, "raised by #{t}/#{i}"], [r.status, r.error_message], "#{kase} call #{t}/#{i}"
        else
          assert_equal [:ok, "#{t}/#{i}/#{payload.bytesize}/#{payload[0, 8]}".b], [r.status, r.value.b],
                       "#{kase} call #{t}/#{i}"
        end
      end
    end
    assert_equal kase[:threads] * kase[:calls], ran.size, "#{kase}: blocks that ran"
    assert(ran.values.all? { |n| n == 1 }, "#{kase}: every block ran exactly once")
  ensure
    cb&.dispose
  end

  def test_every_call_gets_exactly_its_own_reply
    random = Random.new(Minitest.seed)
    CASES.times do |n|
      kase = generate(random)
      check(kase, random)
    rescue Minitest::Assertion => e
      raise e.class, "case #{n} of seed #{Minitest.seed} (rerun: --seed #{Minitest.seed}): #{kase}\n#{e.message}"
    end
  end
end
