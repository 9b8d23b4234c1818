// Request JSON -> proto over every field kind: protojson::Parse into the test
// schema's TestAll (scalars, optional, repeated, maps, oneofs, enums, nested
// and well-known types), then the round trip of protojson_round_trip.h.
#include "fuzz/protojson_round_trip.h"
#include "tests/api/protojson/testdata.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, size_t size) {
  parley::protojson::test::TestAll first, second;
  parley::fuzz::CheckRoundTrip(parley::fuzz::AsText(data, size), &first, &second);
  return 0;
}
