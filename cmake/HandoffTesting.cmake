# handoff_add_ruby_test(NAME <name> SCRIPT <file.rb> [LABELS ...] [TIMEOUT s])
# Runs a minitest file in a real `ruby` process against the built extension
# (ruby/ in the build folder) and its lib/, with the sanitizer runtime
# preloaded when the build is instrumented. Not added where no runtime can
# be loaded into `ruby` (clang TSan/ASan).
function(handoff_add_ruby_test)
  cmake_parse_arguments(T "" "NAME;SCRIPT;TIMEOUT" "LABELS" ${ARGN})
  if(NOT HANDOFF_RUBY_CAN_LOAD_EXTENSION)
    return()
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  set(env "HANDOFF_TEST_SANITIZER=${HANDOFF_SANITIZER}")
  if(HANDOFF_RUBY_TEST_RUBYLIB)
    list(APPEND env "RUBYLIB=${HANDOFF_RUBY_TEST_RUBYLIB}")
  endif()
  set(tsan_options "halt_on_error=1:exitcode=66:die_after_fork=0:atexit_sleep_ms=100${HANDOFF_TSAN_SUPPRESSIONS_OPTION}")
  if(HANDOFF_RUBY_PRELOAD)
    list(APPEND env "LD_PRELOAD=${HANDOFF_RUBY_PRELOAD}"
                    "ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:use_sigaltstack=0"
                    "TSAN_OPTIONS=${tsan_options}")
  elseif(HANDOFF_RUBY_INSTRUMENTED)
    list(APPEND env "TSAN_OPTIONS=${tsan_options}")
  endif()
  add_test(NAME ${T_NAME}
           COMMAND ${HANDOFF_RUBY_EXECUTABLE} -I${HANDOFF_RUBY_LIB_DIR} -I${HANDOFF_RUBY_EXT_DIR}
                   ${T_SCRIPT})
  set_tests_properties(${T_NAME} PROPERTIES ENVIRONMENT "${env}" TIMEOUT ${T_TIMEOUT}
                                            LABELS "${T_LABELS}")
endfunction()
