# frozen_string_literal: true

# check_compare.rb BENCH_DIR CI_BENCH — the regression check of
# `report.rb --compare OLD NEW --fail-on-regression P%` (and `ci/bench
# --compare`, which hands it on) on Google-Benchmark-shaped JSON made here:
# identical runs pass, a clean 30% slowdown over 9 repetitions fails naming
# the benchmark, a 30% slowdown lost in noise passes, a significant 5% one
# under a 10% threshold passes, 3 repetitions pass with a note saying nothing
# could be judged, bad input exits 2; and the Mann-Whitney U test's p-values
# against exact counts done another way.
require "json"
require "open3"
require "rbconfig"
require "tmpdir"

bench_dir, ci_bench = ARGV
abort "usage: check_compare.rb BENCH_DIR CI_BENCH" if bench_dir.nil? || ci_bench.nil?
require File.join(File.expand_path(bench_dir), "regression")
REPORT = File.join(bench_dir, "report.rb")
CI_BENCH = ci_bench
$problems = []

def check(what, ok, detail = nil)
  if ok
    puts "ok: #{what}"
  else
    $problems << what
    puts "FAILED: #{what}#{detail ? "\n#{detail.gsub(/^/, '    ')}" : ''}"
  end
end

# ---- the U test itself ------------------------------------------------------

def brute_force_p(xs, ys)
  ranks = MannWhitney.doubled_midranks(xs + ys)
  w = ranks.first(xs.size).sum
  sums = (0...ranks.size).to_a.combination(xs.size).map { |c| c.sum { |i| ranks[i] } }
  lo = sums.count { |s| s <= w }
  hi = sums.count { |s| s >= w }
  [1.0, 2.0 * [lo, hi].min / sums.size].min
end

close = ->(a, b, tol = 1e-12) { (a - b).abs <= tol }
check("3 + 3 fully apart: p = 0.1", close.call(MannWhitney.p_value([1, 2, 3], [4, 5, 6]), 0.1))
check("5 + 5 fully apart: p = 2/252", close.call(MannWhitney.p_value([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]), 2.0 / 252))
check("9 + 9 fully apart: p = 2/48620", close.call(MannWhitney.p_value((1..9).to_a, (10..18).to_a), 2.0 / 48_620))
check("identical samples: p = 1", MannWhitney.p_value([5.0] * 9, [5.0] * 9) == 1.0)
check("smallest p of 3 + 3 is 0.1, of 4 + 4 is 2/70",
      close.call(MannWhitney.smallest_p(3, 3), 0.1) && close.call(MannWhitney.smallest_p(4, 4), 2.0 / 70))
check("4 repetitions a side is the least that can reach p < 0.05", MannWhitney.repetitions_needed(0.05) == 4)
rng = Random.new(7)
tied = Array.new(20) do
  n1 = rng.rand(2..7)
  n2 = rng.rand(2..7)
  [Array.new(n1) { rng.rand(1..5) * 1.5 }, Array.new(n2) { rng.rand(2..6) * 1.5 }]
end
mismatch = tied.find { |xs, ys| !close.call(MannWhitney.p_value(xs, ys), brute_force_p(xs, ys), 1e-9) }
check("exact p with ties equals counting every split (20 random tied samples)", mismatch.nil?, mismatch.inspect)
# The normal approximation (used above 30 values) against the exact count
# on 15 + 15 values with ties.
xs = Array.new(15) { rng.rand(10..30) }
ys = Array.new(15) { rng.rand(14..34) }
ranks = MannWhitney.doubled_midranks(xs + ys)
w = ranks.first(15).sum
exact = MannWhitney.exact(ranks, 15, w)
normal = MannWhitney.normal(ranks, 15, 15, w)
check("normal approximation within 0.01 of exact at 15 + 15 (#{format('%.4f', normal)} vs #{format('%.4f', exact)})",
      (exact - normal).abs < 0.01)

# ---- Google Benchmark JSON --------------------------------------------------

