# handoff_add_target(NAME <name> SOURCES <files...> [LIBS <libs...>] [DEFINITIONS <defs...>])
# Builds a harness target: targets/libhandoff_target_<name>.so in the build
# folder, next to handoff-stress, which finds it by name (--target <name>).
# It sees harness/include (handoff/target.h) and Ruby's headers, and is built
# with HANDOFF_SYNC_POINTS when HANDOFF_SYNC_POINTS is ON.
set(HANDOFF_TARGET_OUTPUT_DIR "${CMAKE_BINARY_DIR}/targets" CACHE INTERNAL "")

function(handoff_add_target)
  cmake_parse_arguments(T "" "NAME" "SOURCES;LIBS;DEFINITIONS" ${ARGN})
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
endfunction()

# handoff_add_mutant(NAME <name> [SEEDS <n>])
# A broken bridge: targets/mutants/<name>.c built as the target mutant_<name>,
# and a test (label `mutant`) that runs handoff-stress against it for each of
# SEEDS seeds (default 3) and passes only if every seed reports the failure
# kind the file declares (#define MUTANT_MUST_PRODUCE) with the scenario it
# declares (#define MUTANT_SCENARIO), under the perturbation it declares
# (#define MUTANT_PERTURB, default none): the same declaration the library
# exports for `handoff-stress --score` (harness/include/handoff/mutant.h).
# data_race mutants are tested only in ThreadSanitizer builds (nothing else
# sees a race reliably), use_after_free ones too (mutants are not
# ASan-instrumented); too_slow and leak ones only without a sanitizer; mutants whose scenario forks only in builds without
# a sanitizer (handoff-stress refuses fork events under TSan and ASan);
# mutants that declare a perturbation only with HANDOFF_SYNC_POINTS; mutants
# that declare MUTANT_NEEDS "instrumented_ruby" (a race with Ruby's own code)
# only with a TSan libruby (preset tsan-ruby). Each
# seed gets a budget of runs (expect_failure.sh) before it counts as a miss.
function(handoff_add_mutant)
  cmake_parse_arguments(M "" "NAME;SEEDS" "" ${ARGN})
  set(source "${CMAKE_CURRENT_SOURCE_DIR}/${M_NAME}.c")
  file(STRINGS "${source}" declared REGEX "^#define MUTANT_(MUST_PRODUCE|ALSO_ACCEPTED|SCENARIO|PERTURB|NEEDS) ")
  string(REGEX MATCH [[MUST_PRODUCE "([a-z_]+)"]] _ "${declared}")
  set(kind "${CMAKE_MATCH_1}")
  string(REGEX MATCH [[SCENARIO "([^"]*)"]] _ "${declared}")
  set(scenario "${CMAKE_MATCH_1}")
  set(perturb none)
  if(declared MATCHES [[PERTURB "([a-z]+)"]])
    set(perturb "${CMAKE_MATCH_1}")
  endif()
  if(NOT kind OR NOT scenario)
    message(FATAL_ERROR "${source} must #define MUTANT_MUST_PRODUCE and MUTANT_SCENARIO")
  endif()
  handoff_add_target(NAME mutant_${M_NAME} SOURCES ${M_NAME}.c)
  if(NOT M_SEEDS)
    set(M_SEEDS 3)
  endif()
  if(kind STREQUAL "data_race" AND NOT HANDOFF_SANITIZER STREQUAL "thread")
    return()
  endif()
  if(declared MATCHES [[NEEDS "([a-z_]+)"]])
    if(NOT CMAKE_MATCH_1 STREQUAL "instrumented_ruby")
      message(FATAL_ERROR "${source}: unknown MUTANT_NEEDS \"${CMAKE_MATCH_1}\" (known: instrumented_ruby)")
    endif()
    if(NOT HANDOFF_RUBY_INSTRUMENTED)
      return()  # a race with Ruby's own code: only a TSan libruby sees its other side
    endif()
  endif()
  if(kind STREQUAL "use_after_free" AND NOT HANDOFF_SANITIZER STREQUAL "thread")
    # The ASan build leaves mutants uninstrumented (above), so a read of a
    # freed request is a wild pointer there (a crash), not an ASan report.
    return()
  endif()
  if((kind STREQUAL "too_slow" OR kind STREQUAL "leak") AND NOT HANDOFF_SANITIZER STREQUAL "none")
    return()  # measured, not judged, under a sanitizer (its runtime's cost and memory)
  endif()
  if(scenario MATCHES "fork@" AND NOT HANDOFF_SANITIZER STREQUAL "none")
    return()
  endif()
  if(NOT perturb STREQUAL "none" AND NOT HANDOFF_SYNC_POINTS)
    # A mutant that needs a perturbation strategy to show its bug (a window
    # too narrow for the OS scheduler alone) is tested only where the
    # synchronisation points it perturbs are compiled in.
    return()
  endif()
  # MUTANT_ALSO_ACCEPTED: a second kind its test accepts (the sanitizer
  # names the same bug otherwise on some schedules; the file says why).
  if(declared MATCHES [[ALSO_ACCEPTED "([a-z_]+)"]])
    set(kind "${kind}|${CMAKE_MATCH_1}")
  endif()
  if(kind STREQUAL "crash" AND HANDOFF_RUBY_INSTRUMENTED)
    # With libruby instrumented (preset tsan-ruby), Ruby touching an object
    # the GC freed is seen by TSan as heap-use-after-free before it crashes
    # (mutant unrooted_queued_value: either, by schedule).
    set(kind "crash|use_after_free")
  endif()
  if(HANDOFF_BUILD_TESTS)
    add_test(NAME mutant.${M_NAME}
             COMMAND bash "${PROJECT_SOURCE_DIR}/harness/test/expect_failure.sh"
                     "$<TARGET_FILE:handoff-stress>" mutant_${M_NAME} ${kind} ${M_SEEDS}
                     "${scenario}" ${perturb})
    set_tests_properties(mutant.${M_NAME} PROPERTIES LABELS "mutant;concurrency" TIMEOUT 300)
  endif()
endfunction()
