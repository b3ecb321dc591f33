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
# The Ruby: the system's (Debian's 3.1), or the install prefix in
# HANDOFF_RUBY_ROOT (cache variable, or the environment at first configure),
# e.g. one `ci/ruby 3.3 --print-prefix` built. With a prefix, its libruby,
# headers and `ruby` are used and no other Ruby is looked at; the binaries
# find its libruby through their build RPATH.
set(HANDOFF_RUBY_ROOT "$ENV{HANDOFF_RUBY_ROOT}" CACHE PATH
    "A Ruby install prefix to build against (empty: the system's Ruby)")
if(HANDOFF_RUBY_ROOT)
  if(NOT EXISTS "${HANDOFF_RUBY_ROOT}/bin/ruby")
    message(FATAL_ERROR "HANDOFF_RUBY_ROOT=${HANDOFF_RUBY_ROOT} has no bin/ruby: "
                        "build a Ruby there with ci/ruby VERSION (ci/ruby --help)")
  endif()
  set(ENV{PKG_CONFIG_LIBDIR} "${HANDOFF_RUBY_ROOT}/lib/pkgconfig")
  set(ENV{PKG_CONFIG_PATH} "")
  file(GLOB ruby_pc RELATIVE "${HANDOFF_RUBY_ROOT}/lib/pkgconfig" "${HANDOFF_RUBY_ROOT}/lib/pkgconfig/ruby-*.pc")
  string(REPLACE ".pc" "" ruby_pc "${ruby_pc}")
  pkg_search_module(RUBY IMPORTED_TARGET ${ruby_pc})
  unset(ENV{PKG_CONFIG_LIBDIR})
  if(NOT RUBY_FOUND)
    message(FATAL_ERROR "HANDOFF_RUBY_ROOT=${HANDOFF_RUBY_ROOT}: no ruby-*.pc in lib/pkgconfig "
                        "(a Ruby configured with --enable-shared installs one)")
  endif()
  find_program(HANDOFF_RUBY_EXECUTABLE ruby PATHS "${HANDOFF_RUBY_ROOT}/bin" NO_DEFAULT_PATH)
  # For tests that run `ruby`, `gem` or `pkg-config` as a user would.
  set(HANDOFF_RUBY_TOOLS_ENV "PATH=${HANDOFF_RUBY_ROOT}/bin:$ENV{PATH}"
                             "PKG_CONFIG_PATH=${HANDOFF_RUBY_ROOT}/lib/pkgconfig")
else()
  set(HANDOFF_RUBY_TOOLS_ENV "")
  pkg_search_module(RUBY IMPORTED_TARGET ruby-3.1 ruby)
  if(NOT RUBY_FOUND)
    handoff_missing("Ruby development files (pkg-config ruby-3.1)" "ruby-dev")
  endif()
  find_program(HANDOFF_RUBY_EXECUTABLE ruby)
  if(NOT HANDOFF_RUBY_EXECUTABLE)
    handoff_missing("The ruby interpreter" "ruby")
  endif()
endif()
message(STATUS "handoff: Ruby ${RUBY_VERSION} (${RUBY_MODULE_NAME}), ${HANDOFF_RUBY_EXECUTABLE}")

find_package(Threads REQUIRED)

# handoff-stress writes its JSON (--json, --list-targets --json, --score --json) with it.
find_package(nlohmann_json 3 CONFIG QUIET)
if(NOT nlohmann_json_FOUND)
  handoff_missing("nlohmann-json" "nlohmann-json3-dev")
endif()
find_package(CLI11 2 CONFIG QUIET)
if(NOT CLI11_FOUND)
  handoff_missing("CLI11" "libcli11-dev")
endif()

