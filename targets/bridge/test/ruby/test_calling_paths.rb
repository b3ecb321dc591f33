# frozen_string_literal: true

require_relative "helper"

# Classes 1 and 2: the calling thread is classified correctly and a
# Ruby thread never waits on a foreign thread that waits on Ruby.
class TestCallingPaths < Minitest::Test
  include BridgeTest

  WHERE = Handoff::Callback.new { Thread.current }

  def run_where(gvl:)
    seen = nil
    cb = Handoff::Callback.new { seen = Thread.current; 1 }
    assert_equal :ok, HandoffDemo.invoke(cb.handle, [], gvl: gvl).status
    seen
  end

  def test_ruby_thread_holding_the_gvl_runs_the_block_itself
    assert_same Thread.current, run_where(gvl: true)
  end

  # Queued like a foreign thread's call: a Thread#kill of the caller that
  # landed in a block run on its own thread could not go on (test_errors.rb).
  def test_ruby_thread_without_the_gvl_is_served_by_a_worker
    seen = run_where(gvl: false)
    refute_same Thread.current, seen
    assert_includes Handoff.workers, seen
  end

  def test_foreign_thread_is_served_by_a_worker
    seen = nil
    cb = Handoff::Callback.new { seen = Thread.current; 1 }
    assert_equal :ok, fire_one(cb).status
    refute_same Thread.current, seen
    assert_includes Handoff.workers, seen
    assert_equal "handoff-worker", seen.name
  end

  def test_a_ruby_thread_holding_the_gvl_needs_no_worker_while_the_only_one_is_busy
    Handoff.stop
    Handoff.start(max_workers: 1)
    gate = Queue.new
    blocker = Handoff::Callback.new { gate.pop; nil }
    job = HandoffDemo::Job.new(blocker.handle, [[[]]])
    wait_until("the only worker is busy") { Handoff.workers.any? { |t| t.status == "sleep" } && Handoff.queued.zero? }
    cb = Handoff::Callback.new { |x| x + 1 }
    assert_equal 2, HandoffDemo.invoke(cb.handle, [1], gvl: true).value
    gate << :go
    assert_equal :ok, job.join[0][0].status
  end

  def test_a_block_calling_back_into_the_bridge_from_its_own_ruby_thread
    inner = Handoff::Callback.new { |x| x * 10 }
    outer = Handoff::Callback.new { |x| HandoffDemo.invoke(inner.handle, [x], gvl: true).value + 1 }
    assert_equal 71, fire_one(outer, 7).value
  end

  def test_mixed_paths_concurrently_each_get_their_own_reply
    cb = Handoff::Callback.new { |tag, i| "#{tag}-#{i}" }
    n = BridgeTest.scale(200)
    ruby_threads = [true, false].map do |gvl|
      Thread.new { Array.new(n) { |i| HandoffDemo.invoke(cb.handle, ["r#{gvl}", i], gvl: gvl).value } }
    end
    foreign = fire(cb, Array.new(4) { |t| Array.new(n) { |i| ["f#{t}", i] } })
    ruby_threads.each_with_index do |th, k|
      assert_equal Array.new(n) { |i| "r#{k.zero?}-#{i}" }, th.value
    end
    foreign.each_with_index do |row, t|
      assert_equal Array.new(n) { |i| "f#{t}-#{i}" }, row.map(&:value)
    end
  end
end
