# check_bench_json.rb FILE.json TARGET... — passes when a handoff-bench JSON
# output holds every benchmark the suite promises for the baselines and each
# TARGET, none of them stopped with an error (a wrong reply stops a
# benchmark with SkipWithError, which does not change the exit status), and
# each reports calls/s and, where it measures latency, percentiles.
require "json"

file, *targets = ARGV
abort "usage: check_bench_json.rb FILE.json TARGET..." if file.nil? || targets.empty?
document = JSON.parse(File.read(file), allow_nan: true)
runs = document["benchmarks"].reject { |b| b["run_type"] == "aggregate" }
problems = []

runs.each do |b|
  problems << "#{b['name']}: #{b['error_message']}" if b["error_occurred"]
end

expect = lambda do |name, latency: true|
  found = runs.select { |b| b["name"] == name }
  if found.empty?
    problems << "#{name}: missing"
  else
    found.each do |b|
      next if b["error_occurred"]
      problems << "#{name}: no items_per_second" unless b["items_per_second"].to_f.positive?
      problems << "#{name}: no p50_us" if latency && !b["p50_us"].to_f.positive?
    end
  end
end

expect.call("BM_Direct_Call/manual_time")
expect.call("BM_RubyThread_CallWithGvl/manual_time")
expect.call("BM_CondVar_PingPong/real_time")
expect.call("BM_Spin_PingPong/real_time")
[1, 2, 4, 8, 16, 64].each { |t| expect.call("BM_CondVar_Server/real_time/threads:#{t}") }
expect.call("BM_Copy/65536/real_time")
expect.call("BM_Copy/1048576/real_time")
expect.call("BM_Copy_CrossCpu/65536/manual_time")
targets.each do |target|
  prefix = "BM_#{target[0].upcase}#{target[1..]}_"
  expect.call("#{prefix}RoundTrip/real_time")
  [1, 2, 4, 8, 16, 64].each { |t| expect.call("#{prefix}Throughput/real_time/threads:#{t}") }
  [8, 1024, 65_536, 1_048_576].each { |size| expect.call("#{prefix}Payload/#{size}/real_time") }
  [1, 16].each { |t| expect.call("#{prefix}RubyWork/real_time/threads:#{t}") }
end
# The goal target's fire-and-forget posts (handoff-bench names it in its context).
goal = document.dig("context", "handoff_goal_target").to_s
goal_prefix = "BM_#{goal[0]&.upcase}#{goal[1..]}_"
[1, 16].each { |t| expect.call("#{goal_prefix}Post/real_time/threads:#{t}", latency: false) }
expect.call("#{goal_prefix}PostToRun/real_time")

if problems.empty?
  puts "check_bench_json: #{runs.size} benchmark runs, all present and error-free"
else
  puts problems.uniq.first(20)
  abort "check_bench_json: #{problems.uniq.size} problem(s) in #{file}"
end