# benchmarks: { run_name => { field => [value per repetition] } }; written
# as Google Benchmark does with --benchmark_repetitions: one "iteration"
# entry per repetition, then mean / median / stddev / cv aggregates.
def gbench_json(path, benchmarks, aggregates_only: false, errors: {})
  entries = []
  benchmarks.each_with_index do |(name, fields), family|
    n = fields.values.first.size
    reps = Array.new(n) do |i|
      figures = fields.transform_values { |v| v[i] }
      real = figures["real_time"] || (figures["p50_us"] ? figures["p50_us"] * 1000 : 1e9 / figures["items_per_second"])
      { "name" => name, "family_index" => family, "per_family_instance_index" => 0, "run_name" => name,
        "run_type" => "iteration", "repetitions" => n, "repetition_index" => i, "threads" => 1,
        "iterations" => 1000, "real_time" => real, "cpu_time" => real / 2, "time_unit" => "ns", **figures }
    end
    if errors[name]
      reps.each { |r| r.merge!("error_occurred" => true, "error_message" => errors[name]) }
    end
    entries.concat(reps) unless aggregates_only
    %w[mean median stddev cv].each do |agg|
      entries << reps.first.merge("name" => "#{name}_#{agg}", "run_type" => "aggregate", "aggregate_name" => agg)
                     .tap { |e| e.delete("repetition_index") }
    end
  end
  File.write(path, JSON.generate("context" => { "date" => "2026-01-01T00:00:00+00:00", "host_name" => "test",
                                                "num_cpus" => 2, "load_avg" => [0.1, 0.1, 0.1] },
                                 "benchmarks" => entries))
  path
end

# n values spread evenly over center × (1 ± rel), in a shuffled order.
def spread(center, rel, n = 9, seed: 1)
  Array.new(n) { |k| center * (1 + rel * (n == 1 ? 0 : 2.0 * k / (n - 1) - 1)) }.shuffle(random: Random.new(seed))
end

LATENCY = "BM_Bridge_RoundTrip/real_time"
BASELINE = "BM_CondVar_PingPong/real_time"
THROUGHPUT = "BM_Bridge_Throughput/real_time/threads:16"

def run_of(dir, name, latency: 10.0, throughput: 100_000.0, baseline: 20.0, rel: 0.01, n: 9, seed: 1, **opts)
  gbench_json(File.join(dir, "#{name}.json"),
              { BASELINE => { "p50_us" => spread(baseline, rel, n, seed: seed + 1) },
                LATENCY => { "p50_us" => spread(latency, rel, n, seed: seed) },
                THROUGHPUT => { "items_per_second" => spread(throughput, rel, n, seed: seed + 2),
                                "p50_us" => spread(160.0, rel, n, seed: seed + 3) } }, **opts)
end

def compare(*args, via: REPORT)
  cmd = via == REPORT ? [RbConfig.ruby, REPORT, "--compare", *args] : [via, "--compare", *args]
  out, err, status = Open3.capture3(*cmd)
  [out + err, status.exitstatus]
end

def summary(out) = out.lines.map(&:strip).reject(&:empty?).last.to_s

