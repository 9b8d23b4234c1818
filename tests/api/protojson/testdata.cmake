# The protojson test schema (every field kind) as the library
# protojson_testdata, compiled the same way the top-level build compiles
# proto/. Included by this folder's CMakeLists and by tests/fuzz/fuzz.cmake.
set(PROTOJSON_TEST_PROTO tests/api/protojson/testdata.proto)
set(PROTOJSON_TEST_CC ${PROTO_GEN_DIR}/tests/api/protojson/testdata.pb.cc)
set(PROTOJSON_TEST_H ${PROTO_GEN_DIR}/tests/api/protojson/testdata.pb.h)
add_custom_command(
  OUTPUT ${PROTOJSON_TEST_CC} ${PROTOJSON_TEST_H}
  COMMAND protobuf::protoc --cpp_out=${PROTO_GEN_DIR} -I ${CMAKE_SOURCE_DIR} -I /usr/include
          ${CMAKE_SOURCE_DIR}/${PROTOJSON_TEST_PROTO}
  DEPENDS ${CMAKE_SOURCE_DIR}/${PROTOJSON_TEST_PROTO}
  COMMENT "protoc ${PROTOJSON_TEST_PROTO}")
add_library(protojson_testdata STATIC ${PROTOJSON_TEST_CC})
target_include_directories(protojson_testdata PUBLIC ${PROTO_GEN_DIR})
target_link_libraries(protojson_testdata PUBLIC protobuf::libprotobuf)
target_compile_options(protojson_testdata PRIVATE -w)
