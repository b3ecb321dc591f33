# frozen_string_literal: true

# report.rb — turns handoff-bench JSON into the Markdown report ci/bench
# writes, with its pictures (gnuplot), or compares two runs.
#
#   ruby bench/report.rb --unpinned U.json [--pinned P.json] [--trimless T.json]
#                        [--ruby LABEL=R.json]... --out DIR
#       DIR/report.md, DIR/latency.{svg,png}, DIR/throughput.{svg,png};
#       each --ruby adds a row to the "Per Ruby" table (a run of the same
#       benchmarks built against another Ruby: ci/bench --ruby)
#   ruby bench/report.rb --compare OLD.json NEW.json [--alpha A] [--normalize BENCHMARK]
#       a Markdown table of both runs side by side on stdout; a change is
#       flagged when it is beyond noise: over 5% and over twice the two
#       runs' standard deviations added (needs --benchmark_repetitions >= 2);
#       then each benchmark's Mann-Whitney U test (regression.rb)
#   ruby bench/report.rb --compare OLD.json NEW.json --fail-on-regression P% [--alpha A]
#                        [--normalize BENCHMARK] [--latency-figure FIELD]
#       the U test's table alone, and exit 1 when a benchmark in both runs is
#       slower by more than P% (medians) with p < A (default 0.05); 0
#       otherwise, 2 on a usage error or a file that is not Google Benchmark
#       JSON (regression.rb says which figure each benchmark is judged by)
#
# Every figure is the median over the run's repetitions. Figures from one
# run are compared only with figures from the same run (ratios): absolute
# numbers on a shared 2-vCPU VM swing from run to run.
require "json"
require "optparse"
require_relative "regression"

# A file or an option report.rb cannot use (exit status 2).
class BadInput < StandardError; end

# One handoff-bench JSON file: per run name, the median (or only) figures.
class BenchRun
  attr_reader :context, :file

  def initialize(file)
    @file = file
    json = begin
      JSON.parse(File.read(file), allow_nan: true)
    rescue JSON::ParserError => e
      raise BadInput, "#{file}: not JSON (#{e.message.lines.first.strip[0, 80]})"
    end
    unless json.is_a?(Hash) && json["context"].is_a?(Hash) && json["benchmarks"].is_a?(Array) &&
           json["benchmarks"].all? { |b| b.is_a?(Hash) && b["name"].is_a?(String) }
      raise BadInput, "#{file}: not Google Benchmark JSON (--benchmark_out=FILE --benchmark_out_format=json " \
                      "writes it: a \"context\" and a \"benchmarks\" list)"
    end
    @context = json["context"]
    @rows = Hash.new { |h, k| h[k] = {} }
    samples = Hash.new { |h, k| h[k] = [] }
    order = []
    json["benchmarks"].each do |b|
      run_name = b["run_name"] || b["name"]
      order << run_name
      if b["run_type"] == "aggregate"
        @rows[run_name][b["aggregate_name"]] = b
      else
        samples[run_name] << b
      end
    end
    samples.each { |name, runs| @rows[name]["only"] = runs.first if runs.size == 1 }
    @samples = samples
    @names = order.uniq
  end

  def names = @names

  # The entries of each repetition of `name` (run_type "iteration") that did
  # not stop with an error, and the error messages of those that did.
  def repetitions(name) = @samples.fetch(name, []).reject { |b| b["error_occurred"] }
  def errors(name) = @samples.fetch(name, []).select { |b| b["error_occurred"] }.map { |b| b["error_message"] || "error" }

  # The median of `field` over repetitions (or the single run), or nil.
  def figure(name, field)
    row = @rows[name]
    b = row["median"] || row["only"]
    return nil if b.nil? || b["error_occurred"]

    field == :ns_per_call ? b["real_time"] : b[field]
  end

  # Mean and standard deviation of `field` over the repetitions.
  def spread(name, field)
    values = @samples[name].reject { |b| b["error_occurred"] }.map { |b| b[field] }.compact
    return nil if values.empty?

    mean = values.sum / values.size
    sd = values.size > 1 ? Math.sqrt(values.sum { |v| (v - mean)**2 } / (values.size - 1)) : nil
    [mean, sd, values.size]
  end

  def describe
    "#{@context['host_name']}, #{@context['num_cpus']} CPUs, #{@context['date']}, " \
      "load #{(@context['load_avg'] || []).map { |l| l.round(2) }.join(' / ')}"
  end
