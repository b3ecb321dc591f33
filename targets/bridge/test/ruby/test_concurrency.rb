# frozen_string_literal: true

require_relative "helper"

# Many foreign threads: each call gets exactly its own reply, in
# FIFO order, and slow or re-entrant blocks stall nobody.
class TestConcurrency < Minitest::Test
  include BridgeTest

  def test_every_call_gets_exactly_its_own_reply
    ran = Hash.new(0)
    lock = Mutex.new
    cb = Handoff::Callback.new do |t, i, payload|
      lock.synchronize { ran[[t, i]] += 1 }
      "#{t}:#{i}:#{payload.bytesize}"
    end
    threads = 16
    calls = BridgeTest.scale(500)
    plan = Array.new(threads) { |t| Array.new(calls) { |i| [t, i, "p" * ((t * 7 + i) % 300)] } }
    replies = fire(cb, plan)
    replies.each_with_index do |row, t|
      row.each_with_index do |r, i|
        assert_equal [:ok, "#{t}:#{i}:#{(t * 7 + i) % 300}"], [r.status, r.value]
      end
    end
    assert_equal threads * calls, ran.size
    assert(ran.values.all? { |n| n == 1 }, "every handler ran exactly once")
  end

  def test_dispatch_is_fifo
    order = []
    cb, gate, first = hold_the_only_worker(order)
    jobs = (1..8).map do |k|
      job = HandoffDemo::Job.new(cb.handle, [[[k]]])
      wait_until("call #{k} is queued") { Handoff.queued == k }
      job
    end
    gate << :go
    ([first] + jobs).each { |j| assert_equal :ok, j.join[0][0].status }
    assert_equal (1..8).to_a, order
  end

  def test_a_sleeping_block_does_not_stall_the_others
    gate = Queue.new
    cb = Handoff::Callback.new { |k| gate.pop if k.zero?; k }
    slow = HandoffDemo::Job.new(cb.handle, [[[0]]])
    fast = fire(cb, Array.new(4) { |t| Array.new(20) { |i| [t * 20 + i + 1] } })
    assert(fast.flatten.all? { |r| r.status == :ok })
    gate << :done
    assert_equal :ok, slow.join[0][0].status
  end

  def test_a_block_blocked_on_io_does_not_stall_the_others
    reader, writer = IO.pipe
    cb = Handoff::Callback.new { |k| k.zero? ? reader.read(1) : k }
    slow = HandoffDemo::Job.new(cb.handle, [[[0]]])
    assert_equal 5, fire_one(cb, 5).value
    writer.write("x")
    assert_equal "x", slow.join[0][0].value
  ensure
    reader&.close
    writer&.close
  end

  def test_reentrant_callbacks_nest
    depth = 5
    cb = Handoff::Callback.new do |n|
      n.zero? ? 0 : 1 + fire(cb, [[[n - 1]]])[0][0].value
    end
    assert_equal depth, fire_one(cb, depth).value
    # three chains at once hold 3 x 3 workers blocked in nested calls
    replies = fire(cb, Array.new(3) { [[3]] })
    assert_equal [3] * 3, replies.flatten.map(&:value)
  end

  def test_pool_grows_on_demand_and_stays_bounded
    Handoff.stop
    Handoff.start(max_workers: 3)
    gate = Queue.new
    cb = Handoff::Callback.new { |k| gate.pop; k }
    job = HandoffDemo::Job.new(cb.handle, Array.new(6) { |t| [[t]] })
    wait_until("three workers block and three calls queue") { gate.num_waiting == 3 && Handoff.queued == 3 }
    assert_operator Handoff.workers.size, :<=, 3
    6.times { gate << :go }
    assert_equal (0..5).to_a, job.join.flatten.map(&:value)
  end

  # Workers waiting for the GVL are in reserve: blocks that never block leave
  # no reason to start more (the pool once grew to max_workers, 16, under any
  # load). Measured: 3. The bound leaves room for Ruby preempting a block
  # mid-run (a 100 ms time slice), which looks like a block that blocks.
  def test_trivial_blocks_keep_the_pool_small
    Handoff.stop
    Handoff.start(max_workers: 16)
    cb = Handoff::Callback.new { |k| k }
    replies = fire(cb, Array.new(16) { |t| Array.new(BridgeTest.scale(300)) { |i| [t * 1000 + i] } })
    assert(replies.flatten.all? { |r| r.status == :ok })
    assert_operator Handoff.workers.size, :<=, 8, "workers started for blocks that never block"
  end
end
