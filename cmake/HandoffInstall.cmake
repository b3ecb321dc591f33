# What `cmake --install` puts under a prefix: the harness (handoff-stress,
# handoff-properties), the target API header (handoff/target.h), the example
# bridge (share/handoff/my_bridge.c), rake tasks for gems built with
# extconf.rb (share/handoff/handoff.rake) and a CMake package, so a user's
# project can do
#
#     find_package(handoff CONFIG REQUIRED)
#     add_library(my_bridge MODULE my_bridge.c)
#     target_link_libraries(my_bridge PRIVATE handoff::target_api)
#     handoff_add_bridge_tests(my_bridge LIBRARY my_bridge PROPERTIES)
#
# (cmake/handoffConfig.cmake.in). Install each build that you need into a
# prefix of its own: the release build, and the tsan build for TSAN.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(HANDOFF_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/handoff")
install(TARGETS handoff-stress handoff-properties RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
set_target_properties(handoff-stress handoff-properties PROPERTIES INSTALL_RPATH_USE_LINK_PATH TRUE)
install(FILES "${PROJECT_SOURCE_DIR}/harness/include/handoff/target.h"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/handoff")
install(FILES "${PROJECT_SOURCE_DIR}/targets/example/my_bridge.c" "${PROJECT_SOURCE_DIR}/cmake/handoff.rake"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/handoff")

# What the package must know of this build: its sanitizer and compiler (a
# bridge tested with TSAN is built to match), and its Ruby.
set(HANDOFF_PACKAGE_SANITIZER "${HANDOFF_SANITIZER}")
set(HANDOFF_PACKAGE_C_COMPILER_ID "${CMAKE_C_COMPILER_ID}")
set(HANDOFF_PACKAGE_C_COMPILER "${CMAKE_C_COMPILER}")
set(HANDOFF_PACKAGE_RUBY_MODULE "${RUBY_MODULE_NAME}")
set(HANDOFF_PACKAGE_RUBY_ROOT "${HANDOFF_RUBY_ROOT}")
configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/handoffConfig.cmake.in"
                              "${CMAKE_BINARY_DIR}/package/handoffConfig.cmake"
                              INSTALL_DESTINATION "${HANDOFF_INSTALL_CMAKEDIR}")
write_basic_package_version_file("${CMAKE_BINARY_DIR}/package/handoffConfigVersion.cmake"
                                 VERSION "${PROJECT_VERSION}" COMPATIBILITY SameMinorVersion)
install(FILES "${CMAKE_BINARY_DIR}/package/handoffConfig.cmake"
              "${CMAKE_BINARY_DIR}/package/handoffConfigVersion.cmake"
        DESTINATION "${HANDOFF_INSTALL_CMAKEDIR}")