end

# The targets a run benchmarked, in its order, as "Bridge" => "bridge": each
# BM_<Target>_RoundTrip in it. handoff-bench's default targets are those
# added with BENCHMARK (cmake/HandoffTargets.cmake); the report draws what
# the run holds, so a target added there needs nothing here.
def targets_in(run)
  run.names.filter_map { |n| n[%r{\ABM_([A-Z]\w*?)_RoundTrip/}, 1] }.uniq.to_h { |t| [t, t.downcase] }
end

# The unpinned run's targets (set by `report`).
def targets = @targets
# The target whose goals the report judges, and the one it is measured
# against, as [prefix, label] ("Bridge", "bridge"): what handoff-bench wrote
# into the run's context (handoff_add_target's BENCHMARK_ROLE in CMake), or
# nil for a run without them.
def goal = @goal
def reference = @reference
def role_in(run, key)
  label = run.context[key]
  prefix = targets.key(label)
  prefix && [prefix, label]
end
THREADS = [1, 2, 4, 8, 16, 64].freeze
BASELINES = {
  "direct call (GVL held)" => "BM_Direct_Call/manual_time",
  "Ruby thread, rb_thread_call_with_gvl" => "BM_RubyThread_CallWithGvl/manual_time",
  "spin ping-pong" => "BM_Spin_PingPong/real_time",
  "condvar ping-pong" => "BM_CondVar_PingPong/real_time"
}.freeze

def round_trip(target) = "BM_#{target}_RoundTrip/real_time"
def throughput(target, threads) = "BM_#{target}_Throughput/real_time/threads:#{threads}"
# The throughput floor: one C++ server thread answering condvar clients, no Ruby.
SERVER = "condvar server (no Ruby)"
def server(threads) = "BM_CondVar_Server/real_time/threads:#{threads}"
# Each throughput row and line: its label and its benchmark name by threads.
def throughput_named = targets.map { |t, label| [label, ->(n) { throughput(t, n) }] } + [[SERVER, method(:server)]]

def us(value) = value.nil? ? "–" : format(value < 10 ? "%.2f" : "%.1f", value)
def ratio(a, b)
  return "–" if a.nil? || b.nil? || b.zero?

  r = a / b
  r >= 100 ? format("%.0f×", r) : format(r >= 1 ? "%.2f×" : "%.2g×", r)
end

def rate(value)
  return "–" if value.nil?
  return format("%.1fM", value / 1e6) if value >= 1e6
  return format("%.1fk", value / 1e3) if value >= 1e3

  format("%.0f", value)
end

def table(header, rows)
  lines = ["| #{header.join(' | ')} |", "|#{header.map { '---' }.join('|')}|"]
  lines + rows.map { |r| "| #{r.join(' | ')} |" }
end

# ---- the report -----------------------------------------------------------

def latency_section(u, p)
  condvar_u = u.figure(BASELINES["condvar ping-pong"], "p50_us")
  direct_u = u.figure(BASELINES["direct call (GVL held)"], "p50_us")
  condvar_p = p&.figure(BASELINES["condvar ping-pong"], "p50_us")
  rows = BASELINES.map { |label, name| [label, name] } +
         targets.map { |t, label| ["**#{label}**", round_trip(t)] }
  rows = rows.map do |label, name|
    p50 = u.figure(name, "p50_us")
    pinned = p&.figure(name, "p50_us")
    [label, us(p50), us(u.figure(name, "p90_us")), us(u.figure(name, "p99_us")),
     us(u.figure(name, "p999_us")), us(u.figure(name, "p9999_us")), us(pinned), ratio(p50, condvar_u), ratio(pinned, condvar_p),
     ratio(p50, direct_u)]
  end
  ["## Round trip: one foreign thread, trivial block, 8-byte payload", "",
   "Latency in µs (merged histogram, bucket upper edges, ~3%). Ratios are p50 ÷ p50 " \
   "of the same run.", "",
   *table(["", "p50", "p90", "p99", "p99.9", "p99.99", "p50 pinned", "÷ condvar", "÷ condvar pinned",
           "÷ direct call"], rows), ""]
