# handoff.rake — handoff's tasks for a gem's Rakefile (extconf.rb + rake
# builds): build your bridge adapter (C sources implementing handoff/target.h)
# against an installed handoff and run the harness on it.
#
#   # Rakefile
#   load "/usr/local/share/handoff/handoff.rake"   # <prefix>/share/handoff/handoff.rake
#
#   rake handoff:build       # tmp/handoff/libadapter.so from HANDOFF_ADAPTER
#   rake handoff:suite       # every scenario of the suite; JUnit in tmp/handoff/suite.xml
#   rake handoff:properties  # every property that applies
#   rake handoff             # both
#
# Settings (environment): HANDOFF_ADAPTER, the adapter's C sources (a glob,
# default "ext/handoff_adapter/*.c"); HANDOFF_SUITE, quick (default) or full;
# CC, the compiler (default cc); HANDOFF_CFLAGS, more compiler flags (your
# include folders, definitions); HANDOFF_TSAN=1 builds the adapter with
# -fsanitize=thread and the synchronisation points, for a prefix holding the
# harness's TSan build (use its compiler: CC=clang-14 for the tsan build,
# gcc for tsan-gcc). Each task fails (rake exits non-zero) when the harness
# finds a failure; the failure's replay line is in the output.
require "rbconfig"
require "fileutils"
require "shellwords"

module HandoffRake
  PREFIX = File.expand_path("../..", __dir__)
  OUT = "tmp/handoff"
  LIBRARY = File.join(OUT, "libadapter.so")

  def self.compile_command(sources)
    c = RbConfig::CONFIG
    flags = %W[-shared -fPIC -O2 -I#{PREFIX}/include -I#{c["rubyhdrdir"]} -I#{c["rubyarchhdrdir"]}]
    flags += %w[-O1 -g -fsanitize=thread -DHANDOFF_SYNC_POINTS] if ENV["HANDOFF_TSAN"] == "1"
    flags += Shellwords.split(ENV.fetch("HANDOFF_CFLAGS", ""))
    [ENV.fetch("CC", "cc"), *flags, *sources, "-L#{c["libdir"]}", "-l#{c["RUBY_SO_NAME"]}", "-o", LIBRARY]
  end
end

namespace :handoff do
  desc "Build the bridge adapter (HANDOFF_ADAPTER) against the installed handoff"
  task :build do
    sources = Dir[ENV.fetch("HANDOFF_ADAPTER", "ext/handoff_adapter/*.c")]
    abort "handoff:build: no C sources match HANDOFF_ADAPTER=#{ENV["HANDOFF_ADAPTER"].inspect}" if sources.empty?
    FileUtils.mkdir_p(HandoffRake::OUT)
    sh(*HandoffRake.compile_command(sources))
  end

  desc "Run the adapter through every scenario of the suite (JUnit: tmp/handoff/suite.xml)"
  task suite: :build do
    sh File.join(HandoffRake::PREFIX, "bin/handoff-stress"), "--suite", ENV.fetch("HANDOFF_SUITE", "quick"),
       "--target-lib", HandoffRake::LIBRARY, "--junit", File.join(HandoffRake::OUT, "suite.xml")
  end

  desc "Run every property that applies to the adapter"
  task properties: :build do
    sh File.join(HandoffRake::PREFIX, "bin/handoff-properties"), "--all", "--target-lib", HandoffRake::LIBRARY
  end
end

desc "handoff: the suite and the properties against the adapter"
task handoff: %w[handoff:suite handoff:properties]
