# Finds what the project builds against. A missing dependency stops configure
# with the Debian package that provides it (ci/bootstrap installs them all).
function(handoff_missing what package)
  message(FATAL_ERROR "${what} not found: install the Debian package '${package}' "
                      "(apt-get install ${package}), or run ci/bootstrap which installs everything.")
endfunction()

find_package(PkgConfig QUIET)
if(NOT PKG_CONFIG_FOUND)
  handoff_missing("pkg-config" "pkg-config")
endif()
pkg_search_module(RUBY IMPORTED_TARGET ruby-3.1 ruby)
if(NOT RUBY_FOUND)
  handoff_missing("Ruby development files (pkg-config ruby-3.1)" "ruby-dev")
endif()

find_program(HANDOFF_RUBY_EXECUTABLE ruby)
if(NOT HANDOFF_RUBY_EXECUTABLE)
  handoff_missing("The ruby interpreter" "ruby")
endif()

find_package(Threads REQUIRED)

if(HANDOFF_BUILD_TESTS)
  find_package(GTest QUIET)
  if(NOT GTest_FOUND)
    handoff_missing("GoogleTest" "libgtest-dev")
  endif()
  execute_process(COMMAND ${HANDOFF_RUBY_EXECUTABLE} -e "require 'minitest/autorun'; exit!(0)"
                  RESULT_VARIABLE minitest_missing OUTPUT_QUIET ERROR_QUIET)
  if(minitest_missing)
    handoff_missing("Ruby's minitest" "ruby-minitest")
  endif()
endif()

if(HANDOFF_BUILD_BENCH)
  find_package(benchmark QUIET)
  if(NOT benchmark_FOUND)
    handoff_missing("Google Benchmark" "libbenchmark-dev")
  endif()
endif()