end

def throughput_section(u, p)
  rows = throughput_named.map do |name, bm|
    [name, *THREADS.map { |n| rate(u.figure(bm.call(n), "items_per_second")) },
     rate(p&.figure(bm.call(16), "items_per_second")),
     ratio(u.figure(bm.call(16), "items_per_second"),
           reference && u.figure(throughput(reference[0], 16), "items_per_second"))]
  end
  ["## Throughput: calls/s against foreign threads (trivial block)", "",
   "The last row is the floor: the same calls answered by one C++ thread over " \
   "mutex + condvar, no Ruby at all (`BM_CondVar_Server`).", "",
   *table(["target", *THREADS.map { |n| "#{n} thr" }, "16 thr pinned", "16 thr ÷ #{reference&.last || '–'}"], rows), ""]
end

def payload_section(u)
  sizes = [8, 1024, 65_536, 1_048_576]
  rows = targets.map do |t, name|
    [name, *sizes.map { |s| us(u.figure("BM_#{t}_Payload/#{s}/real_time", "p50_us")) },
     *[1, 16].map { |n| rate(u.figure("BM_#{t}_RubyWork/real_time/threads:#{n}", "items_per_second")) }]
  end
  ["## Payload size and real Ruby work", "",
   "Round-trip p50 in µs by payload (the block echoes it); calls/s of a block that " \
   "builds and sums a 32-entry Hash.", "",
   *table(["target", "8 B", "1 KiB", "64 KiB", "1 MiB", "work, 1 thr", "work, 16 thr"], rows), ""]
end

# One row per Ruby: the unpinned run (the system Ruby) and each --ruby run.
def ruby_section(u, rubies)
  return [] if rubies.empty? || goal.nil? || reference.nil?

  (g, gl), (r, rl) = goal, reference
  runs = [["#{RUBY_VERSION} (this run, system)", u]] + rubies.map { |label, file| [label, BenchRun.new(file)] }
  rows = runs.map do |label, run|
    ours = run.figure(round_trip(g), "p50_us")
    condvar = run.figure(BASELINES["condvar ping-pong"], "p50_us")
    ours16 = run.figure(throughput(g, 16), "items_per_second")
    theirs16 = run.figure(throughput(r, 16), "items_per_second")
    [label, *targets.keys.map { |t| us(run.figure(round_trip(t), "p50_us")) },
     us(run.figure(BASELINES["direct call (GVL held)"], "p50_us")), us(condvar), ratio(ours, condvar),
     rate(run.figure(throughput(g, 1), "items_per_second")), rate(ours16), rate(theirs16), ratio(ours16, theirs16)]
  end
  ["## Per Ruby: the same benchmarks built against each Ruby (unpinned)", "",
   "Round trip p50 in µs; throughput in calls/s. Each row is its own run (its own " \
   "condvar baseline); rows marked M:N ran with `RUBY_MN_THREADS=1`.", "",
   *table(["Ruby", *targets.values.map { |t| "#{t} p50" }, "direct call p50", "condvar p50",
           "#{gl} ÷ condvar", "#{gl} 1 thr", "#{gl} 16 thr", "#{rl} 16 thr", "#{gl} ÷ #{rl} 16 thr"], rows), ""]
end

# The goal target's goals, each a ratio to what the same run measured.
def goals_section(u, p, trimless)
  return ["## Goals", "", "The run names no goal target (handoff-bench's context).", ""] if goal.nil?

  ["## #{goal.last} against its goals", "", *round_trip_goal(u, p), *throughput_goal(u, p),
   *post_goal(u, p), *payload_goal(u, p, trimless), *memory_goal(u), ""]
end

# Round trip p50 at most condvar ping-pong's: a caller waits no longer for
# the block than one thread waits for another to answer it, Ruby or not.
def round_trip_goal(u, p)
  [["unpinned", u], ["pinned to CPU 0", p]].filter_map do |label, run|
    next if run.nil?

    ours = run.figure(round_trip(goal[0]), "p50_us")
    floor = run.figure(BASELINES["condvar ping-pong"], "p50_us")
    next "- #{label}: round trip not measured" if ours.nil? || floor.nil?

    "- #{label}: 1-thread round trip p50 #{us(ours)} µs vs condvar ping-pong #{us(floor)} µs = " \
      "#{ratio(ours, floor)} (goal ≤ 1×: #{ours <= floor ? 'met' : '**missed**'})"
  end
