# vg_module(NAME SOURCES ... DEPS ... TESTS ...): one static library per src/ folder, named
# vg_<name>, plus one gtest binary vg_<name>_test built from the listed *_test.cc files.
function(vg_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS;TESTS;TEST_DEPS" ${ARGN})
  add_library(vg_${name} STATIC ${M_SOURCES})
  target_include_directories(vg_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(vg_${name} PUBLIC ${M_DEPS} PRIVATE vg_warnings)
  if(VG_BUILD_TESTS AND M_TESTS)
    add_executable(vg_${name}_test ${M_TESTS})
    target_link_libraries(vg_${name}_test PRIVATE vg_${name} ${M_TEST_DEPS} GTest::gtest GTest::gmock GTest::gtest_main vg_warnings)
    gtest_discover_tests(vg_${name}_test DISCOVERY_TIMEOUT 60 PROPERTIES LABELS unit)
  endif()
endfunction()
