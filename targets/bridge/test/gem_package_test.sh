#!/usr/bin/env bash
# Builds the gem from the source tree, installs it into a temporary GEM_HOME,
# and calls a block from a native thread through the installed extension, in
# a fresh ruby process.   usage: gem_package_test.sh BRIDGE_SOURCE_DIR DEMO_EXTENSION_SO
set -euo pipefail
src=$1
demo_so=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cp -r "$src/handoff.gemspec" "$src/lib" "$src/ext" "$src/src" "$src/include" "$tmp/"
# What the gemspec copies in when it is built in the repository.
mkdir "$tmp/shared" && cp "$src/../../harness/src/host/annotated_mutex.h" "$tmp/shared/"
mkdir "$tmp/demo" && cp "$demo_so" "$tmp/demo/"   # only the demo: not CMake's handoff.so
cd "$tmp"
gem build handoff.gemspec --output handoff.gem
gem install --local --install-dir "$tmp/gems" --no-document handoff.gem
GEM_HOME="$tmp/gems" GEM_PATH="$tmp/gems" ruby -I "$tmp/demo" -e '
  require "handoff"
  loaded = $LOADED_FEATURES.grep(%r{/handoff/handoff\.so\z}).first.to_s
  abort "handoff.so came from #{loaded.inspect}, not the installed gem" unless loaded.start_with?(ENV["GEM_HOME"])
  require "handoff_demo"
  Handoff.start
  reply = HandoffDemo::Job.new(Handoff::Callback.new { |x| x + 1 }.handle, [[[41]]]).join[0][0]
  abort "unexpected reply #{reply.inspect}" unless reply.status == :ok && reply.value == 42
  puts "installed gem #{Handoff::VERSION} from #{loaded}: a native thread got #{reply.value}"
'
