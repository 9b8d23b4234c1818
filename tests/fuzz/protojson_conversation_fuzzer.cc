// Request JSON -> proto: protojson::Parse into an Insights Conversation (the
// body of CreateConversation / UpdateConversation), then the round trip of
// protojson_round_trip.h.
#include "fuzz/protojson_round_trip.h"
#include "insights_v1/insights.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, size_t size) {
  parley::insights_v1::Conversation first, second;
  parley::fuzz::CheckRoundTrip(parley::fuzz::AsText(data, size), &first, &second);
  return 0;
}
