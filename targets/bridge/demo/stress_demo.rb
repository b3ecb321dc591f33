# frozen_string_literal: true

# stress_demo.rb — what ci/stress runs until the harness lands: the demo
# library's native threads hammer the bridge with mixed blocks, every reply is
# checked against the call that asked for it, and the round trip and
# throughput are printed.
#   ruby -I targets/bridge/lib -I build/release/ruby targets/bridge/demo/stress_demo.rb --help
require "optparse"

$stdout.sync = true
options = { threads: 16, calls: 20_000, latency_calls: 20_000 }
parser = OptionParser.new do |o|
  o.banner = "usage: stress_demo.rb [--threads N] [--calls N] [--latency-calls N]"
  o.on("--threads N", Integer, "native threads for the throughput run (default 16)") { |v| options[:threads] = v }
  o.on("--calls N", Integer, "calls per thread in the throughput run (default 20000)") { |v| options[:calls] = v }
  o.on("--latency-calls N", Integer, "calls of the one-thread round-trip run (default 20000)") do |v|
    options[:latency_calls] = v
  end
end
begin
  parser.parse!
  raise OptionParser::InvalidArgument, "must be positive" unless options.values.all?(&:positive?)
  raise OptionParser::NeedlessArgument, ARGV.join(" ") unless ARGV.empty?
rescue OptionParser::ParseError => e
  warn "stress_demo: #{e.message}\n#{parser.banner}"
  exit 2
end

require "handoff"
require "handoff_demo"

def percentile(sorted, q)
  sorted[[(sorted.size * q).ceil - 1, 0].max]
end

def run(callback, plan)
  started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
  replies = HandoffDemo::Job.new(callback.handle, plan).join
  [replies, Process.clock_gettime(Process::CLOCK_MONOTONIC) - started]
end

errors = 0
Handoff.on_error { |_e, _cb| errors += 1 }
Handoff.start
trivial = Handoff::Callback.new { |x| x }

# 1. Round trip: one native thread, a trivial block.
replies, = run(trivial, [Array.new(options[:latency_calls]) { |i| [i] }])
ns = replies[0].map(&:nanoseconds).sort
wrong = replies[0].each_with_index.count { |r, i| r.status != :ok || r.value != i }
printf("round trip, 1 native thread, trivial block: p50 %.1f us  p90 %.1f us  p99 %.1f us  (%d calls, %d wrong)\n",
       percentile(ns, 0.5) / 1e3, percentile(ns, 0.9) / 1e3, percentile(ns, 0.99) / 1e3, ns.size, wrong)

# 2. Throughput: many native threads, a trivial block.
threads = options[:threads]
calls = options[:calls]
replies, seconds = run(trivial, Array.new(threads) { |t| Array.new(calls) { |i| [t * calls + i] } })
wrong = replies.flatten.each_with_index.count { |r, k| r.status != :ok || r.value != k }
printf("throughput, %d native threads, trivial block: %.0f calls/s  (%d calls in %.2f s, %d wrong)\n",
       threads, threads * calls / seconds, threads * calls, seconds, wrong)

# 3. Mixed blocks: return, raise, sleep, allocate, large reply.
mixed = Handoff::Callback.new do |kind, t, i|
  case kind % 5
  when 0 then "#{t}/#{i}"
  when 1 then raise ArgumentError, "#{t}/#{i}"
  when 2 then sleep(0.0001) && "#{t}/#{i}"
  when 3 then Array.new(50) { |k| k.to_s }.join.size && "#{t}/#{i}"
  else "#{t}/#{i}" * 1000
  end
end
plan = Array.new(threads) { |t| Array.new(calls / 10) { |i| [t + i, t, i] } }
replies, seconds = run(mixed, plan)
wrong = 0
replies.each_with_index do |row, t|
  row.each_with_index do |r, i|
    want = "#{t}/#{i}"
    ok = case (t + i) % 5
         when 1 then r.status == :raised && r.error_message == want
         when 4 then r.status == :ok && r.value == want * 1000
         else r.status == :ok && r.value == want
         end
    wrong += 1 unless ok
  end
end
tally = replies.flatten.map(&:status).tally
printf("mixed blocks, %d native threads: %d calls in %.2f s, statuses %s, %d wrong, %d errors reported\n",
       threads, tally.values.sum, seconds, tally.inspect, wrong, errors)
printf("worker threads used: %d\n", Handoff.workers.size)
Handoff.stop
exit(wrong.zero? ? 0 : 1)
