#include "api/google/timestamps.h"

namespace parley::google_api {

void SetTimestamp(int64_t micros, google::protobuf::Timestamp* t) {
  int64_t s = micros / 1'000'000, us = micros % 1'000'000;
  if (us < 0) us += 1'000'000, s -= 1;
  t->set_seconds(s);
  t->set_nanos(static_cast<int32_t>(us * 1000));
}

void SetDuration(int64_t micros, google::protobuf::Duration* d) {
  d->set_seconds(micros / 1'000'000);
  d->set_nanos(static_cast<int32_t>((micros % 1'000'000) * 1000));
}

int64_t Micros(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1'000'000 + t.nanos() / 1000;
}

int64_t Micros(const google::protobuf::Duration& d) {
  return d.seconds() * 1'000'000 + d.nanos() / 1000;
}

}  // namespace parley::google_api
