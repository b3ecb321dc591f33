# frozen_string_literal: true

# Shared set-up for the bridge's minitest files: loads the extension and the
# demo library's binding from the build folder (ctest passes -I for both),
# and gives every test a running bridge. A hang is bounded by the ctest
# TIMEOUT of the file (a foreign thread's wait cannot be interrupted from Ruby).
require "minitest/autorun"
require "handoff"
require "handoff_demo"

module BridgeTest
  # Sanitizer builds run 5-20x slower: scale the work, never the checks.
  SANITIZED = !ENV.fetch("HANDOFF_TEST_SANITIZER", "none").eql?("none")
  def self.scale(n)
    SANITIZED ? [n / 10, 1].max : n
  end

  def setup
    Handoff.stop if Handoff.running?
    Handoff.on_error { |e, _cb| (@reported ||= []) << e }
    Handoff.start(**start_options)
  end

  def teardown
    Handoff.stop
    Handoff.on_error
  end

  def start_options
    {}
  end

  def reported
    @reported || []
  end

  # calls_by_thread: one Array per native thread, one args Array per call.
  def fire(callback, calls_by_thread, timeout: nil)
    HandoffDemo::Job.new(callback.handle, calls_by_thread, timeout: timeout).join
  end

  def fire_one(callback, *args, timeout: nil)
    fire(callback, [[args]], timeout: timeout)[0][0]
  end

  # Restarts the bridge with one worker and parks that worker on call 0 until
  # `gate << anything`; the callback appends every other argument to `log`
  # and returns it. Returns [callback, gate, the job holding call 0].
  def hold_the_only_worker(log)
    Handoff.stop
    Handoff.start(max_workers: 1)
    gate = Queue.new
    cb = Handoff::Callback.new { |k| k.zero? ? gate.pop : log << k; k }
    holder = HandoffDemo::Job.new(cb.handle, [[[0]]])
    wait_until("the only worker holds call 0") { Handoff.queued.zero? && gate.num_waiting == 1 }
    [cb, gate, holder]
  end

  # Waits (politely, with a deadline) until the block returns truthy.
  def wait_until(what, seconds: 10)
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + seconds
    until yield
      raise Minitest::Assertion, "timed out waiting until #{what}" if
        Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline

      sleep 0.001
    end
  end
end
