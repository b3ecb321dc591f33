# Applies HANDOFF_SANITIZER to every target, and records how a real `ruby`
# process must be started to load an instrumented extension
# (HANDOFF_RUBY_PRELOAD: the sanitizer runtime to LD_PRELOAD, empty if none;
#  HANDOFF_RUBY_CAN_LOAD_EXTENSION: OFF where no runtime works in `ruby`).
# A ThreadSanitizer-instrumented Ruby (HANDOFF_RUBY_ROOT from
# `ci/ruby 3.1 --tsan`: preset tsan-ruby) carries the runtime itself: the
# extension loads into its `ruby` with no preload, and reports from inside
# libruby are seen; the races of Ruby 3.1 itself are suppressed by
# cmake/tsan_ruby.supp (HANDOFF_TSAN_SUPPRESSIONS, applied by every harness
# executable and every `ruby` test).
set(HANDOFF_RUBY_PRELOAD "")
set(HANDOFF_RUBY_CAN_LOAD_EXTENSION ON)
set(HANDOFF_RUBY_INSTRUMENTED OFF)
set(HANDOFF_TSAN_SUPPRESSIONS "")
set(HANDOFF_TSAN_SUPPRESSIONS_OPTION "")  # ":suppressions=<file>" for a test's TSAN_OPTIONS, or empty
if(HANDOFF_RUBY_ROOT)
  execute_process(COMMAND ${HANDOFF_RUBY_EXECUTABLE} -e "print RbConfig::CONFIG['CFLAGS']"
                  OUTPUT_VARIABLE ruby_cflags ERROR_QUIET
                  COMMAND_ERROR_IS_FATAL ANY)
  if(ruby_cflags MATCHES "-fsanitize=thread")
    set(HANDOFF_RUBY_INSTRUMENTED ON)
    if(NOT HANDOFF_SANITIZER STREQUAL "thread" OR NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
      message(FATAL_ERROR "HANDOFF_RUBY_ROOT=${HANDOFF_RUBY_ROOT} is a ThreadSanitizer Ruby (clang): "
                          "build with clang and HANDOFF_SANITIZER=thread (preset tsan-ruby)")
    endif()
    set(HANDOFF_TSAN_SUPPRESSIONS "${PROJECT_SOURCE_DIR}/cmake/tsan_ruby.supp")
    set(HANDOFF_TSAN_SUPPRESSIONS_OPTION ":suppressions=${HANDOFF_TSAN_SUPPRESSIONS}")
    add_compile_definitions(HANDOFF_TSAN_SUPPRESSIONS="${HANDOFF_TSAN_SUPPRESSIONS}"
                            HANDOFF_RUBY_INSTRUMENTED=1)
  endif()
endif()

function(_handoff_runtime_path out name)
  execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=${name}
                  OUTPUT_VARIABLE path OUTPUT_STRIP_TRAILING_WHITESPACE)
  set(${out} "${path}" PARENT_SCOPE)
endfunction()

if(HANDOFF_SANITIZER STREQUAL "thread")
  add_compile_options(-fsanitize=thread -O1 -g -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    _handoff_runtime_path(tsan_rt libtsan.so.2)
    set(HANDOFF_RUBY_PRELOAD "${tsan_rt}")
  elseif(NOT HANDOFF_RUBY_INSTRUMENTED)
    # clang 14's shared TSan runtime crashes even /bin/true:
    # under clang the extension is tested embedded in an executable instead.
    set(HANDOFF_RUBY_CAN_LOAD_EXTENSION OFF)
  endif()
elseif(HANDOFF_SANITIZER STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                      -O1 -g -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    _handoff_runtime_path(asan_rt libasan.so)
    _handoff_runtime_path(ubsan_rt libubsan.so)
    set(HANDOFF_RUBY_PRELOAD "${asan_rt}:${ubsan_rt}")
  else()
    set(HANDOFF_RUBY_CAN_LOAD_EXTENSION OFF)
  endif()
elseif(NOT HANDOFF_SANITIZER STREQUAL "none")
  message(FATAL_ERROR "HANDOFF_SANITIZER must be none, thread or address (got '${HANDOFF_SANITIZER}')")
endif()
