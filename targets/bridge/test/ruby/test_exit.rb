# frozen_string_literal: true

require_relative "helper"
require "rbconfig"

# Class 9: at VM exit every foreign thread still waiting is released
# with a status, and the process exits instead of hanging.
class TestExit < Minitest::Test
  include BridgeTest

  SCRIPT = <<~RUBY
    job = nil
    # registered before require "handoff" registers its own: runs after it
    at_exit { $stdout.puts job.join.flatten.map(&:status).tally.sort.inspect; $stdout.flush }
    require "handoff"
    require "handoff_demo"
    Handoff.start
    started = Queue.new
    cb = Handoff::Callback.new { started << 1; sleep }
    job = HandoffDemo::Job.new(cb.handle, Array.new(4) { [[1], [2]] })
    4.times { started.pop } # every foreign thread now waits on a sleeping block
    exit 0
  RUBY

  def test_waiting_foreign_threads_are_released_at_exit
    ruby = RbConfig.ruby
    dirs = [%r{/handoff\.rb\z}, %r{/handoff_demo\.so\z}].map do |feature|
      File.dirname($LOADED_FEATURES.grep(feature).first)
    end
    args = dirs.flat_map { |dir| ["-I", dir] }
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    out = IO.popen([ruby, *args, "-e", SCRIPT], err: %i[child out], &:read)
    elapsed = Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
    assert $?.success?, out
    assert_equal "[[:stopped, 8]]", out.lines.last.strip
    assert_operator elapsed, :<, 20
  end
end
