# check_report_pictures.rb DIR TARGET... — passes when report.rb's SVG pictures in DIR
# say what their legends say: every series titled "…, pinned" is drawn dashed
# and every other one solid; the latency picture has a line, unpinned and
# pinned, for each target and baseline, out to p99.99; the throughput picture
# one per target.
dir, *targets = ARGV
abort "usage: check_report_pictures.rb DIR TARGET..." if dir.nil? || targets.empty?
problems = []

# gnuplot's SVG: per series a <g id="gnuplot_plot_N">, its key entry's
# <text>TITLE</text>, then the series' <path> (key sample and line), which
# carries stroke-dasharray when it is dashed.
def series_of(svg)
  svg.scan(/<g id="gnuplot_plot_\d+" >(.*?)(?=<g id="gnuplot_plot_|\z)/m).to_h do |(body)|
    [body[%r{<text>(?:<tspan[^>]*>)?([^<]*)<}, 1], body[/<path [^>]*>/m]]
  end
end

expected = {
  "latency.svg" => ["direct call", "call_with_gvl", "condvar ping-pong", *targets]
                     .flat_map { |s| [s, "#{s}, pinned"] } + ["spin ping-pong"],
  "throughput.svg" => targets.flat_map { |s| [s, "#{s}, pinned"] }
}
expected.each do |file, titles|
  path = File.join(dir, file)
  next problems << "#{file}: missing" unless File.file?(path)

  svg = File.read(path)
  series = series_of(svg)
  (titles - series.keys).each { |t| problems << "#{file}: no series \"#{t}\"" }
  series.each do |title, line|
    next problems << "#{file}: \"#{title}\" has no line" if line.nil?

    dashed = line.include?("stroke-dasharray")
    pinned = title.end_with?(", pinned")
    problems << "#{file}: \"#{title}\" is drawn #{dashed ? 'dashed' : 'solid'}" if dashed != pinned
  end
  next unless file == "latency.svg"

  problems << "latency.svg: no p99.99 tick" unless svg.include?(">p99.99<")
  # the key's sample is one segment (M..L), then the line p50 .. p99.99 (M..L x4)
  segments = series["bridge"].to_s.scan(/ L/).size
  problems << "latency.svg: the bridge's line has #{segments - 1} segments, not 4 (p50 .. p99.99)" if segments != 5
end

abort problems.map { |p| "check_report_pictures: #{p}" }.join("\n") unless problems.empty?
puts "check_report_pictures: #{expected.values.sum(&:size)} series, pinned dashed, unpinned solid"
