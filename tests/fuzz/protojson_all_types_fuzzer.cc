// Request JSON -> proto over every field kind: protojson::Parse into the test
// schema's TestAll (scalars, optional, repeated, maps, oneofs, enums, nested
// and well-known types), then the round trip of protojson_round_trip.h.
#include "fuzz/protojson_round_trip.h"
#include "google/protobuf/field_mask.pb.h"
#include "tests/api/protojson/testdata.pb.h"

namespace {

namespace pb = google::protobuf;

// A FieldMask path the JSON mapping carries both ways: segments of lower-case
// words joined by single underscores, each word starting with a letter.
bool RoundTrips(const std::string& path) {
  bool word_start = true;
  for (char c : path) {
    if (c == '.' || c == '_') {
      if (word_start) return false;
      word_start = true;
    } else if (c >= 'a' && c <= 'z') {
      word_start = false;
    } else if (c >= '0' && c <= '9') {
      if (word_start) return false;
    } else {
      return false;
    }
  }
  return !word_start;
}

// Drops the FieldMask paths that do not round-trip, everywhere in `m`.
void DropLossyPaths(pb::Message* m) {
  if (m->GetDescriptor() == pb::FieldMask::descriptor()) {
    const pb::FieldDescriptor* paths = m->GetDescriptor()->FindFieldByName("paths");
    const pb::Reflection* r = m->GetReflection();
    std::vector<std::string> kept;
    for (int i = 0; i < r->FieldSize(*m, paths); ++i) {
      std::string p = r->GetRepeatedString(*m, paths, i);
      if (RoundTrips(p)) kept.push_back(std::move(p));
    }
    r->ClearField(m, paths);
    for (auto& p : kept) r->AddString(m, paths, std::move(p));
    return;
  }
  const pb::Reflection* r = m->GetReflection();
  std::vector<const pb::FieldDescriptor*> fields;
  r->ListFields(*m, &fields);
  for (const auto* f : fields) {
    if (f->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (f->is_repeated()) {
      for (int i = 0; i < r->FieldSize(*m, f); ++i) DropLossyPaths(r->MutableRepeatedMessage(m, f, i));
    } else {
      DropLossyPaths(r->MutableMessage(m, f));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, size_t size) {
  parley::protojson::test::TestAll first, second;
  parley::fuzz::CheckRoundTrip(parley::fuzz::AsText(data, size), &first, &second, DropLossyPaths);
  return 0;
}
