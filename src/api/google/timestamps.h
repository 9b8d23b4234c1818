// Core times (microseconds since the Unix epoch, durations in microseconds)
// <-> google.protobuf.Timestamp and Duration, the types every Google dialect's
// messages carry (their JSON forms are RFC 3339 and "1.5s").
#pragma once

#include <cstdint>

#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace parley::google_api {

// The last microsecond a Timestamp can hold, 9999-12-31T23:59:59.999999Z
// (RFC 3339 has four-digit years): a later time must be refused on input.
inline constexpr int64_t kMaxTimestampMicros = 253402300799LL * 1'000'000 + 999'999;

void SetTimestamp(int64_t micros, google::protobuf::Timestamp* t);
void SetDuration(int64_t micros, google::protobuf::Duration* d);

// Sub-microsecond parts are dropped (toward zero).
int64_t Micros(const google::protobuf::Timestamp& t);
int64_t Micros(const google::protobuf::Duration& d);

}  // namespace parley::google_api
