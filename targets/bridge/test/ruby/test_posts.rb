# frozen_string_literal: true

require_relative "helper"

# Fire-and-forget posts (handoff_post): every accepted post runs exactly
# once, one thread's posts in its order, or is counted dropped for a reason
# the policy or the lifecycle gives; refusals are counted; the counters add up.
class TestPosts < Minitest::Test
  include BridgeTest

  # A callback that logs each post's (thread, event).
  def logging_callback(log)
    Handoff::Callback.new do |thread, event|
      log << [thread, event]
      nil
    end
  end

  # Keeps the post thread busy in a post of its own until `gate << :go`, so
  # that later posts queue up behind it. Returns the gate.
  def hold_the_post_thread
    gate = Queue.new
    holder = Handoff::Callback.new { |_t, _i| gate.pop }
    stream(holder, threads: 1, events: 1)
    wait_until("a post holds the post thread") { gate.num_waiting == 1 }
    gate
  end

  def stream(callback, threads:, events:)
    HandoffDemo.stream(callback.handle, threads: threads, events: events)
  end

  def assert_adds_up(stats)
    assert_equal stats[:posted], stats[:run] + stats[:failed] + stats[:dropped], stats.inspect
    assert_equal stats[:dropped], stats[:dropped_oldest] + stats[:dropped_stopped], stats.inspect
  end

  # Each thread's events, in the order they ran, are increasing.
  def assert_in_each_threads_order(log)
    log.group_by(&:first).each do |thread, runs|
      events = runs.map(&:last)
      assert_equal events.sort, events, "thread #{thread}'s posts ran out of order"
      assert_equal events.uniq, events, "a post of thread #{thread} ran twice"
    end
  end

  def test_every_post_runs_once_in_each_threads_order
    log = []
    events = BridgeTest.scale(5000)
    counts = stream(logging_callback(log), threads: 8, events: events)
    assert_equal [events] * 8, counts.map { |c| c[:ok] }
    assert Handoff.flush(timeout: 60)
    assert_equal 8 * events, log.size
    assert_in_each_threads_order(log)
    stats = Handoff.stats
    assert_equal 8 * events, stats[:posted]
    assert_equal 8 * events, stats[:run]
    assert_adds_up(stats)
  end

  def test_a_raising_post_is_reported_counted_failed_and_the_next_runs
    log = []
    cb = Handoff::Callback.new { |t, i| i == 1 ? raise(ArgumentError, "event #{i}") : log << [t, i] }
    stream(cb, threads: 1, events: 3)
    assert Handoff.flush(timeout: 10)
    assert_equal [[0, 0], [0, 2]], log
    assert_equal [ArgumentError], reported.map(&:class)
    assert_equal 1, Handoff.stats[:failed]
    assert_adds_up(Handoff.stats)
  end

  def test_drop_oldest_accepts_every_post_and_counts_what_it_pushed_out
    Handoff.stop
    Handoff.start(post_queue: 4, post_policy: :drop_oldest)
    log = []
    gate = hold_the_post_thread
    counts = stream(logging_callback(log), threads: 1, events: 30)
    gate << :go
    assert Handoff.flush(timeout: 10)
    assert_equal 30, counts.first[:ok], "drop_oldest accepts every post"
    stats = Handoff.stats
    assert_equal 30 - 4, stats[:dropped_oldest], stats.inspect
    assert_equal 30, log.size + stats[:dropped_oldest]
    assert_in_each_threads_order(log)
    assert_adds_up(stats)
  end

  def test_fail_and_drop_newest_refuse_a_post_into_a_full_queue
    %i[fail drop_newest].each do |policy|
      Handoff.stop
      Handoff.start(post_queue: 3, post_policy: policy) # not a power of two: exactly 3 wait
      log = []
      gate = hold_the_post_thread
      counts = stream(logging_callback(log), threads: 1, events: 20).first
      gate << :go
      assert Handoff.flush(timeout: 10)
      assert_equal 3, counts[:ok], "#{policy}: #{counts}"
      assert_equal 17, counts[:full], "#{policy}: #{counts}"
      assert_equal 17, Handoff.stats[:refused], policy
      assert_equal [[0, 0], [0, 1], [0, 2]], log, "#{policy}: the accepted posts ran"
      assert_adds_up(Handoff.stats)
    end
  end

  def test_block_waits_for_room_and_loses_nothing
    Handoff.stop
    Handoff.start(post_queue: 2, post_policy: :block)
    log = []
    counts = stream(logging_callback(log), threads: 4, events: BridgeTest.scale(500))
    assert_equal [BridgeTest.scale(500)] * 4, counts.map { |c| c[:ok] }
    assert Handoff.flush(timeout: 30)
    assert_equal 4 * BridgeTest.scale(500), log.size
    assert_in_each_threads_order(log)
  end

  def test_stop_drops_and_counts_the_queued_posts
    log = []
    gate = hold_the_post_thread
    cb = logging_callback(log)
    stream(cb, threads: 1, events: 10)
    stopper = Thread.new { Handoff.stop(timeout: 10) }
    wait_until("the stop dropped the queued posts") { Handoff.stats[:dropped_stopped] == 10 }
    gate << :go
    stopper.join
    assert_empty log, "no post queued at the stop ran"
    assert_equal 1, Handoff.stats[:run], "the post in hand ran to its end"
    assert_equal :stopped, stream(cb, threads: 1, events: 1).first.keys.first
    Handoff.start
  end

  def test_a_killed_post_thread_counts_its_post_failed_and_the_rest_run_once
    log = []
    hold_the_post_thread
    stream(logging_callback(log), threads: 1, events: 5)
    Handoff.post_thread.kill.join
    assert Handoff.flush(timeout: 10)
    assert_equal [[0, 0], [0, 1], [0, 2], [0, 3], [0, 4]], log
    assert_equal 1, Handoff.stats[:failed]
    assert_adds_up(Handoff.stats)
  end

  def test_posts_before_start_are_refused_and_counted
    Handoff.stop
    cb = logging_callback([])
    assert_equal [{ stopped: 2 }], stream(cb, threads: 1, events: 2).map { |c| c.except(:elapsed_ns) }
    Handoff.start
    assert_equal 0, Handoff.stats[:refused], "start counts afresh"
  end

  def test_start_refuses_bad_post_options
    Handoff.stop
    assert_raises(ArgumentError) { Handoff.start(post_queue: 0) }
    assert_raises(ArgumentError) { Handoff.start(post_policy: :sometimes) }
    Handoff.start
  end
end
