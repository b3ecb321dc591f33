# frozen_string_literal: true

# regression.rb — the statistical half of `report.rb --compare`: for each
# benchmark in both runs, its figure's values over the repetitions of the old
# run against those of the new one, a two-sided Mann-Whitney U test, and a
# verdict. `report.rb --compare OLD NEW --fail-on-regression P%` exits 1 only
# when a benchmark is slower by more than P% (median against median) and the
# test says the difference is significant (p < --alpha, default 0.05).
#
# The figure, per benchmark (the same rule for both runs):
#   - a benchmark with threads (".../threads:N") that reports items_per_second:
#     calls/s, higher is better (throughput);
#   - otherwise one that reports the p50_us counter: its round-trip p50 in µs,
#     lower is better (latency; --latency-figure real_time judges these by
#     the mean time per call instead, or p99_us ... by another counter);
#   - otherwise real_time in ns, lower is better (any Google Benchmark).
# Only the per-repetition entries count (run_type "iteration"): the
# aggregates (mean, median, stddev, cv) are one figure per run, not samples.
#
# Ruby's standard library only.

# A two-sided Mann-Whitney U test (Wilcoxon rank-sum), ties given midranks.
module MannWhitney
  # Up to this many values in both samples together, p is exact: the
  # statistic's distribution over every way of splitting the pooled ranks
  # (ties included) is counted. Above it, the normal approximation with the
  # tie correction and a continuity correction.
  EXACT_MAX = 30

  module_function

  # The two-sided p-value of the hypothesis that xs and ys come from one
  # distribution.
  def p_value(xs, ys)
    n1 = xs.size
    n2 = ys.size
    raise ArgumentError, "both samples need values" if n1.zero? || n2.zero?

    ranks = doubled_midranks(xs + ys)
    w = ranks.first(n1).sum
    n1 + n2 <= EXACT_MAX ? exact(ranks, n1, w) : normal(ranks, n1, n2, w)
  end

  # Each value's rank in the pooled sample, tied values sharing the mean of
  # their ranks, doubled so that every one is an integer.
  def doubled_midranks(values)
    order = values.each_index.sort_by { |i| values[i] }
    ranks = Array.new(values.size)
    i = 0
    while i < order.size
      j = i
      j += 1 while j + 1 < order.size && values[order[j + 1]] == values[order[i]]
      (i..j).each { |k| ranks[order[k]] = i + j + 2 } # ranks i+1 .. j+1, doubled mean
      i = j + 1
    end
    ranks
  end

  # Exact: how many of the C(N, n1) subsets of the pooled (doubled) ranks sum
  # to at most / at least the first sample's w; twice the smaller tail.
  def exact(ranks, n1, w)
    max = ranks.sum
    ways = Array.new(n1 + 1) { Array.new(max + 1, 0) } # ways[k][s]: k ranks summing to s
    ways[0][0] = 1
    reach = 0
    ranks.each_with_index do |r, i|
      [i + 1, n1].min.downto(1) do |k|
        from = ways[k - 1]
        to = ways[k]
        reach.downto(0) { |s| to[s + r] += from[s] unless from[s].zero? }
      end
      reach += r
    end
    counts = ways[n1]
    total = counts.sum
    [1.0, 2.0 * [counts[0..w].sum, counts[w..].sum].min / total].min
  end

  def normal(ranks, n1, n2, w)
    n = n1 + n2
    u = w / 2.0 - n1 * (n1 + 1) / 2.0
    ties = ranks.tally.values.sum { |t| t**3 - t }
    variance = n1 * n2 / 12.0 * ((n + 1) - ties.to_f / (n * (n - 1)))
    return 1.0 if variance <= 0 # every value the same

    z = [(u - n1 * n2 / 2.0).abs - 0.5, 0].max / Math.sqrt(variance)
    [1.0, Math.erfc(z / Math.sqrt(2))].min
  end

  # The smallest two-sided p any n1 + n2 values can give (no ties, the two
  # samples fully apart): 2 / C(n1 + n2, n1). With 3 + 3 it is 0.1.
  def smallest_p(n1, n2)
    return 1.0 if n1.zero? || n2.zero?

    [1.0, 2.0 / binomial(n1 + n2, n1)].min
  end

  # The fewest repetitions a side (the same in both runs) with which p can
  # fall below alpha at all.
  def repetitions_needed(alpha)
    (1..100).find { |n| smallest_p(n, n) < alpha } || 100
  end

  def binomial(n, k) = (1..k).reduce(1) { |c, i| c * (n - k + i) / i }
