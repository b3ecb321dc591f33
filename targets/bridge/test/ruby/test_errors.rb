# frozen_string_literal: true

require_relative "helper"

# Exceptions are handed back and reported, never swallowed; bad
# input gets a clear error.
class TestErrors < Minitest::Test
  include BridgeTest

  class CustomError < StandardError; end

  def test_raised_block_hands_class_and_message_back_and_reports_it
    cb = Handoff::Callback.new { |x| raise CustomError, "bad #{x}" }
    reply = fire_one(cb, 7)
    assert_equal :raised, reply.status
    assert_equal "TestErrors::CustomError", reply.error_class
    assert_equal "bad 7", reply.error_message
    assert_equal 1, reported.size
    assert_instance_of CustomError, reported.first
  end

  def test_bridge_keeps_serving_after_errors
    cb = Handoff::Callback.new { |x| x.odd? ? raise("odd #{x}") : x }
    replies = fire(cb, Array.new(4) { |t| Array.new(50) { |i| [t * 50 + i] } }).flatten
    replies.each_with_index do |r, k|
      if k.odd?
        assert_equal [:raised, "odd #{k}"], [r.status, r.error_message]
      else
        assert_equal [:ok, k], [r.status, r.value]
      end
    end
    assert_equal 100, reported.size
    assert_equal :ok, fire_one(Handoff::Callback.new { 1 }).status
  end

  def test_default_report_goes_to_stderr
    Handoff.on_error
    cb = Handoff::Callback.new { raise ArgumentError, "shown" }
    _out, err = capture_subprocess_io { fire_one(cb) }
    assert_match(/handoff: callback raised ArgumentError: shown/, err)
  end

  def test_a_raising_error_handler_is_reported_and_does_not_kill_the_worker
    Handoff.on_error { raise "handler broke" }
    cb = Handoff::Callback.new { raise "first" }
    _out, err = capture_subprocess_io { assert_equal :raised, fire_one(cb).status }
    assert_match(/on_error handler raised RuntimeError: handler broke/, err)
    assert_equal :ok, fire_one(Handoff::Callback.new { 2 }).status
  end

  def test_callback_needs_something_callable
    e = assert_raises(TypeError) { Handoff::Callback.new(42) }
    assert_match(/responds to #call \(got Integer\)/, e.message)
    assert_raises(ArgumentError) { Handoff::Callback.new }
    assert_raises(ArgumentError) { Handoff::Callback.new(-> {}) { 1 } }
    assert_equal 3, fire_one(Handoff::Callback.new(->(x) { x + 1 }), 2).value
  end

  def test_invoke_on_a_stopped_bridge_fails_at_once_on_every_path
    cb = Handoff::Callback.new { :never }
    Handoff.stop
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    assert_equal :stopped, fire_one(cb).status
    assert_equal :stopped, HandoffDemo.invoke(cb.handle, [], gvl: true).status
    assert_equal :stopped, HandoffDemo.invoke(cb.handle, [], gvl: false).status
    assert_operator Process.clock_gettime(Process::CLOCK_MONOTONIC) - started, :<, 1
  end

  def test_disposed_callback_is_invalid_and_has_no_handle
    cb = Handoff::Callback.new { 1 }
    handle = cb.handle
    cb.dispose
    assert cb.disposed?
    reply = HandoffDemo::Job.new(handle, [[[]]]).join[0][0]
    assert_equal :invalid, reply.status
    assert_match(/disposed/, reply.error_message)
    assert_raises(RuntimeError) { cb.handle }
    cb.dispose # idempotent
  end

  def test_lifecycle_misuse
    assert_raises(Handoff::Error) { Handoff.start }
    Handoff.stop
    Handoff.stop # idempotent
    e = assert_raises(ArgumentError) { Handoff.start(max_workers: 0) }
    assert_match(/max_workers must be an Integer from 1/, e.message)
    assert_raises(ArgumentError) { Handoff.start(max_workers: "4") }
    refute Handoff.running?
  end

  def test_non_standard_error_on_a_ruby_thread_holding_the_gvl_propagates
    cb = Handoff::Callback.new { raise Interrupt, "through" }
    assert_raises(Interrupt) { HandoffDemo.invoke(cb.handle, [], gvl: true) }
  end

  # A Ruby thread without the GVL has its block run by a worker: what the
  # block raises comes back raised, as from a foreign thread.
  def test_non_standard_error_on_a_ruby_thread_without_the_gvl_comes_back_raised
    cb = Handoff::Callback.new { raise Interrupt, "in the block" }
    reply = HandoffDemo.invoke(cb.handle, [], gvl: false)
    assert_equal [:raised, "Interrupt", "in the block"], [reply.status, reply.error_class, reply.error_message]
  end

  # A kill that lands while the bridge reads a raised exception's message
  # (here a slow #message) goes on: caught and dropped, Ruby would ignore
  # every later Thread#kill of the thread.
  def test_a_kill_while_the_message_is_read_goes_on
    reading = Queue.new
    slow = Class.new(StandardError) { define_method(:message) { reading << 1; sleep 5; "slow" } }
    cb = Handoff::Callback.new { raise slow }
    thread = Thread.new { HandoffDemo.invoke(cb.handle, [], gvl: true); sleep }
    reading.pop
    thread.kill
    assert thread.join(10), "the thread was killed"
  end

  # A Thread#raise that lands while the block's error is being reported
  # (here a slow on_error handler) reaches the thread once the report ends:
  # the report's own rescue must not swallow it.
  def test_an_interrupt_while_the_error_is_reported_goes_on
    reporting = Queue.new
    Handoff.on_error { |_e, _cb| reporting << 1; sleep 0.3 }
    cb = Handoff::Callback.new { raise ArgumentError, "reported" }
    thread = Thread.new { HandoffDemo.invoke(cb.handle, [], gvl: true); sleep }
    thread.report_on_exception = false
    reporting.pop
    thread.raise(RuntimeError, "while reporting")
    error = assert_raises(RuntimeError) { thread.join(10) }
    assert_equal "while reporting", error.message
  ensure
    Handoff.on_error
  end

  # An interrupt of that thread while it waits (Thread#kill, Thread#raise)
  # is taken once the call is back in Ruby: not lost in a block. (The
  # thread never gets to record the reply: the interrupt comes first.)
  def test_a_ruby_thread_without_the_gvl_can_be_killed_or_raised_in_a_call
    started = Queue.new
    cb = Handoff::Callback.new { started << 1; sleep 0.05; 7 }
    after = Queue.new
    [:kill, :raise].each do |how|
      thread = Thread.new { HandoffDemo.invoke(cb.handle, [], gvl: false); after << how; sleep }
      thread.report_on_exception = false
      started.pop
      how == :kill ? thread.kill : thread.raise(RuntimeError, "while it waited")
      if how == :kill
        assert thread.join(10), "the killed thread ended"
      else
        error = assert_raises(RuntimeError) { thread.join(10) }
        assert_equal "while it waited", error.message
      end
    end
    assert after.empty?, "neither thread went on past its call"
    assert_equal :ok, fire_one(cb).status, "the bridge still serves"
  end

  # On a worker there is no caller's thread to take them: exit and signals
  # are handed back like any exception (let go, exit would end the process).
  def test_exit_or_a_signal_in_a_worker_block_comes_back_raised
    [[proc { raise Interrupt, "stop that" }, "Interrupt", "stop that"],
     [proc { exit }, "SystemExit", "exit"],
     [proc { raise SignalException, "TERM" }, "SignalException", "SIGTERM"]].each do |block, klass, message|
      reply = fire_one(Handoff::Callback.new(&block))
      assert_equal [:raised, klass, message], [reply.status, reply.error_class, reply.error_message]
    end
    assert_equal 3, reported.size, "each reported on the Ruby side too"
    assert_equal :ok, fire_one(Handoff::Callback.new { 1 }).status, "the worker still serves"
  end

  class LibraryAbort < Exception; end # rubocop:disable Lint/InheritException

  def test_an_exception_that_is_no_standard_error_comes_back_raised_on_every_path
    cb = Handoff::Callback.new { raise LibraryAbort, "gave up" }
    replies = [fire_one(cb), HandoffDemo.invoke(cb.handle, [], gvl: true),
               HandoffDemo.invoke(cb.handle, [], gvl: false)]
    replies.each do |reply|
      assert_equal [:raised, "TestErrors::LibraryAbort", "gave up"],
                   [reply.status, reply.error_class, reply.error_message]
    end
  end
end