end

# 16-thread throughput at least 1.5 times the floor: one C++ thread
# answering the same callers over a mutex and condvars, no Ruby at all.
THROUGHPUT_GOAL = 1.5
def throughput_goal(u, p)
  gl = goal.last
  [["unpinned", u], ["pinned to CPU 0", p]].flat_map do |label, run|
    b = run&.figure(throughput(goal[0], 16), "items_per_second")
    floor = run&.figure(server(16), "items_per_second")
    next [] if b.nil? || floor.nil?

    met = b >= THROUGHPUT_GOAL * floor ? "met" : "**missed**"
    lines = ["- #{label}: 16-thread throughput #{gl} #{rate(b)}/s vs the floor (#{SERVER}) " \
             "#{rate(floor)}/s = #{ratio(b, floor)} (goal ≥ #{THROUGHPUT_GOAL}×: #{met})"]
    f = reference && run.figure(throughput(reference[0], 16), "items_per_second")
    lines << "  - #{reference.last}: #{rate(f)}/s; #{gl} does #{ratio(b, f)} of it" unless f.nil?
    lines
  end
end

# Fire-and-forget posts: at least a million accepted per second from 16
# threads (a trivial block; the bridge's default policy, block, waits for
# room, so what is accepted is also run), and how long a post waits to run.
POST_GOAL = 1_000_000
def post_goal(u, p)
  g = goal[0]
  [["unpinned", u], ["pinned to CPU 0", p]].flat_map do |label, run|
    rate16 = run&.figure("BM_#{g}_Post/real_time/threads:16", "items_per_second")
    next [] if rate16.nil?

    rate1 = run.figure("BM_#{g}_Post/real_time/threads:1", "items_per_second")
    wait = %w[p50_us p99_us].map { |f| run.figure("BM_#{g}_PostToRun/real_time", f) }
    ["- #{label}: posts accepted #{rate(rate16)}/s from 16 threads, #{rate(rate1)}/s from 1 " \
     "(goal ≥ #{rate(POST_GOAL)}/s from 16: #{rate16 >= POST_GOAL ? 'met' : '**missed**'}); " \
     "a post runs #{us(wait[0])} µs after it is made (p50), #{us(wait[1])} µs (p99)"]
  end
end

# A 64 KiB and a 1 MiB round trip within 2 × the cost of copying the bytes
# twice (each copy measured in the same run, BM_Copy); what the payload adds
# to an 8 B round trip is given beside it.
PAYLOAD_SIZES = { "64 KiB" => 65_536, "1 MiB" => 1_048_576 }.freeze
def payload_goal(u, p, trimless)
  [["unpinned", u], ["pinned to CPU 0", p], ["unpinned, glibc.malloc.trim_threshold=64 MiB", trimless]]
    .flat_map { |label, run| run.nil? ? [] : payload_lines(label, run, u) }
end

def payload_lines(label, run, u)
  g = goal[0]
  small = run.figure("BM_#{g}_Payload/8/real_time", "p50_us")
  PAYLOAD_SIZES.filter_map do |size_label, size|
    large = run.figure("BM_#{g}_Payload/#{size}/real_time", "p50_us")
    copy = run.figure("BM_Copy/#{size}/real_time", "p50_us") || u.figure("BM_Copy/#{size}/real_time", "p50_us")
    next if large.nil? || copy.nil?

    limit = 2 * 2 * copy
    added = small.nil? ? "" : " (#{us(large - small)} µs more than 8 B)"
    "- #{label}: #{size_label} round trip p50 #{us(large)} µs#{added} vs 2 × 2 copies of " \
      "#{us(copy)} µs = #{us(limit)} µs: #{large <= limit ? 'met' : '**missed**'}"
  end
end

# Resident memory over the memory benchmark's calls.
def memory_goal(u)
  name = u.names.find { |n| n.start_with?("BM_#{goal[0]}_Memory/") }
  early = name && u.figure(name, "rss_at_10pct_kb")
  return [] if early.nil?

  last = u.figure(name, "rss_end_kb")
  calls = u.figure(name, "iterations")
  ["- resident memory over #{calls ? calls.round : '?'} #{goal.last} calls (16 threads): " \
   "#{(early / 1024).round(1)} MiB at 10%, #{(last / 1024).round(1)} MiB at the end " \
   "(#{(last - early).round} KiB growth)"]
