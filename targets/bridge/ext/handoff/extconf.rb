# frozen_string_literal: true

# Builds the handoff extension with mkmf (gem install), from the same sources
# CMake builds: ../../src and ../../include (and ../../shared: the harness's
# annotated_mutex.h, which the gemspec copied there).
require "mkmf"

root = File.expand_path("../..", __dir__)
src = File.join(root, "src")

unless have_func("ruby_thread_has_gvl_p")
  abort "handoff: this Ruby does not export ruby_thread_has_gvl_p, which the bridge " \
        "needs to tell a Ruby thread holding the GVL from one that released it"
end

$INCFLAGS << " -I#{File.join(root, 'include')} -I#{src} -I#{File.join(root, 'shared')}"
$CXXFLAGS << " -std=c++17 -fvisibility=hidden"
$srcs = Dir[File.join(src, "*.cc")].map { |f| File.basename(f) }
$VPATH << src
create_makefile("handoff/handoff")
