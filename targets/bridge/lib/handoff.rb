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

  # Fire-and-forget posts (handoff_post in C): at most this many wait at
  # once, and what a post into a full queue gets (Handoff.start).
  DEFAULT_POST_QUEUE = 8192
  POST_POLICIES = %i[block drop_newest drop_oldest fail].freeze

  @on_error = nil
  @start_options = nil

  class << self
    # Starts the worker pool and the post thread. Calls and posts made before
    # start (or after stop) return the "stopped" status at once.
    #   max_workers:        upper bound of the pool (1..1024)
    #   restart_after_fork: in a forked child, start again automatically
    #                       (otherwise calls there return "forked" until
    #                       Handoff.start is called in the child)
    #   post_queue:         the most posts that wait at once (>= 1)
    #   post_policy:        a post into a full queue: :block (waits for room;
    #                       "full" on a thread holding the GVL), :drop_newest
    #                       or :fail ("full": not queued, counted refused),
    #                       :drop_oldest (queued; the oldest waiting post is
    #                       dropped, counted dropped_oldest)
    def start(max_workers: DEFAULT_MAX_WORKERS, restart_after_fork: true,
              post_queue: DEFAULT_POST_QUEUE, post_policy: :block)
      check_start_options(max_workers, post_queue, post_policy)
      unless Native.start(max_workers, post_queue, POST_POLICIES.index(post_policy))
        raise Error, "handoff: already running (call Handoff.stop first)"
      end
      @start_options = { max_workers: max_workers, restart_after_fork: restart_after_fork,
                         post_queue: post_queue, post_policy: post_policy }
      true
    end

    # The post counters since start (in a forked child: since the fork), a
    # Hash: posted (accepted), run, failed (raised, or killed in the block),
    # dropped (= dropped_oldest + dropped_stopped: accepted, never run),
    # refused (not accepted), queued (accepted, not started). Once flush has
    # returned true, posted == run + failed + dropped.
    def stats
      Native.stats
    end

    # Waits until every post accepted so far has run or been dropped; true,
    # or false when `timeout` seconds passed first. Not from a post's block
    # (the post thread would wait for itself).
    def flush(timeout: 10)
      if Native.post_threads.include?(Thread.current)
        raise Error, "handoff: flush from a post's block would wait for itself"
      end
      deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + timeout
      nap = 0.0001
      loop do
        s = Native.stats
        return true if s[:posted] == s[:run] + s[:failed] + s[:dropped]
        return false if Process.clock_gettime(Process::CLOCK_MONOTONIC) >= deadline

        sleep(nap)
        nap = [nap * 2, 0.01].min
      end
    end

    # Stops the bridge: queued calls return "stopped" at once, new calls
    # and posts return "stopped", queued posts are dropped (counted
    # dropped_stopped: call flush first to run them), and workers finish the
    # call or post in hand. Waits up to
    # `timeout` seconds for them, then kills the rest (their calls return
    # "stopped"). Safe to call when not running, and from inside a block.
    def stop(timeout: 10)
      Native.stop
      @start_options = nil
      deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + timeout
      (Native.workers + Native.post_threads - [Thread.current]).each do |worker|
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

    def check_start_options(max_workers, post_queue, post_policy)
      unless max_workers.is_a?(Integer) && max_workers.between?(1, MAX_WORKERS_LIMIT)
        raise ArgumentError,
              "handoff: max_workers must be an Integer from 1 to #{MAX_WORKERS_LIMIT} (got #{max_workers.inspect})"
      end
      unless post_queue.is_a?(Integer) && post_queue >= 1
        raise ArgumentError, "handoff: post_queue must be an Integer of at least 1 (got #{post_queue.inspect})"
      end
      return if POST_POLICIES.include?(post_policy)

      raise ArgumentError,
            "handoff: post_policy must be one of #{POST_POLICIES.map(&:inspect).join(', ')} (got #{post_policy.inspect})"
    end
    private :check_start_options

    # How many calls from foreign threads wait for a worker right now.
    def queued
      Native.queued
    end

    # The live worker Threads (a copy).
    def workers
      Native.workers
    end

    # The Thread that runs posts (nil when none is alive).
    def post_thread
      Native.post_threads.first
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
