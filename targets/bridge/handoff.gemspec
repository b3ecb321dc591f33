# frozen_string_literal: true

require "fileutils"

# annotated_mutex.h is the harness's (harness/src/host/annotated_mutex.h),
# shared with the bridge: a gem built in the repository carries a copy of it,
# in shared/ (not kept in git).
shared_header = File.expand_path("../../harness/src/host/annotated_mutex.h", __dir__)
if File.exist?(shared_header)
  FileUtils.mkdir_p(File.join(__dir__, "shared"))
  FileUtils.cp(shared_header, File.join(__dir__, "shared"))
end

Gem::Specification.new do |spec|
  spec.name = "handoff"
  spec.version = File.read(File.join(__dir__, "lib/handoff.rb"))[/VERSION = "([^"]+)"/, 1]
  spec.summary = "Let native threads a C library started call a Ruby block and get its reply back"
  spec.description = "A Ruby C extension: foreign (non-Ruby) threads invoke a Ruby block through a " \
                     "C header (handoff/bridge.h) and block until its typed reply arrives, safely " \
                     "under stop, kill, fork, GC compaction and VM exit."
  spec.authors = ["handoff developers"]
  spec.required_ruby_version = ">= 3.1"
  spec.files = Dir.chdir(__dir__) do
    Dir["lib/**/*.rb", "ext/**/extconf.rb", "src/*.{cc,h}", "include/**/*.h", "shared/*.h"]
  end
  spec.extensions = ["ext/handoff/extconf.rb"]
  spec.require_paths = ["lib"]
end
