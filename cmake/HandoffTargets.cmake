# handoff_add_target(NAME <name> SOURCES <files...> [LIBS <libs...>] [DEFINITIONS <defs...>]
#                    [BENCHMARK [BENCHMARK_ROLE goal|reference]] [CORRECT])
# Builds a harness target: targets/libhandoff_target_<name>.so in the build
# folder, next to handoff-stress, which finds it by name (--target <name>).
# It sees harness/include (handoff/target.h) and Ruby's headers, and is built
# with HANDOFF_SYNC_POINTS when HANDOFF_SYNC_POINTS is ON. BENCHMARK puts it
# among handoff-bench's default targets (global property
# HANDOFF_BENCHMARKED_TARGETS, in the order the targets are added), which
# ci/bench runs and the report draws. BENCHMARK_ROLE names the one target
# whose goals the report judges (goal: its round trip against the condvar
# floor, its memory) and the one it is measured against (reference: 16-thread
# throughput); handoff-bench writes both into its JSON context. CORRECT marks
# a bridge that must pass every check: the correct controls that ci/soak runs
# (listed in targets/correct_targets.txt in the build folder).
set(HANDOFF_TARGET_OUTPUT_DIR "${CMAKE_BINARY_DIR}/targets" CACHE INTERNAL "")

function(handoff_add_target)
  cmake_parse_arguments(T "BENCHMARK;CORRECT" "NAME;BENCHMARK_ROLE" "SOURCES;LIBS;DEFINITIONS" ${ARGN})
  set(lib handoff_target_${T_NAME})
  add_library(${lib} MODULE ${T_SOURCES})
  target_include_directories(${lib} PRIVATE "${PROJECT_SOURCE_DIR}/harness/include")
  target_link_libraries(${lib} PRIVATE PkgConfig::RUBY Threads::Threads ${T_LIBS})
  target_compile_definitions(${lib} PRIVATE ${T_DEFINITIONS}
                             $<$<BOOL:${HANDOFF_SYNC_POINTS}>:HANDOFF_SYNC_POINTS>)
  target_compile_options(${lib} PRIVATE -Wall -Wextra -fvisibility=hidden)
  if(HANDOFF_SANITIZER STREQUAL "address")
    # Ruby unwinds with __builtin_longjmp, which ASan cannot see: an
    # instrumented frame it skips leaves stale redzones that later fail ASan's
    # own CHECKs (seen with lmfao and my_bridge, whose handler threads raise).
    # The bridge's own objects are instrumented with their frames that Ruby
    # unwinds exempted (targets/bridge/src/unwound_by_ruby.h); the target
    # glue around them, the seeds and the mutants are not instrumented here.
    target_compile_options(${lib} PRIVATE -fno-sanitize=address,undefined)
  endif()
  set_target_properties(${lib} PROPERTIES
    LIBRARY_OUTPUT_DIRECTORY "${HANDOFF_TARGET_OUTPUT_DIR}")
  set_property(GLOBAL APPEND PROPERTY HANDOFF_TARGETS ${lib})
  # ci/stress's targets (build target `stress-targets`): the bridges, not
  # the mutants or the harness's own fixtures.
  if(NOT T_NAME MATCHES "^(mutant|hostile|fixture)_")
    set_property(GLOBAL APPEND PROPERTY HANDOFF_STRESS_TARGETS ${lib})
  endif()
  if(T_BENCHMARK)
    set_property(GLOBAL APPEND PROPERTY HANDOFF_BENCHMARKED_TARGETS ${T_NAME})
  endif()
  if(T_CORRECT)
    set_property(GLOBAL APPEND PROPERTY HANDOFF_CORRECT_TARGETS ${T_NAME})
  endif()
  if(T_BENCHMARK_ROLE MATCHES "^(goal|reference)$" AND T_BENCHMARK)
    set_property(GLOBAL PROPERTY HANDOFF_BENCHMARK_${T_BENCHMARK_ROLE}_TARGET ${T_NAME})
  elseif(T_BENCHMARK_ROLE)
    message(FATAL_ERROR "handoff_add_target(${T_NAME}): BENCHMARK_ROLE is goal or reference, with BENCHMARK "
                        "(got '${T_BENCHMARK_ROLE}')")
  endif()
endfunction()

# handoff_add_mutant(NAME <name> [SEEDS <n>])
# A broken bridge: targets/mutants/<name>.c built as the target mutant_<name>,
# and its test, mutant.<name> (added by handoff_mutant_tests): `handoff-stress
# --score --declared --target mutant_<name> --seeds SEEDS` (default 3), which
# reads what the mutant declares from the library itself (harness/include/handoff/target.h: kind,
# scenario, perturbation, a kind also accepted, what the build needs) and
# passes only if every seed shows the declared kind within --score's run
# budget. Where this build cannot show the bug (a data race without TSan, a
# fork under a sanitizer, a latency or leak budget under one, a perturbation
# without sync points, a race with Ruby's own code without a TSan libruby)
# it prints "skipped: <why>" and ctest reports the test as skipped.
function(handoff_add_mutant)
  cmake_parse_arguments(M "" "NAME;SEEDS" "" ${ARGN})
  handoff_add_target(NAME mutant_${M_NAME} SOURCES ${M_NAME}.c)
  if(NOT M_SEEDS)
    set(M_SEEDS 3)
  endif()
  # Its test is added when ctest runs (handoff_mutant_tests).
  set_property(GLOBAL APPEND PROPERTY HANDOFF_MUTANTS ${M_NAME}:${M_SEEDS})
endfunction()

# handoff_mutant_tests([COST <name> <cost>]...): after the folder's last
# handoff_add_mutant, has ctest add the mutants' tests when it runs, labelled
# from what each mutant declares (cmake/HandoffMutantTests.cmake). COST: a
# test to start first.
function(handoff_mutant_tests)
  cmake_parse_arguments(T "" "" "COST" ${ARGN})
  get_property(mutants GLOBAL PROPERTY HANDOFF_MUTANTS)
  set(costs "")
  while(T_COST)
    list(POP_FRONT T_COST name cost)
    list(APPEND costs ${name}:${cost})
  endwhile()
  set(include "${CMAKE_CURRENT_BINARY_DIR}/mutant_tests.cmake")
  file(GENERATE OUTPUT "${include}" CONTENT
       "set(HANDOFF_STRESS \"$<TARGET_FILE:handoff-stress>\")\nset(HANDOFF_MUTANTS \"${mutants}\")\nset(HANDOFF_MUTANT_COSTS \"${costs}\")\ninclude(\"${PROJECT_SOURCE_DIR}/cmake/HandoffMutantTests.cmake\")\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${include}")
endfunction()