if(HANDOFF_BUILD_TESTS)
  find_package(GTest QUIET)
  if(NOT GTest_FOUND)
    handoff_missing("GoogleTest" "libgtest-dev")
  endif()
  # A Ruby built from source without its bundled gems has no minitest: its
  # tests then use Debian's ruby-minitest (pure Ruby) through RUBYLIB.
  set(HANDOFF_RUBY_TEST_RUBYLIB "")
  execute_process(COMMAND ${HANDOFF_RUBY_EXECUTABLE} -e "require 'minitest/autorun'; exit!(0)"
                  RESULT_VARIABLE minitest_missing OUTPUT_QUIET ERROR_QUIET)
  if(minitest_missing AND HANDOFF_RUBY_ROOT)
    file(GLOB minitest_lib "/usr/share/rubygems-integration/all/gems/minitest-*/lib")
    if(minitest_lib)
      list(SORT minitest_lib)
      list(POP_BACK minitest_lib HANDOFF_RUBY_TEST_RUBYLIB)
      execute_process(COMMAND ${CMAKE_COMMAND} -E env "RUBYLIB=${HANDOFF_RUBY_TEST_RUBYLIB}"
                              ${HANDOFF_RUBY_EXECUTABLE} -e "require 'minitest/autorun'; exit!(0)"
                      RESULT_VARIABLE minitest_missing OUTPUT_QUIET ERROR_QUIET)
    endif()
  endif()
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

# Optional: the real third-party bridges built as harness targets
# (targets/grpc, targets/glib2). A missing package skips that target with a
# message naming the Debian package; the project builds without them.
# HANDOFF_HAVE_<NAME> says whether the target is built (its tests check it).
#   handoff_optional_target(<name> RUBY_FEATURE <f> RUBY_PACKAGE <deb>
#                           HEADER <h> HEADER_PACKAGE <deb>)
function(handoff_optional_target name)
  cmake_parse_arguments(O "" "RUBY_FEATURE;RUBY_PACKAGE;HEADER;HEADER_PACKAGE" "" ${ARGN})
  set(missing "")
  execute_process(COMMAND ${HANDOFF_RUBY_EXECUTABLE} -e "require '${O_RUBY_FEATURE}'; exit!(0)"
                  RESULT_VARIABLE ruby_missing OUTPUT_QUIET ERROR_QUIET TIMEOUT 60)
  if(ruby_missing AND HANDOFF_RUBY_ROOT)
    list(APPEND missing "'${O_RUBY_FEATURE}' for this Ruby (Debian's ${O_RUBY_PACKAGE} is built for the system's Ruby, not for HANDOFF_RUBY_ROOT)")
  elseif(ruby_missing)
    list(APPEND missing "Debian package '${O_RUBY_PACKAGE}' (Ruby cannot require '${O_RUBY_FEATURE}')")
  endif()
  string(MAKE_C_IDENTIFIER "HANDOFF_HEADER_${O_HEADER}" header_dir)
  find_path(${header_dir} ${O_HEADER} PATH_SUFFIXES glib-2.0)
  if(NOT ${header_dir})
    list(APPEND missing "Debian package '${O_HEADER_PACKAGE}' (no ${O_HEADER})")
  endif()
  string(TOUPPER "${name}" upper)
  if(missing)
    list(JOIN missing " and " text)
    set(hint "; apt-get install ${O_RUBY_PACKAGE} ${O_HEADER_PACKAGE} (or run ci/bootstrap) to build it")
    if(HANDOFF_RUBY_ROOT)
      set(hint "")
    endif()
    message(STATUS "handoff: target '${name}' skipped: missing ${text}${hint}")
    set(HANDOFF_HAVE_${upper} OFF PARENT_SCOPE)
  else()
    set(HANDOFF_HAVE_${upper} ON PARENT_SCOPE)
  endif()
endfunction()

handoff_optional_target(grpc RUBY_FEATURE grpc RUBY_PACKAGE ruby-grpc
                        HEADER grpc/grpc_security.h HEADER_PACKAGE libgrpc-dev)
if(HANDOFF_HAVE_GRPC)
  find_library(HANDOFF_GRPC_LIBRARY grpc)
  if(NOT HANDOFF_GRPC_LIBRARY)
    message(STATUS "handoff: target 'grpc' skipped: missing Debian package 'libgrpc-dev' (no libgrpc.so)")
    set(HANDOFF_HAVE_GRPC OFF)
  endif()
endif()
handoff_optional_target(glib2 RUBY_FEATURE glib2 RUBY_PACKAGE ruby-glib2
                        HEADER glib-object.h HEADER_PACKAGE libglib2.0-dev)
if(HANDOFF_HAVE_GLIB2)
  pkg_check_modules(GOBJECT QUIET IMPORTED_TARGET gobject-2.0)
  if(NOT GOBJECT_FOUND)
    message(STATUS "handoff: target 'glib2' skipped: missing Debian package 'libglib2.0-dev' (pkg-config gobject-2.0)")
    set(HANDOFF_HAVE_GLIB2 OFF)
  endif()
endif()
