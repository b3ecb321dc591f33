# Uses ccache when it is installed; builds are slow on 2 cores.
find_program(HANDOFF_CCACHE ccache)
if(HANDOFF_CCACHE)
  set(CMAKE_C_COMPILER_LAUNCHER "${HANDOFF_CCACHE}")
  set(CMAKE_CXX_COMPILER_LAUNCHER "${HANDOFF_CCACHE}")
endif()
