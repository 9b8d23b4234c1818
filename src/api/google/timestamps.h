// Core times (microseconds since the Unix epoch, durations in microseconds)
// <-> google.protobuf.Timestamp and Duration, the types every Google dialect's
// messages carry (their JSON forms are RFC 3339 and "1.5s").
#pragma once

#include <cstdint>

#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace parley::google_api {

void SetTimestamp(int64_t micros, google::protobuf::Timestamp* t);
void SetDuration(int64_t micros, google::protobuf::Duration* d);

// Sub-microsecond parts are dropped (toward zero).
int64_t Micros(const google::protobuf::Timestamp& t);
int64_t Micros(const google::protobuf::Duration& d);

}  // namespace parley::google_api