end

PERCENTILES = { "p50" => ["p50_us", 0.5], "p90" => ["p90_us", 0.9], "p99" => ["p99_us", 0.99],
                "p99.9" => ["p999_us", 0.999], "p99.99" => ["p9999_us", 0.9999] }.freeze

# One line of a picture: its title, colour, width, whether pinned, its points.
Series = Struct.new(:title, :colour, :width, :pinned, :points)

# A colour per series, kept between pictures; the targets drawn twice as wide
# as the baselines they are measured against.
COLOURS = { "direct call (GVL held)" => "#7f7f7f", "Ruby thread, rb_thread_call_with_gvl" => "#17becf",
            "spin ping-pong" => "#bcbd22", "condvar ping-pong" => "#8c564b",
            SERVER => "#9467bd" }.freeze
# The targets' colours, in the run's order of targets.
TARGET_COLOURS = %w[#d62728 #1f77b4 #2ca02c #ff7f0e #e377c2 #393b79 #637939 #8c6d31 #843c39].freeze
def colour(label)
  COLOURS.fetch(label) { TARGET_COLOURS[targets.values.index(label).to_i % TARGET_COLOURS.size] }
end
# Legend names where the table's are too long for a picture's key.
SHORT = { "direct call (GVL held)" => "direct call", "Ruby thread, rb_thread_call_with_gvl" => "call_with_gvl",
          SERVER => "condvar server" }.freeze

def series(label, runs)
  runs.filter_map do |run, pinned, points|
    next if run.nil? || points.none? { |_, v| v }

    Series.new(SHORT.fetch(label, label), colour(label), targets.value?(label) ? 2 : 1, pinned, points)
  end
end

# Per baseline and target, unpinned and pinned: µs at each percentile, with
# x = 1 / (1 - percentile), so a log axis spreads p50 .. p99.99 evenly.
def latency_series(u, p)
  named = BASELINES.to_a + targets.map { |t, label| [label, round_trip(t)] }
  named.flat_map do |label, name|
    points = ->(run) { PERCENTILES.values.map { |field, q| [1 / (1 - q), run&.figure(name, field)] } }
    series(label, [[u, false, points.call(u)], [p, true, points.call(p)]])
  end
end

# Per target, unpinned and pinned: calls/s at each thread count.
def throughput_series(u, p)
  throughput_named.flat_map do |label, bm|
    points = ->(run) { THREADS.map { |n| [n, run&.figure(bm.call(n), "items_per_second")] } }
    series(label, [[u, false, points.call(u)], [p, true, points.call(p)]])
  end
end

# Inline data ('$name << EOD') and one plot clause per series. Each series
# keeps its colour; pinned to one CPU it is dashed (dt 2) with open points,
# unpinned solid with filled ones.
def gnuplot_plot(prefix, series)
  blocks = series.each_with_index.map do |s, k|
    rows = s.points.map { |x, y| "#{format('%.6g', x)} #{y || 'NaN'}" }
    ["$#{prefix}#{k} << EOD", *rows, "EOD"].join("\n")
  end
  clauses = series.each_with_index.map do |s, k|
    title = s.pinned ? "#{s.title}, pinned" : s.title
    "$#{prefix}#{k} using 1:2 lc rgb \"#{s.colour}\" lw #{s.width} dt #{s.pinned ? 2 : 1} " \
      "pt #{s.pinned ? 6 : 7} title \"#{title}\""
  end
  [blocks.join("\n"), "plot #{clauses.join(', ')}"]
end

# Both terminals draw dash types (SVG, and cairo's png: gnuplot's libgd png
# draws every line solid, which is how the pinned series once lost their
# dashes).
def plot(out, u, p)
  latency_data, latency_plot = gnuplot_plot("lat", latency_series(u, p))
  throughput_data, throughput_plot = gnuplot_plot("thr", throughput_series(u, p))
  legend = p ? " (solid: unpinned, dashed: pinned to one CPU)" : ""
  script = <<~GNUPLOT
    set datafile missing "NaN"
    set key outside below center horizontal maxrows 5 samplen 3
    set grid
    set style data linespoints
    #{latency_data}
    #{throughput_data}
    do for [fmt in "svg png"] {
      if (fmt eq "svg") { set terminal svg size 900,640 font "sans,12" dashed noenhanced } else { set terminal pngcairo size 900,640 dashed noenhanced }
      set output "latency.".fmt
      set title "Round-trip latency, one foreign thread, trivial block#{legend}"
      set ylabel "µs (log)"; set logscale y; set xlabel "percentile"; set logscale x; set xrange [1.5:15000]
      set xtics ("p50" 2, "p90" 10, "p99" 100, "p99.9" 1000, "p99.99" 10000)
      #{latency_plot}
      set output "throughput.".fmt
      set title "Throughput against foreign threads#{legend}"
      set ylabel "calls/s (log)"; set xlabel "foreign threads (log)"; set logscale x 2; set xtics auto; set autoscale x
      #{throughput_plot}
    }
  GNUPLOT
  File.write(File.join(out, "plots.gp"), script)
  return warn("report.rb: gnuplot not found (apt-get install gnuplot-nox); no pictures") unless system("command -v gnuplot >/dev/null")

  ok = Dir.chdir(out) { system("gnuplot", "plots.gp") }
  warn "report.rb: gnuplot failed; see #{out}/plots.gp" unless ok
  ok
end

def report(unpinned, pinned, out, commands, rubies = [], trimless = nil)
  u = BenchRun.new(unpinned)
  p = pinned && BenchRun.new(pinned)
  t = trimless && BenchRun.new(trimless)
  @targets = targets_in(u)
  @goal = role_in(u, "handoff_goal_target")
  @reference = role_in(u, "handoff_reference_target")
  Dir.mkdir(out) unless Dir.exist?(out)
  pictures = plot(out, u, p)
  md = ["# handoff benchmark report", "",
        "Release build (g++ 12, -O3). Unpinned: #{u.describe}." +
          (p ? " Pinned (`taskset -c 0`): #{p.describe}." : ""), "",
        "Commands:", "", *commands.map { |c| "    #{c}" }, "",
        *latency_section(u, p), *throughput_section(u, p), *payload_section(u), *goals_section(u, p, t),
        *ruby_section(u, rubies)]
  if pictures
    md += ["## Pictures", "", "![Round-trip latency](latency.svg)", "",
           "![Throughput](throughput.svg)", "",
           "(PNG copies: latency.png, throughput.png)", ""]
  end
  File.write(File.join(out, "report.md"), md.join("\n"))
  puts md.join("\n")
end

# ---- comparing two runs ---------------------------------------------------

FIELDS = { "p50_us" => "p50 µs", "items_per_second" => "calls/s" }.freeze

def compare(old_file, new_file, options)
  a = BenchRun.new(old_file)
  b = BenchRun.new(new_file)
  check = begin
    RegressionCheck.new(a, b, alpha: options[:alpha], threshold: options[:threshold],
                              normalize: options[:normalize], latency: options[:latency] || "p50_us")
  rescue ArgumentError => e
    raise BadInput, e.message
  end
  puts "# handoff-bench: #{old_file} → #{new_file}", ""
  # --fail-on-regression: the test's table alone (a CI log's verdict).
  return finish_regression_check(check) if options[:threshold]

  rows = []
  flagged = 0
  (a.names & b.names).sort.each do |name|
    FIELDS.each do |field, label|
      x = a.spread(name, field)
      y = b.spread(name, field)
      next if x.nil? || y.nil? || x[0].zero?

      change = (y[0] - x[0]) / x[0]
      noise = x[1] && y[1] ? 2 * (x[1] + y[1]) : nil
      beyond = noise && change.abs > 0.05 && (y[0] - x[0]).abs > noise
      flagged += 1 if beyond
      fmt = ->(s) { s[1] ? format("%.4g ± %.2g", s[0], s[1]) : format("%.4g", s[0]) }
      rows << [name.sub(%r{/real_time|/manual_time}, ""), label, fmt.call(x), fmt.call(y),
               format("%+.1f%%", 100 * change), noise.nil? ? "noise unknown" : (beyond ? "**changed**" : "")]
    end
  end
  puts "Means ± standard deviation over repetitions. Flagged: over 5% and over " \
       "2 × (sd old + sd new).", ""
  puts table(%w[benchmark figure old new change flag], rows)
  puts "", "#{flagged} change(s) beyond noise in #{rows.size} figures.", ""
  puts "## Significance (Mann-Whitney U)", ""
  puts check.lines
  0
end

# The verdict: 1 when a benchmark regressed (significant and over the
# threshold), else 0.
def finish_regression_check(check)
  puts check.lines
  check.regressions.empty? ? 0 : 1
end

# ---- command line ---------------------------------------------------------

options = { commands: [], rubies: [], alpha: 0.05 }
parser = OptionParser.new do |o|
  o.banner = "usage: report.rb --unpinned U.json [--pinned P.json] --out DIR\n" \
             "       report.rb --compare OLD.json NEW.json [--fail-on-regression P%] [--alpha A] " \
             "[--normalize BENCHMARK] [--latency-figure FIELD]"
  o.on("--unpinned FILE") { |v| options[:unpinned] = v }
  o.on("--pinned FILE") { |v| options[:pinned] = v }
  o.on("--out DIR") { |v| options[:out] = v }
  o.on("--ruby LABEL=FILE", "a run against another Ruby (repeatable)") do |v|
    label, file = v.split("=", 2)
    raise OptionParser::InvalidArgument, "--ruby #{v}: expected LABEL=FILE" if label.to_s.empty? || file.to_s.empty?

    options[:rubies] << [label, file]
  end
  o.on("--trimless FILE", "the payload run with glibc's heap trimming off (ci/bench)") { |v| options[:trimless] = v }
  o.on("--command TEXT", "a command line to show in the report (repeatable)") { |v| options[:commands] << v }
  o.on("--compare", "compare two JSON files given as arguments") { options[:compare] = true }
  o.on("--fail-on-regression PERCENT", "with --compare: exit 1 when a benchmark is significantly slower " \
                                       "by more than PERCENT (e.g. 10%)") do |v|
    m = v.match(/\A(\d+(?:\.\d+)?)%?\z/)
    raise BadInput, "--fail-on-regression #{v}: expected a percentage such as 10%" if m.nil?

    options[:threshold] = m[1].to_f / 100
  end
  o.on("--alpha A", "with --compare: significance level of the U test (default 0.05)") do |v|
    a = Float(v, exception: false)
    raise BadInput, "--alpha #{v}: expected a number between 0 and 1, e.g. 0.05" \
      unless a&.positive? && a < 1

    options[:alpha] = a
  end
  o.on("--latency-figure FIELD", "with --compare: judge benchmarks without threads by FIELD " \
                                 "(default p50_us; real_time, p90_us, ...)") do |v|
    raise BadInput, "--latency-figure #{v}: expected a field name such as p50_us or real_time" \
      unless v.match?(/\A[a-z][a-z0-9_]*\z/)

    options[:latency] = v
  end
  o.on("--normalize BENCHMARK", "with --compare: divide each run's figures by this benchmark's, " \
                                "measured in the same run (e.g. BM_CondVar_PingPong)") { |v| options[:normalize] = v }
end
begin
  args = parser.parse(ARGV)
  if options[:compare]
    raise OptionParser::InvalidArgument, "--compare takes OLD.json NEW.json" unless args.size == 2

    args.each { |f| raise OptionParser::InvalidArgument, "#{f}: no such file" unless File.file?(f) }
    exit compare(*args, options)
  else
    if options[:threshold] || options[:normalize]
      raise OptionParser::InvalidArgument, "--fail-on-regression and --normalize go with --compare"
    end
    raise OptionParser::MissingArgument, "--unpinned and --out" unless options[:unpinned] && options[:out]

    [options[:unpinned], options[:pinned], options[:trimless], *options[:rubies].map(&:last)].compact.each do |f|
      raise OptionParser::InvalidArgument, "#{f}: no such file" unless File.file?(f)
    end
    report(options[:unpinned], options[:pinned], options[:out], options[:commands], options[:rubies],
           options[:trimless])
  end
rescue OptionParser::ParseError, BadInput, JSON::ParserError, KeyError => e
  warn "report.rb: #{e.message}\n#{parser.banner}"
  exit 2
end
