# Helpers shared by every folder.
#
# bh_library(NAME [DEPS libs...]) builds one static library from every *.cc under DIR except
# *_main.cc (executables stay thin and live beside their library).
function(bh_library name)
  cmake_parse_arguments(arg "" "" "DEPS;EXCLUDE_DIRS" ${ARGN})
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  list(FILTER srcs EXCLUDE REGEX "_main\\.cc$")
  foreach(d ${arg_EXCLUDE_DIRS})
    list(FILTER srcs EXCLUDE REGEX "^${CMAKE_CURRENT_SOURCE_DIR}/${d}/")
  endforeach()
  if(srcs)
    add_library(${name} STATIC ${srcs})
    target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
    target_link_libraries(${name} PUBLIC ${arg_DEPS})
  else()
    add_library(${name} INTERFACE)
    target_include_directories(${name} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(${name} INTERFACE ${arg_DEPS})
  endif()
endfunction()

# bh_fuzz_target(NAME SOURCE LIBS...) declares a fuzz target. With BH_FUZZ it is a
# libFuzzer binary; without, it links the standalone replay driver, and ctest replays
# its committed corpus tests/fuzz/corpus/NAME/ as an ordinary test.
function(bh_fuzz_target name source)
  set(exe fuzz_${name})
  add_executable(${exe} ${source})
  target_link_libraries(${exe} PRIVATE ${ARGN})
  target_include_directories(${exe} PRIVATE ${PROJECT_SOURCE_DIR})
  if(BH_FUZZ)
    target_link_options(${exe} PRIVATE -fsanitize=fuzzer)
  else()
    target_link_libraries(${exe} PRIVATE bh_fuzz_replay)
  endif()
  set(corpus ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${name})
  add_test(NAME fuzz_replay.${name} COMMAND ${exe} ${corpus})
  set_tests_properties(fuzz_replay.${name} PROPERTIES LABELS "fuzz")
endfunction()

# bh_unit_tests(NAME DIR LIBS...) one doctest executable per source folder.
function(bh_unit_tests name dir)
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${dir}/*_test.cc)
  if(NOT srcs)
    return()
  endif()
  add_executable(${name} ${PROJECT_SOURCE_DIR}/tests/unit/doctest_main.cc ${srcs})
  target_link_libraries(${name} PRIVATE doctest::doctest ${ARGN})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_definitions(${name} PRIVATE BH_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  add_test(NAME unit.${name} COMMAND ${name})
  set_tests_properties(unit.${name} PROPERTIES LABELS "unit")
endfunction()