end

# The comparison of two runs, benchmark by benchmark.
class RegressionCheck
  Metric = Struct.new(:field, :label, :higher_is_better)
  Row = Struct.new(:name, :metric, :old_median, :new_median, :change, :p, :kind, :note, :thin, :errors,
                   keyword_init: true)

  NS_PER = { "ns" => 1.0, "us" => 1e3, "ms" => 1e6, "s" => 1e9 }.freeze
  # Fewer repetitions than this a side: the test detects only large, clean shifts.
  ADVISED_REPETITIONS = 9

  attr_reader :rows, :only_old, :only_new

  # old_run, new_run: BenchRun. threshold: a fraction (0.1 for 10%), or nil
  # for the plain --compare (every significant change is named).
  # normalize: a benchmark name (or its prefix before "/") measured in both
  # runs that every figure is divided by, run by run.
  # latency: the field the benchmarks without threads are judged by when they
  # report it ("p50_us"; "real_time", "p99_us", ... with --latency-figure).
  def initialize(old_run, new_run, alpha: 0.05, threshold: nil, normalize: nil, latency: "p50_us")
    @latency = latency
    @old = old_run
    @new = new_run
    @alpha = alpha
    @threshold = threshold
    common = old_run.names & new_run.names
    raise ArgumentError, "no benchmark is in both #{old_run.file} and #{new_run.file}" if common.empty?

    @only_old = old_run.names - common
    @only_new = new_run.names - common
    @baseline = normalize && [old_run, new_run].map { |run| baseline_name(run, normalize) }.uniq
    raise ArgumentError, "--normalize #{normalize}: named differently in the two runs (#{@baseline.join(', ')})" \
      if @baseline && @baseline.size > 1

    @baseline = @baseline&.first
    [old_run, new_run].each do |run|
      next if @baseline.nil? || run.repetitions(@baseline).any? { |b| figure(b, "real_time") }

      raise ArgumentError, "--normalize #{normalize}: no repetition of it without an error in #{run.file}"
    end
    @rows = common.map { |name| compare(name) }
  end

  def regressions = @rows.select { |r| r.kind == :regression }

  # Markdown: the table, notes, and the one-line summary last.
  def lines
    [*header, *table, "", *notes, summary]
  end

  def summary
    judged = @rows.count { |r| %i[same regression improvement slower faster].include?(r.kind) }
    test = "two-sided Mann-Whitney U, p < #{@alpha}"
    if @threshold.nil?
      changed = @rows.count { |r| %i[regression improvement].include?(r.kind) }
      return "#{changed} significant change(s) in #{judged} benchmark(s) judged (#{test})."
    end
    if regressions.any?
      named = regressions.map { |r| "#{short(r.name)} (#{label(r)} #{percent(r.change)}, p = #{p_text(r.p)})" }
      return "REGRESSION: #{regressions.size} of #{judged} benchmark(s) judged slower by more than " \
             "#{percent_plain(@threshold)} (#{test}): #{named.join('; ')}"
    end
    return "NOT JUDGED: no benchmark had enough repetitions for the test (see the note above); nothing fails." \
      if judged.zero?

    "OK: no benchmark significantly slower by more than #{percent_plain(@threshold)} (#{test}; " \
      "#{judged} judged)."
  end

  private

  def header
    limit = if @threshold
              "regression: slower by more than #{percent_plain(@threshold)}"
            else
              "slower / faster: any significant change of the median"
            end
    by = @baseline ? " Every figure is divided by #{short(@baseline)}'s in the same run (--normalize)." : ""
    ["Medians over repetitions; p: two-sided Mann-Whitney U test over the repetitions of the two runs " \
     "(exact up to #{MannWhitney::EXACT_MAX} values, else normal with tie correction). A verdict needs " \
     "p < #{@alpha}; #{limit}.#{by}", ""]
  end

  def table
    out = ["| benchmark | figure | old | new | change | p | verdict |", "|---|---|---|---|---|---|---|"]
    out + @rows.map do |r|
      "| #{short(r.name)} | #{label(r)} | #{number(r.old_median)} | #{number(r.new_median)} | " \
        "#{r.change ? percent(r.change) : '–'} | #{r.p ? p_text(r.p) : '–'} | #{verdict(r)} |"
    end
  end

  def verdict(row)
    within = @threshold ? ", within #{percent_plain(@threshold)}" : ""
    case row.kind
    when :regression then @threshold ? "**regression**" : "slower"
    when :improvement then @threshold ? "improvement" : "faster"
    when :slower then "slower#{within}"
    when :faster then "faster#{within}"
    when :same then "no significant change"
    when :few then "too few repetitions (#{row.note})"
    when :baseline then "the --normalize baseline (not judged)"
    else "not compared (see the note)"
    end
  end

  def notes
    few = @rows.select { |r| r.kind == :few }
    out = []
    unless few.empty?
      needed = MannWhitney.repetitions_needed(@alpha)
      out << "Note: too few repetitions in #{few.size} of #{@rows.size} benchmark(s): the two-sided p " \
             "cannot fall below #{@alpha} with that many, so a slowdown there cannot be significant and is " \
             "not judged (#{few.first(3).map { |r| short(r.name) }.join(', ')}#{few.size > 3 ? ', ...' : ''}). " \
             "Run handoff-bench with --benchmark_repetitions=#{ADVISED_REPETITIONS} or more " \
             "(#{needed} a side is the least with which p < #{@alpha} is possible at all)."
    end
    thin = @rows.select(&:thin)
    unless thin.empty?
      out << "Note: #{thin.size} benchmark(s) judged on fewer than #{ADVISED_REPETITIONS} repetitions a side: " \
             "only a large, clean shift can be significant there."
    end
    @rows.each { |r| (r.errors || []).each { |e| out << "Note: #{short(r.name)}: #{e}." } }
    out << "Note: only in the old run, not compared: #{@only_old.size} benchmark(s)." unless @only_old.empty?
    out << "Note: only in the new run, not compared: #{@only_new.size} benchmark(s)." unless @only_new.empty?
    out.flat_map { |line| [line, ""] }
  end

  def baseline_name(run, wanted)
    found = run.names.select { |n| n == wanted || n.start_with?("#{wanted}/") }
    raise ArgumentError, "--normalize #{wanted}: not in #{run.file}" if found.empty?
    raise ArgumentError, "--normalize #{wanted}: names #{found.size} benchmarks in #{run.file}" if found.size > 1

    found.first
  end

  def compare(name)
    old_reps = @old.repetitions(name)
    new_reps = @new.repetitions(name)
    metric = metric_for(name, old_reps + new_reps)
    return baseline_row(name, metric, old_reps, new_reps) if name == @baseline

    errors = [["old", @old], ["new", @new]].filter_map do |which, run|
      e = run.errors(name)
      "#{e.size} repetition(s) of the #{which} run stopped with an error (#{e.first})" unless e.empty?
    end
    xs = values(@old, old_reps, metric)
    ys = values(@new, new_reps, metric)
    return judge(name, metric, xs, ys, errors) unless xs.empty? || ys.empty?

    which, run, reps = xs.empty? ? ["old", @old, old_reps] : ["new", @new, new_reps]
    if reps.empty? && run.errors(name).empty?
      Row.new(name: name, metric: metric, kind: :few,
              note: "the #{which} run has only aggregates (--benchmark_report_aggregates_only)")
    else
      Row.new(name: name, metric: metric, kind: :error,
              errors: errors.empty? ? ["no #{metric.label} per repetition in the #{which} run"] : errors)
    end
  end

  # The baseline's own medians (not divided by themselves), not judged.
  def baseline_row(name, metric, old_reps, new_reps)
    xs = old_reps.filter_map { |b| figure(b, metric.field) }
    ys = new_reps.filter_map { |b| figure(b, metric.field) }
    row = Row.new(name: name, metric: metric, kind: :baseline)
    return row if xs.empty? || ys.empty?

    row.old_median = median(xs)
    row.new_median = median(ys)
    row.change = row.new_median / row.old_median - 1 unless row.old_median.zero?
    row
  end

  def judge(name, metric, xs, ys, errors)
    old_median = median(xs)
    new_median = median(ys)
    change = old_median.zero? ? nil : new_median / old_median - 1
    row = Row.new(name: name, metric: metric, old_median: old_median, new_median: new_median, change: change,
                  errors: errors)
    floor = MannWhitney.smallest_p(xs.size, ys.size)
    if floor >= @alpha
      row.kind = :few
      row.note = "#{xs.size} + #{ys.size}: p ≥ #{p_text(floor)}"
      return row
    end
    row.p = MannWhitney.p_value(xs, ys)
    row.thin = [xs.size, ys.size].min < ADVISED_REPETITIONS
    worse = change.nil? ? 0 : (metric.higher_is_better ? -change : change)
    row.kind = if row.p >= @alpha || worse.zero? then :same
               elsif worse > (@threshold || 0) then :regression
               elsif -worse > (@threshold || 0) then :improvement
               elsif worse.positive? then :slower
               else :faster
               end
    row
  end

  def metric_for(name, reps)
    has = ->(field) { reps.any? { |b| b[field].is_a?(Numeric) } }
    if name.match?(%r{/threads:\d+}) && has.call("items_per_second")
      Metric.new("items_per_second", "calls/s", true)
    elsif @latency != "real_time" && has.call(@latency)
      Metric.new(@latency, @latency.sub(/\A(p\d+)_us\z/, '\\1 µs'), false)
    else
      Metric.new("real_time", "real time ns", false)
    end
  end

  # The figure per repetition (errors left out), divided by the baseline's
  # median in the same run when normalizing.
  def values(run, reps, metric)
    raw = reps.filter_map { |b| figure(b, metric.field) }
    return raw unless @baseline

    raw.map { |v| v / scale(run, metric) }
  end

  def figure(entry, field)
    v = entry[field]
    return nil unless v.is_a?(Numeric)

    field == "real_time" ? v * NS_PER.fetch(entry["time_unit"] || "ns", 1.0) : v
  end

  # The baseline's median in `run`, in the metric's own field, or (a field
  # the baseline does not report) from its real time: a time is divided by
  # it, a rate by its inverse, so a machine k times slower cancels out.
  def scale(run, metric)
    @scales ||= {}
    @scales[[run.object_id, metric.field]] ||= begin
      reps = run.repetitions(@baseline)
      own = reps.filter_map { |b| figure(b, metric.field) }
      if own.any?
        median(own)
      else
        t = median(reps.filter_map { |b| figure(b, "real_time") })
        metric.higher_is_better ? 1 / t : t
      end
    end
  end

  def median(values)
    s = values.sort
    s.size.odd? ? s[s.size / 2] : (s[s.size / 2 - 1] + s[s.size / 2]) / 2.0
  end

  # The figure's name; divided by the baseline's, "p50 µs ÷ baseline".
  def label(row)
    return "–" if row.metric.nil?

    @baseline && row.kind != :baseline ? "#{row.metric.label} ÷ baseline" : row.metric.label
  end

  def short(name) = name.sub(%r{/(real_time|manual_time)}, "")
  def number(v) = v.nil? ? "–" : format("%.4g", v)
  def percent(change) = format("%+.1f%%", 100 * change)
  def percent_plain(fraction) = format("%g%%", (100 * fraction).round(6))
  def p_text(p) = p < 0.001 ? format("%.1e", p) : format("%.3f", p)
end
