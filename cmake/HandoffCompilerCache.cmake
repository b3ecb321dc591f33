# Uses ccache when it is installed; builds are slow on 2 cores.
#
# So that a fresh clone at another path (CI clones afresh every run) hits
# what an earlier clone put in the cache: paths under the source tree are
# passed to the compiler relative to it (CCACHE_BASEDIR), the build
# directory is left out of the hash (CCACHE_NOHASHDIR), and debug info names
# the source tree "." (-fdebug-prefix-map), so no object holds a clone's own
# path. Sanitizer reports then name sources relative to the tree, e.g.
# ./build/tsan/harness/../../../harness/src/run/driver.cc.
find_program(HANDOFF_CCACHE ccache)
if(HANDOFF_CCACHE)
  set(launcher env "CCACHE_BASEDIR=${PROJECT_SOURCE_DIR}" CCACHE_NOHASHDIR=1 "${HANDOFF_CCACHE}")
  set(CMAKE_C_COMPILER_LAUNCHER "${launcher}")
  set(CMAKE_CXX_COMPILER_LAUNCHER "${launcher}")
  add_compile_options("-fdebug-prefix-map=${PROJECT_SOURCE_DIR}=.")
endif()
