# frozen_string_literal: true

require_relative "helper"

# Class 10: in a forked child the bridge works again and nothing
# queued in the parent is replayed there.
class TestFork < Minitest::Test
  include BridgeTest

  # Forks once no other worker is busy. The pool starts a spare worker when
  # it hands out its last idle one; forking while that new thread is still
  # being set up is safe with glibc's malloc, but under ASan (gcc 12's
  # libasan does not lock its allocator across fork) the child inherits the
  # allocator lock the new thread held and hangs in its first malloc:
  # seen as a 120 s timeout of this file in the asan preset.
  def fork_when_pool_is_parked(&block)
    wait_until("every other worker is parked") do
      Handoff.workers.all? { |w| w.equal?(Thread.current) || w.status != "run" }
    end
    fork(&block)
  end

  # Runs the block in a child; returns what it printed (and asserts exit 0).
  def in_child(&block)
    reader, writer = IO.pipe
    pid = fork_when_pool_is_parked do
      reader.close
      writer.write(Marshal.dump(block.call))
      writer.close
      exit!(0)
    end
    writer.close
    result = Marshal.load(reader.read)
    _, status = Process.wait2(pid)
    assert status.success?, "child failed: #{status.inspect}"
    result
  ensure
    reader&.close
  end

  def test_child_serves_calls_and_parent_requests_are_not_replayed
    runs = []
    cb, gate, holder = hold_the_only_worker(runs)
    queued = HandoffDemo::Job.new(cb.handle, [[[1]], [[2]]])
    wait_until("calls 1 and 2 are queued") { Handoff.queued == 2 }
    child = in_child do
      replies = fire(cb, Array.new(2) { |t| Array.new(10) { |i| [100 + t * 10 + i] } })
      [Handoff.running?, replies.flatten.map(&:value), runs.dup]
    end
    running, values, child_runs = child
    assert running
    assert_equal (100..119).to_a, values
    assert_equal (100..119).to_a, child_runs.sort, "the child ran its own calls, none of the parent's"
    gate << :go
    assert_equal [0, 1, 2], (holder.join + queued.join).flatten.map(&:value)
  end

  def test_without_restart_the_child_says_forked_until_started
    Handoff.stop
    Handoff.start(restart_after_fork: false)
    cb = Handoff::Callback.new { |k| k }
    statuses = in_child do
      before = fire_one(cb, 1).status
      Handoff.start
      [before, fire_one(cb, 2).status]
    end
    assert_equal %i[forked ok], statuses
    assert_equal 3, fire_one(cb, 3).value, "the parent is unaffected"
  end

  def test_fork_inside_a_block
    cb = Handoff::Callback.new do |k|
      pid = fork_when_pool_is_parked { exit!(fire_one(Handoff::Callback.new { |x| x * 2 }, 21).value == 42 ? 0 : 1) }
      Process.wait2(pid)[1].exitstatus * 100 + k
    end
    assert_equal 5, fire_one(cb, 5).value, "the child's nested call worked and the parent's reply arrived"
  end
end
