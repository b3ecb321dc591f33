# frozen_string_literal: true

# handoff — let native threads that Ruby did not create (a C library's own
# threads) call a Ruby block and get exactly its reply back.
#
#   require "handoff"
#   cb = Handoff::Callback.new { |x| x * 2 }   # registered until cb.dispose
#   Handoff.start                              # Ruby worker threads serve calls
#   some_c_library_subscribe(cb.handle)        # C calls handoff_invoke(handle, ...)
#   ...
#   Handoff.stop                               # pending calls return "stopped"
#
# The C side is include/handoff/bridge.h.
require "handoff/handoff"

module Handoff
  VERSION = "0.1.0"

  # Raised for misuse of the Ruby API (start twice, bad options).
  class Error < StandardError; end

  # Workers grow on demand up to this many: one is kept idle in reserve so a
  # block that sleeps, does IO or waits on a nested callback stalls no other.
  DEFAULT_MAX_WORKERS = 16
  MAX_WORKERS_LIMIT = 1024

  @on_error = nil
  @start_options = nil

  class << self
    # Starts the worker pool. Calls made before start (or after stop) return
    # the "stopped" status at once.
    #   max_workers:        upper bound of the pool (1..1024)
    #   restart_after_fork: in a forked child, start again automatically
    #                       (otherwise calls there return "forked" until
    #                       Handoff.start is called in the child)
    def start(max_workers: DEFAULT_MAX_WORKERS, restart_after_fork: true)
      unless max_workers.is_a?(Integer) && max_workers.between?(1, MAX_WORKERS_LIMIT)
        raise ArgumentError,
              "handoff: max_workers must be an Integer from 1 to #{MAX_WORKERS_LIMIT} (got #{max_workers.inspect})"
      end
      unless Native.start(max_workers)
        raise Error, "handoff: already running (call Handoff.stop first)"
      end
      @start_options = { max_workers: max_workers, restart_after_fork: restart_after_fork }
      true
    end

    # Stops the bridge: queued calls return "stopped" at once, new calls
    # return "stopped", and workers finish the call in hand. Waits up to
    # `timeout` seconds for them, then kills the rest (their calls return
    # "stopped"). Safe to call when not running, and from inside a block.
    def stop(timeout: 10)
      Native.stop
      @start_options = nil
      deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + timeout
      (Native.workers - [Thread.current]).each do |worker|
        left = deadline - Process.clock_gettime(Process::CLOCK_MONOTONIC)
        next if worker.join([left, 0].max)

        worker.kill
        worker.join
      end
      nil
    end

    def running?
      Native.running?
    end

    # How many calls from foreign threads wait for a worker right now.
    def queued
      Native.queued
    end

    # The live worker Threads (a copy).
    def workers
      Native.workers
    end

    # Called with (exception, callback) for every exception a block raised
    # that came back to its C caller as "raised" (and every reply that could
    # not be converted), after the C caller got that status. Without a
    # handler the error is printed to $stderr.
    # The handler runs on a worker thread; if it raises, that is printed too.
    def on_error(&handler)
      @on_error = handler
    end

    # Called by the extension; not for users. An interrupt of this thread
    # (Thread#raise, Thread#kill, a Timeout) is held off while the error is
    # reported, so the rescue below cannot swallow it, and taken as the
    # report ends; the extension lets it go on.
    def report_error(exception, callback)
      Thread.handle_interrupt(Object => :never) do
        if @on_error
          @on_error.call(exception, callback)
        else
          where = exception.backtrace&.first
          warn "handoff: callback raised #{exception.class}: #{exception.message}#{where ? " (#{where})" : ''}"
        end
      rescue Exception => e # rubocop:disable Lint/RescueException
        warn "handoff: the on_error handler raised #{e.class}: #{e.message}"
      end
    end

    # Called in a forked child by the Process._fork hook below.
    def after_fork_in_child(options)
      Native.forget_workers
      start(**options) if options && options[:restart_after_fork]
    end

    def start_options
      @start_options
    end
    private :after_fork_in_child, :start_options
  end

  # Process._fork (Ruby 3.1+) is the one place every Ruby-level fork passes.
  module ForkHook
    def _fork
      options = Handoff.send(:start_options)
      pid = super
      Handoff.send(:after_fork_in_child, options) if pid.zero?
      pid
    end
  end
  Process.singleton_class.prepend(ForkHook)
end

# Release every foreign thread still waiting when the VM exits.
at_exit { Handoff.stop(timeout: 1) if Handoff.running? }
