# Applies HANDOFF_SANITIZER to every target, and records how a real `ruby`
# process must be started to load an instrumented extension
# (HANDOFF_RUBY_PRELOAD: the sanitizer runtime to LD_PRELOAD, empty if none;
#  HANDOFF_RUBY_CAN_LOAD_EXTENSION: OFF where no runtime works in `ruby`).
set(HANDOFF_RUBY_PRELOAD "")
set(HANDOFF_RUBY_CAN_LOAD_EXTENSION ON)

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
  else()
    # clang 14's shared TSan runtime crashes even /bin/true (shared/DESIGN.md):
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
