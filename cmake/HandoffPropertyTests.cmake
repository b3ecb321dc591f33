# ctest reads this when it runs (the properties folder's TEST_INCLUDE_FILES,
# as GoogleTest's gtest_discover_tests does): one ctest per property that
# `handoff-properties --list` names, so the list lives in one place, the
# properties' own registry.
#   property.<name>  --property <name> --target bridge
#                    (labels property, concurrency, memory, tsan)
#   soak.<name>      the same with --cases 2000 (label soak); a soak-only
#                    property gets this one alone, with --cases 50
# A property that --list marks "[not in --all: ...]" in this build (it forks
# under a sanitizer, it is judged in the release build only) gets neither;
# a soak-only one still gets its soak test.
# Set by the including file: HANDOFF_PROPERTIES, the executable.
execute_process(COMMAND "${HANDOFF_PROPERTIES}" --list
                OUTPUT_VARIABLE listed ERROR_VARIABLE list_error RESULT_VARIABLE list_status)
if(NOT list_status EQUAL 0 OR listed STREQUAL "")
  # No silent empty list: a test that fails and says why.
  add_test(property.list "${HANDOFF_PROPERTIES}" --list)
  set_tests_properties(property.list PROPERTIES LABELS "property;concurrency;memory;tsan")
  return()
endif()
string(REPLACE "\n" ";" lines "${listed}")
foreach(line IN LISTS lines)
  if(NOT line MATCHES "^([a-z0-9_]+) ")
    continue()
  endif()
  set(name "${CMAKE_MATCH_1}")
  if(line MATCHES "\\[not in --all: [a-z0-9_]+ is a soak property")
    add_test(soak.${name} "${HANDOFF_PROPERTIES}" --property ${name} --target bridge --cases 50)
    set_tests_properties(soak.${name} PROPERTIES LABELS "soak" TIMEOUT 36000)
    continue()
  elseif(line MATCHES "\\[not in --all: ")
    continue()
  endif()
  add_test(property.${name} "${HANDOFF_PROPERTIES}" --property ${name} --target bridge)
  set_tests_properties(property.${name} PROPERTIES LABELS "property;concurrency;memory;tsan"
                       TIMEOUT 600)
  if(name STREQUAL "deadlines_honoured")
    # Its blocks outlast the deadlines by over a second (5-12 s of sleeping
    # in release): started first, so the rest runs beside it.
    set_tests_properties(property.${name} PROPERTIES COST 30)
  endif()
  add_test(soak.${name} "${HANDOFF_PROPERTIES}" --property ${name} --target bridge --cases 2000)
  set_tests_properties(soak.${name} PROPERTIES LABELS "soak" TIMEOUT 36000)
endforeach()