Dir.mktmpdir do |dir|
  base = run_of(dir, "base")

  out, rc = compare(base, base, "--fail-on-regression", "10%")
  check("identical runs: exit 0, OK", rc.zero? && summary(out).start_with?("OK:") &&
        out.scan("no significant change").size == 3, out)

  slow = run_of(dir, "slow30", latency: 13.0, seed: 5)
  out, rc = compare(base, slow, "--fail-on-regression", "10%")
  check("30% slower, 9 repetitions, 1% spread: exit 1 naming #{LATENCY}",
        rc == 1 && summary(out).start_with?("REGRESSION: 1 of 3") && summary(out).include?("BM_Bridge_RoundTrip") &&
        !summary(out).include?("CondVar") && out.include?("| BM_Bridge_RoundTrip | p50 µs | 10 | 13 | +30.0% |"), out)
  out, rc = compare(base, slow, "--fail-on-regression", "10%", via: CI_BENCH)
  check("the same through ci/bench --compare: exit 1", rc == 1 && summary(out).start_with?("REGRESSION"), out)

  noisy_old = gbench_json(File.join(dir, "noisy_old.json"),
                          { LATENCY => { "p50_us" => [5, 30, 8, 25, 12, 20, 6, 28, 10].map(&:to_f) } })
  noisy_new = gbench_json(File.join(dir, "noisy_new.json"),
                          { LATENCY => { "p50_us" => [4, 32, 9, 26, 15.6, 22, 7, 29, 11].map(&:to_f) } })
  out, rc = compare(noisy_old, noisy_new, "--fail-on-regression", "10%")
  check("30% slower median, samples overlapping: exit 0, no significant change",
        rc.zero? && out.include?("+30.0%") && out.include?("no significant change"), out)

  slow5 = run_of(dir, "slow5", latency: 10.5, rel: 0.005, seed: 9)
  base_tight = run_of(dir, "base_tight", rel: 0.005)
  out, rc = compare(base_tight, slow5, "--fail-on-regression", "10%")
  check("5% slower, significant, threshold 10%: exit 0, slower within 10%",
        rc.zero? && out.include?("slower, within 10%") && out.include?("4.1e-05"), out)
  out, rc = compare(base_tight, slow5, "--fail-on-regression", "3")
  check("the same with threshold 3: exit 1", rc == 1 && summary(out).include?("BM_Bridge_RoundTrip"), out)

  thr_down = run_of(dir, "thr_down", throughput: 70_000.0, seed: 11)
  thr_up = run_of(dir, "thr_up", throughput: 130_000.0, seed: 11)
  out, rc = compare(base, thr_down, "--fail-on-regression", "10%")
  check("30% fewer calls/s in a threads benchmark: exit 1, judged by calls/s",
        rc == 1 && summary(out).include?("BM_Bridge_Throughput/threads:16 (calls/s -30.0%"), out)
  out, rc = compare(base, thr_up, "--fail-on-regression", "10%")
  check("30% more calls/s: exit 0, improvement", rc.zero? && out.include?("| improvement |"), out)

  few_old = run_of(dir, "few_old", n: 3)
  few_new = run_of(dir, "few_new", latency: 13.0, n: 3)
  out, rc = compare(few_old, few_new, "--fail-on-regression", "10%")
  check("3 repetitions, 30% slower: exit 0, too few repetitions said",
        rc.zero? && out.include?("too few repetitions (3 + 3: p ≥ 0.100)") &&
        out.include?("Note: too few repetitions in 3 of 3") && summary(out).start_with?("NOT JUDGED"), out)
  aggregates = run_of(dir, "aggregates", latency: 13.0, aggregates_only: true)
  out, rc = compare(base, aggregates, "--fail-on-regression", "10%")
  check("a run with aggregates only: exit 0, too few repetitions, says why",
        rc.zero? && out.include?("--benchmark_report_aggregates_only"), out)
  errored = run_of(dir, "errored", latency: 13.0, errors: { LATENCY => "wrong reply" })
  out, rc = compare(base, errored, "--fail-on-regression", "10%")
  check("a benchmark that stopped with an error: not compared, its error in a note",
        rc.zero? && out.include?("not compared") && out.include?("(wrong reply)"), out)

  # A machine 1.5 times slower: every time up, every rate down, by 1.5.
  slower_machine = run_of(dir, "slower_machine", latency: 15.0, baseline: 30.0, throughput: 100_000 / 1.5, seed: 3)
  out, rc = compare(base, slower_machine, "--fail-on-regression", "10%")
  check("machine 1.5x slower: exit 1 without --normalize", rc == 1, out)
  out, rc = compare(base, slower_machine, "--fail-on-regression", "10%", "--normalize", "BM_CondVar_PingPong")
  check("machine 1.5x slower: exit 0 with --normalize BM_CondVar_PingPong",
        rc.zero? && summary(out).start_with?("OK:") && out.include?("the --normalize baseline (not judged)"), out)
  both = run_of(dir, "both", latency: 15.0 * 1.3, baseline: 30.0, throughput: 100_000 / 1.5, seed: 3)
  out, rc = compare(base, both, "--fail-on-regression", "10%", "--normalize", "BM_CondVar_PingPong")
  check("machine 1.5x slower and the round trip 30% more: exit 1 with --normalize, naming it",
        rc == 1 && summary(out).include?("BM_Bridge_RoundTrip (p50 µs ÷ baseline +30.0%"), out)

  # --latency-figure real_time: the same benchmarks judged by their mean
  # time per call (here the p50 did not move, the real time did).
  rt_old = gbench_json(File.join(dir, "rt_old.json"),
                       { LATENCY => { "p50_us" => [10.0] * 9, "real_time" => spread(10_000.0, 0.01) } })
  rt_new = gbench_json(File.join(dir, "rt_new.json"),
                       { LATENCY => { "p50_us" => [10.0] * 9, "real_time" => spread(13_000.0, 0.01, seed: 4) } })
  out, rc = compare(rt_old, rt_new, "--fail-on-regression", "10%")
  check("p50 unchanged, real time 30% up: exit 0 by p50", rc.zero? && out.include?("| p50 µs |"), out)
  out, rc = compare(rt_old, rt_new, "--fail-on-regression", "10%", "--latency-figure", "real_time")
  check("the same with --latency-figure real_time: exit 1",
        rc == 1 && summary(out).include?("BM_Bridge_RoundTrip (real time ns +30.0%"), out)

  out, rc = compare(base, slow)
  check("plain --compare: the side-by-side table, then the U test, exit 0",
        rc.zero? && out.include?("Means ± standard deviation") && out.include?("change(s) beyond noise") &&
        out.include?("| slower |"), out)

  # Usage errors: exit 2 with a message.
  not_json = File.join(dir, "not.json").tap { |f| File.write(f, "Benchmark  Time  CPU\n") }
  not_gb = File.join(dir, "not_gb.json").tap { |f| File.write(f, '{"results": []}') }
  other = gbench_json(File.join(dir, "other.json"), { "BM_Other/real_time" => { "real_time" => spread(5.0, 0.01) } })
  {
    "a missing file" => [[File.join(dir, "missing.json"), base, "--fail-on-regression", "10%"], /no such file/],
    "a file that is not JSON" => [[not_json, base, "--fail-on-regression", "10%"], /not\.json: not JSON/],
    "JSON that is not Google Benchmark's" => [[base, not_gb, "--fail-on-regression", "10%"],
                                              /not_gb\.json: not Google Benchmark JSON/],
    "no benchmark in common" => [[base, other, "--fail-on-regression", "10%"], /no benchmark is in both/],
    "a bad percentage (ten)" => [[base, slow, "--fail-on-regression", "ten"], /expected a percentage/],
    "a bad percentage (-5%)" => [[base, slow, "--fail-on-regression=-5%"], /expected a percentage/],
    "a bad --alpha" => [[base, slow, "--fail-on-regression", "10%", "--alpha", "1.5"], /--alpha 1\.5/],
    "--normalize naming no benchmark" => [[base, slow, "--normalize", "BM_Nope"], /--normalize BM_Nope: not in/],
    "--normalize to a benchmark that stopped with an error" =>
      [[base, run_of(dir, "errored_baseline", errors: { BASELINE => "wrong reply" }), "--normalize",
        "BM_CondVar_PingPong"], /no repetition of it without an error/],
    "a bad --latency-figure" => [[base, slow, "--latency-figure", "p50 us"], /--latency-figure p50 us/],
    "one file" => [[base, "--fail-on-regression", "10%"], /takes OLD\.json NEW\.json/]
  }.each do |what, (args, message)|
    out, rc = compare(*args)
    check("#{what}: exit 2 with a message", rc == 2 && out.match?(message), "exit #{rc}\n#{out}")
  end
  out, rc = compare(base, via: CI_BENCH)
  check("ci/bench --compare with one file: exit 2", rc == 2 && out.include?("--compare takes"), out)
end

abort "check_compare: #{$problems.size} problem(s)" unless $problems.empty?
puts "check_compare: all passed"
