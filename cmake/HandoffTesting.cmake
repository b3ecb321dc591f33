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

# What the harness finds in a real third-party bridge (targets/grpc, glib2,
# glib2_log, fiddle), each asserted with the verdict measured (targets/README.md,
# "What the harness finds in the wild"); what it passes is asserted to pass.
# Called from the target's own CMakeLists.txt. Label `finding`; a pass
# (VERDICT pass) also `concurrency`: under TSan it shows that a working
# real bridge gets no race report. A failure's kind release already shows.
# handoff_add_finding(NAME <n> TARGET <t> VERDICT <kind|pass> SCENARIO <s> [ARGS <extra flags>]
#                     [RELEASE_ONLY] [REGEX <pass regex>])
# VERDICT pass: a plain handoff-stress run must exit 0. A failure kind: the
# run must report exactly that kind (expect_failure.sh, one seed, up to 5
# runs). REGEX: one JSON run whose output must match (for a detail to quote).
function(handoff_add_finding)
  if(NOT HANDOFF_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(F "RELEASE_ONLY" "NAME;TARGET;VERDICT;SCENARIO;REGEX" "ARGS" ${ARGN})
  if(F_RELEASE_ONLY AND NOT HANDOFF_SANITIZER STREQUAL "none")
    return()
  endif()
  set(labels "harness;finding")
  if(F_VERDICT STREQUAL "pass")
    list(APPEND labels concurrency)
  endif()
  set(name harness.finding.${F_NAME})
  if(F_REGEX)
    add_test(NAME ${name} COMMAND $<TARGET_FILE:handoff-stress> --target ${F_TARGET} --seed 1 --quiet --json
                                  --hang-seconds 5 ${F_ARGS} --scenario ${F_SCENARIO})
    set_tests_properties(${name} PROPERTIES PASS_REGULAR_EXPRESSION "${F_REGEX}")
  elseif(F_VERDICT STREQUAL "pass")
    add_test(NAME ${name} COMMAND $<TARGET_FILE:handoff-stress> --target ${F_TARGET} --seed 1 --quiet
                                  --hang-seconds 10 ${F_ARGS} --scenario ${F_SCENARIO})
  else()
    add_test(NAME ${name} COMMAND bash ${PROJECT_SOURCE_DIR}/harness/test/expect_failure.sh $<TARGET_FILE:handoff-stress>
                                  ${F_TARGET} ${F_VERDICT} 1 ${F_SCENARIO})
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${labels}" TIMEOUT 180)
endfunction()
