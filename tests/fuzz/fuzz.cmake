# libFuzzer targets (docs/RELIABILITY.md, "Fuzzing"), one per parser of
# outside input. Included from the root CMakeLists only when PARLEY_FUZZ is on
# (a clang build: tests/fuzz/run.sh configures build-fuzz/ and runs them); the
# root adds -fsanitize=address,undefined to every library of that build.
set(FUZZ_DIR ${CMAKE_SOURCE_DIR}/tests/fuzz)

include(${CMAKE_SOURCE_DIR}/tests/api/protojson/testdata.cmake)

# The Insights parsers without the rest of the dialect (whose routes need the
# service layer, the store and every analyzer: only resource_name links those).
add_library(fuzz_insights_parsers STATIC
  ${CMAKE_SOURCE_DIR}/src/api/insights_v1/filter_fields.cc
  ${CMAKE_SOURCE_DIR}/src/api/insights_v1/transcript_file.cc
  ${CMAKE_SOURCE_DIR}/src/api/insights_v1/mapping.cc)
target_link_libraries(fuzz_insights_parsers PUBLIC parley_google parley_core parley_protojson)

# parley_fuzzer(NAME SOURCES ... LIBS ...): build-fuzz/fuzz/fuzz_NAME, whose
# seed corpus is tests/fuzz/corpus/NAME/.
function(parley_fuzzer name)
  cmake_parse_arguments(F "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(fuzz_${name} ${F_SOURCES})
  target_include_directories(fuzz_${name} PRIVATE ${CMAKE_SOURCE_DIR}/src ${CMAKE_SOURCE_DIR}/tests)
  target_link_libraries(fuzz_${name} PRIVATE ${F_LIBS})
  target_compile_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
  target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
  set_target_properties(fuzz_${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
  set_property(GLOBAL APPEND PROPERTY PARLEY_FUZZERS fuzz_${name})
endfunction()

parley_fuzzer(protojson_conversation SOURCES ${FUZZ_DIR}/protojson_conversation_fuzzer.cc
              LIBS parley_protojson)
parley_fuzzer(protojson_all_types SOURCES ${FUZZ_DIR}/protojson_all_types_fuzzer.cc
              LIBS parley_protojson protojson_testdata)
parley_fuzzer(filter SOURCES ${FUZZ_DIR}/filter_fuzzer.cc LIBS fuzz_insights_parsers)
parley_fuzzer(page_token SOURCES ${FUZZ_DIR}/page_token_fuzzer.cc LIBS parley_core)
parley_fuzzer(update_mask SOURCES ${FUZZ_DIR}/update_mask_fuzzer.cc
              LIBS fuzz_insights_parsers)
parley_fuzzer(resource_name SOURCES ${FUZZ_DIR}/resource_name_fuzzer.cc
              LIBS parley_insights_v1 parley_store parley_service)
parley_fuzzer(transcript_file SOURCES ${FUZZ_DIR}/transcript_file_fuzzer.cc LIBS fuzz_insights_parsers)
parley_fuzzer(examples_csv SOURCES ${FUZZ_DIR}/examples_csv_fuzzer.cc LIBS parley_analysis_intents)
parley_fuzzer(faq_csv SOURCES ${FUZZ_DIR}/faq_csv_fuzzer.cc LIBS parley_analysis_knowledge)
parley_fuzzer(article SOURCES ${FUZZ_DIR}/article_fuzzer.cc LIBS parley_analysis_knowledge)
parley_fuzzer(http_server SOURCES ${FUZZ_DIR}/http_server_fuzzer.cc LIBS parley_http)

# `ninja -C build-fuzz fuzzers` builds every target above and nothing else.
get_property(all_fuzzers GLOBAL PROPERTY PARLEY_FUZZERS)
add_custom_target(fuzzers DEPENDS ${all_fuzzers})
parley_fuzzer(multipart SOURCES ${FUZZ_DIR}/multipart_fuzzer.cc LIBS parley_core)
