# ctest reads this when it runs (targets/mutants' TEST_INCLUDE_FILES): one
# test per mutant, mutant.<name>: `handoff-stress --score --declared --target
# mutant_<name> --seeds N`, passing only when every seed shows the declared
# kind (skipped, with the reason, where the build cannot show it). Its labels
# follow from the mutant's declaration and from what seeing its kind takes,
# as the failure kinds' one table says (handoff-stress --list-targets --json:
# perturbation, must_produce_needs):
#   label concurrency (the TSan preset runs it) when only ThreadSanitizer
#   sees its kind, or a perturbation acts at its sync points: what a build
#   without both (release) cannot show;
#   RUN_SERIAL when its kind is judged against the scheduler (who was served
#   first, p99 latency): not judged while other work takes the CPU (the run
#   says so and the test is skipped), alone it is.
# Set by the including file (handoff_mutant_tests): HANDOFF_STRESS, the
# executable; HANDOFF_MUTANTS, name:seeds for each handoff_add_mutant;
# HANDOFF_MUTANT_COSTS, name:cost for the tests to start first.
execute_process(COMMAND "${HANDOFF_STRESS}" --list-targets --json
                OUTPUT_VARIABLE listed ERROR_QUIET RESULT_VARIABLE list_status)
if(NOT list_status EQUAL 0)
  set(listed "{\"targets\": []}")  # each test then runs in every preset and says why it fails
endif()
# What each listed mutant declares: labels_<name>, and serial_<name> when
# its kind is judged against the scheduler.
string(JSON count LENGTH "${listed}" targets)
if(count GREATER 0)
  math(EXPR last "${count} - 1")
  foreach(i RANGE ${last})
    string(JSON target GET "${listed}" targets ${i})
    string(JSON name GET "${target}" name)
    if(NOT name MATCHES "^mutant_(.+)$")
      continue()
    endif()
    set(name "${CMAKE_MATCH_1}")
    string(JSON perturbation ERROR_VARIABLE no_perturbation GET "${target}" perturbation)
    string(JSON needs ERROR_VARIABLE no_needs GET "${target}" must_produce_needs)
    set(labels_${name} mutant)
    if(needs MATCHES "\"thread_sanitizer\"" OR (perturbation AND NOT perturbation STREQUAL "none"))
      list(APPEND labels_${name} concurrency)
    endif()
    if(needs MATCHES "\"quiet_machine\"")
      set(serial_${name} TRUE)
    endif()
  endforeach()
endif()
foreach(entry IN LISTS HANDOFF_MUTANTS)
  string(REPLACE ":" ";" entry "${entry}")
  list(GET entry 0 name)
  list(GET entry 1 seeds)
  add_test(mutant.${name} "${HANDOFF_STRESS}" --score --declared --target mutant_${name} --seeds ${seeds})
  if(NOT DEFINED labels_${name})
    set(labels_${name} mutant concurrency memory)  # not listed: run everywhere, to fail and say why
  endif()
  set_tests_properties(mutant.${name} PROPERTIES LABELS "${labels_${name}}" TIMEOUT 300
                       SKIP_REGULAR_EXPRESSION "skipped: ")
  if(serial_${name})
    set_tests_properties(mutant.${name} PROPERTIES RUN_SERIAL TRUE)
  endif()
endforeach()
foreach(entry IN LISTS HANDOFF_MUTANT_COSTS)
  string(REPLACE ":" ";" entry "${entry}")
  list(GET entry 0 name)
  list(GET entry 1 cost)
  set_tests_properties(mutant.${name} PROPERTIES COST ${cost})
endforeach()
